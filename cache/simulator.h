// Trace-driven simulation: replays a key trace through a policy (optionally with a prefetcher)
// from a cold start and reports hit ratio (hits / requests), per-part statistics and speed.
#pragma once

#include <span>
#include <string>

#include "cache/cache.h"
#include "store/status.h"

namespace memory::cache {

struct SimulationOptions {
  std::string policy = "lru";      // a NewPolicy spec
  size_t capacity = 0;             // entries, main + prefetch area
  std::string prefetch = "none";   // a NewPredictor spec
  double area_fraction = 0.01;     // share of capacity for the prefetch area
};

struct SimulationResult {
  std::string policy;          // canonical names
  std::string prefetch;
  size_t capacity = 0;
  size_t main_capacity = 0;
  size_t area_capacity = 0;
  CacheStats total;            // demand hits/misses over main + area, prefetch counters
  CacheStats main;             // the main policy's own counters (area hits count as its misses)
  CacheStats area;             // prefetch area: misses = loads, evictions = guesses or victims never asked for
  double coverage = 0;         // share of would-be misses that prefetching turned into hits
  uint64_t area_switches = 0;  // times the area changed use (guesses <-> the main's victims)
  bool area_prefetches = false;  // the area's use at the end: guesses (else victims)
  double seconds = 0;          // time spent replaying (reading the trace excluded)
  double accesses_per_s = 0;
};

// InvalidArgument for capacity 0, an empty trace, or bad policy / prefetch specs.
Status Simulate(std::span<const Key> trace, const SimulationOptions& options,
                SimulationResult* result);

}  // namespace memory::cache

namespace memory::cache {
// Number of distinct keys in a trace.
size_t CountUnique(std::span<const Key> trace);
}  // namespace memory::cache
