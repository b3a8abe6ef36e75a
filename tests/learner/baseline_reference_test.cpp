// Pins the baselines on the public data sets to the figures in their READMEs (measured there by
// shared/reference/next_command_baselines.py). Skipped when ../shared is missing.
#include <gtest/gtest.h>

#include "learner/online_eval.h"
#include "test_util.h"

namespace memory::learner {
namespace {

struct Expected {
  const char* spec;
  double top1, top3, top5;
};

void CheckDataSet(const std::string& dir, const std::string& prefix, size_t users_expected,
                  int64_t events_expected, const std::vector<Expected>& expected) {
  Vocabulary vocab;
  auto users = testing::ReadUsers(dir, prefix, &vocab);
  if (users.empty()) GTEST_SKIP() << dir << " is not available";
  ASSERT_EQ(users.size(), users_expected);
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.spec);
    EvalResult r;
    ASSERT_TRUE(EvaluateOnline(e.spec, users, {}, 5, &r).ok());
    EXPECT_EQ(r.total.events, events_expected);
    EXPECT_EQ(r.total.scored, events_expected - static_cast<int64_t>(users_expected));
    // The READMEs give 3 decimals.
    EXPECT_NEAR(r.total.Rate(0), e.top1, 0.0005);
    EXPECT_NEAR(r.total.Rate(1), e.top3, 0.0005);
    EXPECT_NEAR(r.total.Rate(2), e.top5, 0.0005);
  }
}

TEST(BaselineReferenceTest, PurdueMatchesReadme) {
  CheckDataSet(testing::SharedDir() + "/data/purdue-pu", "USER", 4, 46579,
               {{"mfu", 0.163, 0.388, 0.506},
                {"mru", 0.177, 0.521, 0.661},
                {"markov(order=1)", 0.327, 0.578, 0.686},
                {"ipam(alpha=0.8)", 0.360, 0.582, 0.677}});
}

TEST(BaselineReferenceTest, SchonlauMatchesReadme) {
  CheckDataSet(testing::SharedDir() + "/data/schonlau-sea", "User", 25, 375000,
               {{"mfu", 0.158, 0.317, 0.411},
                {"mru", 0.208, 0.404, 0.487},
                {"markov(order=1)", 0.540, 0.795, 0.861},
                {"ipam(alpha=0.8)", 0.526, 0.784, 0.850}});
}

// The share of never-seen commands is a property of the data (README: 2.6 % on Purdue).
TEST(BaselineReferenceTest, PurdueNovelShare) {
  Vocabulary vocab;
  auto users = testing::ReadUsers(testing::SharedDir() + "/data/purdue-pu", "USER", &vocab);
  if (users.empty()) GTEST_SKIP();
  EvalResult r;
  ASSERT_TRUE(EvaluateOnline("mfu", users, {}, 5, &r).ok());
  EXPECT_NEAR(static_cast<double>(r.total.novel) / r.total.scored, 0.026, 0.0005);
}

}  // namespace
}  // namespace memory::learner
