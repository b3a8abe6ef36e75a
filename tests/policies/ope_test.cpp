// Off-policy estimators on synthetic logs whose true policy value is known exactly.
#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "policies/ope.h"
#include "policies/policy.h"

namespace memory::policies {
namespace {

constexpr int kActions = 3;
const double kW[kActions][2] = {{0.4, -0.2}, {-0.3, 0.3}, {0.1, 0.4}};

double TrueCost(const std::vector<Feature>& x, int a) {
  double c = 0.5 + kW[a][0] * x[0].value + kW[a][1] * x[1].value;
  return std::clamp(c, 0.05, 0.95);
}

// Logging policy: mostly action 2 (a poor choice), every action with probability >= 0.1.
void LoggingProbs(const std::vector<Feature>& x, std::vector<double>* p) {
  *p = {0.15, 0.15, 0.7};
  if (x[0].value > 0.5) *p = {0.1, 0.2, 0.7};
}

// Target: a fixed rule that is good (picks the cheaper of actions 0 and 1), slightly randomized.
void TargetProbs(const std::vector<Feature>& x, std::vector<double>* p) {
  bool zero_better = TrueCost(x, 0) < TrueCost(x, 1);
  *p = zero_better ? std::vector<double>{0.9, 0.05, 0.05} : std::vector<double>{0.05, 0.9, 0.05};
}

std::vector<Feature> RandomContext(Rng& rng) {
  return {{0, static_cast<float>(rng.Uniform() * 2 - 1)}, {1, static_cast<float>(rng.Uniform() * 2 - 1)}};
}

std::vector<LoggedDecision> MakeLog(uint64_t seed, int n) {
  Rng rng(seed);
  std::vector<LoggedDecision> log;
  std::vector<double> p;
  for (int i = 0; i < n; ++i) {
    LoggedDecision d;
    d.context = RandomContext(rng);
    d.num_actions = kActions;
    LoggingProbs(d.context, &p);
    double u = rng.Uniform();
    d.action = u < p[0] ? 0 : (u < p[0] + p[1] ? 1 : 2);
    d.probability = p[d.action];
    d.cost = rng.Uniform() < TrueCost(d.context, d.action) ? 1.0 : 0.0;  // Bernoulli cost
    log.push_back(std::move(d));
  }
  return log;
}

double TrueTargetValue() {
  Rng rng(12345);
  double s = 0;
  const int n = 200000;
  std::vector<double> p;
  for (int i = 0; i < n; ++i) {
    auto x = RandomContext(rng);
    TargetProbs(x, &p);
    for (int a = 0; a < kActions; ++a) s += p[a] * TrueCost(x, a);
  }
  return s / n;
}

TargetFn Target() {
  return [](const Example& ex, std::vector<double>* p) {
    std::vector<Feature> x(ex.context.begin(), ex.context.end());
    TargetProbs(x, p);
  };
}

struct Averages {
  double ips = 0, snips = 0, dm = 0, dr = 0, logged = 0;
  int dr_covered = 0, ips_covered = 0;
};

Averages Repeat(int logs, int n, const std::string& model, int bootstrap, double truth) {
  Averages avg;
  for (int r = 0; r < logs; ++r) {
    auto log = MakeLog(1000 + r, n);
    OpeOptions o;
    o.model = model;
    o.bootstrap = bootstrap;
    o.seed = r + 1;
    OpeResult res;
    Status s = EvaluateOffPolicy(log, Target(), o, &res);
    EXPECT_TRUE(s.ok()) << s.ToString();
    avg.ips += res.ips.value / logs;
    avg.snips += res.snips.value / logs;
    avg.dm += res.dm.value / logs;
    avg.dr += res.dr.value / logs;
    avg.logged += res.logged.value / logs;
    avg.dr_covered += res.dr.lo <= truth && truth <= res.dr.hi;
    avg.ips_covered += res.ips.lo <= truth && truth <= res.ips.hi;
  }
  return avg;
}

TEST(Ope, IpsAndDrAreUnbiasedDmIsNotWithAWrongModel) {
  const double truth = TrueTargetValue();
  // Averages over 300 independent logs of 100 decisions: the standard error of the mean IPS
  // estimate is about 0.006, so 0.025 is a > 4-sigma band (and the seeds are fixed).
  Averages wrong = Repeat(300, 100, "linear(interact=0,standardize=0)", 0, truth);
  EXPECT_NEAR(wrong.ips, truth, 0.025);
  EXPECT_NEAR(wrong.dr, truth, 0.025);     // doubly robust: unbiased although the model is wrong
  EXPECT_NEAR(wrong.snips, truth, 0.03);   // biased in small samples, but only slightly
  EXPECT_GT(std::fabs(wrong.dm - truth), 0.06);  // the model cannot tell actions apart
  // The target is much better than the logging policy, so the test has power.
  EXPECT_GT(wrong.logged - truth, 0.1);
}

TEST(Ope, DmIsCloseWithAGoodModelAndDrHasLowerVarianceThanIps) {
  const double truth = TrueTargetValue();
  std::vector<double> ips, dr;
  double dm_avg = 0;
  for (int r = 0; r < 60; ++r) {
    auto log = MakeLog(5000 + r, 400);
    OpeOptions o;
    o.model = "ridge(standardize=0)";
    o.bootstrap = 0;
    OpeResult res;
    ASSERT_TRUE(EvaluateOffPolicy(log, Target(), o, &res).ok());
    ips.push_back(res.ips.value);
    dr.push_back(res.dr.value);
    dm_avg += res.dm.value / 60;
  }
  auto var = [](const std::vector<double>& v) {
    double m = 0, s = 0;
    for (double x : v) m += x / v.size();
    for (double x : v) s += (x - m) * (x - m) / (v.size() - 1);
    return s;
  };
  EXPECT_NEAR(dm_avg, truth, 0.03);
  EXPECT_LT(var(dr), var(ips));
}

TEST(Ope, BootstrapIntervalsCoverTheTruth) {
  const double truth = TrueTargetValue();
  Averages a = Repeat(100, 300, "ridge(standardize=0)", 200, truth);
  // Nominal 95 %; percentile bootstrap under-covers a little on small samples.
  EXPECT_GE(a.dr_covered, 85);
  EXPECT_GE(a.ips_covered, 85);
}

TEST(Ope, LoggingPolicyEvaluatedOnItsOwnLogIsItsMeanCost) {
  auto log = MakeLog(77, 500);
  OpeOptions o;
  o.bootstrap = 100;
  OpeResult res;
  TargetFn logging = [](const Example& ex, std::vector<double>* p) {
    std::vector<Feature> x(ex.context.begin(), ex.context.end());
    LoggingProbs(x, p);
  };
  ASSERT_TRUE(EvaluateOffPolicy(log, logging, o, &res).ok());
  EXPECT_NEAR(res.ips.value, res.logged.value, 1e-12);   // all weights are 1
  EXPECT_NEAR(res.snips.value, res.logged.value, 1e-12);
  EXPECT_NEAR(res.effective_sample_size, 500, 1e-6);
  EXPECT_LE(res.logged.lo, res.logged.value);
  EXPECT_GE(res.logged.hi, res.logged.value);
}

TEST(Ope, PolicySpecsAndBadLogs) {
  auto log = MakeLog(3, 300);
  OpeOptions o;
  o.bootstrap = 50;
  OpeResult res;
  ASSERT_TRUE(EvaluatePolicySpec(log, "squarecb(gamma=10)", true, o, &res).ok());
  EXPECT_EQ(res.decisions, 300u);
  EXPECT_TRUE(EvaluatePolicySpec(log, "bogus", true, o, &res).IsInvalidArgument());
  auto bad = log;
  bad[5].probability = 0;
  Status s = EvaluatePolicySpec(bad, "greedy", false, o, &res);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.ToString().find("logged decision 6"), std::string::npos) << s.ToString();
  bad = log;
  bad[0].action = 7;
  EXPECT_TRUE(EvaluatePolicySpec(bad, "greedy", false, o, &res).IsInvalidArgument());
  EXPECT_TRUE(EvaluatePolicySpec({}, "greedy", false, o, &res).IsInvalidArgument());
}

}  // namespace
}  // namespace memory::policies
