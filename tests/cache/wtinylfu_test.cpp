// W-TinyLFU's adaptive window (miniature simulation) on synthetic traces generated here: a
// recency sweep where only LRU-like behaviour pays, and a skewed trace where frequency
// admission pays.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "cache/cache.h"

namespace memory::cache {
namespace {

double HitPercent(const std::string& spec, size_t capacity, const std::vector<Key>& trace) {
  std::unique_ptr<Policy> p;
  Status s = NewPolicy(spec, capacity, &p);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!p) return -1;
  for (Key k : trace) p->Access(k);
  EXPECT_LE(p->size(), capacity);
  return 100.0 * double(p->stats().hits) / double(trace.size());
}

// 0, 1, ..., n, n-1, ..., 0, 1, ...: each sweep re-references the most recent keys first, so
// LRU keeps exactly what will be hit (LRU equals MIN here) and frequencies are all equal.
std::vector<Key> Zigzag(Key n, int sweeps) {
  std::vector<Key> t;
  for (int s = 0; s < sweeps; ++s)
    for (Key i = 0; i < n; ++i) t.push_back(s % 2 == 0 ? i : n - i);
  return t;
}

// Zipf(0.9) over 20,000 keys, every fourth access a one-off key of a long scan.
std::vector<Key> SkewedWithScans(size_t length) {
  const size_t n = 20000;
  std::vector<double> cdf(n);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) cdf[i] = sum += 1.0 / std::pow(double(i + 1), 0.9);
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, sum);
  std::vector<Key> t;
  Key scan = 1'000'000;
  for (size_t i = 0; i < length; ++i) {
    if (i % 4 == 3) t.push_back(scan++);
    else t.push_back(Key(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin()));
  }
  return t;
}

TEST(WTinyLfuAdaptive, FollowsLruOnARecencySweep) {
  // 100 sweeps: the cold start (where the shadows have no evidence yet) costs about one
  // turnaround, which this test does not measure.
  std::vector<Key> t = Zigzag(2000, 100);
  for (size_t c : {500, 1000, 1500}) {
    double lru = HitPercent("lru", c, t);
    EXPECT_GT(lru, 20.0);
    EXPECT_GE(HitPercent("wtinylfu", c, t), lru - 1.0) << "capacity " << c;
  }
  // The sweep is a real test: over the first 26 sweeps (the length of the LIRS zigzag trace)
  // a fixed 1 % window (frequency-admitted SLRU) loses clearly.
  std::vector<Key> short_run = Zigzag(2000, 26);
  EXPECT_LT(HitPercent("wtinylfu(adapt=none,window=0.01)", 1500, short_run),
            HitPercent("lru", 1500, short_run) - 5.0);
}

// Hits of `spec` at `capacity` over trace[from, end), after running trace[0, from) through it.
uint64_t HitsFrom(const std::string& spec, size_t capacity, const std::vector<Key>& trace, size_t from) {
  std::unique_ptr<Policy> p;
  EXPECT_TRUE(NewPolicy(spec, capacity, &p).ok());
  if (!p) return 0;
  for (size_t i = 0; i < from; ++i) p->Access(trace[i]);
  uint64_t before = p->stats().hits;
  for (size_t i = from; i < trace.size(); ++i) p->Access(trace[i]);
  return p->stats().hits - before;
}

TEST(WTinyLfuAdaptive, BecomesExactlyLruWhereItsShadowsAreExact) {
  // At 500 entries the shadows see every key and the cache copies the leader. On a sweep LRU
  // (= MIN here) hits 499 keys per turn, ARC 498.5 on average; the most recency-biased shadow
  // must be plain LRU, not a 99 % window whose 5-key main goes stale (497 per turn: the cache
  // ended below ARC on the LIRS zigzag at 500 entries).
  std::vector<Key> t = Zigzag(2000, 40);
  const size_t half = t.size() / 2;
  EXPECT_EQ(HitsFrom("wtinylfu", 500, t, half), HitsFrom("lru", 500, t, half));
  std::vector<Key> lirs_length = Zigzag(2000, 26);
  EXPECT_GE(HitPercent("wtinylfu", 500, lirs_length), HitPercent("arc", 500, lirs_length));
}

