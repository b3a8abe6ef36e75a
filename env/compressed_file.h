// Reading a whole file that may be gzip- or xz-compressed (detected from its first bytes): cache
// traces, contextual-bandit data sets.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "store/status.h"

namespace memory::env {

// The whole file, decompressed when it starts with a gzip or xz header (concatenated members
// too). NotFound for a missing file; InvalidArgument for a directory or truncated or corrupt
// data. Data that decompresses to more than `max_bytes` is refused (InvalidArgument) before it
// takes the memory: a few MB of gzip can expand to terabytes.
inline constexpr size_t kMaxDecompressedBytes = size_t{4} << 30;
// Reads `fd` to its end into *out, at most `max_bytes` (InvalidArgument "NAME: more than N MiB
// to hold in memory" beyond it). With a `nul_error`, a NUL byte stops the read at once:
// InvalidArgument "NAME:LINE: <nul_error>". For what cannot be sized or read twice (a pipe, a
// device): `yes | memory import -` or /dev/zero must not take the memory.
Status ReadToEnd(int fd, const std::string& name, size_t max_bytes, std::string_view nul_error,
                 std::string* out);
Status ReadMaybeCompressed(const std::string& path, std::string* bytes,
                           size_t max_bytes = kMaxDecompressedBytes);

}  // namespace memory::env
