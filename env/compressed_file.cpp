#include "env/compressed_file.h"

#include <fcntl.h>
#include <lzma.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace memory::env {
namespace {

bool IsGzip(std::string_view b) {
  return b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0x1f && static_cast<unsigned char>(b[1]) == 0x8b;
}
bool IsXz(std::string_view b) {
  static const char kXz[6] = {'\xfd', '7', 'z', 'X', 'Z', '\0'};
  return b.size() >= 6 && std::memcmp(b.data(), kXz, 6) == 0;
}

// `block` was just appended to *out: a NUL byte in it is an error when `nul_error` is set.
Status CheckAppended(const std::string& name, const std::string& out, size_t block, std::string_view nul_error) {
  if (nul_error.empty() || block == 0) return Status::OK();
  const char* start = out.data() + out.size() - block;
  const void* nul = std::memchr(start, '\0', block);
  if (nul == nullptr) return Status::OK();
  return NulByteError(name, out, static_cast<size_t>(static_cast<const char*>(nul) - out.data()), nul_error);
}

Status ReadRaw(const std::string& path, size_t max_bytes, std::string_view nul_error, std::string* out) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Status::NotFound(path + ": no such file");
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + ": is a directory, not a file");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  out->clear();
  if (S_ISREG(st.st_mode)) out->reserve(static_cast<size_t>(std::min<uint64_t>(st.st_size, max_bytes)));
  // The first bytes tell gzip or xz data, which holds NUL bytes, from text.
  char head[6];
  size_t n = 0;
  while (n < sizeof head) {
    const ssize_t got = ::read(fd, head + n, sizeof head - n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // a read error shows again in ReadToEnd
    n += static_cast<size_t>(got);
  }
  out->assign(head, n);
  if (IsGzip(*out) || IsXz(*out)) nul_error = {};
  Status s = CheckAppended(path, *out, n, nul_error);
  if (s.ok()) s = ReadToEnd(fd, path, max_bytes, nul_error, out);
  ::close(fd);
  return s;
}

Status TooLarge(const std::string& path, size_t max_bytes) {
  return Status::InvalidArgument(path + ": decompresses to more than " + std::to_string(max_bytes >> 20) +
                                 " MiB (a compression bomb, or a file to split)");
}

Status Gunzip(const std::string& path, std::string_view in, size_t max_bytes, std::string_view nul_error,
              std::string* out) {
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
    if (Status nul = CheckAppended(path, *out, sizeof buf - zs.avail_out, nul_error); !nul.ok()) {
      inflateEnd(&zs);
      return nul;
    }
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

Status Unxz(const std::string& path, std::string_view in, size_t max_bytes, std::string_view nul_error,
            std::string* out) {
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
    if (Status nul = CheckAppended(path, *out, sizeof buf - xs.avail_out, nul_error); !nul.ok()) {
      lzma_end(&xs);
      return nul;
    }
    if (rc != LZMA_OK) break;
  }
  lzma_end(&xs);
  if (rc == LZMA_STREAM_END) return Status::OK();
  if (rc == LZMA_BUF_ERROR)
    return Status::InvalidArgument(path + ": truncated xz data (the stream ends early)");
  return Status::InvalidArgument(path + ": corrupt xz data (liblzma error " +
                                 std::to_string(static_cast<int>(rc)) + ")");
}

}  // namespace

Status ReadMaybeCompressed(const std::string& path, std::string* bytes, size_t max_bytes,
                           std::string_view nul_error) {
  std::string raw;
  MEMORY_RETURN_IF_ERROR(ReadRaw(path, max_bytes, nul_error, &raw));
  const bool gz = IsGzip(raw), xz = IsXz(raw);
  // zlib takes at most 4 GiB of input at once; such a file would decompress past the limit.
  if ((gz || xz) && raw.size() > std::min<size_t>(max_bytes, UINT32_MAX)) return TooLarge(path, max_bytes);
  if (gz) return Gunzip(path, raw, max_bytes, nul_error, bytes);
  if (xz) return Unxz(path, raw, max_bytes, nul_error, bytes);
  *bytes = std::move(raw);
  return Status::OK();
}

}  // namespace memory::env
