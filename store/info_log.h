// RocksDB's info log for a writer: warnings and errors appended to <db>/LOG.
//
// RocksDB's own file logger renames LOG to LOG.old.<time> and deletes old ones at every open,
// before the open takes the lock: two processes opening at once both unlinked the same file and
// one failed ("while unlink() file ... LOG.old.N"). This logger never renames or deletes, and
// writes nothing for an open that fails (a writer waiting for the lock retries every 20 ms and
// each failed attempt logged a warning; the caller reports the failure anyway).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include <rocksdb/env.h>

namespace memory::internal {

class InfoLog : public rocksdb::Logger {
 public:
  explicit InfoLog(std::string path);  // WARN and above
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;

  // Before Start, lines are held in memory; DiscardHeld drops them (an open that failed).
  // Start writes them and appends every later line at once. Failures to write are ignored.
  void DiscardHeld();
  void Start();

 private:
  void Append(const std::string& lines);
  std::mutex mu_;
  const std::string path_;
  bool started_ = false;
  std::string held_;
};

// Empties `db_dir`/LOG past `max_bytes` and removes LOG.old.* left by RocksDB's own logger.
// Only for the process that holds the store.
void TrimInfoLog(const std::string& db_dir, long max_bytes);

}  // namespace memory::internal
