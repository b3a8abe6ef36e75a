// Shared by the libFuzzer targets of tests/fuzz (scripts/fuzz builds and runs them).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

// A property every input must keep: otherwise the input is saved as a crash.
#define FUZZ_CHECK(c)                                                          \
  do {                                                                         \
    if (!(c)) {                                                                \
      std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

namespace memory::fuzz {

// The path of this process for inputs that must be read from a file (or a directory of files):
// $TMPDIR/fuzz_<name>_<pid>, removed when the process exits normally. One per process (a later
// call replaces the first).
inline std::string TempPath(const std::string& name) {
  static std::string path;
  const char* tmp = std::getenv("TMPDIR");
  if (path.empty()) std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  });
  path = std::string(tmp ? tmp : "/tmp") + "/fuzz_" + name + "_" + std::to_string(getpid());
  return path;
}

inline void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace memory::fuzz
