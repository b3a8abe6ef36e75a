// RocksStore: the Store on RocksDB (private to store/; implemented in rocks_store*.cpp).
//
// Column families (keys; values):
//   default      "schema" -> "1"
//   events       id (16 bytes: 8-byte big-endian µs time + 8 random) -> varint cmd_id + EncodeEvent
//                (command text and id left out: they are the dictionary and the key)
//   commands     cmd_id (8 bytes BE) -> command text                      (the dictionary)
//   command_ids  command text -> cmd_id                                   (dedup on ingest)
//   counters     "c"+cmd_id | "s"+session | "u"+user | "g:events" -> Counter (merge operator)
//   by_cmd       cmd_id + id -> ""          by_cwd   cwd + '\0' + id -> ""
//   by_session   session + '\0' + id -> ""
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>

#include "store/coding.h"
#include "store/counter.h"
#include "store/info_log.h"
#include "store/internal.h"
#include "store/recorder.h"
#include "store/store.h"
#include "store/summary.h"

namespace memory::internal {

inline const char* const kFamilies[] = {"default", "events", "commands", "command_ids",
                                 "counters", "by_cmd", "by_cwd", "by_session"};
enum Cf { kDefault = 0, kEvents, kCommands, kCommandIds, kCounters, kByCmd, kByCwd, kBySession, kNumCf };

constexpr int kReadOnlyOpenAttempts = 40;  // ~1.7 s of retries while a writer changes the store
constexpr int kReadOnlyStableAttempts = 3;  // ~60 ms of retries when it does not
constexpr long kInfoLogMaxBytes = 1 << 20;  // db/LOG is emptied at a writer's open past this
constexpr size_t kBatchEvents = 20000;     // fold: events per WriteBatch
constexpr size_t kBulkEvents = 200000;     // Ingest: events per bulk-load batch (~300 B each in memory)

inline Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  std::string msg = what + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsNotFound()) return Status::NotFound(msg);
  // A lock another process holds is Busy; a lock file that cannot be written at all (a
  // read-only file system, no permission) is not: waiting would not help.
  const bool cannot_write = msg.find("Read-only file system") != std::string::npos ||
                            msg.find("Permission denied") != std::string::npos;
  if (s.IsBusy() || s.IsTimedOut() || (msg.find("lock") != std::string::npos && !cannot_write))
    return Status::Busy(msg);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(msg);
  return Status::IOError(msg);
}

// Where encoded keys and values go: a WriteBatch (fold) or sorted SST files (bulk import).
class KvSink {
 public:
  virtual ~KvSink() = default;
  virtual void Put(int cf, std::string_view key, std::string_view value) = 0;
  virtual void Merge(int cf, std::string_view key, std::string_view value) = 0;
};

class WriteBatchSink : public KvSink {
 public:
  WriteBatchSink(rocksdb::WriteBatch* b, const std::vector<rocksdb::ColumnFamilyHandle*>& h) : b_(b), h_(h) {}
  void Put(int cf, std::string_view k, std::string_view v) override {
    b_->Put(h_[cf], rocksdb::Slice(k.data(), k.size()), rocksdb::Slice(v.data(), v.size()));
  }
  void Merge(int cf, std::string_view k, std::string_view v) override {
    b_->Merge(h_[cf], rocksdb::Slice(k.data(), k.size()), rocksdb::Slice(v.data(), v.size()));
  }

 private:
  rocksdb::WriteBatch* b_;
  const std::vector<rocksdb::ColumnFamilyHandle*>& h_;
};

// A set of 16-byte event ids (open addressing at most 3/4 full: 21-43 bytes per id; the ids of a
// bulk load's events, which can be millions).
class IdSet {
 public:
  // Adds the id (16 bytes); false when it was there already.
  bool Insert(std::string_view id_bytes) {
    uint64_t hi, lo;
    std::memcpy(&hi, id_bytes.data(), 8);
    std::memcpy(&lo, id_bytes.data() + 8, 8);
    if (hi == 0 && lo == 0) return !std::exchange(has_zero_, true);
    if (4 * (size_ + 1) > 3 * slots_.size()) Grow();
    for (size_t i = Home(hi, lo);; i = (i + 1) & (slots_.size() - 1)) {
      Slot& s = slots_[i];
      if (s.hi == hi && s.lo == lo) return false;
      if (s.hi == 0 && s.lo == 0) {
        s = {hi, lo};
        ++size_;
        return true;
      }
    }
  }

 private:
  struct Slot {
    uint64_t hi, lo;
  };
  // Every bit of the id counts: ids from content share their hash half between events of the
  // same command and differ only in the time's low bytes (the high bytes of `hi` as read here).
  size_t Home(uint64_t hi, uint64_t lo) const {
    uint64_t k = hi * 0x9E3779B97F4A7C15ULL ^ lo;  // MurmurHash3's fmix64 after
    k ^= k >> 33, k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33, k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return static_cast<size_t>(k) & (slots_.size() - 1);
  }
  void Grow() {
    std::vector<Slot> old(slots_.empty() ? 64 : 2 * slots_.size(), Slot{0, 0});
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.hi == 0 && s.lo == 0) continue;
      size_t i = Home(s.hi, s.lo);
      while (slots_[i].hi != 0 || slots_[i].lo != 0) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;  // {0, 0}: empty
  size_t size_ = 0;
  bool has_zero_ = false;  // the id of 16 zero bytes (the empty slot's value)
};

