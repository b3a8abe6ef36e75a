#include "env/cache_trace.h"

#include <lzma.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace memory::env {
namespace {

Status ReadRaw(const std::string& path, std::string* out) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Status::NotFound(path + ": no such file");
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + ": is a directory, not a trace file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError(path + ": read failed");
  *out = std::move(ss).str();
  return Status::OK();
}

Status TooLarge(const std::string& path, size_t max_bytes) {
  return Status::InvalidArgument(path + ": decompresses to more than " + std::to_string(max_bytes >> 20) +
                                 " MiB (a compression bomb, or a trace to split)");
}

Status Gunzip(const std::string& path, std::string_view in, size_t max_bytes, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Status::IOError(path + ": zlib init failed");
  out->clear();
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[1 << 16];
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (out->size() + (sizeof buf - zs.avail_out) > max_bytes) {
      inflateEnd(&zs);
      return TooLarge(path, max_bytes);
    }
    out->append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members are legal: continue with the next one.
      if (zs.avail_in > 0 && inflateReset(&zs) == Z_OK) continue;
      break;
    }
    if (rc != Z_OK) break;
    if (zs.avail_in == 0 && zs.avail_out != 0) {  // input exhausted before the stream ended
      rc = Z_BUF_ERROR;
      break;
    }
  }
  inflateEnd(&zs);
  if (rc == Z_STREAM_END) return Status::OK();
  if (rc == Z_BUF_ERROR)
    return Status::InvalidArgument(path + ": truncated gzip data (the stream ends early)");
  return Status::InvalidArgument(path + ": corrupt gzip data" +
                                 (zs.msg ? std::string(" (") + zs.msg + ")" : std::string()));
}

Status Unxz(const std::string& path, std::string_view in, size_t max_bytes, std::string* out) {
  lzma_stream xs = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&xs, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
    return Status::IOError(path + ": liblzma init failed");
  out->clear();
  xs.next_in = reinterpret_cast<const uint8_t*>(in.data());
  xs.avail_in = in.size();
  uint8_t buf[1 << 16];
  lzma_ret rc = LZMA_OK;
  while (true) {
    xs.next_out = buf;
    xs.avail_out = sizeof buf;
    rc = lzma_code(&xs, xs.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
    if (out->size() + (sizeof buf - xs.avail_out) > max_bytes) {
      lzma_end(&xs);
      return TooLarge(path, max_bytes);
    }
    out->append(reinterpret_cast<char*>(buf), sizeof buf - xs.avail_out);
    if (rc != LZMA_OK) break;
  }
  lzma_end(&xs);
  if (rc == LZMA_STREAM_END) return Status::OK();
  if (rc == LZMA_BUF_ERROR)
    return Status::InvalidArgument(path + ": truncated xz data (the stream ends early)");
  return Status::InvalidArgument(path + ": corrupt xz data (liblzma error " +
                                 std::to_string(static_cast<int>(rc)) + ")");
}

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
  if (b.find('\0') != std::string_view::npos)
    return Status::InvalidArgument(std::string(name) +
                                   ": binary data in a text trace (wrong --format?)");
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

Status ReadMaybeCompressed(const std::string& path, std::string* bytes, size_t max_bytes) {
  std::string raw;
  MEMORY_RETURN_IF_ERROR(ReadRaw(path, &raw));
  const bool gz = raw.size() >= 2 && static_cast<unsigned char>(raw[0]) == 0x1f &&
                  static_cast<unsigned char>(raw[1]) == 0x8b;
  static const char kXz[6] = {'\xfd', '7', 'z', 'X', 'Z', '\0'};
  const bool xz = raw.size() >= 6 && std::memcmp(raw.data(), kXz, 6) == 0;
  // zlib takes at most 4 GiB of input at once; such a file would decompress past the limit.
  if ((gz || xz) && raw.size() > std::min<size_t>(max_bytes, UINT32_MAX)) return TooLarge(path, max_bytes);
  if (gz) return Gunzip(path, raw, max_bytes, bytes);
  if (xz) return Unxz(path, raw, max_bytes, bytes);
  *bytes = std::move(raw);
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
  MEMORY_RETURN_IF_ERROR(ReadMaybeCompressed(path, &bytes));
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