TEST(WTinyLfuAdaptive, ColdStartOnShortSweepsCostsLittle) {
  // Six sweeps: the shadows have evidence only once they are full, so here the cost of the first
  // configuration and of the switch away from it is most of the gap to LRU (which equals MIN).
  // At 100 and 200 entries the shadows see every key; the cache starts as ARC and takes the
  // chosen shadow's contents at a switch. The keys the LRU-like leader holds and the cache does
  // not are exactly those the next sweep hits, and the cache has no values for them, so the
  // switch cannot win back the cold start: the cache stays where ARC is (ARC 16.46 / 33.17 %,
  // LRU 20.62 / 41.46 %, W-TinyLFU 16.50 / 33.08 %; the 20.00 / 40.67 % measured before
  // 2026-12-04 counted hits on those keys).
  std::vector<Key> t = Zigzag(400, 6);
  for (size_t c : {100, 200}) {
    double w = HitPercent("wtinylfu", c, t);
    EXPECT_GT(w, HitPercent("arc", c, t) - 0.5) << "capacity " << c;
    EXPECT_GT(w, HitPercent("lru", c, t) - 9.0) << "capacity " << c;
  }
  // At 1500 entries the shadows are sampled (sim_size 500); a window grown by a switch fills in
  // LRU order of the whole cache (before: 7.7 points below LRU over six sweeps, 1.8 over 26).
  std::vector<Key> big = Zigzag(2000, 6);
  EXPECT_GT(HitPercent("wtinylfu", 1500, big), HitPercent("lru", 1500, big) - 5.0);
  std::vector<Key> lirs_length = Zigzag(2000, 26);
  EXPECT_GT(HitPercent("wtinylfu", 1500, lirs_length), HitPercent("lru", 1500, lirs_length) - 1.0);
}

TEST(WTinyLfuAdaptive, BeatsLruOnSkewedAccessesWithScans) {
  std::vector<Key> t = SkewedWithScans(200000);
  for (size_t c : {200, 1000, 3000}) {
    double lru = HitPercent("lru", c, t);
    double w = HitPercent("wtinylfu", c, t);
    EXPECT_GT(w, lru + 5.0) << "capacity " << c << ": lru " << lru << ", wtinylfu " << w;
  }
}

TEST(WTinyLfuAdaptive, SampledShadowsStillAdapt) {
  // Capacity above sim_size: the shadows see a hash-sampled 1/4 of the keys.
  std::vector<Key> t = Zigzag(8000, 100);
  double lru = HitPercent("lru", 6000, t);
  EXPECT_GE(HitPercent("wtinylfu(sim_size=1500)", 6000, t), lru - 1.0);
}

// Hit ratio (%) of `spec` at `capacity` over `second` only, after it has seen `first`.
double SecondPhasePercent(const std::string& spec, size_t capacity, const std::vector<Key>& first,
                          const std::vector<Key>& second) {
  std::unique_ptr<Policy> p;
  Status s = NewPolicy(spec, capacity, &p);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!p) return -1;
  for (Key k : first) p->Access(k);
  uint64_t before = p->stats().hits;
  for (Key k : second) p->Access(k);
  return 100.0 * double(p->stats().hits - before) / double(second.size());
}

