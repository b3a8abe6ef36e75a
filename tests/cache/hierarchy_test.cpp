// The L1/L2/L3 hierarchy: lookups walk down and promote, writes go through, L3 persists in
// RocksDB across reopen, auto-sizing follows the hit-ratio curve.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>

#include <filesystem>
#include <fstream>

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
    EXPECT_EQ(h->l3_mode(), Hierarchy::L3Mode::kReadWrite);
    ASSERT_TRUE(h->Erase(7).ok());
    std::string v;
    EXPECT_TRUE(h->Get(7, &v).IsNotFound());
  }
  std::unique_ptr<Hierarchy> h;
  ASSERT_TRUE(Hierarchy::Open(Small(), &h).ok());
  EXPECT_EQ(h->l3_mode(), Hierarchy::L3Mode::kNotOpenYet);  // opened lazily
  std::string v;
  ASSERT_TRUE(h->Get(KeyOfString("ctx:git"), &v).ok());
  EXPECT_EQ(v, "prediction-a");
  EXPECT_EQ(h->l3_mode(), Hierarchy::L3Mode::kReadOnly);  // a read opens read-only
  EXPECT_EQ(h->Report()[2].stats.hits, 1u);
  EXPECT_TRUE(h->Get(7, &v).IsNotFound());
}

TEST_F(HierarchyTest, SecondProcessReadsWhileTheFirstWritesAndNeverFails) {
  std::unique_ptr<Hierarchy> writer;
  ASSERT_TRUE(Hierarchy::Open(Small(), &writer).ok());
  ASSERT_TRUE(writer->Put(1, "one").ok());
  ASSERT_EQ(writer->l3_mode(), Hierarchy::L3Mode::kReadWrite);
  // Another holder of the same directory (RocksDB locks per process and per open).
  std::unique_ptr<Hierarchy> other;
  ASSERT_TRUE(Hierarchy::Open(Small(), &other).ok());
  std::string v;
  ASSERT_TRUE(other->Get(1, &v).ok());  // read-only open sees the writer's committed data
  EXPECT_EQ(v, "one");
  ASSERT_TRUE(other->Put(2, "two").ok());  // cannot reach L3, still cached above it
  EXPECT_EQ(other->l3_mode(), Hierarchy::L3Mode::kReadOnly);
  EXPECT_NE(other->l3_error().find("another process"), std::string::npos) << other->l3_error();
  ASSERT_TRUE(other->Get(2, &v).ok());
  EXPECT_EQ(v, "two");
  EXPECT_TRUE(other->Erase(1).IsBusy());  // still in an L3 it cannot write
  EXPECT_TRUE(other->Erase(3).ok());      // not there: nothing to delete
  EXPECT_TRUE(writer->Get(2, &v).IsNotFound());
  // An idle long-lived writer lets go of L3: the other one can write it now.
  writer->CloseL3();
  std::unique_ptr<Hierarchy> third;
  ASSERT_TRUE(Hierarchy::Open(Small(), &third).ok());
  ASSERT_TRUE(third->Put(4, "four").ok());
  EXPECT_EQ(third->l3_mode(), Hierarchy::L3Mode::kReadWrite) << third->l3_error();
  third.reset();
  ASSERT_TRUE(writer->Get(4, &v).ok());  // reopened on demand, sees the new value
  EXPECT_EQ(v, "four");
  ASSERT_TRUE(writer->Put(5, "five").ok());
  EXPECT_EQ(writer->l3_mode(), Hierarchy::L3Mode::kReadWrite);
}

TEST_F(HierarchyTest, UsesDoNotSeeEachOthersKeys) {
  HierarchyOptions a = Small(), b = Small();
  a.name = "search";
  b.name = "predict";
  {
    std::unique_ptr<Hierarchy> h;
    ASSERT_TRUE(Hierarchy::Open(a, &h).ok());
    ASSERT_TRUE(h->Put(42, "search result").ok());
  }
  std::unique_ptr<Hierarchy> h;
  ASSERT_TRUE(Hierarchy::Open(b, &h).ok());
  std::string v;
  EXPECT_TRUE(h->Get(42, &v).IsNotFound());
  ASSERT_TRUE(h->Put(42, "prediction").ok());
  h.reset();
  ASSERT_TRUE(Hierarchy::Open(a, &h).ok());
  ASSERT_TRUE(h->Get(42, &v).ok());
  EXPECT_EQ(v, "search result");
  HierarchyOptions bad = Small();
  for (const std::string& name : std::vector<std::string>{"", "Search", "a/b", std::string(33, 'x')}) {
    bad.name = name;
    EXPECT_TRUE(Hierarchy::Open(bad, &h).IsInvalidArgument()) << name;
  }
}

