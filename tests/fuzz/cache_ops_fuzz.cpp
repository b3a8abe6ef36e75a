// Fuzz target: replacement policies driven by access sequences and resizes. The input picks a
// policy and a capacity, then 3-byte steps: one access, a scan, a burst of skewed random keys, or
// a resize. Every access hits exactly when Contains() said it would; size() never exceeds the
// capacity; a key a resize evicted is no longer held; the counters add up.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_util.h"
#include "cache/cache.h"


using namespace memory::cache;

namespace {
const char* const kPolicies[] = {
    "lru", "arc", "wtinylfu", "wtinylfu(adapt=climb)", "wtinylfu(adapt=ghost)",
    "wtinylfu(doorkeeper=1,readmit=1,adapt=none)",
    "wtinylfu(sim_size=64)",  // sampled shadows, the ARC duel (64-246 entries) and beyond
    "wtinylfu(sim_size=32,sim_period=1,sim_fast_lead=0.02,sim_reset=0.05)",
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const char* spec = kPolicies[data[0] % std::size(kPolicies)];
  size_t capacity = 1 + (data[1] | data[2] << 8) % 400;
  std::unique_ptr<Policy> p;
  FUZZ_CHECK(NewPolicy(spec, capacity, &p).ok());
  uint64_t accesses = 0, rng = 0x9E3779B97F4A7C15ULL ^ size;
  auto access = [&](Key key) {
    const bool held = p->Contains(key);
    const AccessResult r = p->Access(key);
    ++accesses;
    FUZZ_CHECK(r.hit == held);
    FUZZ_CHECK(p->size() <= p->capacity());
  };
  std::vector<Key> evicted;
  for (size_t i = 3; i + 3 <= size; i += 3) {
    const uint8_t mode = data[i] % 4, a = data[i + 1], b = data[i + 2];
    switch (mode) {
      case 0: access(a); break;
      case 1:  // scan of a + 1 keys from b * 16, twice when b is odd
        for (int round = 0; round < 1 + (b & 1); ++round)
          for (Key k = 0; k <= a; ++k) access(Key{b} * 16 + k);
        break;
      case 2:  // 64 * (b % 32 + 1) keys, skewed towards the small ones, over 4a + 1 keys
        for (int n = 0; n < 64 * (b % 32 + 1); ++n) {
          rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
          const uint64_t r = rng >> 33;
          access((r % (4 * Key{a} + 1)) * (r >> 20 & 1 ? 1 : (r >> 21) % 4) % (4 * Key{a} + 1));
        }
        break;
      case 3: {
        const size_t to = 1 + (a | (b & 1) << 8);
        evicted.clear();
        FUZZ_CHECK(p->SetCapacity(to, &evicted).ok());
        FUZZ_CHECK(p->capacity() == to && p->size() <= to);
        for (Key k : evicted) FUZZ_CHECK(!p->Contains(k));
        break;
      }
    }
  }
  FUZZ_CHECK(p->stats().hits + p->stats().misses == accesses);
  return 0;
}
