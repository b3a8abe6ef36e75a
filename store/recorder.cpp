// The spool: append-only files of framed event records.
//   frame = "MEv1" | u32 LE payload length | u32 LE crc32(payload) | payload (EncodeEvent)
// Writers append to spool/current.log under a shared flock; the folder takes the exclusive
// lock, renames the file to fold-<time>-<pid>.log and releases it, so no append is ever lost
// between reading and deleting a file (see RocksStore::Fold).
#include "store/recorder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>

#include <cerrno>
#include <cstring>

#include "store/internal.h"
#include "store/mapped_file.h"

namespace memory {
namespace {

constexpr char kMagic[4] = {'M', 'E', 'v', '1'};
constexpr size_t kHeader = 12;
constexpr uint32_t kMaxPayload = 64u << 20;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
// zlib's crc32 (spools written by earlier versions verify), computed by libdeflate: ~10x faster
// than zlib's on frames of ~200 bytes, which every reader of the spool checks.
uint32_t Crc(std::string_view s) { return libdeflate_crc32(0, s.data(), s.size()); }

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  // One write() for the whole buffer: O_APPEND makes it land contiguously.
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(path + ": " + internal::ErrnoText());
    }
    off += static_cast<size_t>(n);
  }
  return Status::OK();
}

}  // namespace

Status RecordEvents(const RecorderOptions& options, std::vector<Event>& events) {
  if (events.empty()) return Status::OK();
  std::string spool = internal::SpoolDir(options.dir);
  struct stat st;
  if (::stat(spool.c_str(), &st) != 0) MEMORY_RETURN_IF_ERROR(internal::EnsureDir(spool));

  std::string frames;
  std::string payload;
  // The store orders events by time, then by id, whose low half is random: events of one call
  // given the same time (the clock's microsecond, or a second-resolution time of the caller's)
  // are spread 1 µs apart so that they keep the order given.
  TimeSpreader spread;
  for (Event& e : events) {
    MEMORY_RETURN_IF_ERROR(CheckEvent(e));
    const int64_t ts = e.ts_us == 0 ? NowMicros() : e.ts_us;
    if (e.id.empty()) {
      e.ts_us = spread.Next(ts);
      e.id = NewEventId(e.ts_us);
    } else {
      e.ts_us = ts;  // its place is that of its id
      spread.Keep(ts);
    }
    payload.clear();
    EncodeEvent(e, &payload);
    if (payload.size() > kMaxPayload) return Status::InvalidArgument("event larger than 64 MiB");
    frames.append(kMagic, 4);
    PutU32(&frames, static_cast<uint32_t>(payload.size()));
    PutU32(&frames, Crc(payload));
    frames += payload;
  }

  std::string path = spool + "/" + internal::kCurrentSpool;
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Status::IOError(path + ": " + internal::ErrnoText());
    if (::flock(fd, LOCK_SH) != 0) {
      Status s = Status::IOError("flock " + path + ": " + internal::ErrnoText());
      ::close(fd);
      return s;
    }
    struct stat by_fd, by_path;
    if (::fstat(fd, &by_fd) != 0 || ::stat(path.c_str(), &by_path) != 0 || by_fd.st_ino != by_path.st_ino) {
      ::close(fd);  // a folder renamed it between our open and lock: append to the new file
      continue;
    }
    Status s = WriteAll(fd, frames, path);
    if (s.ok() && options.sync && ::fdatasync(fd) != 0)
      s = Status::IOError("fdatasync " + path + ": " + internal::ErrnoText());
    ::close(fd);
    return s;
  }
  return Status::Busy("spool " + path + " keeps being rotated");
}

bool RecordingPaused(const std::string& dir) { return internal::FileExists(dir + "/paused"); }

Status SetRecordingPaused(const std::string& dir, bool paused) {
  std::string path = dir + "/paused";
  if (paused) {
    MEMORY_RETURN_IF_ERROR(internal::EnsureDir(dir));
    return internal::WriteFileAtomic(path, "recording paused by `memory learn --disable`\n");
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Status::IOError(path + ": " + internal::ErrnoText());
  return Status::OK();
}

namespace internal {

Status VisitSpoolFile(const std::string& path, const std::function<void(std::string_view)>& fn,
                      bool* torn_tail) {
  MappedFile file;
  MEMORY_RETURN_IF_ERROR(file.Open(path));
  const std::string_view data = file.data();
  *torn_tail = false;
  size_t pos = 0;
  while (pos < data.size()) {
    bool good = false;
    if (data.size() - pos >= kHeader && std::memcmp(data.data() + pos, kMagic, 4) == 0) {
      uint32_t len = GetU32(data.data() + pos + 4);
      uint32_t crc = GetU32(data.data() + pos + 8);
      if (len <= data.size() - pos - kHeader) {
        std::string_view p(data.data() + pos + kHeader, len);
        if (Crc(p) == crc) {
          fn(p);
          pos += kHeader + len;
          good = true;
        }
      }
    }
    if (!good) {
      // Damaged or torn frame: resynchronise on the next magic.
      *torn_tail = true;
      size_t next = data.find(std::string_view(kMagic, 4), pos + 1);
      if (next == std::string_view::npos) break;
      pos = next;
    }
  }
  return Status::OK();
}

Status ReadSpoolFile(const std::string& path, std::vector<std::string>* payloads, bool* torn_tail) {
  return VisitSpoolFile(path, [&](std::string_view p) { payloads->emplace_back(p); }, torn_tail);
}

}  // namespace internal

Status ForEachPendingRecord(const std::string& dir, const std::function<void(std::string_view)>& fn) {
  std::vector<std::string> names;
  std::string spool = internal::SpoolDir(dir);
  MEMORY_RETURN_IF_ERROR(internal::ListDir(spool, &names));
  // fold-* files are older than current.log; both sort before it by name? Put current last.
  std::vector<std::string> ordered;
  for (auto& n : names)
    if (n.rfind(internal::kFoldPrefix, 0) == 0) ordered.push_back(n);
  for (auto& n : names)
    if (n == internal::kCurrentSpool) ordered.push_back(n);
  for (const auto& n : ordered) {
    bool torn;
    Status s = internal::VisitSpoolFile(spool + "/" + n, fn, &torn);
    if (s.IsNotFound()) continue;  // folded meanwhile
    MEMORY_RETURN_IF_ERROR(s);
  }
  return Status::OK();
}

Status ForEachPending(const std::string& dir, const std::function<void(Event&)>& fn) {
  Event e;
  return ForEachPendingRecord(dir, [&](std::string_view p) {
    if (DecodeEvent(p, &e).ok()) fn(e);
  });
}

Status ReadPending(const std::string& dir, std::vector<Event>* events) {
  return ForEachPending(dir, [&](Event& e) { events->push_back(std::move(e)); });
}

int64_t PendingSpoolBytes(const std::string& dir) {
  std::vector<std::string> names;
  std::string spool = internal::SpoolDir(dir);
  if (!internal::ListDir(spool, &names).ok()) return 0;
  int64_t total = 0;
  for (const auto& n : names) {
    struct stat st;
    if (::stat((spool + "/" + n).c_str(), &st) == 0) total += st.st_size;
  }
  return total;
}

}  // namespace memory
