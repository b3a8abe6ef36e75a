#include "env/cache_trace.h"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "env/compressed_file.h"

namespace memory::env {
namespace {

constexpr std::string_view kBinaryInText = "binary data in a text trace (wrong --format?)";

// A short printable excerpt of a bad line (control bytes shown as \xNN).
std::string Excerpt(std::string_view line) {
  std::string out;
  for (unsigned char c : line.substr(0, 40)) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

template <int W>
Status ParseBinary(std::string_view b, std::string_view name, std::vector<uint64_t>* keys) {
  if (b.size() % W != 0)
    return Status::InvalidArgument(std::string(name) + ": truncated binary trace (" +
                                   std::to_string(b.size()) + " bytes is not a multiple of " +
                                   std::to_string(W) + ")");
  keys->resize(b.size() / W);
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  for (size_t i = 0; i < keys->size(); ++i, p += W) {
    uint64_t v = 0;
    for (int j = 0; j < W; ++j) v = (v << 8) | p[j];
    if constexpr (W == 4) v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v)));
    (*keys)[i] = v;
  }
  return Status::OK();
}

Status ParseText(std::string_view b, std::string_view name, bool integers,
                 std::vector<uint64_t>* keys) {
  b = WithoutUtf8Bom(b);
  if (b.find('\0') != std::string_view::npos)
    return Status::InvalidArgument(std::string(name) + ": " + std::string(kBinaryInText));
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < b.size()) {
    size_t nl = b.find('\n', pos);
    if (nl == std::string_view::npos) nl = b.size();
    std::string_view line = b.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (integers) {
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
      if (line.empty() || line == "*") continue;
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
      if (ec != std::errc() || ptr != line.data() + line.size())
        return Status::InvalidArgument(std::string(name) + ":" + std::to_string(line_no) +
                                       ": not an integer key: '" +
                                       Excerpt(line) + "'");
      keys->push_back(static_cast<uint64_t>(v));
    } else {
      if (line.empty()) continue;
      keys->push_back(TraceKeyOfString(line));
    }
  }
  return Status::OK();
}

}  // namespace

Status ParseTraceFormat(std::string_view name, TraceFormat* out) {
  if (name == "lirs") *out = TraceFormat::kLirs;
  else if (name == "cache2k" || name == "int32be") *out = TraceFormat::kCache2k;
  else if (name == "corda") *out = TraceFormat::kCorda;
  else if (name == "scarab" || name == "int64be") *out = TraceFormat::kScarab;
  else if (name == "lines") *out = TraceFormat::kLines;
  else
    return Status::InvalidArgument("unknown trace format '" + std::string(name) +
                                   "' (expected lirs, cache2k, corda, scarab or lines)");
  return Status::OK();
}

std::string_view TraceFormatName(TraceFormat f) {
  switch (f) {
    case TraceFormat::kLirs: return "lirs";
    case TraceFormat::kCache2k: return "cache2k";
    case TraceFormat::kCorda: return "corda";
    case TraceFormat::kScarab: return "scarab";
    case TraceFormat::kLines: return "lines";
  }
  return "?";
}

Status GuessTraceFormat(const std::string& path, TraceFormat* out) {
  auto has = [&](const char* s) { return path.find(s) != std::string::npos; };
  if (has("lirs/") || has(".lirs")) *out = TraceFormat::kLirs;
  else if (has("cache2k/")) *out = TraceFormat::kCache2k;
  else if (has("corda/")) *out = TraceFormat::kCorda;
  else if (has("scarab/")) *out = TraceFormat::kScarab;
  else
    return Status::InvalidArgument(path + ": cannot tell the trace format from the path; pass "
                                   "--format lirs|cache2k|corda|scarab|lines");
  return Status::OK();
}


Status ParseCacheTrace(std::string_view bytes, std::string_view name, TraceFormat format,
                       std::vector<uint64_t>* keys) {
  keys->clear();
  Status s;
  switch (format) {
    case TraceFormat::kLirs: s = ParseText(bytes, name, true, keys); break;
    case TraceFormat::kLines: s = ParseText(bytes, name, false, keys); break;
    case TraceFormat::kCache2k: s = ParseBinary<4>(bytes, name, keys); break;
    case TraceFormat::kCorda:
    case TraceFormat::kScarab: s = ParseBinary<8>(bytes, name, keys); break;
  }
  if (!s.ok()) {
    keys->clear();
    return s;
  }
  if (keys->empty()) return Status::InvalidArgument(std::string(name) + ": the trace holds no keys");
  return Status::OK();
}

Status ReadCacheTrace(const std::string& path, TraceFormat format, std::vector<uint64_t>* keys) {
  std::string bytes;
  const bool text = format == TraceFormat::kLirs || format == TraceFormat::kLines;
  MEMORY_RETURN_IF_ERROR(ReadMaybeCompressed(path, &bytes, kMaxDecompressedBytes,
                                             text ? kBinaryInText : std::string_view()));
  return ParseCacheTrace(bytes, path, format, keys);
}

uint64_t TraceKeyOfString(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

}  // namespace memory::env
