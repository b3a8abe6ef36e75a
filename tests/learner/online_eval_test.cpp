#include <gtest/gtest.h>

#include "learner/online_eval.h"
#include "test_util.h"

namespace memory::learner {
namespace {

TEST(OnlineEvalTest, FirstCommandOfEachUserIsNotScored) {
  std::vector<UserStream> users(2);
  users[0].commands = {0, 1, 0, 1, 0};
  users[1].commands = {2, 2, 2};
  EvalResult r;
  ASSERT_TRUE(EvaluateOnline("markov", users, {}, 5, &r).ok());
  EXPECT_EQ(r.total.events, 8);
  EXPECT_EQ(r.total.scored, 6);
  ASSERT_EQ(r.users.size(), 2u);
  // User 0: 1 is new (miss); then 0 -> mfu fill gives {0,1}: hit@3; 1 after 0: row(0)={1}: hit@1 ...
  EXPECT_EQ(r.users[0].counts.novel, 1);
  EXPECT_EQ(r.users[0].counts.hits[0], 2);  // the last two (row hits)
  EXPECT_EQ(r.users[0].counts.hits[2], 3);
  // User 1 shares nothing with user 0: mfu already offers 2 at the first prediction.
  EXPECT_EQ(r.users[1].counts.hits[0], 2);
  EXPECT_EQ(r.users[1].counts.novel, 0);
  EXPECT_DOUBLE_EQ(r.Macro(0), (2.0 / 4 + 2.0 / 2) / 2);
  EXPECT_DOUBLE_EQ(r.Min(0), 0.5);
  EXPECT_DOUBLE_EQ(r.Max(0), 1.0);
}

TEST(OnlineEvalTest, PretrainingGivesAPopulationModel) {
  auto shared = testing::SyntheticStream(4000, 50, 5);
  std::vector<UserStream> pre(1), test(1);
  pre[0].commands = shared;
  test[0].commands.assign(shared.begin(), shared.begin() + 300);
  EvalResult cold, warm;
  ASSERT_TRUE(EvaluateOnline("ppm", test, {}, 5, &cold).ok());
  ASSERT_TRUE(EvaluateOnline("ppm", test, pre, 5, &warm).ok());
  EXPECT_EQ(warm.pretrain_events, 4000);
  EXPECT_GT(warm.total.Rate(0), cold.total.Rate(0) + 0.05);
}

TEST(OnlineEvalTest, TopKAddsItsOwnColumn) {
  auto s = testing::SyntheticStream(2000, 40, 9);
  std::vector<UserStream> users(1);
  users[0].commands = s;
  EvalResult r5, r10;
  ASSERT_TRUE(EvaluateOnline("mfu", users, {}, 5, &r5).ok());
  ASSERT_TRUE(EvaluateOnline("mfu", users, {}, 10, &r10).ok());
  EXPECT_EQ(r5.total.hits[3], r5.total.hits[2]);
  EXPECT_GT(r10.total.hits[3], r10.total.hits[2]);
  EXPECT_EQ(r10.total.hits[2], r5.total.hits[2]);
  EvalResult bad;
  EXPECT_FALSE(EvaluateOnline("mfu", users, {}, 0, &bad).ok());
  EXPECT_FALSE(EvaluateOnline("nope", users, {}, 5, &bad).ok());
}

// Users run on several threads, each with its own model: every figure equals the sequential run's,
// per user and in the input order, with and without a population model.
TEST(OnlineEvalTest, ParallelUsersGiveTheSequentialResult) {
  std::vector<UserStream> users(7), pre(1);
  for (size_t u = 0; u < users.size(); ++u) {
    users[u].name = "u" + std::to_string(u);
    users[u].commands = testing::SyntheticStream(300 + 250 * ((u * 3) % 7), 40, 100 + u);
  }
  pre[0].commands = testing::SyntheticStream(2000, 40, 99);
  for (const char* spec : {"markov", "best"}) {
    for (bool pretrain : {false, true}) {
      SCOPED_TRACE(std::string(spec) + (pretrain ? " pretrained" : ""));
      const std::vector<UserStream> none;
      EvalResult seq;
      ASSERT_TRUE(EvaluateOnline(spec, users, pretrain ? pre : none, 5, &seq, nullptr, 1).ok());
      for (int jobs : {2, 3, 16}) {
        EvalResult par;
        ASSERT_TRUE(EvaluateOnline(spec, users, pretrain ? pre : none, 5, &par, nullptr, jobs).ok());
        ASSERT_EQ(par.users.size(), seq.users.size());
        for (size_t u = 0; u < seq.users.size(); ++u) {
          EXPECT_EQ(par.users[u].name, seq.users[u].name);
          EXPECT_EQ(par.users[u].counts.events, seq.users[u].counts.events);
          EXPECT_EQ(par.users[u].counts.scored, seq.users[u].counts.scored);
          EXPECT_EQ(par.users[u].counts.novel, seq.users[u].counts.novel);
          for (int j = 0; j < 4; ++j) EXPECT_EQ(par.users[u].counts.hits[j], seq.users[u].counts.hits[j]);
        }
        for (int j = 0; j < 4; ++j) EXPECT_EQ(par.total.hits[j], seq.total.hits[j]);
        EXPECT_EQ(par.total.events, seq.total.events);
      }
    }
  }
  EvalResult bad;
  EXPECT_FALSE(EvaluateOnline("mfu", users, {}, 5, &bad, nullptr, 0).ok());
}

}  // namespace
}  // namespace memory::learner