TEST(WTinyLfuAdaptive, FollowsAPhaseChangeFromFrequencyToRecency) {
  // A long phase where frequency admission pays (Zipf with scans: a small window wins), then a
  // zigzag over new keys where only recency pays (LRU 71.2 % over the second phase). With
  // long-run scores alone the cache stayed on small windows for a third of the second phase
  // (61.4 %); the short-horizon scores detect the change of regime (66.9 %; the second sweep,
  // 3,000 hits or 3.7 points, is lost before any detection can see the new phase).
  std::vector<Key> first = SkewedWithScans(100000);
  std::vector<Key> second = Zigzag(4000, 20);
  for (Key& k : second) k += 5'000'000;
  double lru = SecondPhasePercent("lru", 3000, first, second);
  EXPECT_GT(lru, 65.0);
  EXPECT_GE(SecondPhasePercent("wtinylfu", 3000, first, second), lru - 5.0);
  // Without the restarts (a lead or fall of 100 % never happens here) it is slow to follow
  // (measured without the ARC shadow that 3,000 entries have since 2026-12-06 and without the
  // duel with ARC, either of which would otherwise take over: the restarts are what this test is
  // about).
  EXPECT_LT(SecondPhasePercent("wtinylfu(sim_fast_lead=1,sim_reset=1,sim_arc_sampled=0.125,sim_duel=0)",
                               3000, first, second),
            lru - 8.0);
}

TEST(WTinyLfuAdaptive, FollowsAPhaseChangeFromRecencyToFrequency) {
  // The reverse: a zigzag gives its keys high sketch counts and the cache a large window; then
  // Zipf with scans over new keys, where a small window with frequency admission pays (ARC
  // 47.4 % over the second phase, W-TinyLFU from cold 49.2 %). Without the reset the stale
  // counts and long-run scores kept the cache LRU-like (42.2 %, LRU 41.9 %); clearing the sketch
  // and the scores when the hit ratio falls gives 46.1 %.
  std::vector<Key> first = Zigzag(4000, 20);
  for (Key& k : first) k += 5'000'000;
  std::vector<Key> second = SkewedWithScans(100000);
  double lru = SecondPhasePercent("lru", 3000, first, second);
  EXPECT_GT(lru, 35.0);
  EXPECT_LT(SecondPhasePercent("wtinylfu(sim_reset=1,sim_arc_sampled=0.125,sim_duel=0)", 3000, first, second),
            lru + 1.0);
  EXPECT_GT(SecondPhasePercent("wtinylfu", 3000, first, second), lru + 3.0);
}

// Phases of Zipf(1.0) over 20,000 keys; each phase reshuffles which keys are popular and moves
// the key range by 5,000 (the "shift" trace of bench/cache/synthetic_rows.sh).
std::vector<Key> ShiftingPopularity(int phases, size_t per_phase) {
  const size_t n = 20000;
  std::vector<double> cdf(n);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) cdf[i] = sum += 1.0 / double(i + 1);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, sum);
  std::vector<Key> order(n), t;
  for (int ph = 0; ph < phases; ++ph) {
    for (size_t i = 0; i < n; ++i) order[i] = Key(i) + Key(ph) * 5000;
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t i = 0; i < per_phase; ++i)
      t.push_back(order[std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin()]);
  }
  return t;
}

TEST(WTinyLfuAdaptive, KeepsUpWithArcWhenPopularityShifts) {
  // ARC follows each new phase at once; the sketch's stale counts hold W-TinyLFU back. At 2,000
  // entries the shadows see a quarter of the keys and an ARC shadow is scored beside them, so the
  // cache runs as ARC where that leads. With an ARC shadow only from an eighth of the keys (the
  // default before 2026-12-06) and no duel it stayed ~1.3 points below ARC here. Without the ARC
  // shadow, the duel with an exact ARC (sim_duel) keeps up too.
  std::vector<Key> t = ShiftingPopularity(8, 50000);
  double arc = HitPercent("arc", 2000, t);
  EXPECT_GE(HitPercent("wtinylfu", 2000, t), arc - 0.3);
  EXPECT_LT(HitPercent("wtinylfu(sim_arc_sampled=0.125,sim_duel=0)", 2000, t), arc - 0.6);
  EXPECT_GE(HitPercent("wtinylfu(sim_arc_sampled=0.125)", 2000, t), arc - 0.3);
  // The same at 1,980 entries, the main of a prefetching cache of 2,000 (with a quarter, the
  // default before 2026-12-07, the ARC shadow started at exactly 2,000).
  double arc_1980 = HitPercent("arc", 1980, t);
  EXPECT_GE(HitPercent("wtinylfu", 1980, t), arc_1980 - 0.3);
  EXPECT_LT(HitPercent("wtinylfu(sim_arc_sampled=0.25,sim_duel=0)", 1980, t), arc_1980 - 0.6);
}

