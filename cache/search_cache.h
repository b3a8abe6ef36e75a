// Cached results of `memory search`: the "search" use of the cache hierarchy (hierarchy.h) in the
// data directory's cache directory.
//
//   auto cache = SearchCache::Open(data_dir);
//   if (!cache->Lookup(q, &hits)) { store->Search(q, &hits); cache->Save(q, hits); }
//
// Correctness: a result is stored under the full query (every SearchQuery field that changes the
// answer) and the store's content token (StoreContentToken in store/store.h), which changes on
// every commit (record folded, import, forget, clean, restore) and every spooled event. Lookup
// reads the token before the search runs; Save stores the result only when the token is still
// the same afterwards (the store did not change during the search) and never while the store is
// being written (token Busy). The whole key text is kept in the value and compared on lookup, so
// two queries whose 64-bit keys collide cannot see each other's results.
// Not cached: queries with since_us (relative to the clock). Fuzzy results are ranked by recency
// too (age in days), so they are served for at most kFuzzyTtlUs after they were computed: within
// a minute a rank moves by at most 0.002 points (2·log2(1+age) per day at age 0).
// L3 holds the results of the latest store state only (older ones are erased by the next Save).
// Costs. Writing L3 means a read-write RocksDB open (and close) in this short process: measured
// 10-40 ms on a 2-core VM, more than a small store's search. Two small plain files next to L3
// keep the common paths off RocksDB: search.state names the store state whose results L3 holds
// (a Lookup in another state misses without opening L3), search.write_us the measured cost of a
// save including the close (an EWMA). Rule kAuto saves a result only when it can pay back: its
// query was asked before (search.seen keeps the hashes of the last kSeenQueries queries, whatever
// the store state: a doorkeeper, as in TinyLFU, so one-off searches — the common case when
// commands are recorded between searches — never pay for a save) and its search took longer
// than a save; kAlways saves every result.
// Never fails the caller: without a usable cache Lookup misses and Save does nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cache/hierarchy.h"
#include "store/store.h"

namespace memory::cache {

class SearchCache {
 public:
  static constexpr int64_t kFuzzyTtlUs = 60'000'000;
  static constexpr size_t kSeenQueries = 64;

  enum class SaveRule { kAuto, kAlways };
  static std::unique_ptr<SearchCache> Open(const std::string& data_dir, SaveRule rule = SaveRule::kAuto);
  ~SearchCache();

  static bool Cacheable(const SearchQuery& q) { return q.since_us == 0; }

  // True (and *hits) when a result for `q` computed on the store's current content is cached.
  bool Lookup(const SearchQuery& q, std::vector<SearchHit>* hits);
  // Caches `hits` as the result of `q`, if the store did not change since Lookup(q, ...) and (kAuto)
  // the search took `search_us` >= the measured cost of a write (-1: unknown, save). True when
  // the result was written.
  bool Save(const SearchQuery& q, const std::vector<SearchHit>& hits, int64_t search_us = -1);

  // The counters of this process (L1, L2, L3), for tests.
  std::vector<Hierarchy::LevelReport> Report() const { return hierarchy_->Report(); }

  // The value layout, exposed for tests: key text, computation time, hits.
  static std::string Encode(const std::string& key_text, int64_t computed_us, const std::vector<SearchHit>& hits);
  static bool Decode(const std::string& value, std::string* key_text, int64_t* computed_us,
                     std::vector<SearchHit>* hits);
  // Every field of `q` that changes the answer, plus `token`, length-prefixed.
  static std::string KeyText(const SearchQuery& q, const std::string& token);

 private:
  SearchCache() = default;
  bool SeenBefore(const std::string& query) const;
  std::string data_dir_;
  SaveRule rule_ = SaveRule::kAuto;
  std::unique_ptr<Hierarchy> hierarchy_;
  int64_t write_us_ = 0;          // measured cost of a save (0 = unknown)
  int64_t save_started_us_ = 0;   // when this instance started writing L3 (0 = it did not)
  std::string token_;        // read by Lookup; empty = do not save
  std::string looked_up_;    // key text of that Lookup
};

}  // namespace memory::cache