TEST_F(HierarchyTest, CorruptL3IsWipedAndRebuilt) {
  fs::create_directories(dir_ / "l3" / "l3-0");
  {
    std::ofstream f(dir_ / "l3" / "l3-0" / "CURRENT");
    f << "MANIFEST-999999\n";  // names a manifest that is not there
  }
  std::unique_ptr<Hierarchy> h;
  ASSERT_TRUE(Hierarchy::Open(Small(), &h).ok());
  std::string v;
  EXPECT_TRUE(h->Get(1, &v).IsNotFound());
  ASSERT_TRUE(h->Put(1, "one").ok());
  EXPECT_EQ(h->l3_mode(), Hierarchy::L3Mode::kReadWrite) << h->l3_error();
  h.reset();
  ASSERT_TRUE(Hierarchy::Open(Small(), &h).ok());
  ASSERT_TRUE(h->Get(1, &v).ok());
  EXPECT_EQ(v, "one");
}

TEST_F(HierarchyTest, UnusableL3DirectoryLeavesL1AndL2Working) {
  HierarchyOptions o = Small();
  o.l3_path = "/proc/no-such-dir/cache";
  std::unique_ptr<Hierarchy> h;
  ASSERT_TRUE(Hierarchy::Open(o, &h).ok());
  ASSERT_TRUE(h->Put(5, "five").ok());
  EXPECT_EQ(h->l3_mode(), Hierarchy::L3Mode::kFailed);
  EXPECT_FALSE(h->l3_error().empty());
  std::string v;
  ASSERT_TRUE(h->Get(5, &v).ok());
  EXPECT_EQ(v, "five");
  EXPECT_TRUE(h->Get(6, &v).IsNotFound());
  EXPECT_FALSE(h->SaveStats().ok());  // nowhere to save: reported, not fatal
}

// Every file under `dir` whose bytes contain `needle`.
std::vector<std::string> FilesContaining(const fs::path& dir, const std::string& needle) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file()) continue;
    std::ifstream f(it->path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) out.push_back(it->path().string());
  }
  return out;
}

TEST_F(HierarchyTest, DropAllLeavesNoValueOnDisk) {
  HierarchyOptions o = Small();
  {
    std::unique_ptr<Hierarchy> h;
    ASSERT_TRUE(Hierarchy::Open(o, &h).ok());
    for (Key k = 0; k < 20; ++k) ASSERT_TRUE(h->Put(k, "top-secret-token-" + std::to_string(k)).ok());
  }
  ASSERT_FALSE(FilesContaining(o.l3_path, "top-secret-token").empty());  // the check can fail
  // A long-lived holder with the value in every level while the cache is dropped.
  std::unique_ptr<Hierarchy> holder;
  ASSERT_TRUE(Hierarchy::Open(o, &holder).ok());
  ASSERT_TRUE(holder->Put(100, "top-secret-token-holder").ok());
  ASSERT_EQ(holder->l3_mode(), Hierarchy::L3Mode::kReadWrite);
  ASSERT_TRUE(Hierarchy::DropAll(o.l3_path).ok());
  EXPECT_EQ(FilesContaining(o.l3_path, "top-secret-token"), std::vector<std::string>{});
  std::string v;
  {
    std::unique_ptr<Hierarchy> h;
    ASSERT_TRUE(Hierarchy::Open(o, &h).ok());
    EXPECT_TRUE(h->Get(3, &v).IsNotFound());
    ASSERT_TRUE(h->Put(3, "after-drop").ok());  // the new generation works
    EXPECT_EQ(h->l3_mode(), Hierarchy::L3Mode::kReadWrite) << h->l3_error();
  }
  EXPECT_TRUE(holder->Refresh());
  EXPECT_FALSE(holder->Refresh());
  EXPECT_TRUE(holder->Get(100, &v).IsNotFound());  // L1/L2 dropped too
  ASSERT_TRUE(holder->Get(3, &v).ok());
  EXPECT_EQ(v, "after-drop");
  holder.reset();
  EXPECT_EQ(FilesContaining(o.l3_path, "top-secret-token"), std::vector<std::string>{});
  EXPECT_TRUE(Hierarchy::DropAll((dir_ / "absent").string()).ok());
  EXPECT_FALSE(fs::exists(dir_ / "absent"));
}

TEST_F(HierarchyTest, OpenDeletesAnOldGenerationRecreatedByALateWriter) {
  HierarchyOptions o = Small();
  fs::create_directories(o.l3_path);
  ASSERT_TRUE(Hierarchy::DropAll(o.l3_path).ok());  // generation 1
  fs::create_directories(fs::path(o.l3_path) / "l3-0");
  { std::ofstream(fs::path(o.l3_path) / "l3-0" / "000009.log") << "late-secret"; }
  std::unique_ptr<Hierarchy> h;
  ASSERT_TRUE(Hierarchy::Open(o, &h).ok());
  ASSERT_TRUE(h->Put(1, "x").ok());
  EXPECT_FALSE(fs::exists(fs::path(o.l3_path) / "l3-0"));
  EXPECT_TRUE(fs::exists(fs::path(o.l3_path) / "l3-1" / "CURRENT"));
}