TEST(WTinyLfuReadmit, ARejectedCandidateThatReturnsIsAdmitted) {
  for (bool readmit : {false, true}) {
    std::unique_ptr<Policy> p;
    ASSERT_TRUE(NewPolicy(std::string("wtinylfu(adapt=none,window=0.1,readmit=") +
                              (readmit ? "1)" : "0)"),
                          10, &p)
                    .ok());
    for (int r = 0; r < 5; ++r)
      for (Key k = 1; k <= 9; ++k) p->Access(k);  // a main area of frequent keys
    p->Access(100);
    p->Access(101);  // 100 leaves the window and loses against a frequent victim
    EXPECT_FALSE(p->Contains(100));
    p->Access(100);  // comes back (still less frequent than any main key)
    p->Access(102);  // and leaves the window again
    EXPECT_EQ(p->Contains(100), readmit) << "readmit=" << readmit;
    EXPECT_LE(p->size(), 10u);
  }
}

TEST(WTinyLfuAdaptive, ResizeRebuildsTheShadows) {
  std::unique_ptr<Policy> p;
  ASSERT_TRUE(NewPolicy("wtinylfu", 2000, &p).ok());
  std::vector<Key> t = Zigzag(2000, 6);
  for (Key k : t) p->Access(k);
  std::vector<Key> out;
  ASSERT_TRUE(p->SetCapacity(300, &out).ok());
  EXPECT_LE(p->size(), 300u);
  uint64_t before = p->stats().hits;
  for (Key k : Zigzag(400, 40)) p->Access(k);
  EXPECT_LE(p->size(), 300u);
  // LRU on this sweep hits 300 of every 400 after the first; the adapted window gets most.
  EXPECT_GT(double(p->stats().hits - before), 0.6 * 300.0 / 400.0 * 400 * 39);
}

// Zipf(1.0) over ranks of 3,000 keys whose hot end slides: every `shift` accesses the key of
// each rank moves up by one, so recent frequency counts while old counts mislead.
std::vector<Key> SlidingZipf(size_t length, size_t shift) {
  const size_t n = 3000;
  std::vector<double> cdf(n);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) cdf[i] = sum += 1.0 / double(i + 1);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, sum);
  std::vector<Key> t;
  for (size_t i = 0; i < length; ++i)
    t.push_back(Key(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin()) + i / shift);
  return t;
}

TEST(WTinyLfuPolicySelection, ReachesArcWhereArcBeatsEveryFixedConfiguration) {
  // ARC 67.06 %; the best of 28 fixed W-TinyLFU configurations 66.68 %; W-TinyLFU choosing
  // among them by simulation 64.59 %; with the ARC shadow 67.05 %.
  std::vector<Key> t = SlidingZipf(40000, 30);
  const size_t c = 400;  // at most sim_size: the shadows see every key and hand over contents
  double arc = HitPercent("arc", c, t);
  for (const char* w : {"0.01", "0.05", "0.2", "0.4", "0.6", "0.8", "0.99"})
    for (const char* r : {"0", "1"})
      for (const char* pr : {"0.5", "0.8"}) {
        std::string spec = std::string("wtinylfu(adapt=none,window=") + w + ",readmit=" + r +
                           ",protected=" + pr + ")";
        EXPECT_LT(HitPercent(spec, c, t), arc - 0.2) << spec;
      }
  EXPECT_LT(HitPercent("wtinylfu(sim_arc=0)", c, t), arc - 1.0);
  EXPECT_GE(HitPercent("wtinylfu", c, t), arc - 0.1);
}

