// Reading a whole file that may be gzip- or xz-compressed (detected from its first bytes): cache
// traces, contextual-bandit data sets.
#pragma once

#include <cstddef>
#include <string>

#include "store/status.h"

namespace memory::env {

// The whole file, decompressed when it starts with a gzip or xz header (concatenated members
// too). NotFound for a missing file; InvalidArgument for a directory or truncated or corrupt
// data. Data that decompresses to more than `max_bytes` is refused (InvalidArgument) before it
// takes the memory: a few MB of gzip can expand to terabytes.
inline constexpr size_t kMaxDecompressedBytes = size_t{4} << 30;
Status ReadMaybeCompressed(const std::string& path, std::string* bytes,
                           size_t max_bytes = kMaxDecompressedBytes);

}  // namespace memory::env
