// Helpers shared by the learner tests.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "learner/online_eval.h"
#include "learner/vocabulary.h"

namespace memory::learner::testing {

inline std::string SharedDir() { return MEMORY_SHARED_DIR; }

// Reads one-command-per-line user files "<dir>/<prefix><n>" in numeric order, skipping empty
// lines and trimming whitespace (the data sets' protocol). Empty when the folder is missing.
inline std::vector<UserStream> ReadUsers(const std::string& dir, const std::string& prefix, Vocabulary* vocab) {
  std::vector<std::pair<int, std::string>> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return {};
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (n.rfind(prefix, 0) == 0 && n.size() > prefix.size() &&
        n.find_first_not_of("0123456789", prefix.size()) == std::string::npos)
      files.emplace_back(std::stoi(n.substr(prefix.size())), e.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<UserStream> users;
  for (const auto& [num, path] : files) {
    UserStream s;
    s.name = std::filesystem::path(path).filename().string();
    std::ifstream f(path, std::ios::binary);
    std::string line;
    const char* ws = " \t\r\n\f\v";
    while (std::getline(f, line)) {
      size_t b = line.find_first_not_of(ws);
      if (b == std::string::npos) continue;
      size_t e = line.find_last_not_of(ws);
      s.commands.push_back(vocab->Intern(std::string_view(line).substr(b, e - b + 1)));
    }
    users.push_back(std::move(s));
  }
  return users;
}

// A deterministic synthetic stream with repeated chains, noise and a drift, over `vocab` ids.
inline std::vector<CommandId> SyntheticStream(size_t n, uint32_t vocab_size, uint64_t seed) {
  std::vector<CommandId> out;
  uint64_t x = seed * 2654435761ULL + 1;
  auto next = [&] { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; };
  while (out.size() < n) {
    uint64_t r = next();
    if (r % 3 == 0) {  // a chain: c, c+1, c+2
      CommandId c = static_cast<CommandId>((r >> 8) % (vocab_size - 2));
      for (int i = 0; i < 3 && out.size() < n; ++i) out.push_back(c + i);
    } else {
      out.push_back(static_cast<CommandId>((r >> 8) % vocab_size));
    }
  }
  return out;
}

}  // namespace memory::learner::testing
