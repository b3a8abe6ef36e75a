// The MLP learner (policies/mlp_learner.cpp): factory strings, bad parameters, determinism, and
// learning a non-linear problem that a linear learner cannot.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policies/policy.h"

namespace memory::policies {
namespace {

TEST(MlpLearner, FactoryRoundTripsUnderEveryExplorer) {
  for (std::string spec : {"squarecb(gamma=10)/mlp(hidden=32)", "egreedy(epsilon=0.05)/mlp()", "greedy/mlp",
                           "softmax(lambda=3)/mlp(lr=0.003,tanh=1)", "bag(n=2)/mlp(hidden=4,seed=7)",
                           "cover(n=2)/mlp(bits=10)", "linucb(alpha=0.1)/mlp(width_scale=0.5)",
                           "thompson(scale=0.2,draws=8)/mlp(iw=1,init=1,standardize=0)", "efirst(n=5)/mlp", "linucb(alpha=0.3)/mlp(base=1)",
                           "bag(n=2)/mlp(base=1,hidden=8,text=1)"}) {
    std::unique_ptr<Policy> p, q;
    ASSERT_TRUE(MakePolicy(spec, 1, &p).ok()) << spec;
    std::string canonical = p->Spec();
    EXPECT_NE(canonical.find("/mlp(hidden="), std::string::npos) << canonical;
    ASSERT_TRUE(MakePolicy(canonical, 1, &q).ok()) << canonical;
    EXPECT_EQ(q->Spec(), canonical);
    // The canonical string builds a policy that behaves identically.
    std::vector<Feature> x = {{0, 0.5f}, {1, -1.0f}, {2, 2.0f}};
    for (int t = 0; t < 50; ++t) {
      x[0].value = static_cast<float>(t % 7) - 3;
      Example ex{x, 3, {}};
      Choice a = p->Choose(ex), b = q->Choose(ex);
      ASSERT_EQ(a.action, b.action) << spec;
      ASSERT_EQ(a.probability, b.probability) << spec;
      p->Learn(ex, a.action, a.action == t % 3 ? 0.0 : 1.0, a.probability);
      q->Learn(ex, b.action, b.action == t % 3 ? 0.0 : 1.0, b.probability);
    }
  }
  std::unique_ptr<Learner> l;
  ASSERT_TRUE(MakeLearner("mlp(hidden=16,lr=0.02,seed=3,tanh=1)", &l).ok());
  EXPECT_EQ(l->Spec(), "mlp(hidden=16,lr=0.02,seed=3,bits=18,iw=0,init=0,standardize=1,tanh=1,width_scale=1,base=0,text=0)");
}

TEST(MlpLearner, RejectsBadParameters) {
  for (const char* bad : {"mlp(hidden=0)", "mlp(hidden=2.5)", "mlp(hidden=100000)", "mlp(lr=0)", "mlp(lr=-1)",
                          "mlp(lr=abc)", "mlp(seed=-1)", "mlp(bits=30)", "mlp(tanh=2)", "mlp(iw=x)",
                          "mlp(layers=2)", "mlp(hidden=)", "mlp(base=2)", "mlp(text=-1)"}) {
    std::unique_ptr<Learner> l;
    Status s = MakeLearner(bad, &l);
    EXPECT_TRUE(s.IsInvalidArgument()) << bad;
    std::unique_ptr<Policy> p;
    EXPECT_TRUE(MakePolicy(std::string("squarecb/") + bad, 1, &p).IsInvalidArgument()) << bad;
  }
}

// XOR of two signs: action 0 is right when x0 and x1 have the same sign, action 1 otherwise.
// Returns the mean cost over the last `tail` of `rounds` rounds.
double XorLoss(const std::string& spec, int rounds, int tail, uint64_t seed, int dims = 3) {
  std::unique_ptr<Policy> p;
  EXPECT_TRUE(MakePolicy(spec, seed, &p).ok()) << spec;
  Rng data(seed + 100);
  std::vector<Feature> x(dims);
  double loss = 0;
  for (int t = 0; t < rounds; ++t) {
    for (int i = 0; i < dims; ++i) x[i] = {static_cast<uint32_t>(i), static_cast<float>(2 * data.Uniform() - 1)};
    int label = (x[0].value > 0) == (x[1].value > 0) ? 0 : 1;
    Example ex{x, 2, {}};
    Choice c = p->Choose(ex);
    double cost = c.action == label ? 0.0 : 1.0;
    if (t >= rounds - tail) loss += cost;
    p->Learn(ex, c.action, cost, c.probability);
  }
  return loss / tail;
}

TEST(MlpLearner, LearnsXorThatALinearLearnerCannot) {
  for (uint64_t seed : {1, 2}) {
    double mlp = XorLoss("egreedy(epsilon=0.05)/mlp(hidden=32)", 4000, 1000, seed);
    double mlp_squarecb = XorLoss("squarecb(gamma=10)/mlp(hidden=32)", 4000, 1000, seed);
    double linear = XorLoss("egreedy(epsilon=0.05)/linear", 4000, 1000, seed);
    double ridge = XorLoss("egreedy(epsilon=0.05)/ridge", 4000, 1000, seed);
    EXPECT_LT(mlp, 0.15) << seed;
    EXPECT_LT(mlp_squarecb, 0.15) << seed;
    EXPECT_GT(linear, 0.35) << seed;
    EXPECT_GT(ridge, 0.35) << seed;
    EXPECT_LT(mlp, linear - 0.2) << seed;
  }
}

// With 10 inputs auto() uses plain (linear) ridge; the residual network fixes what it misses.
TEST(MlpLearner, ResidualNetworkCorrectsTheLinearBase) {
  double base = XorLoss("linucb(alpha=0.3)/auto()", 4000, 1000, 1, 10);
  double residual = XorLoss("linucb(alpha=0.3)/mlp(base=1)", 4000, 1000, 1, 10);
  EXPECT_GT(base, 0.35);
  EXPECT_LT(residual, 0.2);
}

// On hashed (text) contexts mlp(base=1) is auto() alone unless text=1.
TEST(MlpLearner, ResidualOnTextIsTheBaseUnlessAsked) {
  auto run = [](const std::string& learner) {
    std::unique_ptr<Learner> l;
    EXPECT_TRUE(MakeLearner(learner, &l).ok()) << learner;
    Rng data(9);
    std::vector<double> costs, all;
    for (int t = 0; t < 300; ++t) {
      int w = static_cast<int>(data.Uniform() * 3);
      std::vector<Feature> x = {{static_cast<uint32_t>(1000000 + w), 1.0f}, {static_cast<uint32_t>(2000000 + t % 2), 1.0f}};
      Example ex{x, 3, {}};
      l->Predict(ex, &costs);
      all.insert(all.end(), costs.begin(), costs.end());
      l->Learn(ex, t % 3, t % 3 == w ? 0.0 : 1.0, 1.0);
    }
    return all;
  };
  std::vector<double> base = run("auto()");
  EXPECT_EQ(run("mlp(base=1)"), base);
  EXPECT_NE(run("mlp(base=1,text=1)"), base);
}

TEST(MlpLearner, DeterministicGivenTheSeed) {
  auto run = [](const std::string& learner) {
    std::unique_ptr<Learner> l;
    EXPECT_TRUE(MakeLearner(learner, &l).ok());
    Rng data(5);
    std::vector<Feature> x(4);
    std::vector<double> costs, all;
    for (int t = 0; t < 300; ++t) {
      for (int i = 0; i < 4; ++i) x[i] = {static_cast<uint32_t>(i), static_cast<float>(data.Normal())};
      Example ex{x, 3, {}};
      l->Predict(ex, &costs);
      all.insert(all.end(), costs.begin(), costs.end());
      int a = t % 3;
      l->Learn(ex, a, x[a].value > 0 ? 0.0 : 1.0, 1.0);
    }
    return all;
  };
  std::vector<double> a = run("mlp(seed=4)"), b = run("mlp(seed=4)"), c = run("mlp(seed=5)");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // It did learn something: the last predictions are not all the initial value.
  EXPECT_NE(a.back(), 0.0);
}

// Hashed text-like contexts (indices >= 65536) and action features take the hashed path.
TEST(MlpLearner, LearnsFromHashedFeaturesAndActionFeatures) {
  std::unique_ptr<Learner> l;
  ASSERT_TRUE(MakeLearner("mlp(hidden=16,bits=12)", &l).ok());
  // Word w in {0..3} (index 1e6 + w); 4 actions, each described by a hashed id feature; the right
  // action is the word's.
  std::vector<std::vector<Feature>> actions(4);
  for (int a = 0; a < 4; ++a) actions[a] = {{static_cast<uint32_t>(5000000 + a), 1.0f}};
  Rng data(3);
  std::vector<double> costs;
  int correct = 0;
  for (int t = 0; t < 2000; ++t) {
    int w = static_cast<int>(data.Uniform() * 4);
    std::vector<Feature> x = {{static_cast<uint32_t>(1000000 + w), 1.0f}};
    Example ex{x, 4, actions};
    l->Predict(ex, &costs);
    int best = static_cast<int>(std::min_element(costs.begin(), costs.end()) - costs.begin());
    if (t >= 1500) correct += best == w;
    for (int a = 0; a < 4; ++a) l->Learn(ex, a, a == w ? 0.0 : 1.0, 1.0);
  }
  EXPECT_GE(correct, 490);
}

TEST(MlpLearner, WidthsShrinkForTriedActions) {
  std::unique_ptr<Learner> l;
  ASSERT_TRUE(MakeLearner("mlp(hidden=8)", &l).ok());
  std::vector<Feature> x = {{0, 1.0f}, {1, -0.5f}};
  Example ex{x, 2, {}};
  std::vector<double> w0, w1, costs;
  l->Predict(ex, &costs);
  ASSERT_TRUE(l->Widths(ex, &w0));
  for (int t = 0; t < 20; ++t) {
    x[0].value = static_cast<float>(t % 5);
    l->Predict(ex, &costs);
    l->Learn(ex, 0, 0.0, 1.0);
  }
  ASSERT_TRUE(l->Widths(ex, &w1));
  EXPECT_LT(w1[0], 0.5 * w1[1]);
}

}  // namespace
}  // namespace memory::policies
