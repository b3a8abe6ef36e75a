#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policies/tune.h"

namespace memory::policies {
namespace {

TEST(TuneParam, ParsesAndRejects) {
  TuneParam p;
  ASSERT_TRUE(ParseTuneParam("jobs=1,2,4,8", &p).ok());
  EXPECT_EQ(p.name, "jobs");
  EXPECT_EQ(p.values, (std::vector<std::string>{"1", "2", "4", "8"}));
  for (const char* bad : {"jobs", "=1,2", "jobs=", "jobs=1,,2", "jobs=1,1", "jo bs=1", "a-b=1"})
    EXPECT_TRUE(ParseTuneParam(bad, &p).IsInvalidArgument()) << bad;
}

TEST(TuneActions, CartesianProductInOdometerOrder) {
  std::vector<TuneParam> params = {{"a", {"1", "2"}}, {"b", {"x", "y", "z"}}};
  std::vector<std::map<std::string, std::string>> actions;
  ASSERT_TRUE(TuneActions(params, 100, &actions).ok());
  ASSERT_EQ(actions.size(), 6u);
  EXPECT_EQ(TuneActionName(params, actions[0]), "a=1,b=x");
  EXPECT_EQ(TuneActionName(params, actions[1]), "a=1,b=y");
  EXPECT_EQ(TuneActionName(params, actions[5]), "a=2,b=z");
  EXPECT_TRUE(TuneActions(params, 5, &actions).IsInvalidArgument());
  params.push_back({"a", {"3"}});
  EXPECT_TRUE(TuneActions(params, 100, &actions).IsInvalidArgument());
  EXPECT_TRUE(TuneActions({}, 100, &actions).IsInvalidArgument());
}

TEST(ExpandTemplate, SubstitutesAndChecksNames) {
  std::vector<std::string> out;
  ASSERT_TRUE(ExpandTemplate({"make", "-j{jobs}", "--x={o}{o}", "${HOME}", "{}"}, {{"jobs", "4"}, {"o", "z"}}, &out).ok());
  EXPECT_EQ(out, (std::vector<std::string>{"make", "-j4", "--x=zz", "${HOME}", "{}"}));
  Status s = ExpandTemplate({"make", "-j{job}"}, {{"jobs", "4"}}, &out);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.ToString().find("{job}"), std::string::npos);
  s = ExpandTemplate({"make"}, {{"jobs", "4"}}, &out);
  EXPECT_NE(s.ToString().find("not used"), std::string::npos);
}

TEST(TuneCost, RelativeDurationAndFailure) {
  std::vector<TuneRun> runs = {{0, 1, 0, false, 2.0}, {1, 1, 0, false, 4.0}, {1, 1, 0, true, 0.1}, {0, 1, 0, false, 3.0}};
  EXPECT_DOUBLE_EQ(ReferenceSeconds(runs), 3.0);
  EXPECT_DOUBLE_EQ(TuneCost(runs[0], 3.0), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(TuneCost(runs[2], 3.0), kTuneFailureCost);
  EXPECT_DOUBLE_EQ(ReferenceSeconds({}), 1.0);
}

// A simulated command whose best setting is known: jobs=4 is fastest, jobs=8 sometimes fails.
TEST(Tuner, ConvergesToTheBestSettingByReplayingTheLog) {
  const std::vector<double> seconds = {4.0, 2.2, 1.0, 1.3};
  std::vector<TuneRun> log;
  Rng noise(99);
  int best_late = 0;
  const int rounds = 60;
  for (int t = 0; t < rounds; ++t) {
    std::unique_ptr<Tuner> tuner;
    ASSERT_TRUE(Tuner::Create("", 4, 1000 + t, &tuner).ok());
    tuner->Replay(log);  // a fresh process each time, as `memory tune` runs
    double load = 0.2 + 0.1 * noise.Uniform();
    Choice c = tuner->Choose(load);
    ASSERT_GT(c.probability, 0);
    TuneRun r;
    r.action = c.action;
    r.probability = c.probability;
    r.load = load;
    r.failed = c.action == 3 && noise.Uniform() < 0.3;
    r.seconds = seconds[c.action] * (1 + 0.1 * noise.Normal());
    log.push_back(r);
    if (t >= rounds - 20) best_late += c.action == 2;
  }
  EXPECT_GE(best_late, 15);
  std::unique_ptr<Tuner> tuner;
  ASSERT_TRUE(Tuner::Create("", 4, 1, &tuner).ok());
  tuner->Replay(log);
  auto summary = tuner->Summarize(log, {"jobs=1", "jobs=2", "jobs=4", "jobs=8"}, 0.25);
  int most_likely = 0;
  for (int a = 1; a < 4; ++a)
    if (summary[a].probability > summary[most_likely].probability) most_likely = a;
  EXPECT_EQ(summary[most_likely].name, "jobs=4");
  int total = 0;
  for (auto& s : summary) total += s.runs;
  EXPECT_EQ(total, rounds);
}

}  // namespace
}  // namespace memory::policies
