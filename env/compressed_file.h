// Reading a whole file that may be gzip- or xz-compressed (detected from its first bytes): cache
// traces, contextual-bandit data sets.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "env/read_to_end.h"  // ReadToEnd
#include "store/status.h"

namespace memory::env {

// The whole file, decompressed when it starts with a gzip or xz header (concatenated members
// too). NotFound for a missing file; InvalidArgument for a directory or truncated or corrupt
// data. Data that decompresses to more than `max_bytes` is refused (InvalidArgument) before it
// takes the memory: a few MB of gzip can expand to terabytes.
inline constexpr size_t kMaxDecompressedBytes = size_t{4} << 30;
// With a `nul_error` (text is expected), a NUL byte in the file, or in what it decompresses to,
// stops the read at once, as in ReadToEnd: /dev/zero given as a text trace fails at its first
// block, not after 4 GiB.
Status ReadMaybeCompressed(const std::string& path, std::string* bytes,
                           size_t max_bytes = kMaxDecompressedBytes, std::string_view nul_error = {});

}  // namespace memory::env
