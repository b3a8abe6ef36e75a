#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policies/explorers.h"
#include "policies/policy.h"

namespace memory::policies {
namespace {

// A learner with fixed predictions, to check explorers' formulas exactly.
class FixedLearner final : public Learner {
 public:
  explicit FixedLearner(std::vector<double> c) : c_(std::move(c)) {}
  void Predict(const Example&, std::vector<double>* costs) override { *costs = c_; }
  void Learn(const Example&, int action, double, double weight) override { last_weight = weight; }
  bool Widths(const Example&, std::vector<double>* w) override {
    w->assign(c_.size(), 0.1);
    (*w)[2] = 1.0;
    return true;
  }
  bool HasUncertainty() const override { return true; }
  std::unique_ptr<Learner> CloneFresh() const override { return std::make_unique<FixedLearner>(c_); }
  std::string Spec() const override { return "fixed()"; }
  double last_weight = 0;

 private:
  std::vector<double> c_;
};

std::vector<double> Dist(const char* spec, std::vector<double> costs, uint64_t seed = 1) {
  std::unique_ptr<Explorer> e;
  EXPECT_TRUE(MakeExplorer(spec, &e).ok()) << spec;
  FixedLearner l(costs);
  Rng rng(seed);
  std::vector<Feature> x = {{0, 1}};
  std::vector<double> p;
  e->Distribution(Example{x, static_cast<int>(costs.size()), {}}, l, rng, &p);
  return p;
}

TEST(Explorers, DistributionsSumToOne) {
  for (const char* spec : {"greedy", "egreedy", "efirst", "softmax", "squarecb", "bag", "cover", "linucb", "thompson"}) {
    auto p = Dist(spec, {0.5, 0.2, 0.9, 0.2});
    ASSERT_EQ(p.size(), 4u) << spec;
    EXPECT_NEAR(std::accumulate(p.begin(), p.end(), 0.0), 1.0, 1e-9) << spec;
    for (double v : p) EXPECT_GE(v, 0.0) << spec;
  }
}

TEST(Explorers, GreedySplitsTies) {
  auto p = Dist("greedy", {0.5, 0.2, 0.9, 0.2});
  EXPECT_DOUBLE_EQ(p[1], 0.5);
  EXPECT_DOUBLE_EQ(p[3], 0.5);
  EXPECT_DOUBLE_EQ(p[0], 0.0);
}

TEST(Explorers, EpsilonGreedyFloor) {
  auto p = Dist("egreedy(epsilon=0.2)", {0.5, 0.1, 0.9, 0.3});
  EXPECT_NEAR(p[0], 0.05, 1e-12);
  EXPECT_NEAR(p[1], 0.85, 1e-12);
}

TEST(Explorers, SoftmaxFormula) {
  auto p = Dist("softmax(lambda=2)", {0.0, 1.0});
  EXPECT_NEAR(p[1] / p[0], std::exp(-2.0), 1e-12);
}

TEST(Explorers, SquareCbInverseGapWeighting) {
  // First round: gamma_1 = gamma * sqrt(1).
  auto p = Dist("squarecb(gamma=10)", {0.0, 0.5, 1.0});
  EXPECT_NEAR(p[1], 1.0 / (3 + 10 * 0.5), 1e-12);
  EXPECT_NEAR(p[2], 1.0 / (3 + 10 * 1.0), 1e-12);
  EXPECT_NEAR(p[0], 1 - p[1] - p[2], 1e-12);
}

TEST(Explorers, LinUcbPrefersUncertainActions) {
  // Action 2 costs 0.3 more but is 0.9 wider: alpha=1 picks it, alpha=0.1 does not.
  EXPECT_EQ(Dist("linucb(alpha=1)", {0.0, 0.5, 0.3})[2], 1.0);
  EXPECT_EQ(Dist("linucb(alpha=0.1)", {0.0, 0.5, 0.3})[0], 1.0);
}

TEST(Explorers, EpsilonFirstIsUniformThenGreedy) {
  std::unique_ptr<Explorer> e;
  ASSERT_TRUE(MakeExplorer("efirst(n=2)", &e).ok());
  FixedLearner l({0.3, 0.1, 0.2});
  Rng rng(1);
  std::vector<Feature> x = {{0, 1}};
  Example ex{x, 3, {}};
  std::vector<double> p;
  for (int round = 0; round < 3; ++round) {
    e->Distribution(ex, l, rng, &p);
    if (round < 2) {
      EXPECT_NEAR(p[0], 1.0 / 3, 1e-12);
    } else {
      EXPECT_EQ(p[1], 1.0);
    }
    int a = round < 2 ? 0 : 1;
    e->Learn(ex, l, a, 0.0, p[a], rng);
    EXPECT_NEAR(l.last_weight, 1.0 / p[a], 1e-12);  // importance weight 1/p
  }
}

TEST(Explorers, ThompsonFavoursLowCostAndKeepsMassOnUncertainOnes) {
  auto p = Dist("thompson(scale=1,draws=2000)", {0.0, 0.5, 0.3});
  EXPECT_GT(p[0], 0.5);
  EXPECT_GT(p[2], 0.05);      // wide posterior
  EXPECT_LT(p[1], 0.01);      // narrow and clearly worse
}

// A full policy on a learnable problem: every explorer keeps improving over uniform.
TEST(Policy, EveryStrategyLearnsASimpleProblem) {
  for (const char* spec : {"greedy", "egreedy", "efirst(n=50)", "softmax", "squarecb", "bag", "cover", "linucb",
                           "thompson", "linucb/linear", "squarecb/ridge"}) {
    std::unique_ptr<Policy> p;
    ASSERT_TRUE(MakePolicy(spec, 7, &p).ok()) << spec;
    Rng rng(11);
    std::vector<Feature> x = {{0, 0}, {1, 0}};
    double late_cost = 0;
    const int rounds = 1500;
    for (int t = 0; t < rounds; ++t) {
      x[0].value = static_cast<float>(rng.Uniform() * 2 - 1);
      x[1].value = static_cast<float>(rng.Uniform() * 2 - 1);
      int best = x[0].value > 0 ? (x[1].value > 0 ? 0 : 1) : 2;
      Example ex{x, 3, {}};
      Choice c = p->Choose(ex);
      ASSERT_GT(c.probability, 0.0);
      double cost = c.action == best ? 0.0 : 1.0;
      p->Learn(ex, c.action, cost, c.probability);
      if (t >= rounds - 500) late_cost += cost / 500;
    }
    EXPECT_LT(late_cost, 0.45) << spec;  // uniform random: 0.667
  }
}

// XOR of two signs is not linearly separable: the default's quadratic ridge learns it, a plain
// linear ridge cannot.
TEST(Policy, DefaultLearnsANonLinearProblem) {
  auto late_loss = [](const std::string& spec) {
    std::unique_ptr<Policy> p;
    EXPECT_TRUE(MakePolicy(spec, 3, &p).ok());
    Rng rng(21);
    std::vector<Feature> x = {{0, 0}, {1, 0}, {2, 0}};
    double late = 0;
    for (int t = 0; t < 3000; ++t) {
      for (auto& f : x) f.value = static_cast<float>(rng.Uniform() * 2 - 1);
      int label = (x[0].value > 0) != (x[1].value > 0);
      Example ex{x, 2, {}};
      Choice c = p->Choose(ex);
      double cost = c.action == label ? 0.0 : 1.0;
      p->Learn(ex, c.action, cost, c.probability);
      if (t >= 2000) late += cost / 1000;
    }
    return late;
  };
  EXPECT_LT(late_loss(std::string(DefaultPolicySpec())), 0.1);
  EXPECT_GT(late_loss("linucb(alpha=0.3)/ridge"), 0.3);
}

TEST(Policy, SameSeedSameChoicesDifferentSeedDifferent) {
  auto run = [](uint64_t seed) {
    std::unique_ptr<Policy> p;
    EXPECT_TRUE(MakePolicy("egreedy(epsilon=0.5)", seed, &p).ok());
    std::vector<int> actions;
    std::vector<Feature> x = {{0, 1}};
    for (int t = 0; t < 200; ++t) {
      x[0].value = static_cast<float>(t % 7);
      Example ex{x, 5, {}};
      Choice c = p->Choose(ex);
      p->Learn(ex, c.action, c.action == t % 5 ? 0.0 : 1.0, c.probability);
      actions.push_back(c.action);
    }
    return actions;
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

TEST(Rng, MomentsOfNormalAndPoisson) {
  Rng rng(5);
  double s = 0, s2 = 0, ps = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double z = rng.Normal();
    s += z;
    s2 += z * z;
    ps += rng.Poisson1();
  }
  EXPECT_NEAR(s / n, 0.0, 0.01);
  EXPECT_NEAR(s2 / n, 1.0, 0.02);
  EXPECT_NEAR(ps / n, 1.0, 0.01);
}

}  // namespace
}  // namespace memory::policies