inline std::string CmdKey(uint64_t id) {
  std::string k;
  coding::PutFixed64BE(&k, id);
  return k;
}

// Read-only opens log nowhere: a file logger would rotate LOG on every `memory status`.
class NullLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

class CounterMerge : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    Counter c;
    if (existing) Counter::Decode(std::string_view(existing->data(), existing->size()), &c);
    Counter d;
    Counter::Decode(std::string_view(value.data(), value.size()), &d);
    c.Add(d);
    new_value->clear();
    c.Encode(new_value);
    return true;
  }
  const char* Name() const override { return "memory.CounterMerge"; }
};

// Everything an event contributes to the derived keys, so ingest and removal are symmetric.
struct EventKeys {
  std::string id_bytes;
  std::string cwd_key, session_key;
};

inline EventKeys KeysOf(const Event& e, const std::string& id_bytes) {
  EventKeys k;
  k.id_bytes = id_bytes;
  if (!e.cwd.empty()) k.cwd_key = e.cwd + '\0' + id_bytes;
  if (!e.session.empty()) k.session_key = e.session + '\0' + id_bytes;
  return k;
}

inline Counter CounterOf(const Event& e, int sign) {
  Counter c;
  c.count = sign;
  c.failures = e.failed() ? sign : 0;
  c.total_duration_us = e.duration_us ? sign * *e.duration_us : 0;
  if (sign > 0) {
    c.first_ts_us = c.last_ts_us = e.ts_us;
    if (e.exit_code) c.last_exit = *e.exit_code;
  }
  return c;
}

class SstSink;  // bulk_ingest.cpp

class RocksStore final : public Store {
 public:
  RocksStore(std::string dir, bool sync) : dir_(std::move(dir)), sync_(sync) {}
  ~RocksStore() override {
    if (db_) {
      for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
      db_->Close();
    }
  }

