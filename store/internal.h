// Private helpers shared by the store's implementation files.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/status.h"

namespace memory {
struct Event;
}

namespace memory::internal {

// Event ids: 32 hex digits <-> the 16 raw bytes used as the events key (time-ordered).
bool IdToBytes(std::string_view id, std::string* out);
std::string IdFromBytes(std::string_view bytes);
// ContentEventId in parts, for a caller that ids many events: the hash state after the fields
// user, session and cwd (often those of the event before), then after command and parameters;
// then the id's 16 bytes (IdToBytes of ContentEventId(e, occurrence)) from that state:
//   ContentIdBytes(e.ts_us, ContentFieldsHash(ContentPrefixHash(e), e), occurrence, out).
uint64_t ContentPrefixHash(const Event& e);
uint64_t ContentFieldsHash(uint64_t prefix, const Event& e);
void ContentIdBytes(int64_t ts_us, uint64_t fields_hash, uint32_t occurrence, std::string* out);
// EventFromJson with nlohmann's parser only (EventFromJson reads the usual flat line itself
// and gives every other text to this; a test checks that the two agree).
Status EventFromJsonFull(std::string_view text, Event* e);
// The flat reader alone (event_json_flat.cpp): false = not read, the full parser decides.
bool ReadFlatEventJson(std::string_view text, Event* e);
// EventToJson with nlohmann's serializer only (EventToJson writes the usual event itself, the
// same bytes, and gives the rest to this; a test checks that the two agree).
std::string EventToJsonFull(const Event& e);
// Whether `text` is a tool call's params (an object or array) as the flat reader takes it and as
// the full parser's dump() writes it (so it can be copied into a line as it is).
bool IsParamsDump(std::string_view text);
// JSON text helpers, as nlohmann reads and writes it: the length of the well-formed UTF-8
// sequence at p (p < end, *p >= 0x80; 0 when not well-formed), and s appended as a JSON string
// the way dump() writes it (UTF-8 kept; control bytes escaped), false when s is not UTF-8.
size_t Utf8Length(const char* p, const char* end);
bool AppendJsonString(std::string_view s, std::string* out);
// ts_us as "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC).
std::string IsoTime(int64_t ts_us);
// JSON milliseconds as microseconds; false when out of range. Shared by both readers.
bool MsValueToUs(double ms, int64_t* us);
// A given event id in its stored form (lower-case hex); false when it is not 32 hex digits.
bool CanonicalId(std::string* id);

// Runs fn(i) for i in [0, n) on this thread and one more, largest jobs first by the caller's order.
// An exception of fn (out of memory) is rethrown here, whichever thread had it, once both are
// done; no job starts after it was caught.
template <typename Fn>
void TwoThreads(size_t n, Fn fn) {
  std::atomic<size_t> next{0};
  std::exception_ptr failed[2];
  auto worker = [&](int t) {
    try {
      for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
    } catch (...) {
      failed[t] = std::current_exception();
      next = n;
    }
  };
  std::thread other(worker, 1);
  worker(0);
  other.join();
  for (const std::exception_ptr& e : failed)
    if (e) std::rethrow_exception(e);
}

// File helpers. All files the store creates are 0600, directories 0700.
Status EnsureDir(const std::string& path);         // mkdir -p with 0700
// At most `max_bytes` (InvalidArgument "PATH: more than N bytes" beyond it, read no further).
Status ReadFile(const std::string& path, std::string* out, size_t max_bytes = SIZE_MAX);
Status WriteFileAtomic(const std::string& path, std::string_view data);  // tmp + fsync + rename
// The same in pieces: Open, Append..., Commit. Destroyed before Commit, it leaves `path` as it was.
class AtomicFileWriter {
 public:
  AtomicFileWriter() = default;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();
  Status Open(const std::string& path);
  Status Append(std::string_view data);
  Status Commit();

 private:
  std::string path_, tmp_;
  int fd_ = -1;
};
bool FileExists(const std::string& path);
// $HOME, else the user's home from /etc/passwd (the executable is static: glibc's getpwuid would
// need the shared NSS modules at run time), else "" (then paths under it start at /).
std::string HomeDir();
Status ListDir(const std::string& dir, std::vector<std::string>* names);  // sorted, no . and ..
int64_t DirBytes(const std::string& dir);          // recursive size of regular files
std::string ErrnoText();
Status CopyTree(const std::string& from, const std::string& to);  // regular files and dirs
Status RemoveTree(const std::string& dir);                         // rm -rf; OK when missing
// Replaces every regular file of `dir` that has other hard links with a copy of its own.
Status UnshareHardLinks(const std::string& dir);
// Which MANIFEST a RocksDB directory uses and its size: it changes with every flush, compaction
// and file deletion the writer records. Empty when CURRENT cannot be read.
std::string ManifestState(const std::string& db_dir);

// Spool layout inside a data directory.
std::string SpoolDir(const std::string& data_dir);
std::string DbDir(const std::string& data_dir);
// A restore copies the backup's database to RestoreStagedDir, writes RestoreReadyFile, then
// swaps: the store's db/ becomes db.before-restore and the staged copy becomes db/.
// FinishRestoreSwap does (or finishes, after a kill) that swap when the ready file is there.
std::string RestoreStagedDir(const std::string& data_dir);
std::string RestoreReadyFile(const std::string& data_dir);
Status FinishRestoreSwap(const std::string& data_dir);
constexpr const char* kCurrentSpool = "current.log";
constexpr const char* kFoldPrefix = "fold-";

// Decodes every complete record of a spool file; a torn tail (crash mid-append) is ignored.
Status ReadSpoolFile(const std::string& path, std::vector<std::string>* payloads, bool* torn_tail);
// The same frames one at a time (views into the file's bytes, valid during the call).
Status VisitSpoolFile(const std::string& path, const std::function<void(std::string_view)>& fn,
                      bool* torn_tail);

}  // namespace memory::internal
