#include "cache/simulator.h"

#include <chrono>

#include "cache/prefetch.h"

namespace memory::cache {

Status Simulate(std::span<const Key> trace, const SimulationOptions& o, SimulationResult* res) {
  *res = SimulationResult{};
  if (o.capacity == 0) return Status::InvalidArgument("cache capacity must be at least 1");
  if (trace.empty()) return Status::InvalidArgument("the trace holds no keys");
  std::unique_ptr<Predictor> predictor;
  MEMORY_RETURN_IF_ERROR(NewPredictor(o.prefetch, &predictor));
  std::string prefetch_name = predictor ? predictor->Name() : "none";
  std::unique_ptr<PrefetchingCache> cache;
  MEMORY_RETURN_IF_ERROR(
      PrefetchingCache::Create(o.policy, o.capacity, std::move(predictor), o.area_fraction, &cache));
  Policy& main = cache->main();
  MEMORY_RETURN_IF_ERROR(main.Prepare(trace));

  auto t0 = std::chrono::steady_clock::now();
  if (cache->predictor() == nullptr) {
    for (Key k : trace) main.Access(k);  // no prefetching: the policy alone (fast path)
  } else {
    for (Key k : trace) cache->Access(k);
  }
  auto t1 = std::chrono::steady_clock::now();

  res->policy = main.Name();
  res->prefetch = prefetch_name;
  res->capacity = o.capacity;
  res->main_capacity = main.capacity();
  res->area_capacity = cache->area() ? cache->area()->capacity() : 0;
  res->main = main.stats();
  res->total = cache->predictor() ? cache->stats() : main.stats();
  if (cache->area()) res->area = cache->area()->stats();
  res->coverage = cache->coverage();
  res->area_switches = cache->area_switches();
  res->area_prefetches = cache->area() != nullptr && cache->area_prefetches();
  res->seconds = std::chrono::duration<double>(t1 - t0).count();
  res->accesses_per_s = res->seconds > 0 ? double(trace.size()) / res->seconds : 0;
  return Status::OK();
}

}  // namespace memory::cache

#include "cache/flat_map.h"

namespace memory::cache {
size_t CountUnique(std::span<const Key> trace) {
  FlatMap seen(1024);
  for (Key k : trace) seen.Put(k, 0);
  return seen.size();
}
}  // namespace memory::cache
