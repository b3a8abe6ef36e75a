// The memory manager's cache hierarchy: L1 small and in-process (one owner, no lock), L2 larger
// and shared by the process's users (locked), L3 persistent in RocksDB. A Get walks down the
// levels and copies a value found below into the levels above (promotion); a Put writes through
// every level. Keys are 64-bit (KeyOfString for text keys; two texts with the same 64-bit key
// would share an entry). Each level's policy is any NewPolicy spec except "min".
//
// A Hierarchy has one owner (L1 and the L3 counters are not locked); L2 is locked so that the
// level can later be shared between per-thread hierarchies.
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

struct LevelOptions {
  std::string policy = "lru";
  size_t capacity = 1024;
  // Auto-sizing bounds; both 0 = fixed size.
  size_t min_capacity = 0;
  size_t max_capacity = 0;
};

struct HierarchyOptions {
  LevelOptions l1{"lru", 1024, 0, 0};
  LevelOptions l2{"wtinylfu", 64 * 1024, 0, 0};
  std::string l3_path;          // RocksDB directory for L3; empty = no L3
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
  Status Resize(size_t capacity);

  size_t capacity() const { return policy_->capacity(); }
  size_t size() const { return policy_->size(); }
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
  static Status Open(const HierarchyOptions& options, std::unique_ptr<Hierarchy>* out);
  ~Hierarchy();

  // NotFound when no level holds the key; IOError when L3 fails.
  Status Get(Key key, std::string* value);
  Status Put(Key key, std::string_view value);
  Status Erase(Key key);

  struct LevelReport {
    std::string name;   // "L1", "L2", "L3"
    std::string policy;
    size_t capacity = 0;  // 0 for L3 (bounded by disk)
    size_t size = 0;      // resident entries (L3: not counted)
    CacheStats stats;
  };
  std::vector<LevelReport> Report() const;

  // Persists the counters (added to those saved by earlier runs) into L3 so another process,
  // e.g. `memory status`, can show per-level hit ratios. Also done by the destructor. OK without
  // L3 (nothing to save).
  Status SaveStats();
  // The counters last saved in the L3 directory `l3_path`, opened read-only (works while another
  // process holds the cache). NotFound when there is no L3 there or nothing was saved yet.
  static Status ReadSavedStats(const std::string& l3_path, std::vector<LevelReport>* out);

  MemoryLevel& l1() { return *l1_; }

 private:
  Hierarchy() = default;
  void MaybeResize();
  HierarchyOptions options_;
  std::unique_ptr<MemoryLevel> l1_;
  std::unique_ptr<MemoryLevel> l2_;
  mutable std::mutex l2_mu_;
  std::unique_ptr<rocksdb::DB> l3_;
  CacheStats l3_stats_;
  CacheStats saved_[3];  // counters loaded from L3 at open (earlier runs)
  uint64_t requests_ = 0;
};

}  // namespace memory::cache
