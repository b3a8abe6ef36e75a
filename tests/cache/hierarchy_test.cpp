// The L1/L2/L3 hierarchy: lookups walk down and promote, writes go through, L3 persists in
// RocksDB across reopen, auto-sizing follows the hit-ratio curve.
#include <gtest/gtest.h>

#include <filesystem>

#include "cache/hierarchy.h"

namespace memory::cache {
namespace {

namespace fs = std::filesystem;

class HierarchyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cache_hierarchy_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  HierarchyOptions Small() {
    HierarchyOptions o;
    o.l1 = {"lru", 4, 0, 0};
    o.l2 = {"lru", 16, 0, 0};
    o.l3_path = (dir_ / "l3").string();
    return o;
  }
  fs::path dir_;
};

TEST_F(HierarchyTest, MissWalksDownAndPromotes) {
  std::unique_ptr<Hierarchy> h;
  Status s = Hierarchy::Open(Small(), &h);
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (Key k = 0; k < 40; ++k) ASSERT_TRUE(h->Put(k, "v" + std::to_string(k)).ok());
  std::string v;
  // Key 39 is in L1; key 30 only in L2 (L1 holds 36..39); key 0 only in L3.
  ASSERT_TRUE(h->Get(39, &v).ok());
  EXPECT_EQ(v, "v39");
  ASSERT_TRUE(h->Get(30, &v).ok());
  EXPECT_EQ(v, "v30");
  ASSERT_TRUE(h->Get(0, &v).ok());
  EXPECT_EQ(v, "v0");
  auto r = h->Report();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].stats.hits, 1u);
  EXPECT_EQ(r[0].stats.misses, 2u);
  EXPECT_EQ(r[1].stats.hits, 1u);
  EXPECT_EQ(r[1].stats.misses, 1u);
  EXPECT_EQ(r[2].stats.hits, 1u);
  // Both were promoted into L1: they now hit there.
  ASSERT_TRUE(h->Get(30, &v).ok());
  ASSERT_TRUE(h->Get(0, &v).ok());
  EXPECT_EQ(h->Report()[0].stats.hits, 3u);
  EXPECT_LE(h->Report()[0].size, 4u);
  EXPECT_TRUE(h->Get(1000, &v).IsNotFound());
}

TEST_F(HierarchyTest, L3SurvivesReopenAndEraseReachesEveryLevel) {
  {
    std::unique_ptr<Hierarchy> h;
    ASSERT_TRUE(Hierarchy::Open(Small(), &h).ok());
    ASSERT_TRUE(h->Put(KeyOfString("ctx:git"), "prediction-a").ok());
    ASSERT_TRUE(h->Put(7, "seven").ok());
    ASSERT_TRUE(h->Erase(7).ok());
    std::string v;
    EXPECT_TRUE(h->Get(7, &v).IsNotFound());
    // A second open of the same L3 while this one holds it is refused, not a crash.
    std::unique_ptr<Hierarchy> other;
    Status s = Hierarchy::Open(Small(), &other);
    EXPECT_FALSE(s.ok());
  }
  std::unique_ptr<Hierarchy> h;
  ASSERT_TRUE(Hierarchy::Open(Small(), &h).ok());
  std::string v;
  ASSERT_TRUE(h->Get(KeyOfString("ctx:git"), &v).ok());
  EXPECT_EQ(v, "prediction-a");
  EXPECT_EQ(h->Report()[2].stats.hits, 1u);
  EXPECT_TRUE(h->Get(7, &v).IsNotFound());
}

TEST_F(HierarchyTest, RejectsBadLevels) {
  std::unique_ptr<Hierarchy> h;
  HierarchyOptions o = Small();
  o.l1.policy = "min";
  EXPECT_TRUE(Hierarchy::Open(o, &h).IsInvalidArgument());
  o = Small();
  o.l2.capacity = 0;
  EXPECT_TRUE(Hierarchy::Open(o, &h).IsInvalidArgument());
  o = Small();
  o.l1 = {"lru", 100, 200, 50};
  EXPECT_TRUE(Hierarchy::Open(o, &h).IsInvalidArgument());
  o = Small();
  o.l3_path = "/proc/no-such-dir/l3";
  EXPECT_FALSE(Hierarchy::Open(o, &h).ok());
}