TEST(WTinyLfuPolicySelection, LeavesArcWhereWTinyLfuPays) {
  // The cache starts as ARC; on a loop longer than the cache ARC (like LRU) never hits, while
  // frequency admission keeps a fixed part of the loop, so the cache must hand over to a
  // W-TinyLFU configuration early. The hand-over brings in keys whose values the cache does not
  // hold (ARC held other keys of the loop): up to one cache's worth of misses more than
  // sim_arc=0, which starts as W-TinyLFU (200 entries: 30.21 vs 31.19 %).
  std::vector<Key> t;
  for (int r = 0; r < 30; ++r)
    for (Key k = 0; k < 600; ++k) t.push_back(k);
  for (size_t c : {200, 500}) {
    double w = HitPercent("wtinylfu", c, t);
    double hand_over = 100.0 * double(c) / double(t.size());
    EXPECT_LT(HitPercent("arc", c, t), 1.0);
    EXPECT_GE(w, HitPercent("wtinylfu(sim_arc=0)", c, t) - 0.5 - hand_over) << "capacity " << c;
    EXPECT_GT(w, 0.8 * 100.0 * double(c) / 600.0) << "capacity " << c;
  }
}

TEST(WTinyLfuPolicySelection, OnlyUnsampledShadowsIncludeArc) {
  // Above sim_size the shadows are sampled and ARC is not scored: identical behaviour. (Where
  // an ARC shadow would see half of the keys, as here, the cache duels with an exact ARC instead
  // by default: sim_duel, wtinylfu_switch_test.cpp.)
  std::vector<Key> t = SlidingZipf(40000, 30);
  EXPECT_EQ(HitPercent("wtinylfu(sim_size=200,sim_duel=0)", 400, t),
            HitPercent("wtinylfu(sim_size=200,sim_arc=0)", 400, t));
  EXPECT_NE(HitPercent("wtinylfu", 400, t), HitPercent("wtinylfu(sim_arc=0)", 400, t));
}

TEST(WTinyLfuPolicySelection, ResizeKeepsTheContentsInAndOutOfArc) {
  // Stays unsampled (ARC) / becomes sampled with a duel against ARC / sampled with an ARC shadow.
  for (size_t grown : {size_t(450), size_t(1000), size_t(2000)}) {
    std::unique_ptr<Policy> p;
    ASSERT_TRUE(NewPolicy("wtinylfu", 300, &p).ok());
    std::vector<Key> t = SlidingZipf(20000, 30);
    for (Key k : t) p->Access(k);
    std::vector<Key> resident;
    for (Key k = 0; k < 3000 + 20000 / 30; ++k)
      if (p->Contains(k)) resident.push_back(k);
    EXPECT_EQ(resident.size(), p->size());
    std::vector<Key> out;
    ASSERT_TRUE(p->SetCapacity(grown, &out).ok());
    EXPECT_TRUE(out.empty());
    for (Key k : resident) EXPECT_TRUE(p->Contains(k)) << "grown to " << grown << ": key " << k;
    for (Key k : SlidingZipf(20000, 30)) p->Access(k + 10'000);
    EXPECT_LE(p->size(), grown);
    EXPECT_GT(p->stats().hit_ratio(), 0.5);
    // Shrinking reports each key it pushes out, and only those leave.
    size_t before = p->size();
    ASSERT_TRUE(p->SetCapacity(100, &out).ok());
    EXPECT_EQ(p->size(), 100u);
    EXPECT_EQ(out.size(), before - 100);
    for (Key k : out) EXPECT_FALSE(p->Contains(k));
  }
}

}  // namespace
}  // namespace memory::cache
