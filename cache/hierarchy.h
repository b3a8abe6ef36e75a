// The memory manager's cache hierarchy: L1 small and in-process (one owner, no lock), L2 larger
// and shared by the process's users (locked), L3 persistent in RocksDB. A Get walks down the
// levels and copies a value found below into the levels above (promotion); a Put writes through
// every level. Keys are 64-bit (KeyOfString for text keys; two texts with the same 64-bit key
// would share an entry: store the full text in the value and compare it when that matters).
// Each level's policy is any NewPolicy spec except "min".
//
// A Hierarchy has one owner (L1 and the L3 counters are not locked); L2 is locked so that the
// level can later be shared between per-thread hierarchies.
//
// Uses and the cache directory. One data directory has one cache directory (CacheDir(db) =
// <db>/cache), shared by every use of the cache ("search", "predict", ...). HierarchyOptions::name
// names the use: L3 keys are prefixed by it (uses never see each other's entries) and the
// statistics are saved per name. Layout of a cache directory (0700):
//   GENERATION      decimal generation number (absent = 0); DropAll increments it
//   l3-<gen>/       the RocksDB database of L3 for that generation
//   stats/<name>.log  appended counters of every run of that use; <name>.lock serializes writers
//   <name>.*        small hint files a use may keep (search_cache.h); no command text in them
//
// Many short processes. RocksDB admits ONE read-write process per directory. L3 is opened
// lazily: read-only at the first Get (any number of processes may do that at once, and a
// read-only open writes nothing), read-write at the first Put or Erase. When the read-write open
// finds the directory locked by another process, the writes of this process stay in L1/L2 (L3 is
// read-only for it); when L3 cannot be opened for another reason (corrupt, a file missing) the
// writer wipes and recreates it (it is only a cache); when that fails too, or L3 fails later,
// this process runs without L3. None of these fails a Get or a Put: l3_mode() and l3_error()
// tell what happened. Only Erase reports Busy, when the key may still be in an L3 this process
// cannot write. A long-lived process holding L3 read-write blocks every other writer of the
// directory: it should CloseL3() when idle.
// Cheap opens: L3 is written without any fsync (no_sync_env.cpp; the syncs of a read-write open
// cost tens of ms, and a crash that damages L3 only gets it wiped as above), opens read no table
// properties, and a read-write open keeps the WALs it recovers, flushing them together once
// there are more than 8 (no table file, and no compaction to wait for, per short process).
//
// Statistics are never lost between processes: each SaveStats (and the destructor) appends the
// counters gained since the previous save to stats/<name>.log under an exclusive flock of
// stats/<name>.lock (one write per save; the file is folded into one block when it grows past
// 64 KiB, via a renamed temporary). ReadSavedStats sums the blocks under a shared flock.
//
// Invalidation (forget, clean): DropAll(cache_dir) bumps the generation and deletes every older
// L3 directory, so no cached value (which may hold forgotten text) survives on disk. A process
// that had the old generation open loses its L3 (its file operations fail, it goes on without
// L3); a long-lived process should call Refresh() before serving a request to also drop its L1/L2.
// A process that opened an old generation just before the drop may recreate its directory; the
// next read-write open of L3 by any process deletes directories older than the current one.
//
// Auto-sizing (optional): each in-memory level records a sampled LRU hit-ratio curve at sizes
// between its min and max capacity; every `resize_every` requests it moves to the smallest size
// whose estimated hit ratio is within `tolerance` of the largest size's (grows when the curve
// still rises, shrinks when the extra entries buy nothing).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache.h"
#include "store/status.h"

namespace rocksdb {
class DB;
}

namespace memory::cache {

// The cache directory of a data directory: <data_dir>/cache.
std::string CacheDir(const std::string& data_dir);

struct LevelOptions {
  std::string policy = "lru";
  size_t capacity = 1024;
  // Auto-sizing bounds; both 0 = fixed size.
  size_t min_capacity = 0;
  size_t max_capacity = 0;
};

struct HierarchyOptions {
  std::string name = "default";  // the use: [a-z0-9_-], 1..32 characters
  LevelOptions l1{"lru", 1024, 0, 0};
  LevelOptions l2{"wtinylfu", 64 * 1024, 0, 0};
  std::string l3_path;          // the cache directory (CacheDir(db)); empty = no L3, no saved stats
  size_t resize_every = 65536;  // requests between auto-sizing decisions
  double tolerance = 0.005;     // hit-ratio loss accepted to save capacity
};

// Estimated LRU hit ratio at several sizes from a spatially sampled share of the keys
// (SHARDS-style: a key is sampled when its hash falls below 1/2^sample_shift, and each sampled
// size is scaled down by the same rate).
class HitRatioCurve {
 public:
  HitRatioCurve(std::vector<size_t> sizes, unsigned sample_shift);
  void Record(Key key);
  // (size, estimated hit ratio) in increasing size; ratios are 0 before any sampled request.
  std::vector<std::pair<size_t, double>> Points() const;
  // The smallest size whose hit ratio is within `tolerance` of the largest size's.
  size_t Recommend(double tolerance) const;
  uint64_t sampled() const { return sampled_; }

 private:
  std::vector<size_t> sizes_;
  std::vector<std::unique_ptr<Policy>> shadows_;
  unsigned shift_;
  uint64_t sampled_ = 0;
};

// One in-memory level: a policy plus the values of its resident keys.
class MemoryLevel {
 public:
  static Status Create(const LevelOptions& options, std::unique_ptr<MemoryLevel>* out);
  ~MemoryLevel();

