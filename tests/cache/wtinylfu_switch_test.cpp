// W-TinyLFU with adapt=sim changes its configuration while it runs; where the shadows are
// unsampled it takes the new leader's contents. Whatever it does, a hit it counts must be a key
// it held before the access, and a key it held must count as a hit: checked against Contains()
// before every access, on generated traces whose short alternating phases (skewed keys with
// one-off keys, loops longer than the cache, recency sweeps) make the leading shadow change
// often.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "cache/cache.h"

namespace memory::cache {
namespace {

std::vector<Key> SwitchingTrace(size_t capacity, int rounds) {
  std::vector<double> cdf(4000);
  double sum = 0;
  for (size_t i = 0; i < cdf.size(); ++i) cdf[i] = sum += 1.0 / std::pow(double(i + 1), 0.9);
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> u(0.0, sum);
  std::vector<Key> t;
  Key oneoff = 10'000'000;
  for (int r = 0; r < rounds; ++r) {
    Key base = Key(r % 3) * 100'000;  // the working sets move, so old frequencies go stale
    for (int i = 0; i < 3000; ++i)
      t.push_back(i % 4 == 3 ? oneoff++
                             : base + Key(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) -
                                          cdf.begin()));
    const Key loop = Key(capacity * 3 / 2);
    for (Key i = 0; i < 4 * loop; ++i) t.push_back(5'000'000 + base + i % loop);
    const Key zig = Key(capacity * 4 / 5);
    for (Key i = 0; i < 6 * zig; ++i) {
      Key j = i % (2 * zig);
      t.push_back(6'000'000 + (j < zig ? j : 2 * zig - 1 - j));
    }
  }
  return t;
}

// Returns the number of hits; every access's hit must equal residency before it.
uint64_t CheckHitsAreResidentKeys(const std::string& spec, size_t capacity) {
  std::unique_ptr<Policy> p;
  Status s = NewPolicy(spec, capacity, &p);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!p) return 0;
  std::vector<Key> trace = SwitchingTrace(capacity, 12);
  size_t wrong = 0, first_wrong = 0;
  for (size_t i = 0; i < trace.size(); ++i) {
    bool resident = p->Contains(trace[i]);
    bool hit = p->Access(trace[i]).hit;
    if (hit != resident && wrong++ == 0) first_wrong = i;
    EXPECT_LE(p->size(), capacity);
  }
  EXPECT_EQ(wrong, 0u) << spec << " at " << capacity << ": first at access " << first_wrong
                       << (wrong ? (p->Contains(trace[first_wrong]) ? " (resident now)" : "") : "");
  EXPECT_EQ(p->stats().hits + p->stats().misses, trace.size());
  return p->stats().hits;
}

TEST(WTinyLfuSwitch, UnsampledHandOverCountsOnlyResidentKeysAsHits) {
  for (size_t c : {size_t(37), size_t(100), size_t(300)}) {
    uint64_t hits = CheckHitsAreResidentKeys("wtinylfu", c);
    EXPECT_GT(hits, 0u);
    CheckHitsAreResidentKeys("wtinylfu(sim_arc=0)", c);
    CheckHitsAreResidentKeys("wtinylfu(readmit=1)", c);
  }
}

TEST(WTinyLfuSwitch, SampledAndOtherAdaptationsCountOnlyResidentKeysAsHits) {
  CheckHitsAreResidentKeys("wtinylfu", 1200);  // above sim_size: sampled shadows
  CheckHitsAreResidentKeys("wtinylfu(sim_size=50)", 300);
  CheckHitsAreResidentKeys("wtinylfu(adapt=climb)", 100);
  CheckHitsAreResidentKeys("wtinylfu(adapt=ghost)", 100);
}

}  // namespace
}  // namespace memory::cache
