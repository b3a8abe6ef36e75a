// Replacement policies on small hand-made sequences: factory, textbook results, invariants.
#include <gtest/gtest.h>

#include <random>

#include "cache/cache.h"

namespace memory::cache {
namespace {

std::unique_ptr<Policy> Make(const std::string& spec, size_t capacity) {
  std::unique_ptr<Policy> p;
  Status s = NewPolicy(spec, capacity, &p);
  EXPECT_TRUE(s.ok()) << spec << ": " << s.ToString();
  return p;
}

uint64_t Hits(const std::string& spec, size_t capacity, const std::vector<Key>& trace) {
  auto p = Make(spec, capacity);
  EXPECT_TRUE(p->Prepare(trace).ok());
  for (Key k : trace) p->Access(k);
  EXPECT_LE(p->size(), capacity);
  EXPECT_EQ(p->stats().requests(), trace.size());
  return p->stats().hits;
}

TEST(PolicyFactory, RoundTripsEveryPolicy) {
  for (const std::string spec :
       {"lru", "arc", "min", "min(bypass=0)", "wtinylfu", "wtinylfu(window=0.2,adapt=climb)",
        "wtinylfu(doorkeeper=1,adapt=none,protected=0.5,sample=4)", "wtinylfu(adapt=ghost)", "wtinylfu(readmit=1,adapt=none)",
        "wtinylfu(adapt=sim,sim_size=64,sim_period=2,sim_decay=0.5,sim_margin=0.1)",
        "wtinylfu(sim_fast_decay=0.5,sim_fast_lead=0.1,sim_reset=0.3)", "wtinylfu(sim_arc=0)",
        "wtinylfu(sim_arc_sampled=0.125,sim_arc_margin=0.01)", "wtinylfu(sim_duel=0)",
        "wtinylfu(sim_duel_margin=0.05)"}) {
    auto p = Make(spec, 100);
    ASSERT_TRUE(p);
    std::string name = p->Name();
    std::unique_ptr<Policy> again;
    ASSERT_TRUE(NewPolicy(name, 100, &again).ok()) << name;
    EXPECT_EQ(again->Name(), name);
    EXPECT_EQ(again->capacity(), 100u);
  }
  EXPECT_EQ(Make("wtinylfu(window=0.2, adapt=climb)", 10)->Name(),
            "wtinylfu(window=0.2,protected=0.8,doorkeeper=0,readmit=0,adapt=climb,sample=10,"
            "climb_sample=10,sim_size=500,sim_period=1,sim_decay=0.99,sim_margin=0.005,"
            "sim_fast_decay=0.8,sim_fast_lead=0.08,sim_reset=0.12,sim_arc=1,sim_arc_sampled=0.26,"
            "sim_arc_margin=0.02,sim_arc_evidence=6,sim_duel=1,sim_duel_margin=0.002)");
}

TEST(PolicyFactory, RejectsBadSpecs) {
  std::unique_ptr<Policy> p;
  for (const std::string bad :
       {"", "lfu", "lru(x=1)", "wtinylfu(window=2)", "wtinylfu(window=abc)", "wtinylfu(window",
        "wtinylfu(adapt=fast)", "wtinylfu(foo)", "min(bypass=maybe)", "wtinylfu(sample=0)",
        "wtinylfu(sim_size=0)", "wtinylfu(sim_decay=1)", "wtinylfu(sim_fast_decay=1)",
        "wtinylfu(sim_fast_lead=0)", "wtinylfu(sim_fast_lead=x)", "wtinylfu(sim_reset=2)",
        "wtinylfu(sim_period=x)",
        "wtinylfu(sim_margin=-1)", "wtinylfu(readmit=2)", "wtinylfu(sim_arc=2)",
        "wtinylfu(sim_arc_sampled=-0.1)", "wtinylfu(sim_arc_margin=2)", "wtinylfu(sim_arc_evidence=-1)", "wtinylfu(sim_duel=2)",
        "wtinylfu(sim_duel_margin=1.5)", "wtinylfu(window=0.1,window=0.2)"}) {
    Status s = NewPolicy(bad, 10, &p);
    EXPECT_TRUE(s.IsInvalidArgument()) << "'" << bad << "' gave " << s.ToString();
    EXPECT_FALSE(p);
  }
  Status s = NewPolicy("lfu", 10, &p);
  EXPECT_NE(s.message().find("lfu"), std::string::npos);
  EXPECT_TRUE(NewPolicy("lru", 0, &p).IsInvalidArgument());
  EXPECT_TRUE(NewPolicy("wtinylfu", kMaxCapacity + 1, &p).IsInvalidArgument());
  // The largest capacity is accepted without allocating for it up front.
  ASSERT_TRUE(NewPolicy("wtinylfu", kMaxCapacity, &p).ok());
  EXPECT_FALSE(p->Access(1).hit);
  EXPECT_TRUE(p->Access(1).hit);
}

TEST(Policies, TextbookReferenceString) {
  // Silberschatz's reference string with 3 frames: LRU 12 faults, OPT 9 (8 with bypass).
  std::vector<Key> ref = {7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1};
  EXPECT_EQ(ref.size() - Hits("lru", 3, ref), 12u);
  EXPECT_EQ(ref.size() - Hits("min(bypass=0)", 3, ref), 9u);
  EXPECT_EQ(ref.size() - Hits("min", 3, ref), 8u);
}

TEST(Policies, EverythingFitsAllHit) {
  std::vector<Key> t;
  for (int r = 0; r < 10; ++r)
    for (Key k = 1; k <= 3; ++k) t.push_back(k);
  for (const std::string spec : {"lru", "arc", "min", "wtinylfu", "wtinylfu(adapt=climb)"})
    EXPECT_EQ(Hits(spec, 3, t), 27u) << spec;
}

TEST(Policies, LoopOneLargerThanCache) {
  std::vector<Key> loop;
  for (int r = 0; r < 20; ++r)
    for (Key k = 0; k < 5; ++k) loop.push_back(k);
  EXPECT_EQ(Hits("lru", 4, loop), 0u);
  EXPECT_EQ(Hits("arc", 4, loop), 0u);
  EXPECT_GT(Hits("min", 4, loop), 50u);
  EXPECT_GT(Hits("wtinylfu", 4, loop), 0u);  // frequency admission keeps part of the loop
}

TEST(Policies, ArcAndTinyLfuResistScans) {
  std::vector<Key> seq;
  for (int r = 0; r < 2; ++r)
    for (Key k = 0; k < 10; ++k) seq.push_back(k);
  for (Key k = 1000; k < 1100; ++k) seq.push_back(k);
  for (Key k = 0; k < 10; ++k) seq.push_back(k);
  EXPECT_EQ(Hits("lru", 20, seq), 10u);
  EXPECT_GE(Hits("arc", 20, seq), 20u);
  EXPECT_GE(Hits("wtinylfu", 20, seq), 20u);
}

TEST(Policies, MinBoundsTheOthersOnSkewedData) {
  std::mt19937_64 rng(7);
  std::vector<Key> data;
  for (int i = 0; i < 20000; ++i) {
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    data.push_back(static_cast<Key>(std::pow(1.0 - u, -1.0 / 1.2)));  // Pareto(1.2)
  }
  for (size_t c : {5, 20, 80}) {
    uint64_t m = Hits("min", c, data);
    for (const std::string spec : {"lru", "arc", "wtinylfu", "wtinylfu(adapt=climb)"})
      EXPECT_GE(m, Hits(spec, c, data)) << spec << " at " << c;
  }
}

TEST(Policies, ReportsVictimsAndCountsEvictions) {
  auto p = Make("lru", 2);
  EXPECT_FALSE(p->Access(1).hit);
  EXPECT_FALSE(p->Access(2).evicted);
  EXPECT_TRUE(p->Access(1).hit);
  AccessResult r = p->Access(3);  // 2 is the least recently used
  EXPECT_TRUE(r.evicted);
  EXPECT_EQ(r.victim, 2u);
  EXPECT_TRUE(p->Contains(1));
  EXPECT_FALSE(p->Contains(2));
  EXPECT_EQ(p->stats().evictions, 1u);
  EXPECT_EQ(p->stats().hits, 1u);
  EXPECT_EQ(p->stats().misses, 3u);
}

TEST(Policies, RemoveAndResize) {
  for (const std::string spec : {"lru", "arc", "wtinylfu"}) {
    auto p = Make(spec, 50);
    for (Key k = 0; k < 200; ++k) p->Access(k % 60);
    ASSERT_LE(p->size(), 50u) << spec;
    Key resident = 0;
    while (!p->Contains(resident)) ++resident;
    EXPECT_TRUE(p->Remove(resident)) << spec;
    EXPECT_FALSE(p->Contains(resident));
    EXPECT_FALSE(p->Remove(resident));
    std::vector<Key> out;
    ASSERT_TRUE(p->SetCapacity(10, &out).ok()) << spec;
    EXPECT_LE(p->size(), 10u) << spec;
    EXPECT_GE(out.size(), p->size() > 0 ? 30u : 0u) << spec;
    for (Key k : out) EXPECT_FALSE(p->Contains(k)) << spec;
    ASSERT_TRUE(p->SetCapacity(100, nullptr).ok());
    for (Key k = 1000; k < 1100; ++k) p->Access(k);
    EXPECT_LE(p->size(), 100u);
    EXPECT_GT(p->size(), 50u) << spec;  // grew past the old limit
    EXPECT_TRUE(p->SetCapacity(0, nullptr).IsInvalidArgument());
  }
  auto m = Make("min", 5);
  EXPECT_FALSE(m->SetCapacity(3, nullptr).ok());
}

TEST(Policies, CapacityOneWorks) {
  for (const std::string spec : {"lru", "arc", "wtinylfu", "wtinylfu(adapt=climb)", "min"}) {
    std::vector<Key> t = {1, 1, 2, 2, 1, 3, 3, 3};
    EXPECT_EQ(Hits(spec, 1, t), 4u) << spec;
  }
}

TEST(KeyOfString, StableAndDistinct) {
  EXPECT_EQ(KeyOfString("git status"), KeyOfString("git status"));
  EXPECT_NE(KeyOfString("git status"), KeyOfString("git status "));
  EXPECT_NE(KeyOfString(""), KeyOfString("a"));
}

}  // namespace
}  // namespace memory::cache