TEST_F(HierarchyTest, AdmissionRefusalStoresNoValue) {
  std::unique_ptr<MemoryLevel> l;
  ASSERT_TRUE(MemoryLevel::Create({"wtinylfu", 50, 0, 0}, &l).ok());
  for (int r = 0; r < 20; ++r)
    for (Key k = 0; k < 50; ++k) {
      if (!l->Get(k)) l->Put(k, "hot");
    }
  for (Key k = 1000; k < 3000; ++k) l->Put(k, "cold");  // a scan of one-hit keys
  size_t hot = 0;
  for (Key k = 0; k < 50; ++k) hot += l->Get(k) != nullptr;
  EXPECT_GT(hot, 30u);  // most frequent keys survived the scan (LRU keeps none, below)
  EXPECT_LE(l->size(), 50u);
  ASSERT_TRUE(MemoryLevel::Create({"lru", 50, 0, 0}, &l).ok());
  for (Key k = 0; k < 50; ++k) l->Put(k, "hot");
  for (Key k = 1000; k < 3000; ++k) l->Put(k, "cold");
  hot = 0;
  for (Key k = 0; k < 50; ++k) hot += l->Get(k) != nullptr;
  EXPECT_EQ(hot, 0u);
}

TEST(HitRatioCurve, FindsTheWorkingSet) {
  HitRatioCurve c({16, 32, 64, 128, 256}, 0);
  for (int r = 0; r < 50; ++r)
    for (Key k = 0; k < 60; ++k) c.Record(k);  // working set of 60 keys
  auto pts = c.Points();
  ASSERT_EQ(pts.size(), 5u);
  EXPECT_DOUBLE_EQ(pts[0].second, 0.0);   // LRU below the loop size never hits
  EXPECT_GT(pts[2].second, 0.95);         // 64 holds it
  EXPECT_EQ(c.Recommend(0.01), 64u);
}

TEST(MemoryLevelAutoSize, ShrinksToTheWorkingSetAndGrowsBack) {
  std::unique_ptr<MemoryLevel> l;
  ASSERT_TRUE(MemoryLevel::Create({"lru", 1024, 64, 4096}, &l).ok());
  auto run = [&](Key n, int rounds) {
    for (int r = 0; r < rounds; ++r)
      for (Key k = 0; k < n; ++k)
        if (!l->Get(k)) l->Put(k, "x");
  };
  run(100, 50);
  EXPECT_EQ(l->AutoSize(0.01), 128u);  // 100 keys fit in 128
  EXPECT_LE(l->size(), 128u);
  ASSERT_TRUE(MemoryLevel::Create({"lru", 64, 64, 4096}, &l).ok());
  run(1500, 20);
  EXPECT_EQ(l->AutoSize(0.01), 2048u);  // grows to hold 1,500 keys
}

}  // namespace
}  // namespace memory::cache

namespace memory::cache {
namespace {

TEST(HierarchyStats, SavedAcrossRunsAndReadableWhileOpen) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("cache_hierarchy_stats_" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  HierarchyOptions o;
  o.l1 = {"lru", 4, 0, 0};
  o.l2 = {"lru", 8, 0, 0};
  o.l3_path = dir + "/l3";
  std::vector<Hierarchy::LevelReport> saved;
  EXPECT_TRUE(Hierarchy::ReadSavedStats(o.l3_path, &saved).IsNotFound());
  std::string v;
  for (int run = 0; run < 2; ++run) {
    std::unique_ptr<Hierarchy> h;
    ASSERT_TRUE(Hierarchy::Open(o, &h).ok());
    ASSERT_TRUE(h->Put(1, "one").ok());
    ASSERT_TRUE(h->Get(1, &v).ok());          // L1 hit
    EXPECT_TRUE(h->Get(2, &v).IsNotFound());  // misses everywhere
    if (run == 1) {
      ASSERT_TRUE(h->SaveStats().ok());
      // Another process (here: a read-only open) sees the totals while h holds the cache.
      ASSERT_TRUE(Hierarchy::ReadSavedStats(o.l3_path, &saved).ok());
      ASSERT_EQ(saved.size(), 3u);
      EXPECT_EQ(saved[0].name, "L1");
      EXPECT_EQ(saved[0].stats.hits, 2u);
      EXPECT_EQ(saved[0].stats.misses, 2u);
      EXPECT_EQ(saved[2].name, "L3");
      EXPECT_EQ(saved[2].stats.misses, 2u);
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace memory::cache
