// The L1/L2/L3 hierarchy against a model (a map of the values last written): seeded random puts,
// gets, erases, erase-alls, L3 closes and reopens, with every policy at small and auto-sized
// capacities. A get never returns a value other than the last one written; with L3 (which
// keeps every value) it always finds it.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <ostream>
#include <random>
#include <string>

#include "cache/hierarchy.h"

namespace memory::cache {
namespace {

namespace fs = std::filesystem;

struct ModelCase {
  const char* l1;
  const char* l2;
  bool auto_size;
  bool with_l3;
};
void PrintTo(const ModelCase& c, std::ostream* os) {
  *os << "l1 " << c.l1 << ", l2 " << c.l2 << (c.auto_size ? ", auto-sized" : "") << (c.with_l3 ? ", L3" : ", no L3");
}

class HierarchyModel : public ::testing::TestWithParam<ModelCase> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("cache_model_{}_{}", ::getpid(), reinterpret_cast<uintptr_t>(this));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  HierarchyOptions Options() const {
    const ModelCase& c = GetParam();
    HierarchyOptions o;
    o.l1 = {c.l1, 8, c.auto_size ? 2u : 0u, c.auto_size ? 32u : 0u};
    o.l2 = {c.l2, 48, c.auto_size ? 8u : 0u, c.auto_size ? 128u : 0u};
    o.resize_every = 97;  // many sizing decisions in a short run
    if (c.with_l3) o.l3_path = (dir_ / "l3").string();
    return o;
  }

  fs::path dir_;
};

TEST_P(HierarchyModel, NeverServesAStaleValue) {
  std::mt19937 rng(7);
  auto pick = [&](uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng); };
  std::unique_ptr<Hierarchy> h;
  ASSERT_TRUE(Hierarchy::Open(Options(), &h).ok());
  std::map<Key, std::string> model;
  uint64_t version = 0;
  size_t found = 0;
  for (int step = 0; step < 6000; ++step) {
    // Skewed keys: a hot few, a warm hundred, a cold tail.
    const uint32_t r = pick(10);
    const Key key = r < 5 ? pick(6) : r < 9 ? pick(100) : 1000 + pick(5000);
    const uint32_t op = pick(100);
    SCOPED_TRACE(::testing::Message() << "step " << step << " key " << key);
    if (op < 35) {
      const std::string v = std::to_string(key) + "v" + std::to_string(++version);
      ASSERT_TRUE(h->Put(key, v).ok());
      model[key] = v;
    } else if (op < 90) {
      std::string v;
      const Status s = h->Get(key, &v);
      auto it = model.find(key);
      if (s.ok()) {
        ASSERT_NE(it, model.end()) << "a value for a key never written or erased: " << v;
        ASSERT_EQ(v, it->second) << "a stale value";
        ++found;
      } else {
        ASSERT_TRUE(s.IsNotFound()) << s.ToString();
        if (GetParam().with_l3) {
          ASSERT_EQ(it, model.end()) << "L3 lost " << it->second;
        }
      }
    } else if (op < 96) {
      ASSERT_TRUE(h->Erase(key).ok());
      model.erase(key);
    } else if (op < 97) {
      ASSERT_TRUE(h->EraseAll().ok());
      model.clear();
    } else if (op < 99) {
      h->CloseL3();
    } else {  // a new process: L1 and L2 start empty, L3 keeps what it had
      h.reset();
      ASSERT_TRUE(Hierarchy::Open(Options(), &h).ok());
      if (!GetParam().with_l3) model.clear();
    }
  }
  EXPECT_GT(found, 500u);  // the test looked at values, not only at misses
}

INSTANTIATE_TEST_SUITE_P(
    Policies, HierarchyModel,
    ::testing::Values(ModelCase{"lru", "lru", false, true}, ModelCase{"arc", "wtinylfu", false, true},
                      ModelCase{"wtinylfu", "arc", false, true}, ModelCase{"lru", "wtinylfu", true, true},
                      ModelCase{"wtinylfu(sim_size=4)", "wtinylfu(sim_size=16)", true, true},
                      ModelCase{"wtinylfu", "wtinylfu", false, false}, ModelCase{"arc", "lru", true, false}),
    [](const ::testing::TestParamInfo<ModelCase>& info) { return std::to_string(info.index); });

// One level alone, with resizes: a value served is the last one put; the values held never
// outnumber the capacity (a value the policy dropped without saying so would stay until its key
// came back: a leak in a long-lived process).
TEST(MemoryLevelModel, ServesTheLastValueAndHoldsNoMoreValuesThanItsCapacity) {
  for (const char* spec : {"lru", "arc", "wtinylfu", "wtinylfu(sim_size=16)", "wtinylfu(adapt=climb)"}) {
    SCOPED_TRACE(spec);
    std::mt19937 rng(11);
    auto pick = [&](uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng); };
    std::unique_ptr<MemoryLevel> level;
    ASSERT_TRUE(MemoryLevel::Create({spec, 40, 0, 0}, &level).ok());
    std::map<Key, std::string> model;
    uint64_t version = 0;
    for (int step = 0; step < 60000; ++step) {
      // Phases of a skewed working set and of a loop a little larger than the cache.
      const int phase = step / 5000;
      const Key key = phase % 2 ? Key(phase) * 1000 + step % 60 : Key(phase) * 1000 + pick(30) * pick(4) % 90;
      const uint32_t op = pick(100);
      if (op < 2) {
        ASSERT_TRUE(level->Resize(1 + pick(80)).ok());
      } else if (op < 5) {
        level->Erase(key);
        model.erase(key);
      } else if (const std::string* v = op < 25 ? nullptr : level->Get(key)) {
        auto it = model.find(key);
        ASSERT_NE(it, model.end()) << "step " << step;
        ASSERT_EQ(*v, it->second) << "step " << step;
      } else {  // a write, or a read's miss filled in
        const std::string value = std::to_string(++version);
        level->Put(key, value);
        model[key] = value;
      }
      ASSERT_LE(level->values(), level->capacity()) << "step " << step;
      ASSERT_LE(level->size(), level->capacity()) << "step " << step;
    }
  }
}

}  // namespace
}  // namespace memory::cache