TEST_F(HierarchyTest, ManyShortWritersKeepFewWalFilesAndLoseNothing) {
  for (Key k = 0; k < 30; ++k) {  // one short process each: open, write, close
    std::unique_ptr<Hierarchy> h;
    ASSERT_TRUE(Hierarchy::Open(Small(), &h).ok());
    ASSERT_TRUE(h->Put(k, "v" + std::to_string(k)).ok());
  }
  size_t wals = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "l3" / "l3-0")) wals += e.path().extension() == ".log";
  EXPECT_LE(wals, 9u);  // flushed together past 8
  std::unique_ptr<Hierarchy> h;
  ASSERT_TRUE(Hierarchy::Open(Small(), &h).ok());
  std::string v;
  for (Key k = 0; k < 30; ++k) {
    ASSERT_TRUE(h->Get(k, &v).ok()) << k;
    EXPECT_EQ(v, "v" + std::to_string(k));
  }
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

namespace fs = std::filesystem;

class HierarchyStatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("cache_hierarchy_stats_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
    o_.name = "search";
    o_.l1 = {"lru", 4, 0, 0};
    o_.l2 = {"lru", 8, 0, 0};
    o_.l3_path = dir_ + "/cache";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
  HierarchyOptions o_;
};

TEST_F(HierarchyStatsTest, SavedAcrossRunsPerUseAndReadableWhileOpen) {
  Hierarchy::UseReport saved;
  EXPECT_TRUE(Hierarchy::ReadSavedStats(o_.l3_path, "search", &saved).IsNotFound());
  std::vector<Hierarchy::UseReport> all;
  ASSERT_TRUE(Hierarchy::ReadAllSavedStats(o_.l3_path, &all).ok());
  EXPECT_TRUE(all.empty());
  std::string v;
  for (int run = 0; run < 2; ++run) {
    std::unique_ptr<Hierarchy> h;
    ASSERT_TRUE(Hierarchy::Open(o_, &h).ok());
    ASSERT_TRUE(h->Put(1, "one").ok());
    ASSERT_TRUE(h->Get(1, &v).ok());          // L1 hit
    EXPECT_TRUE(h->Get(2, &v).IsNotFound());  // misses everywhere
    if (run == 1) {
      ASSERT_TRUE(h->SaveStats().ok());
      ASSERT_TRUE(h->SaveStats().ok());  // nothing new: adds nothing
      // Another process sees the totals while h holds the cache.
      ASSERT_TRUE(Hierarchy::ReadSavedStats(o_.l3_path, "search", &saved).ok());
      ASSERT_EQ(saved.levels.size(), 3u);
      EXPECT_EQ(saved.levels[0].name, "L1");
      EXPECT_EQ(saved.levels[0].stats.hits, 2u);
      EXPECT_EQ(saved.levels[0].stats.misses, 2u);
      EXPECT_EQ(saved.levels[0].capacity, 4u);
      EXPECT_EQ(saved.levels[0].size, 1u);
      EXPECT_EQ(saved.levels[0].policy, "lru");
      EXPECT_EQ(saved.levels[2].name, "L3");
      EXPECT_EQ(saved.levels[2].stats.misses, 2u);
      EXPECT_GT(saved.levels[2].bytes, 0u);
    }
  }
  // The destructor saved the rest of run 1 exactly once.
  ASSERT_TRUE(Hierarchy::ReadSavedStats(o_.l3_path, "search", &saved).ok());
  EXPECT_EQ(saved.levels[0].stats.hits, 2u);
  EXPECT_EQ(saved.levels[1].stats.misses, 2u);
  HierarchyOptions p = o_;
  p.name = "predict";
  {
    std::unique_ptr<Hierarchy> h;
    ASSERT_TRUE(Hierarchy::Open(p, &h).ok());
    EXPECT_TRUE(h->Get(9, &v).IsNotFound());
  }
  ASSERT_TRUE(Hierarchy::ReadAllSavedStats(o_.l3_path, &all).ok());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "predict");
  EXPECT_EQ(all[0].levels[0].stats.misses, 1u);
  EXPECT_EQ(all[0].levels[0].stats.hits, 0u);
  EXPECT_EQ(all[1].name, "search");
  EXPECT_EQ(all[1].levels[0].stats.hits, 2u);
}

