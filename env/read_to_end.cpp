#include "env/read_to_end.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace memory::env {

Status NulByteError(const std::string& name, std::string_view text, size_t at, std::string_view nul_error) {
  const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + at, '\n'));
  return Status::InvalidArgument(name + ":" + std::to_string(line) + ": " + std::string(nul_error));
}

Status ReadToEnd(int fd, const std::string& name, size_t max_bytes, std::string_view nul_error,
                 std::string* out) {
  char block[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd, block, sizeof block);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status::IOError(name + ": read failed: " + std::strerror(errno));
    if (got == 0) return Status::OK();
    if (!nul_error.empty()) {
      if (const void* nul = std::memchr(block, '\0', static_cast<size_t>(got))) {
        const size_t at = out->size() + static_cast<size_t>(static_cast<const char*>(nul) - block);
        out->append(block, static_cast<size_t>(got));
        return NulByteError(name, *out, at, nul_error);
      }
    }
    if (out->size() + static_cast<size_t>(got) > max_bytes)
      return Status::InvalidArgument(name + ": more than " + std::to_string(max_bytes >> 20) +
                                     " MiB to hold in memory");
    out->append(block, static_cast<size_t>(got));
  }
}

}  // namespace memory::env