  // Closes and reopens the database (read-write): RocksDB then writes a fresh MANIFEST holding
  // only live files, and deletes the old one, whose history names the key ranges of deleted files.
  Status Reopen() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    MEMORY_RETURN_IF_ERROR(FromRocks(db_->Close(), "close"));
    db_.reset();
    StoreOptions o = options_;
    o.mode = StoreOptions::Mode::kReadWrite;
    return OpenDb(o);
  }

  // Read-only opens are deferred until a method needs the database: unfiltered search can be
  // answered from the summary file alone.
  void DeferOpen(const StoreOptions& o) {
    options_ = o;
    read_only_ = true;
    deferred_ = true;
  }
  Status EnsureDb() {
    std::lock_guard<std::mutex> l(open_mu_);
    if (!deferred_) return Status::OK();
    deferred_ = false;
    return OpenDb(options_);
  }

  Status OpenDb(const StoreOptions& o) {
    options_ = o;
    MEMORY_RETURN_IF_ERROR(internal::EnsureDir(dir_));
    ::chmod(dir_.c_str(), 0700);
    std::string db_dir = internal::DbDir(dir_);
    if (o.mode != StoreOptions::Mode::kReadOnly) MEMORY_RETURN_IF_ERROR(internal::FinishRestoreSwap(dir_));
    bool exists = internal::FileExists(db_dir + "/CURRENT");
    rocksdb::DBOptions dbo;
    dbo.create_if_missing = true;
    dbo.create_missing_column_families = true;
    // Opening must stay cheap (every `memory` process opens the store): no per-file stat or
    // table-property reads at open; read-only opens load table handles lazily and keep few.
    dbo.max_open_files = o.mode == StoreOptions::Mode::kReadOnly ? 64 : 512;
    dbo.skip_stats_update_on_db_open = true;
    dbo.skip_checking_sst_file_sizes_on_db_open = true;
    dbo.max_file_opening_threads = 1;  // the default 16 starts 16 threads per family at every open
    // Readers replay the MANIFEST at every open: keep it short (RocksDB starts a new, compacted
    // one past this size; the default is 1 GiB).
    dbo.max_manifest_file_size = 256 << 10;
    dbo.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
    dbo.WAL_ttl_seconds = 0;
    dbo.WAL_size_limit_MB = 0;
    dbo.recycle_log_file_num = 0;
    dbo.max_background_jobs = 2;
    dbo.use_fsync = false;
    dbo.max_total_wal_size = 64 << 20;
    dbo.stats_dump_period_sec = 0;
    dbo.stats_persist_period_sec = 0;

    std::vector<rocksdb::ColumnFamilyDescriptor> cfds;
    for (const char* name : kFamilies) cfds.emplace_back(name, FamilyOptions(name, o.compress));

    read_only_ = o.mode == StoreOptions::Mode::kReadOnly && exists;
    if (read_only_) {
      dbo.info_log = std::make_shared<NullLogger>();
      // A writer may be between two states: its compaction deleting the MANIFEST or table files
      // this open just listed, or a brand-new store without all its column families yet. Such
      // an open fails; a later one sees the next consistent state. Only a failure that lasts
      // (a damaged store) is reported.
      // An open can also succeed on a mixed state: it reads the MANIFEST, the writer flushes and
      // deletes the WAL that held what the MANIFEST had not yet recorded, and the open lists the
      // WALs after that, so recent writes of some families are missing (an event whose command
      // is not in the dictionary). A MANIFEST that changed during the open means: open again.
      for (int attempt = 0;; ++attempt) {
        rocksdb::DB* db = nullptr;
        handles_.clear();
        const std::string before = internal::ManifestState(db_dir);
        auto s = rocksdb::DB::OpenForReadOnly(dbo, db_dir, cfds, &handles_, &db);
        if (s.ok() && (internal::ManifestState(db_dir) == before || attempt >= kReadOnlyOpenAttempts)) {
          db_.reset(db);
          return Status::OK();
        }
        if (s.ok()) {
          for (auto* h : handles_) db->DestroyColumnFamilyHandle(h);
          delete db;
          continue;  // no wait: the writer's MANIFEST write is done
        }
        // A writer's change shows in the MANIFEST (written before the files it replaces are
        // deleted) or as a family not created yet; any other failure is the store's own state
        // (damaged, unreadable) and is reported after a few tries, not after ~1.7 s.
        const bool writer_moved = internal::ManifestState(db_dir) != before ||
                                  s.ToString().find("Column family not found") != std::string::npos;
        if (attempt + 1 >= (writer_moved ? kReadOnlyOpenAttempts : kReadOnlyStableAttempts)) {
          return FromRocks(s, "cannot open the store in " + db_dir + " read-only (tried " +
                                  std::to_string(attempt + 1) + " times)");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10 + 10 * std::min(attempt, 4)));
      }
    }
    auto info_log = std::make_shared<internal::InfoLog>(db_dir + "/LOG");  // see store/info_log.h
    dbo.info_log = info_log;
    int waited = 0;
    const int wait_limit = o.mode == StoreOptions::Mode::kReadWrite ? o.lock_wait_ms : 0;
    for (;;) {
      rocksdb::DB* db = nullptr;
      auto s = rocksdb::DB::Open(dbo, db_dir, cfds, &handles_, &db);
      if (s.ok()) {
        db_.reset(db);
        break;
      }
      Status st = FromRocks(s, "cannot open the store in " + db_dir);
      info_log->DiscardHeld();
      if (!st.IsBusy()) return st;
      if (waited >= wait_limit) {
        // The writer may have created the store since we looked: then read it.
        exists = exists || internal::FileExists(db_dir + "/CURRENT");
        if (o.mode == StoreOptions::Mode::kAuto && exists) {
          StoreOptions ro = o;
          ro.mode = StoreOptions::Mode::kReadOnly;
          handles_.clear();
          return OpenDb(ro);
        }
        return Status::Busy("the store in " + dir_ + " is open for writing by another process");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      waited += 20;
    }
    internal::TrimInfoLog(db_dir, kInfoLogMaxBytes);  // the store is ours now
    if (internal::FileExists(dir_ + "/ingest-tmp")) {  // a killed import's files (SstBulkLoad)
      MEMORY_RETURN_IF_ERROR(internal::RemoveTree(dir_ + "/ingest-tmp"));
    }
    info_log->Start();
    MEMORY_RETURN_IF_ERROR(LoadNextCmdId());
    // No other thread can hold the store yet (or mu_ is ours: Reopen).
    MEMORY_RETURN_IF_ERROR(FoldLocked(nullptr));
    if (summary_stale_ || SummaryDirty(dir_) || !FileExists(dir_ + "/summary.bin")) {
      summary_stale_ = true;  // a writer died between commit and summary: rebuild
      return FinishWrite();
    }
    return Status::OK();
  }

  bool read_only() const override { return read_only_; }
  const std::string& dir() const override { return dir_; }
  Status Ingest(std::vector<Event>& events, const std::function<void(size_t)>& progress) override;
  Status StartBulkLoad(std::unique_ptr<BulkLoad>* load, const BulkLoadOptions& options) override;

  Status Fold(size_t* folded) override {
    if (read_only_) return Status::Busy("the store is open read-only");
    std::lock_guard<std::mutex> l(mu_);
    MEMORY_RETURN_IF_ERROR(FoldLocked(folded));
    return FinishWrite();
  }

  Status Scan(const ScanOptions& o, const std::function<bool(const Event&)>& fn) override {
    MEMORY_RETURN_IF_ERROR(EnsureDb());
    std::vector<Event> keep;  // the spooled events in range
    if (o.include_pending)
      MEMORY_RETURN_IF_ERROR(ForEachPendingNotStored([&](Event& e) {
        if (e.ts_us >= o.since_us && e.ts_us < o.until_us && (o.session.empty() || e.session == o.session) &&
            (o.cwd.empty() || e.cwd == o.cwd))
          keep.push_back(std::move(e));
      }));
    std::sort(keep.begin(), keep.end(), [&](const Event& a, const Event& b) {
      return o.newest_first ? std::tie(a.ts_us, a.id) > std::tie(b.ts_us, b.id)
                            : std::tie(a.ts_us, a.id) < std::tie(b.ts_us, b.id);
    });
    size_t pi = 0;
    bool stop = false;
    auto before = [&](const Event& a, const Event& b) {
      return o.newest_first ? std::tie(a.ts_us, a.id) > std::tie(b.ts_us, b.id)
                            : std::tie(a.ts_us, a.id) < std::tie(b.ts_us, b.id);
    };
    auto emit_db = [&](Event& e) -> bool {
      while (pi < keep.size() && before(keep[pi], e)) {
        if (!fn(keep[pi++])) return false;
      }
      return fn(e);
    };

    std::string lo, hi;
    coding::PutFixed64BE(&lo, static_cast<uint64_t>(std::max<int64_t>(0, o.since_us)));
    coding::PutFixed64BE(&hi, static_cast<uint64_t>(std::max<int64_t>(0, o.until_us)));
    Status st;
    if (!o.session.empty() || !o.cwd.empty()) {
      // Walk the narrower index, newest or oldest first, and fetch each event.
      bool by_session = !o.session.empty();
      std::string prefix = (by_session ? o.session : o.cwd) + '\0';
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[by_session ? kBySession : kByCwd]));
      // Events are fetched with Seek on one iterator rather than Get: a Get would first load the
      // events file's whole bloom filter, the largest part of a cold `memory predict`.
      // A session's or cwd's events are often neighbours in the events family too (an imported
      // history, one shell at a time): one step of `ev` then finds the next one without a Seek
      // (importing a 1M-event history without times a second time: 4.74 -> 3.52 s, medians of 5).
      // After a step that missed, steps are tried again only every kRetryStep events, so
      // interleaved sessions pay little for them.
      std::unique_ptr<rocksdb::Iterator> ev(db_->NewIterator(rocksdb::ReadOptions(), handles_[kEvents]));
      constexpr size_t kRetryStep = 16;
      size_t since_miss = kRetryStep;  // events since a step missed
      bool placed = false;             // ev is on the event fetched last
      if (o.newest_first) it->SeekForPrev(prefix + hi);
      else it->Seek(prefix + lo);
      for (; it->Valid() && !stop; o.newest_first ? it->Prev() : it->Next()) {
        rocksdb::Slice k = it->key();
        if (!k.starts_with(prefix) || k.size() != prefix.size() + 16) break;
        std::string id_bytes(k.data() + prefix.size(), 16);
        int64_t ts = static_cast<int64_t>(coding::GetFixed64BE(id_bytes.data()));
        if (ts >= o.until_us) {
          if (o.newest_first) continue;
          break;  // oldest first: every later key is later still
        }
        if (ts < o.since_us) break;
        bool found = false;
        if (placed && since_miss >= kRetryStep) {
          o.newest_first ? ev->Prev() : ev->Next();
          found = ev->Valid() && ev->key() == rocksdb::Slice(id_bytes);
          if (!found) since_miss = 0;
        }
        ++since_miss;
        if (!found) {
          ev->Seek(id_bytes);
          found = ev->Valid() && ev->key() == rocksdb::Slice(id_bytes);
        }
        placed = ev->Valid();
        if (!found) {
          MEMORY_RETURN_IF_ERROR(FromRocks(ev->status(), "scan"));
          continue;  // index entry of an event deleted meanwhile
        }
        Event e;
        MEMORY_RETURN_IF_ERROR(DecodeStored(ev->key(), ev->value(), &e));
        if (!o.cwd.empty() && e.cwd != o.cwd) continue;
        if (!emit_db(e)) stop = true;
      }
      if (!it->status().ok()) return FromRocks(it->status(), "scan");
    } else {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kEvents]));
      if (o.newest_first) it->SeekForPrev(hi);
      else it->Seek(lo);
      for (; it->Valid() && !stop; o.newest_first ? it->Prev() : it->Next()) {
        rocksdb::Slice k = it->key();
        if (k.size() != 16) continue;
        int64_t ts = static_cast<int64_t>(coding::GetFixed64BE(k.data()));
        if (ts >= o.until_us) {
          if (o.newest_first) continue;
          break;  // oldest first: every later key is later still
        }
        if (ts < o.since_us) break;
        Event e;
        MEMORY_RETURN_IF_ERROR(DecodeStored(k, it->value(), &e));
        if (!emit_db(e)) stop = true;
      }
      if (!it->status().ok()) return FromRocks(it->status(), "scan");
    }
    while (!stop && pi < keep.size())
      if (!fn(keep[pi++])) break;
    return st;
  }

  Status Get(const std::string& id, Event* e) override {
    MEMORY_RETURN_IF_ERROR(EnsureDb());
    std::string bytes;
    if (!IdToBytes(id, &bytes)) return Status::InvalidArgument("bad event id '" + id + "' (32 hex digits)");
    return GetByBytes(bytes, e);
  }

  // A command's counts from its counter.
  static void SetCounts(const Counter& c, CommandStats* cs) {
    cs->count = c.count;
    cs->failures = c.failures;
    cs->total_duration_us = c.total_duration_us;
    cs->first_ts_us = c.first_ts_us;
    cs->last_ts_us = c.last_ts_us;
    if (c.last_exit != Counter::kUnknownExit) cs->last_exit = static_cast<int32_t>(c.last_exit);
  }

  Status ForEachCommand(const std::function<bool(const CommandStats&)>& fn) override {
    MEMORY_RETURN_IF_ERROR(EnsureDb());
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kCommands]));
    std::unique_ptr<rocksdb::Iterator> ct(db_->NewIterator(rocksdb::ReadOptions(), handles_[kCounters]));
    ct->Seek("c");
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != 8) continue;
      CommandStats cs;
      cs.id = coding::GetFixed64BE(it->key().data());
      cs.command = it->value().ToString();
      std::string ck = "c" + it->key().ToString();
      while (ct->Valid() && ct->key().compare(ck) < 0) ct->Next();
      if (ct->Valid() && ct->key() == ck) {
        Counter c;
        Counter::Decode(std::string_view(ct->value().data(), ct->value().size()), &c);
        SetCounts(c, &cs);
      }
      if (cs.count <= 0) continue;
      if (!fn(cs)) break;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "dictionary scan");
    return Status::OK();
  }

  Status Search(const SearchQuery& q, std::vector<SearchHit>* hits) override;
  Status Stats(StoreStats* stats) override;
  Status Forget(const std::string& glob, ForgetScope scope, size_t* removed) override;
  bool DeletionPending() const override;
  Status Clean(int64_t before_us, size_t* removed) override;
  Status Backup(const std::string& backup_dir) override;
  Status Verify() override {
    MEMORY_RETURN_IF_ERROR(EnsureDb());
    return FromRocks(db_->VerifyChecksum(), "verify");
  }
  Status Optimize() override {
    if (read_only_) return Status::Busy("the store is open read-only");
    std::lock_guard<std::mutex> l(mu_);
    MEMORY_RETURN_IF_ERROR(FoldLocked(nullptr));
    MEMORY_RETURN_IF_ERROR(FinishWrite());
    return CompactAway();
  }

 private:
  static rocksdb::ColumnFamilyOptions FamilyOptions(const std::string& name, bool compress) {
    rocksdb::ColumnFamilyOptions o;
    o.compression = compress ? rocksdb::kZSTD : rocksdb::kNoCompression;
    o.bottommost_compression = o.compression;
    o.compression_opts.level = 1;  // zstd -1 for new files (imports, flushes): ~2x faster than 3
                                   // (an import's files are written with these too: WriteSst)
    o.bottommost_compression_opts.level = 3;
    o.bottommost_compression_opts.enabled = true;
    o.write_buffer_size = (name == "events") ? (64 << 20) : (16 << 20);
    o.max_write_buffer_number = 4;
    o.level0_file_num_compaction_trigger = 8;
    o.level0_slowdown_writes_trigger = 40;
    o.level0_stop_writes_trigger = 64;
    rocksdb::BlockBasedTableOptions t;
    t.block_size = 16 * 1024;
    // Bloom filters only where we look keys up (events by id, command_ids by text); the indexes
    // and the dictionary by id are only sought, and their filters cost import time.
    if (name == "events" || name == "command_ids") t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // Index and filter blocks go through the block cache: loaded when first needed, so a cold
    // reader that only seeks never reads a file's bloom filter.
    t.cache_index_and_filter_blocks = true;
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    if (name == "counters") o.merge_operator = std::make_shared<CounterMerge>();
    return o;
  }

  // Loads the whole text -> id dictionary into id_cache_ once, so a bulk import needs no
  // lookup per event (a miss in the cache then means a new command).
  Status LoadDictionary() {
    if (dictionary_complete_) return Status::OK();
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kCommandIds]));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      if (it->value().size() == 8) id_cache_[it->key().ToString()] = coding::GetFixed64BE(it->value().data());
    MEMORY_RETURN_IF_ERROR(FromRocks(it->status(), "dictionary"));
    dictionary_complete_ = true;
    return Status::OK();
  }

  Status LoadNextCmdId() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kCommands]));
    it->SeekToLast();
    next_cmd_id_ = (it->Valid() && it->key().size() == 8) ? coding::GetFixed64BE(it->key().data()) + 1 : 1;
    dictionary_complete_ = !it->Valid() && it->status().ok();  // empty dictionary: cache is complete
    return FromRocks(it->status(), "dictionary");
  }

  Status DecodeStored(const rocksdb::Slice& key, const rocksdb::Slice& value, Event* e) {
    coding::Reader r(std::string_view(value.data(), value.size()));
    uint64_t cmd_id;
    if (!r.GetVarint(&cmd_id)) return Status::Corruption("event " + IdFromBytes(std::string_view(key.data(), key.size())) + ": no command id");
    Status s = DecodeEvent(r.rest(), e);
    if (!s.ok()) return Status::Corruption("event " + IdFromBytes(std::string_view(key.data(), key.size())) + ": " + s.message());
    e->id = IdFromBytes(std::string_view(key.data(), key.size()));
    return CommandText(cmd_id, &e->command);
  }

  Status CommandText(uint64_t cmd_id, std::string* text) {
    {
      std::lock_guard<std::mutex> l(text_mu_);
      auto it = text_cache_.find(cmd_id);
      if (it != text_cache_.end()) {
        *text = it->second;
        return Status::OK();
      }
    }
    auto s = db_->Get(rocksdb::ReadOptions(), handles_[kCommands], CmdKey(cmd_id), text);
    if (s.IsNotFound()) return Status::Corruption("event refers to unknown command id " + std::to_string(cmd_id));
    MEMORY_RETURN_IF_ERROR(FromRocks(s, "dictionary"));
    std::lock_guard<std::mutex> l(text_mu_);
    if (text_cache_.size() > 200000) text_cache_.clear();
    text_cache_.emplace(cmd_id, *text);
    return Status::OK();
  }

  Status GetByBytes(const std::string& bytes, Event* e) {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), handles_[kEvents], bytes, &v);
    if (s.IsNotFound()) return Status::NotFound("no event " + IdFromBytes(bytes));
    MEMORY_RETURN_IF_ERROR(FromRocks(s, "event lookup"));
    return DecodeStored(rocksdb::Slice(bytes), rocksdb::Slice(v), e);
  }

  // Whether the events family holds an id (its 16 key bytes), as one iterator opened at first use
  // sees it. An id after the family's last key (the usual spooled event: ids grow with time) or
  // before its first (an older history imported) is answered without a seek; the others by Seek. Not a Get per id: each Get read and verified
  // the family's whole bloom filter block (0.4 of the 0.8 s a fold of 5,000 spooled events
  // took). Without the shortcut, `memory status` with 5,000 new events spooled took 14.4 ms
  // instead of 12.1 (8.5 with none spooled).
  class StoredIds {
   public:
    StoredIds(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events) : db_(db), events_(events) {}
    bool Contains(const std::string& id_bytes) {
      if (!it_) {
        it_.reset(db_->NewIterator(rocksdb::ReadOptions(), events_));
        it_->SeekToLast();
        if (it_->Valid()) last_.assign(it_->key().data(), it_->key().size());
        else empty_ = it_->status().ok();
        it_->SeekToFirst();
        if (it_->Valid()) first_.assign(it_->key().data(), it_->key().size());
      }
      const rocksdb::Slice id(id_bytes);
      if (empty_ || (!last_.empty() && id.compare(rocksdb::Slice(last_)) > 0) ||
          (!first_.empty() && id.compare(rocksdb::Slice(first_)) < 0))
        return false;
      it_->Seek(id_bytes);
      return it_->Valid() && it_->key() == rocksdb::Slice(id_bytes);
    }
    Status status() const { return it_ ? FromRocks(it_->status(), "stored-id check") : Status::OK(); }

   private:
    rocksdb::DB* db_;
    rocksdb::ColumnFamilyHandle* events_;
    std::unique_ptr<rocksdb::Iterator> it_;
    std::string first_, last_;  // the family's first and last keys in the iterator's view ("" when unknown)
    bool empty_ = false;  // the family holds no key in that view
  };

  // Spooled events the database does not hold yet (a folder may be midway), one at a time (a
  // scratch Event that `fn` may move from).
  Status ForEachPendingNotStored(const std::function<void(Event&)>& fn) {
    StoredIds stored(db_.get(), handles_[kEvents]);
    std::string bytes;
    MEMORY_RETURN_IF_ERROR(ForEachPending(dir_, [&](Event& e) {
      if (!IdToBytes(e.id, &bytes) || !stored.Contains(bytes)) fn(e);
    }));
    return stored.status();
  }
  // Looks up or assigns the dictionary id of `text`; new entries go into `sink`.
  Status CommandId(const std::string& text, KvSink* sink, std::unordered_map<std::string, uint64_t>* fresh,
                   uint64_t* id) {
    if (auto it = id_cache_.find(text); it != id_cache_.end()) {
      *id = it->second;
      return Status::OK();
    }
    if (auto it = fresh->find(text); it != fresh->end()) {
      *id = it->second;
      return Status::OK();
    }
    if (dictionary_complete_) return NewCommand(text, sink, fresh, id);
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), handles_[kCommandIds], text, &v);
    if (s.ok() && v.size() == 8) {
      *id = coding::GetFixed64BE(v.data());
      if (id_cache_.size() > 1000000 && !dictionary_complete_) id_cache_.clear();
      id_cache_.emplace(text, *id);
      return Status::OK();
    }
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "dictionary lookup");
    return NewCommand(text, sink, fresh, id);
  }

  Status NewCommand(const std::string& text, KvSink* sink, std::unordered_map<std::string, uint64_t>* fresh,
                    uint64_t* id) {
    *id = next_cmd_id_++;
    std::string k = CmdKey(*id);
    sink->Put(kCommands, k, text);
    sink->Put(kCommandIds, text, k);
    fresh->emplace(text, *id);
    return Status::OK();
  }

  // Turns events into the keys and values of every column family (see the layout above).
  // Events with a given id that is already stored are skipped (so folding is idempotent).
  // `given` holds the given ids seen before (by this batch too); *added counts the events encoded.
  // With `content_ids`, events without an id get ContentEventId (see BulkLoadOptions).
  Status EncodeBatch(Event* events, size_t n, KvSink* sink, size_t* added,
                     std::unordered_map<std::string, uint64_t>* fresh, IdSet* given,
                     bool content_ids = false) {
    std::unordered_map<uint64_t, Counter> per_command;
    std::unordered_map<std::string, Counter> per_session, per_user;
    std::string id_bytes, value, key;
    Counter total;
    const std::string* last_session = nullptr;
    Counter* last_session_counter = nullptr;
    StoredIds stored(db_.get(), handles_[kEvents]);
    std::string prefix_user, prefix_session, prefix_cwd;  // the fields the content hash's `prefix` covers
    uint64_t prefix = 0;
    bool prefix_known = false;
    for (size_t i = 0; i < n; ++i) {
      Event& e = events[i];
      MEMORY_RETURN_IF_ERROR(CheckEvent(e));
      if (e.ts_us == 0) e.ts_us = NowMicros();
      bool given_id = !e.id.empty();
      if (!given_id && content_ids) {
        // ContentEventId, from the hash of the fields user, session and cwd of the event before
        // when they are the same (they are in most histories): 30 % of the encoding's time went
        // to hashing and to the id's hex digits and back.
        if (!prefix_known || e.user != prefix_user || e.session != prefix_session || e.cwd != prefix_cwd) {
          prefix_user = e.user, prefix_session = e.session, prefix_cwd = e.cwd;
          prefix = ContentPrefixHash(e);
          prefix_known = true;
        }
        const uint64_t fields = ContentFieldsHash(prefix, e);
        for (uint32_t occurrence = 0;; ++occurrence) {
          ContentIdBytes(e.ts_us, fields, occurrence, &id_bytes);
          if (given->Insert(id_bytes)) break;  // else the same event came earlier in this load
        }
        e.id = IdFromBytes(id_bytes);
        if (stored.Contains(id_bytes)) continue;
      } else {
        if (!given_id) e.id = NewEventId(e.ts_us);
        if (!IdToBytes(e.id, &id_bytes)) return Status::InvalidArgument("bad event id '" + e.id + "'");
        if (given_id && (!given->Insert(id_bytes) || stored.Contains(id_bytes))) continue;
      }
      uint64_t cmd_id;
      MEMORY_RETURN_IF_ERROR(CommandId(e.command, sink, fresh, &cmd_id));
      value.clear();
      coding::PutVarint(&value, cmd_id);
      std::string command = std::move(e.command), id = std::move(e.id);
      e.command.clear();
      e.id.clear();
      EncodeEvent(e, &value);
      e.command = std::move(command);
      e.id = std::move(id);
      sink->Put(kEvents, id_bytes, value);
      key = CmdKey(cmd_id);
      key += id_bytes;
      sink->Put(kByCmd, key, {});
      if (!e.cwd.empty()) {
        key.assign(e.cwd).push_back('\0');
        key += id_bytes;
        sink->Put(kByCwd, key, {});
      }
      Counter c = CounterOf(e, +1);
      if (!e.session.empty()) {
        key.assign(e.session).push_back('\0');
        key += id_bytes;
        sink->Put(kBySession, key, {});
        if (!last_session || *last_session != e.session) {
          auto it = per_session.try_emplace(e.session).first;
          last_session = &it->first;
          last_session_counter = &it->second;
        }
        last_session_counter->Add(c);
      }
      if (!e.user.empty()) per_user[e.user].Add(c);
      per_command[cmd_id].Add(c);
      touched_.insert(cmd_id);
      total.Add(c);
      ++*added;
    }
    if (*added == 0) return Status::OK();
    std::string enc;
    auto merge = [&](const std::string& k, const Counter& c) {
      enc.clear();
      c.Encode(&enc);
      sink->Merge(kCounters, k, enc);
    };
    for (auto& [id, c] : per_command) merge("c" + CmdKey(id), c);
    for (auto& [name, c] : per_session) merge("s" + name, c);
    for (auto& [name, c] : per_user) merge("u" + name, c);
    merge("g:events", total);
    return Status::OK();
  }

  void Committed(std::unordered_map<std::string, uint64_t>& fresh) {
    for (auto& [text, id] : fresh) id_cache_.emplace(text, id);
  }

  // Small batches (fold): one WriteBatch through the WAL.
  Status IngestBatch(Event* events, size_t n, bool use_wal) {
    rocksdb::WriteBatch batch;
    WriteBatchSink sink(&batch, handles_);
    size_t added = 0;
    std::unordered_map<std::string, uint64_t> fresh;
    IdSet given;
    MEMORY_RETURN_IF_ERROR(EncodeBatch(events, n, &sink, &added, &fresh, &given));
    if (added == 0) return Status::OK();
    rocksdb::WriteOptions wo;
    wo.disableWAL = !use_wal;
    wo.sync = use_wal && sync_;
    MEMORY_RETURN_IF_ERROR(BeginWrite(/*adds_only=*/true));
    MEMORY_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &batch), "write"));
    Committed(fresh);
    return Status::OK();
  }

  // Every mutation is bracketed: BeginWrite before the first commit marks the summary dirty,
  // FinishWrite at the end of the public operation rewrites it. When every commit in between
  // only added events (`adds_only`: a fold, an import) and the summary was sound before, the
  // rewrite starts from it and reads again only the commands those events used (touched_);
  // otherwise it is rebuilt from all commands (0.6 s with 400k of them).
  Status BeginWrite(bool adds_only = false) {
    if (!adds_only) base_.reset();
    if (summary_stale_) return Status::OK();
    summary_stale_ = true;
    if (adds_only) {
      auto base = std::make_unique<Summary>();
      if (ReadSummary(dir_, base.get()).ok()) base_ = std::move(base);  // (not if dirty already)
    }
    return MarkSummaryDirty(dir_);
  }
  Status FinishWrite() {
    if (!summary_stale_) return Status::OK();
    SummaryTotals totals;
    std::vector<CommandStats> commands;
    // From the summary before, reading again only the commands the write touched, unless it
    // touched many: a Get of each costs ~4 times as much as a step of the scan of all (a 1M-event
    // import into an empty store touched 39,383 commands: 0.17 s for the Gets, 0.04 s scanning).
    if (base_ && touched_.size() * 4 < base_->commands.size()) {
      MEMORY_RETURN_IF_ERROR(UpdateSummary(*base_, &totals, &commands));
    } else {
      MEMORY_RETURN_IF_ERROR(ComputeSummary(&totals, &commands));
    }
    base_.reset();
    touched_.clear();
    MEMORY_RETURN_IF_ERROR(WriteRecent(totals.events));  // before the summary clears the marker
    MEMORY_RETURN_IF_ERROR(WriteSummary(dir_, totals, commands));
    summary_stale_ = false;
    return Status::OK();
  }
  Status ComputeSummary(SummaryTotals* totals, std::vector<CommandStats>* commands);
  // The same result from `base` (the summary before) and the commands in touched_.
  Status UpdateSummary(const Summary& base, SummaryTotals* totals, std::vector<CommandStats>* commands);
  Status ComputeTotals(SummaryTotals* totals);
  Status WriteRecent(int64_t db_events);

  // Large batches (import): sorted SST files ingested into every family at once (atomic), see
  // bulk_ingest.cpp.
  friend class SstBulkLoad;
  Status WriteSst(SstSink& sink, int cf, size_t begin, size_t end, const std::string& path);

  Status FoldLocked(size_t* folded) {
    if (folded) *folded = 0;
    std::string spool = internal::SpoolDir(dir_);
    std::vector<std::string> names;
    MEMORY_RETURN_IF_ERROR(internal::ListDir(spool, &names));
    if (names.empty()) return Status::OK();
    // Rotate the live spool so that appends continue into a new file while we fold.
    if (std::find(names.begin(), names.end(), internal::kCurrentSpool) != names.end()) {
      std::string cur = spool + "/" + internal::kCurrentSpool;
      int fd = ::open(cur.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        struct stat st;
        if (::flock(fd, LOCK_EX) == 0 && ::fstat(fd, &st) == 0 && st.st_size > 0) {
          std::string target = spool + "/" + internal::kFoldPrefix + std::to_string(NowMicros()) + "-" +
                               std::to_string(::getpid()) + ".log";
          if (::rename(cur.c_str(), target.c_str()) != 0) {
            ::close(fd);
            return Status::IOError("rotate " + cur + ": " + internal::ErrnoText());
          }
        }
        ::close(fd);
      }
      MEMORY_RETURN_IF_ERROR(internal::ListDir(spool, &names));
    }
    for (const auto& n : names) {
      if (n.rfind(internal::kFoldPrefix, 0) != 0) continue;
      std::string path = spool + "/" + n;
      std::vector<std::string> payloads;
      bool torn = false;
      MEMORY_RETURN_IF_ERROR(internal::ReadSpoolFile(path, &payloads, &torn));
      std::vector<Event> events;
      events.reserve(payloads.size());
      // A record that does not decode, or that CheckEvent rejects (a spool written before the
      // check existed), is left out: it must not keep the valid ones out of the store.
      for (const auto& p : payloads) {
        Event e;
        if (DecodeEvent(p, &e).ok() && CheckEvent(e).ok()) events.push_back(std::move(e));
      }
      // Ids are always set in the spool, so ingest skips what a crashed folder already stored.
      for (size_t i = 0; i < events.size(); i += kBatchEvents)
        MEMORY_RETURN_IF_ERROR(IngestBatch(&events[i], std::min(kBatchEvents, events.size() - i), /*use_wal=*/true));
      if (::unlink(path.c_str()) != 0) return Status::IOError("unlink " + path + ": " + internal::ErrnoText());
      if (folded) *folded += events.size();
    }
    return Status::OK();
  }

  // Deletes the given stored events with every derived key, adjusting counters. Returns the
  // number removed. Holds mu_.
  Status RemoveEvents(const std::vector<std::string>& id_bytes_list, size_t* removed);
  // The first and last time (and the newest exit status) of each counter in `keys`, from the
  // events stored: what a removal leaves, which merges cannot give (they keep a min and a max).
  Status TimesOfStoredEvents(const std::unordered_set<std::string>& keys,
                             std::unordered_map<std::string, Counter>* times);
  Status CompactAway();
  std::string DeletionMarker() const;
  Status BeginDeletion();
  Status FinishDeletion();
  // Forget's and Clean's deletion of the events found (`ids`), bracketed by the marker, then
  // compacted; with none found and no deletion pending, nothing at all (no compaction). Holds mu_.
  Status DeleteEvents(const std::vector<std::string>& ids, size_t* removed);

  std::string dir_;
  StoreOptions options_;
  bool sync_;
  bool read_only_ = false;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::mutex mu_;       // writers
  std::mutex text_mu_;  // text_cache_
  uint64_t next_cmd_id_ = 1;
  bool dictionary_complete_ = false;
  bool summary_stale_ = false;        // committed changes the summary file does not show yet
  std::unique_ptr<Summary> base_;     // the summary before this write, if it only adds events
  std::unordered_set<uint64_t> touched_;  // commands whose counters this write may have changed
  bool deferred_ = false;             // read-only, database not opened yet
  std::mutex open_mu_;  // id_cache_ holds every command (no Get on a miss)
  std::unordered_map<uint64_t, std::string> text_cache_;
  std::unordered_map<std::string, uint64_t> id_cache_;

};

}  // namespace memory::internal
