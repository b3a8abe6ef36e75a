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
#include <unordered_set>

#include "cache/cache.h"
#include "cache/hierarchy.h"
#include "cache/policies.h"

namespace memory::cache {
namespace {

// Seeded draws of ranks 0..n-1 with Zipf(0.9) probabilities, and of chances from the same
// stream.
class Zipf09 {
 public:
  Zipf09(size_t n, uint64_t seed) : cdf_(n), rng_(seed) {
    for (size_t i = 0; i < n; ++i) cdf_[i] = sum_ += 1.0 / std::pow(double(i + 1), 0.9);
    u_ = std::uniform_real_distribution<double>(0.0, sum_);
  }
  Key Rank() { return Key(std::lower_bound(cdf_.begin(), cdf_.end(), u_(rng_)) - cdf_.begin()); }
  bool Chance(double p) { return u_(rng_) < p * sum_; }

 private:
  std::vector<double> cdf_;
  double sum_ = 0;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> u_;
};

std::vector<Key> SwitchingTrace(size_t capacity, int rounds) {
  Zipf09 zipf(4000, 17);
  std::vector<Key> t;
  Key oneoff = 10'000'000;
  for (int r = 0; r < rounds; ++r) {
    Key base = Key(r % 3) * 100'000;  // the working sets move, so old frequencies go stale
    for (int i = 0; i < 3000; ++i)
      t.push_back(i % 4 == 3 ? oneoff++ : base + zipf.Rank());
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

// Large caches (shadows that see at most an eighth of the keys) also choose between ARC and
// W-TinyLFU, turning their own contents into the other policy's: no key is lost or invented by
// a switch (hits are exactly the keys held before each access), the size stays within capacity,
// and the generated trace makes the cache switch both ways.
// Replays `trace` into `p` (a W-TinyLFU) and counts its switches into and out of ARC and the
// accesses whose hit differed from Contains() before them; the size must stay within capacity.
// With `remove_every`, every such access then removes (invalidates) its key, which must leave.
struct Switches {
  size_t wrong = 0, into_arc = 0, out_of_arc = 0, removed = 0;
};
Switches ReplayCountingSwitches(Policy& p, const std::vector<Key>& trace, size_t remove_every = 0) {
  Switches s;
  bool arc = WTinyLfuRunsAsArc(p);
  for (size_t i = 0; i < trace.size(); ++i) {
    const Key k = trace[i];
    bool resident = p.Contains(k);
    s.wrong += p.Access(k).hit != resident;
    EXPECT_LE(p.size(), p.capacity());
    if (remove_every && i % remove_every == remove_every - 1 && p.Contains(k)) {
      const size_t size = p.size();
      EXPECT_TRUE(p.Remove(k));
      s.wrong += p.Contains(k) || p.size() != size - 1;
      ++s.removed;
    }
    if (WTinyLfuRunsAsArc(p) != arc) {
      arc = !arc;
      ++(arc ? s.into_arc : s.out_of_arc);
    }
  }
  return s;
}

TEST(WTinyLfuSwitch, SampledPolicySelectionKeepsTheCachesKeys) {
  for (const char* spec : {"wtinylfu(sim_size=50)", "wtinylfu(sim_size=50,sim_arc_margin=0)"}) {
    std::unique_ptr<Policy> p;
    ASSERT_TRUE(NewPolicy(spec, 500, &p).ok());
    EXPECT_TRUE(WTinyLfuRunsAsArc(*p)) << "a cold cache starts as ARC";
    Switches s = ReplayCountingSwitches(*p, SwitchingTrace(500, 12));
    EXPECT_EQ(s.wrong, 0u) << spec;
    EXPECT_GE(s.out_of_arc, 1u) << spec;
    EXPECT_GE(s.into_arc, 1u) << spec;
    EXPECT_EQ(p->size(), 500u) << spec << ": a switch dropped keys";
  }
}

// A hot set of 3,000 keys (Zipf 0.9) with scans of 3,000 new keys now and then, where ARC
// leads (the "hotscan" trace of bench/cache/synthetic_rows.sh), for `hot` requests; then a loop
// over 1.5 × capacity keys, where frequency admission keeps part of the loop and ARC none, for
// `loop` requests.
std::vector<Key> HotScanThenLoop(size_t capacity, size_t hot, size_t loop) {
  Zipf09 zipf(3000, 23);
  std::vector<Key> t;
  Key fresh = 10'000'000;
  while (t.size() < hot) {
    if (zipf.Chance(0.002)) {
      for (int i = 0; i < 3000; ++i) t.push_back(fresh++);
    } else {
      t.push_back(zipf.Rank());
    }
  }
  const Key n = Key(capacity * 3 / 2);
  for (Key i = 0; i < loop; ++i) t.push_back(5'000'000 + i % n);
  return t;
}

// Between the exact shadows and the sampled ARC shadow (500 < capacity < 1,923 by default) the
// cache duels with an exact ARC: it serves from whichever side has scored more, and the other
// side runs behind it. Switches go both ways on the generated trace, and no key is invented or
// lost: hits are exactly the keys held before each access, and an invalidated key leaves.
TEST(WTinyLfuSwitch, DuelWithArcSwitchesBothWaysAndKeepsTheCachesKeys) {
  for (size_t c : {size_t(800), size_t(1200)}) {
    std::unique_ptr<Policy> p;
    ASSERT_TRUE(NewPolicy("wtinylfu", c, &p).ok());
    std::vector<Key> trace = HotScanThenLoop(c, 400 * c, 100 * c);
    EXPECT_FALSE(WTinyLfuRunsAsArc(*p)) << "a cold cache in the duel serves its own W-TinyLFU";
    Switches s = ReplayCountingSwitches(*p, trace, /*remove_every=*/997);
    EXPECT_EQ(s.wrong, 0u) << c;
    EXPECT_GE(s.into_arc, 1u) << c;
    EXPECT_GE(s.out_of_arc, 1u) << c;
    EXPECT_GT(s.removed, 100u) << c;
    // Without the duel the cache never runs as ARC at these sizes.
    ASSERT_TRUE(NewPolicy("wtinylfu(sim_duel=0)", c, &p).ok());
    size_t as_arc = 0;
    for (Key k : trace) as_arc += (p->Access(k), WTinyLfuRunsAsArc(*p));
    EXPECT_EQ(as_arc, 0u) << c;
  }
  // Over the hot set with scans alone, the duel keeps the cache near ARC (800 entries: 10.95 %,
  // ARC 11.00 %); without it the cache stays below (10.23 %).
  const std::vector<Key> hot = HotScanThenLoop(800, 320'000, 0);
  auto percent = [&](const char* spec) {
    std::unique_ptr<Policy> q;
    EXPECT_TRUE(NewPolicy(spec, 800, &q).ok());
    for (Key k : hot) q->Access(k);
    return 100.0 * double(q->stats().hits) / double(hot.size());
  };
  const double arc = percent("arc");
  EXPECT_GE(percent("wtinylfu"), arc - 0.1);
  EXPECT_LT(percent("wtinylfu(sim_duel=0)"), arc - 0.5);
}

// The held-values model of a real cache around the policy: a key's value is held from the access
// that leaves the key in a slot (a miss that admits it loads the value; so does the first access
// of a key a hand-over brought in without it) until the key is reported evicted or loses its
// slot, which WTinyLfuHasSlot tells after every access (a hand-over drops keys without
// reporting them).
// Each access must be a hit exactly when the model holds the key's value, and Contains() before
// it must say the same. Returns the accesses to keys that had a slot without their value (so a
// caller can check the trace reached the case).
uint64_t CheckHitsAreHeldValues(const std::string& spec, size_t capacity) {
  std::unique_ptr<Policy> p;
  Status s = NewPolicy(spec, capacity, &p);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!p) return 0;
  std::vector<Key> trace = SwitchingTrace(capacity, 12);
  std::unordered_set<Key> held;
  uint64_t honest = 0, phantom = 0, wrong_contains = 0;
  size_t first_wrong = trace.size();
  for (size_t i = 0; i < trace.size(); ++i) {
    Key k = trace[i];
    bool has_value = held.count(k) > 0;
    if (!has_value && WTinyLfuHasSlot(*p, k)) ++phantom;
    if (p->Contains(k) != has_value) ++wrong_contains;
    AccessResult r = p->Access(k);
    honest += has_value;
    if (r.hit != has_value && first_wrong == trace.size()) first_wrong = i;
    if (r.evicted) held.erase(r.victim);  // even if a hand-over in this access brings it back
    if (WTinyLfuHasSlot(*p, k)) held.insert(k);
    // Invalidations (every 500 accesses, half of the held values): the cache then holds fewer
    // values than the shadows hold keys, so a hand-over can find too few held keys for the
    // leader's places (a full cache always has enough).
    if (i % 500 == 499) {
      std::vector<Key> drop;
      for (Key h : held)
        if (h % 2 == 0) drop.push_back(h);
      for (Key h : drop) EXPECT_TRUE(p->Remove(h)), held.erase(h);
    }
    for (auto it = held.begin(); it != held.end();)
      it = WTinyLfuHasSlot(*p, *it) ? std::next(it) : held.erase(it);
    EXPECT_LE(p->size(), capacity);
  }
  EXPECT_EQ(p->stats().hits, honest) << spec << " at " << capacity << ": first differs at access "
                                     << first_wrong << "; " << phantom
                                     << " accesses to keys in a slot without their value";
  EXPECT_EQ(wrong_contains, 0u) << spec << " at " << capacity;
  return phantom;
}

TEST(WTinyLfuSwitch, HandOverKeysHaveNoValueUntilTheirNextAccess) {
  for (size_t c : {size_t(37), size_t(100), size_t(300), size_t(500)})
    for (const char* spec : {"wtinylfu", "wtinylfu(sim_arc=0)", "wtinylfu(readmit=1)"})
      EXPECT_GT(CheckHitsAreHeldValues(spec, c), 0u) << spec << " at " << c << ": no hand-over key";
}

// A read-through MemoryLevel over the policy (Get, and Put on a miss) serves only the values it
// stored, and since the policy counts a hit only where it holds the value, the level's counts
// and the policy's agree (before 2026-12-04 the policy counted hits on keys a hand-over had
// brought in, which the level served as misses).
TEST(WTinyLfuSwitch, MemoryLevelCountsWhatThePolicyCounts) {
  for (size_t c : {size_t(100), size_t(300), size_t(800)}) {
    std::unique_ptr<MemoryLevel> level;
    ASSERT_TRUE(MemoryLevel::Create({"wtinylfu", c, 0, 0}, &level).ok());
    size_t wrong_values = 0;
    // At 800 entries, the duel's switches both ways (the side that takes over holds keys whose
    // values the level does not have).
    for (Key k : c == 800 ? HotScanThenLoop(c, 400 * c, 100 * c) : SwitchingTrace(c, 6)) {
      const std::string* v = level->Get(k);
      if (!v) level->Put(k, std::to_string(k));
      else wrong_values += *v != std::to_string(k);
    }
    EXPECT_EQ(wrong_values, 0u);
    EXPECT_GT(level->stats().hits, 0u);
    EXPECT_EQ(level->stats().hits, level->policy().stats().hits) << "capacity " << c;
    EXPECT_EQ(level->stats().misses, level->policy().stats().misses) << "capacity " << c;
  }
}

}  // namespace
}  // namespace memory::cache
