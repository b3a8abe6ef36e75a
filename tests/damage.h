// Seeded damage of a file's bytes for the hostile-input tests: the same damage on every run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace memory::testing {

class Damage {
 public:
  explicit Damage(uint64_t seed) : x_(seed | 1) {}
  uint64_t Next() {  // xorshift64
    x_ ^= x_ << 13, x_ ^= x_ >> 7, x_ ^= x_ << 17;
    return x_;
  }
  // Round r of `good` damaged three ways in turn: 1-6 random bytes, 1-6 bytes set to 0xff (huge
  // counts and offsets), or the file cut short. `good` must not be empty.
  std::string Apply(const std::string& good, int round) {
    std::string bytes = good;
    if (round % 3 == 2) {
      bytes.resize(Next() % bytes.size());
    } else {
      for (int j = 0; j < 1 + static_cast<int>(Next() % 6); ++j)
        bytes[Next() % bytes.size()] = round % 3 ? '\xff' : static_cast<char>(Next());
    }
    return bytes;
  }

 private:
  uint64_t x_;
};

// Replaces `path` by a file holding `bytes` (write + rename, as the store's writers replace
// files that readers map).
inline void ReplaceFile(const std::string& path, const std::string& bytes) {
  {
    std::ofstream out(path + ".tmp", std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  std::filesystem::rename(path + ".tmp", path);
}

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace memory::testing
