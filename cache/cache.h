// The cache library: replacement policies over 64-bit keys behind one interface, built from a
// short string by a factory (Faiss/VW style), with per-level statistics. Prefetching lives in
// cache/prefetch.h, trace simulation in cache/simulator.h, the L1/L2/L3 hierarchy in
// cache/hierarchy.h.
//
//   std::unique_ptr<Policy> p;
//   MEMORY_RETURN_IF_ERROR(NewPolicy("wtinylfu(window=0.01)", 1000, &p));
//   AccessResult r = p->Access(key);   // r.hit; on a miss the key is admitted (or rejected)
//
// Policies track keys only; a cache that stores values keeps them next to the policy, drops
// a value when the policy reports its key as evicted, and serves a value only while the policy
// Contains() its key (W-TinyLFU's hand-over drops keys without reporting them). Not
// thread-safe: one owner per instance.
//
// Files: lru.cpp, arc.cpp, wtinylfu.cpp (+ frequency_sketch.*, shadow_bank.*: the shadow caches of
// adapt=sim), min.cpp, factory.cpp;
// flat_map.h / node_list.h are the internal containers. Trace readers are in env/cache_trace.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace memory::cache {

using Key = uint64_t;

// Largest capacity a policy accepts (nodes are addressed by 32-bit indices, ghosts included).
inline constexpr size_t kMaxCapacity = size_t(1) << 30;

// Counters of one cache level. Prefetch counters are filled by the prefetching layer.
struct CacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;          // resident keys pushed out (not counting ghost entries)
  uint64_t prefetches_issued = 0;  // keys loaded because a model predicted them
  uint64_t prefetches_used = 0;    // of those, keys asked for before they were evicted
  uint64_t victim_hits = 0;        // hits on keys the main pushed out, kept by the prefetch area

  uint64_t requests() const { return hits + misses; }
  double hit_ratio() const { return requests() ? double(hits) / double(requests()) : 0.0; }
  // Share of prefetched keys that were used before eviction (0 when none was issued).
  double prefetch_accuracy() const {
    return prefetches_issued ? double(prefetches_used) / double(prefetches_issued) : 0.0;
  }
};

// What one access did. On a miss with `evicted`, `victim` left the cache; a policy that refuses
// to admit the new key (W-TinyLFU, MIN) reports the key itself as the victim.
struct AccessResult {
  bool hit = false;
  bool evicted = false;
  Key victim = 0;
};

class Policy {
 public:
  virtual ~Policy() = default;

  // Canonical spec with every parameter, e.g. "wtinylfu(window=0.01,...,adapt=ghost,...)":
  // NewPolicy(Name(), capacity()) builds an equivalent policy.
  virtual std::string Name() const = 0;
  size_t capacity() const { return capacity_; }
  // Keys taking a slot (at most capacity()).
  virtual size_t size() const = 0;
  // Whether the cache holds `key`'s value, i.e. Access(key) would hit. A key can take a slot
  // without it: W-TinyLFU's adapt=sim hand-over (capacity <= sim_size) brings in keys it never
  // loaded; their next access is a miss that loads the value and keeps the slot.
  virtual bool Contains(Key key) const = 0;

  // A demand access: a hit refreshes the key; a miss admits it, evicting at most one key.
  AccessResult Access(Key key) {
    AccessResult r = DoAccess(key);
    if (r.hit) {
      ++stats_.hits;
    } else {
      ++stats_.misses;
      if (r.evicted && r.victim != key) ++stats_.evictions;
    }
    return r;
  }

  // Drops `key` if it takes a slot (an invalidation; not counted as an eviction). False if
  // absent.
  virtual bool Remove(Key key) = 0;

  // Grows or shrinks the cache; keys pushed out are appended to `evicted` (may be null).
  // InvalidArgument for 0; Unsupported for policies that cannot resize (MIN).
  virtual Status SetCapacity(size_t capacity, std::vector<Key>* evicted) = 0;

  // Offline policies (MIN) need the whole future: call once with the trace that the following
  // Access() calls will replay, in order. Online policies ignore it.
  virtual Status Prepare(std::span<const Key> trace) { return Status::OK(); }
  virtual bool NeedsFuture() const { return false; }