  // The value of `key` or null (counted as a hit or a miss). The pointer stays valid until the
  // next Put/Erase/Resize on this level.
  const std::string* Get(Key key);
  // Stores the value unless the policy refuses the key (W-TinyLFU admission).
  void Put(Key key, std::string_view value);
  bool Erase(Key key);
  // Drops every value (counters are kept).
  void Clear();
  void CountMiss() { ++stats_.misses; }
  Status Resize(size_t capacity);

  size_t capacity() const { return policy_->capacity(); }
  size_t size() const { return policy_->size(); }
  // Values held: those of the policy's resident keys, and of keys it dropped without saying so
  // (W-TinyLFU's hand-over) until their next Get or Put.
  size_t values() const;
  const CacheStats& stats() const { return stats_; }
  const Policy& policy() const { return *policy_; }
  const HitRatioCurve* curve() const { return curve_.get(); }
  // Applies the auto-sizing rule now (no-op for fixed-size levels); returns the new capacity.
  size_t AutoSize(double tolerance);

 private:
  MemoryLevel() = default;
  void DropValue(Key key);
  std::unique_ptr<Policy> policy_;
  struct Values;
  std::unique_ptr<Values> values_;
  std::unique_ptr<HitRatioCurve> curve_;
  LevelOptions options_;
  CacheStats stats_;
};

class Hierarchy {
 public:
  // InvalidArgument for bad level options or a bad name. Never fails because of L3 (see above).
  static Status Open(const HierarchyOptions& options, std::unique_ptr<Hierarchy>* out);
  ~Hierarchy();

  // NotFound when no level holds the key.
  Status Get(Key key, std::string* value);
  // Always OK; the value reaches L3 only when this process can write it (l3_mode()).
  Status Put(Key key, std::string_view value);
  // Busy when L3 may hold the key and this process cannot delete it there.
  Status Erase(Key key);
  // Counts a miss at every level without looking (the caller knows no level can hold the key).
  void CountMiss();
  // Drops every value of this use from every level (other uses keep theirs). Busy when L3 may
  // hold some and this process cannot write it.
  Status EraseAll();
  // A small uncounted record of this use kept in L3 only, outside its entries (EraseAll keeps
  // it), e.g. which store state the entries belong to. NotFound without one or without L3.
  Status GetMeta(std::string_view key, std::string* value);
  Status PutMeta(std::string_view key, std::string_view value);  // OK when L3 is not writable
  // Closes L3 (the next access reopens it). RocksDB admits one writer per directory and every use
  // of a data directory shares it: a long-lived process should call this when idle so that
  // short processes (e.g. `memory search`) can write their results meanwhile.
  void CloseL3();
  // Re-reads the generation; when DropAll ran since, drops L1/L2 and moves to the new L3.
  // Cheap (one small file read). True when the cache was dropped.
  bool Refresh();

  enum class L3Mode { kNone, kNotOpenYet, kReadOnly, kReadWrite, kFailed };
  L3Mode l3_mode() const { return l3_mode_; }
  const std::string& l3_error() const { return l3_error_; }  // why L3 is read-only or failed

  struct LevelReport {
    std::string name;   // "L1", "L2", "L3"
    std::string policy;
    size_t capacity = 0;  // 0 for L3 (bounded by disk)
    size_t size = 0;      // resident entries (L3: not counted)
    uint64_t bytes = 0;   // L3 only (saved reports): bytes on disk of the current generation
    CacheStats stats;
  };
  std::vector<LevelReport> Report() const;

  // Appends the counters gained since the last save to the saved statistics of this use (see
  // above). Also done by the destructor. OK without L3 (nothing to save).
  Status SaveStats();

  struct UseReport {
    std::string name;
    std::vector<LevelReport> levels;  // L1, L2, L3 (those ever used); capacity/size of the last save
  };
  // The counters saved for the use `name` in the cache directory `cache_dir`. Reads two small
  // files (never opens RocksDB) and works while other processes use the cache. NotFound when
  // nothing was saved for that name.
  static Status ReadSavedStats(const std::string& cache_dir, const std::string& name, UseReport* out);
  // Every use with saved counters, by name. OK and empty when there is no cache directory.
  static Status ReadAllSavedStats(const std::string& cache_dir, std::vector<UseReport>* out);

  // Deletes every cached value of every use in `cache_dir` (see Invalidation above); keeps the
  // statistics. OK when there is no cache directory.
  static Status DropAll(const std::string& cache_dir);

  MemoryLevel& l1() { return *l1_; }

 private:
  Hierarchy() = default;
  void MaybeResize();
  void OpenL3(bool write);
  void FailL3(const std::string& why);
  std::string L3Key(Key key) const;
  HierarchyOptions options_;
  std::unique_ptr<MemoryLevel> l1_;
  std::unique_ptr<MemoryLevel> l2_;
  mutable std::mutex l2_mu_;
  std::unique_ptr<rocksdb::DB> l3_;
  L3Mode l3_mode_ = L3Mode::kNone;
  std::string l3_error_;
  bool l3_unreadable_ = false;  // a read-only open failed; the next write wipes and recreates
  uint64_t generation_ = 0;
  CacheStats l3_stats_;
  CacheStats saved_[3];  // counters already appended to the stats file by this instance
  uint64_t requests_ = 0;
};

}  // namespace memory::cache
