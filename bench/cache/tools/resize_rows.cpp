// resize_rows: what a level that auto-sizes does to its policy. Replays a trace through three
// caches of one policy spec: fixed at BIG entries, fixed at SMALL, and one whose capacity
// alternates between BIG and SMALL every EVERY requests (Policy::SetCapacity, as
// MemoryLevel::Resize does), and prints the three hit ratios. A policy that keeps what it learned
// across a resize lands between the two fixed sizes.
// Usage: resize_rows TRACE BIG SMALL [EVERY (65536)] [SPEC (wtinylfu)]
//   e.g. resize_rows ../shared/cache-traces/cache2k/orm-night.trace.xz 5000 4900
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cache/cache.h"
#include "env/cache_trace.h"

using namespace memory;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: resize_rows TRACE BIG SMALL [EVERY] [SPEC]\n");
    return 2;
  }
  const std::string path = argv[1];
  const size_t big = std::strtoull(argv[2], nullptr, 10), small = std::strtoull(argv[3], nullptr, 10);
  const size_t every = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 65536;
  const std::string spec = argc > 5 ? argv[5] : "wtinylfu";
  if (big == 0 || small == 0 || every == 0) {
    std::fprintf(stderr, "resize_rows: BIG, SMALL and EVERY must be at least 1\n");
    return 2;
  }
  env::TraceFormat format;
  std::vector<uint64_t> keys;
  Status s = env::GuessTraceFormat(path, &format);
  if (s.ok()) s = env::ReadCacheTrace(path, format, &keys);
  std::unique_ptr<cache::Policy> fixed_big, fixed_small, resized;
  if (s.ok()) s = cache::NewPolicy(spec, big, &fixed_big);
  if (s.ok()) s = cache::NewPolicy(spec, small, &fixed_small);
  if (s.ok()) s = cache::NewPolicy(spec, big, &resized);
  if (!s.ok()) {
    std::fprintf(stderr, "resize_rows: %s\n", s.ToString().c_str());
    return 2;
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0 && i % every == 0) {
      s = resized->SetCapacity(resized->capacity() == big ? small : big, nullptr);
      if (!s.ok()) {
        std::fprintf(stderr, "resize_rows: %s\n", s.ToString().c_str());
        return 1;
      }
    }
    fixed_big->Access(keys[i]);
    fixed_small->Access(keys[i]);
    resized->Access(keys[i]);
  }
  auto pct = [&](const cache::Policy& p) { return 100.0 * double(p.stats().hits) / double(keys.size()); };
  std::printf("%s %s: fixed %zu %.3f %%, fixed %zu %.3f %%, alternating every %zu %.3f %%\n", path.c_str(),
              spec.c_str(), big, pct(*fixed_big), small, pct(*fixed_small), every, pct(*resized));
  return 0;
}