  const CacheStats& stats() const { return stats_; }
  CacheStats* mutable_stats() { return &stats_; }

 protected:
  explicit Policy(size_t capacity) : capacity_(capacity) {}
  virtual AccessResult DoAccess(Key key) = 0;
  size_t capacity_;
  CacheStats stats_;
};

// Builds a policy from a spec: "lru", "arc", "min", "wtinylfu" or with parameters, e.g.
// "wtinylfu(window=0.01,adapt=climb)". Parameters:
//   wtinylfu: window   initial share of capacity for the admission window, in (0, 1) (0.05)
//             protected share of the main area kept for proven keys, in (0, 1)     (0.8)
//             doorkeeper 0|1: a Bloom filter absorbs first accesses                 (0)
//             readmit 0|1: a candidate that admission rejected and that is requested
//                     again while remembered (ghosts of `capacity` keys) is admitted on its
//                     next try; adapt=sim switches it on and off                    (0)
//             adapt   how the window size moves: none; climb (Caffeine's hill climber on
//                     sampled hit ratios); ghost (ARC's rule: a returning key that the
//                     window rejected grows the window, one the main area evicted shrinks it);
//                     sim (miniature simulation: shadow caches with window shares from 1 % to
//                     99 %, with and without readmit, over a hash-sampled share of the keys;
//                     the cache takes the settings of the shadow with the most recent hits;
//                     where the shadows are unsampled it takes that shadow's keys, keeping
//                     the values it holds where it can: see Contains())
//                                                                                   (sim)
//             sample  sketch aging period, in multiples of capacity                (10)
//             climb_sample  hill-climber sample period, multiples of capacity      (10)
//             sim_size  largest shadow capacity; above it the shadows sample keys  (500)
//             sim_period  scoring period, multiples of the shadow capacity         (1)
//             sim_decay  decay of the shadows' hit scores per period, in [0, 1)    (0.99)
//             sim_margin  relative score lead a shadow needs to move the window    (0.005)
//             sim_fast_decay  short-horizon decay of the shadows' scores (phase changes) (0.8)
//             sim_fast_lead  short-horizon lead that restarts the long-run scores and
//                     switches to the leader; 1 never fires                         (0.08)
//             sim_reset  the cache's short-horizon hit ratio this far (absolute) below its
//                     long-run one resets the sketch and the scores; 1 never fires  (0.12)
//             sim_arc 0|1: where the shadows are unsampled (capacity <= sim_size) an ARC
//                     shadow is scored too and the cache runs as ARC while it leads (1)
//             sim_arc_sampled  ... and where they see at most this share of the keys
//                     (capacity >= sim_size / share; 0 never)                      (0.26)
//             sim_arc_margin  relative lead a sampled switch into or out of ARC needs (0.02)
//             sim_arc_evidence  periods of scored accesses a sampled switch out of ARC
//                     waits for, but after a change of regime                         (6)
//             sim_duel 0|1: between sim_size and sim_size / sim_arc_sampled an exact ARC
//                     runs beside the cache, which serves from the leader          (1)
//             sim_duel_margin  relative lead a switch of the duel needs            (0.002)
//   min:      bypass  0|1: a new key may itself be the one evicted (Caffeine's Clairvoyant) (1)
// InvalidArgument naming the spec for unknown names, unknown or malformed parameters, and for
// capacity 0 or above kMaxCapacity.
Status NewPolicy(std::string_view spec, size_t capacity, std::unique_ptr<Policy>* out);

// The policy names NewPolicy accepts, for help texts.
std::vector<std::string> PolicyNames();

// Parses "name(k=v,k=v)" into its parts (shared by the policy and predictor factories).
struct Spec {
  std::string name;
  std::vector<std::pair<std::string, std::string>> params;
};
Status ParseSpec(std::string_view text, Spec* out);

// A stable 64-bit key for a string (FNV-1a, then mixed): how `lines` traces and the product's
// string keys become cache keys.
Key KeyOfString(std::string_view s);

}  // namespace memory::cache