// The child side of ConcurrentProcessesLoseNoCounts: that test starts this binary (a fresh
// process, not a fork of a threaded one) with CACHE_STATS_CHILD set, and only then is the test
// HierarchyStatsChild.ShortRuns registered, so a normal run neither lists nor skips it.
class ShortRunsChild : public ::testing::Test {
 public:
  ShortRunsChild(std::string dir, int child) : dir_(std::move(dir)), child_(child) {}
  void TestBody() override {
    HierarchyOptions o;
    o.name = "search";
    o.l1 = {"lru", 4, 0, 0};
    o.l2 = {"lru", 8, 0, 0};
    o.l3_path = dir_;
    for (int r = 0; r < 50; ++r) {  // a short process each round: open, put, one hit, one miss, save
      std::unique_ptr<Hierarchy> h;
      ASSERT_TRUE(Hierarchy::Open(o, &h).ok());
      std::string v;
      ASSERT_TRUE(h->Put(static_cast<Key>(child_ * 1000 + r), "v").ok());
      ASSERT_TRUE(h->Get(static_cast<Key>(child_ * 1000 + r), &v).ok());
      ASSERT_TRUE(h->Get(static_cast<Key>(999999), &v).IsNotFound());
    }
  }

 private:
  std::string dir_;
  int child_;
};

[[maybe_unused]] const bool kShortRunsChildRegistered = [] {
  const char* dir = std::getenv("CACHE_STATS_CHILD");
  const char* id = std::getenv("CACHE_STATS_CHILD_ID");
  if (!dir || !id) return false;
  const std::string d = dir;
  const int child = std::atoi(id);
  ::testing::RegisterTest("HierarchyStatsChild", "ShortRuns", nullptr, nullptr, __FILE__, __LINE__,
                          [d, child]() -> ::testing::Test* { return new ShortRunsChild(d, child); });
  return true;
}();

TEST_F(HierarchyStatsTest, ConcurrentProcessesLoseNoCounts) {
  constexpr int kChildren = 4, kRounds = 50;
  std::string cmd;
  for (int c = 0; c < kChildren; ++c)
    cmd += "CACHE_STATS_CHILD='" + o_.l3_path + "' CACHE_STATS_CHILD_ID=" + std::to_string(c) +
           " /proc/" + std::to_string(::getpid()) + "/exe --gtest_filter=HierarchyStatsChild.ShortRuns" +
           " >/dev/null 2>&1 & ";
  cmd += "wait";
  // `wait` reports only the last child's status: check each child's effect on the counters.
  ASSERT_EQ(std::system(("sh -c \"" + cmd + "\"").c_str()), 0);
  Hierarchy::UseReport saved;
  ASSERT_TRUE(Hierarchy::ReadSavedStats(o_.l3_path, "search", &saved).ok());
  ASSERT_EQ(saved.levels.size(), 3u);
  EXPECT_EQ(saved.levels[0].stats.hits, uint64_t(kChildren * kRounds));
  EXPECT_EQ(saved.levels[0].stats.misses, uint64_t(kChildren * kRounds));
  EXPECT_EQ(saved.levels[2].stats.misses, uint64_t(kChildren * kRounds));
}

TEST_F(HierarchyStatsTest, LargeLogIsFoldedWithoutChangingTheSums) {
  std::unique_ptr<Hierarchy> h;
  ASSERT_TRUE(Hierarchy::Open(o_, &h).ok());
  std::string v;
  for (int i = 0; i < 1000; ++i) {
    h->Get(static_cast<Key>(i), &v);
    ASSERT_TRUE(h->SaveStats().ok());
  }
  Hierarchy::UseReport saved;
  ASSERT_TRUE(Hierarchy::ReadSavedStats(o_.l3_path, "search", &saved).ok());
  EXPECT_EQ(saved.levels[0].stats.misses, 1000u);
  EXPECT_EQ(saved.levels[2].stats.misses, 1000u);
  EXPECT_LT(fs::file_size(o_.l3_path + "/stats/search.log"), 70u * 1024);
  // A block cut short by a crash is skipped, the rest still counts.
  { std::ofstream(o_.l3_path + "/stats/search.log", std::ios::app) << "L1 5 5"; }
  ASSERT_TRUE(Hierarchy::ReadSavedStats(o_.l3_path, "search", &saved).ok());
  EXPECT_EQ(saved.levels[0].stats.misses, 1000u);
  h->Get(5000, &v);  // the next block starts on a line of its own
  ASSERT_TRUE(h->SaveStats().ok());
  ASSERT_TRUE(Hierarchy::ReadSavedStats(o_.l3_path, "search", &saved).ok());
  EXPECT_EQ(saved.levels[0].stats.misses, 1001u);
}

}  // namespace
}  // namespace memory::cache
