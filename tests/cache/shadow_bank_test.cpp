// ShadowBank (the shadows of W-TinyLFU's adapt=sim) must behave exactly like the policies its
// members mirror: each W-TinyLFU member like wtinylfu(adapt=none) with its window share and
// readmit setting, the ARC member like arc — the same hit on every access, the same resident
// keys, the same ARC lists — on generated traces that exercise admission, readmission of
// rejected candidates, ghosts, sketch aging and the doorkeeper.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "cache/shadow_bank.h"

namespace memory::cache {
namespace {

// Phases of a Zipf(0.9) over 3,000 keys with one-off keys mixed in, a loop of 1.5 × capacity
// keys (rejected candidates come back: readmission), and a recency sweep.
std::vector<Key> MixedTrace(size_t capacity) {
  std::vector<double> cdf(3000);
  double sum = 0;
  for (size_t i = 0; i < cdf.size(); ++i) cdf[i] = sum += 1.0 / std::pow(double(i + 1), 0.9);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, sum);
  std::vector<Key> t;
  Key oneoff = 1'000'000;
  for (int phase = 0; phase < 3; ++phase) {
    for (int i = 0; i < 8000; ++i)
      t.push_back(i % 5 == 4 ? oneoff++
                             : Key(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin()));
    for (int i = 0; i < 6000; ++i) t.push_back(500'000 + Key(i % (capacity * 3 / 2)));
    for (int i = 0; i < 3000; ++i) t.push_back(700'000 + Key(i % 400 < 200 ? i % 200 : 400 - i % 400));
  }
  return t;
}

void ExpectMembersMatch(size_t capacity, bool doorkeeper) {
  const std::vector<ShadowBank::WConfig> configs = {
      {0.01, false}, {0.2, false}, {0.6, false}, {0.99, false}, {0.01, true}, {0.2, true}};
  const double sample = 10.0;
  ShadowBank bank(capacity, configs, 0.8, /*arc=*/true, size_t(sample * double(capacity)),
                  doorkeeper);
  ASSERT_EQ(bank.members(), configs.size() + 1);
  ASSERT_TRUE(bank.has_arc());
  std::vector<std::unique_ptr<Policy>> mirrors;
  for (const auto& c : configs) {
    std::string spec = "wtinylfu(adapt=none,window=" + std::to_string(c.window) +
                       ",readmit=" + (c.readmit ? "1" : "0") +
                       ",doorkeeper=" + (doorkeeper ? "1" : "0") + ")";
    std::unique_ptr<Policy> p;
    ASSERT_TRUE(NewPolicy(spec, capacity, &p).ok()) << spec;
    mirrors.push_back(std::move(p));
  }
  std::unique_ptr<Policy> arc;
  ASSERT_TRUE(NewPolicy("arc", capacity, &arc).ok());
  mirrors.push_back(std::move(arc));

  std::vector<Key> trace = MixedTrace(capacity);
  std::vector<uint64_t> before(bank.members(), 0);
  size_t checks = 0;
  for (size_t i = 0; i < trace.size(); ++i) {
    bank.Access(trace[i]);
    for (size_t m = 0; m < bank.members(); ++m) {
      bool hit = mirrors[m]->Access(trace[i]).hit;
      ASSERT_EQ(bank.hits(m) - before[m], hit ? 1u : 0u)
          << "member " << m << " access " << i << " capacity " << capacity;
      before[m] = bank.hits(m);
    }
    if (i % 997 == 0) {  // the resident keys, segment by segment
      std::vector<Key> keys;
      std::vector<uint8_t> flags;
      for (size_t m = 0; m < configs.size(); ++m) {
        size_t resident = 0;
        for (int t = 0; t <= 2; ++t) {
          bank.WList(m, t, &keys, &flags);
          resident += keys.size();
          for (Key k : keys) ASSERT_TRUE(mirrors[m]->Contains(k)) << "member " << m;
        }
        ASSERT_EQ(resident, mirrors[m]->size()) << "member " << m;
        for (int t = 3; t <= 4; ++t) {  // ghosts are not resident
          bank.WList(m, t, &keys, &flags);
          for (Key k : keys) ASSERT_FALSE(mirrors[m]->Contains(k)) << "member " << m;
        }
      }
      ArcState mine, theirs;
      bank.ArcLists(&mine);
      GetArcState(*mirrors.back(), &theirs);
      ASSERT_EQ(mine.t1, theirs.t1);
      ASSERT_EQ(mine.t2, theirs.t2);
      ASSERT_EQ(mine.b1, theirs.b1);
      ASSERT_EQ(mine.b2, theirs.b2);
      ASSERT_EQ(mine.p, theirs.p);
      ++checks;
    }
  }
  EXPECT_GT(checks, 50u);
  // The trace exercises the members: each hits on some accesses and misses on others.
  for (size_t m = 0; m < bank.members(); ++m) {
    EXPECT_GT(bank.hits(m), trace.size() / 20) << "member " << m;
    EXPECT_LT(bank.hits(m), trace.size()) << "member " << m;
  }
}

TEST(ShadowBank, MembersMatchTheirPolicies) {
  ExpectMembersMatch(100, false);
  ExpectMembersMatch(37, false);
}

TEST(ShadowBank, MembersMatchTheirPoliciesWithDoorkeeper) { ExpectMembersMatch(100, true); }

}  // namespace
}  // namespace memory::cache
