// Reading a whole stream into memory, bounded: what cannot be sized or read twice (a pipe, a
// device) must not take the memory (`yes | memory import -`, /dev/zero). Apart from
// compressed_file.h so that the front end (`memory record --json -`) links no decompressor.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "store/status.h"

namespace memory::env {

// Reads `fd` to its end, appending to *out, which holds at most `max_bytes` in all
// (InvalidArgument "NAME: more than N MiB to hold in memory" beyond it). With a `nul_error`, a
// NUL byte in what is read stops the read at once: InvalidArgument "NAME:LINE: <nul_error>"
// (lines counted over all of *out).
Status ReadToEnd(int fd, const std::string& name, size_t max_bytes, std::string_view nul_error,
                 std::string* out);

// `text` without a leading UTF-8 byte-order mark (EF BB BF), which editors on Windows write
// at the start of a text file: it is not part of the first line.
inline std::string_view WithoutUtf8Bom(std::string_view text) {
  return text.substr(0, 3) == "\xEF\xBB\xBF" ? text.substr(3) : text;
}

// InvalidArgument "NAME:LINE: <nul_error>" for the NUL byte at offset `at` of `text`.
Status NulByteError(const std::string& name, std::string_view text, size_t at, std::string_view nul_error);

}  // namespace memory::env
