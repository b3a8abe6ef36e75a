// Readers for key-access traces used by the cache simulator (`memory eval cache`): the formats
// of the Caffeine simulator's public traces (see ../shared/cache-traces/README.md) plus `lines`,
// one key per text line (e.g. a command history, each command a key).
//
// Compression is detected from the file's first bytes (gzip, xz, or none), so any format may
// come compressed or not.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "env/compressed_file.h"  // ReadMaybeCompressed
#include "store/status.h"

namespace memory::env {

enum class TraceFormat {
  kLirs,     // text, one integer key per line; lines "*" (checkpoints) and blank lines skipped
  kCache2k,  // binary, big-endian signed 32-bit keys
  kCorda,    // binary, big-endian signed 64-bit keys
  kScarab,   // binary, big-endian signed 64-bit keys
  kLines,    // text, each non-empty line (without its newline) is a key, hashed to 64 bits
};

// "lirs" | "cache2k" (alias "int32be") | "corda" | "scarab" (alias "int64be") | "lines".
Status ParseTraceFormat(std::string_view name, TraceFormat* out);
std::string_view TraceFormatName(TraceFormat f);
// The format implied by a path of the shared data sets (a lirs/, cache2k/, corda/ or scarab/
// folder, or a .lirs/.trace.gz name ...); InvalidArgument asking for --format otherwise.
Status GuessTraceFormat(const std::string& path, TraceFormat* out);

// Reads a whole trace. Keys are returned as uint64 (signed values sign-extended, then cast).
// Errors name the file: NotFound for a missing file, InvalidArgument for a truncated or corrupt
// compressed stream, a binary trace whose length is not a multiple of the key width, a text
// line that is not an integer (with its line number), binary data in a text trace, or an
// empty trace.
Status ReadCacheTrace(const std::string& path, TraceFormat format, std::vector<uint64_t>* keys);

// Same from decompressed bytes already in memory (`name` is used in error messages).
Status ParseCacheTrace(std::string_view bytes, std::string_view name, TraceFormat format,
                       std::vector<uint64_t>* keys);


// The 64-bit key of a text key (FNV-1a, then mixed): what `lines` traces use.
uint64_t TraceKeyOfString(std::string_view s);

}  // namespace memory::env
