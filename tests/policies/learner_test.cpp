#include <cmath>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "policies/learners.h"
#include "policies/policy.h"

namespace memory::policies {
namespace {

// Synthetic problem: 3 dense features, 4 actions, cost of action a = clamp(0.5 + w_a . x).
struct Synthetic {
  explicit Synthetic(uint64_t seed) : rng(seed) {}
  Rng rng;
  std::vector<Feature> x{{0, 0}, {1, 0}, {2, 0}};
  double w[4][3] = {{0.3, -0.2, 0.1}, {-0.3, 0.1, 0.2}, {0.0, 0.3, -0.3}, {0.2, 0.2, 0.2}};
  Example Next() {
    for (auto& f : x) f.value = static_cast<float>(rng.Uniform() * 2 - 1);
    Example ex;
    ex.context = x;
    ex.num_actions = 4;
    return ex;
  }
  double Cost(int a) const {
    double c = 0.5;
    for (int i = 0; i < 3; ++i) c += w[a][i] * x[i].value;
    return c;
  }
};

double MeanAbsError(Learner& l, uint64_t seed, int train, int test) {
  Synthetic s(seed);
  std::vector<double> pred;
  for (int t = 0; t < train; ++t) {
    Example ex = s.Next();
    for (int a = 0; a < 4; ++a) l.Learn(ex, a, s.Cost(a), 1.0);
  }
  double err = 0;
  for (int t = 0; t < test; ++t) {
    Example ex = s.Next();
    l.Predict(ex, &pred);
    for (int a = 0; a < 4; ++a) err += std::fabs(pred[a] - s.Cost(a)) / (4.0 * test);
  }
  return err;
}

TEST(LinearLearner, LearnsPerActionLinearCosts) {
  std::unique_ptr<Learner> l;
  ASSERT_TRUE(MakeLearner("linear", &l).ok());
  std::unique_ptr<Learner> fresh = l->CloneFresh();
  double untrained = MeanAbsError(*fresh, 1, 0, 500);
  double trained = MeanAbsError(*l, 1, 3000, 500);
  EXPECT_GT(untrained, 0.3);
  EXPECT_LT(trained, 0.05);
}

TEST(LinearLearner, NeedsInteractionsForPerActionSlopes) {
  std::unique_ptr<Learner> with, without;
  ASSERT_TRUE(MakeLearner("linear(interact=1)", &with).ok());
  ASSERT_TRUE(MakeLearner("linear(interact=0)", &without).ok());
  EXPECT_LT(MeanAbsError(*with, 2, 3000, 500), MeanAbsError(*without, 2, 3000, 500) / 2);
}

TEST(LinearLearner, InitIsThePredictionWithoutData) {
  std::unique_ptr<Learner> l;
  ASSERT_TRUE(MakeLearner("linear(init=1)", &l).ok());
  std::vector<Feature> x = {{0, 2.0f}};
  Example ex{x, 5, {}};
  std::vector<double> c;
  l->Predict(ex, &c);
  ASSERT_EQ(c.size(), 5u);
  for (double v : c) EXPECT_EQ(v, 1.0);
}

TEST(LinearLearner, SafeUpdateNeverOvershootsWithHugeImportanceWeight) {
  std::unique_ptr<Learner> l;
  ASSERT_TRUE(MakeLearner("linear(lr=10)", &l).ok());
  std::vector<Feature> x = {{0, 1.0f}, {1, -3.0f}};
  Example ex{x, 2, {}};
  std::vector<double> c;
  for (int i = 0; i < 20; ++i) l->Learn(ex, 0, 1.0, 1e6);
  l->Predict(ex, &c);
  EXPECT_LE(c[0], 1.0 + 1e-6);
  EXPECT_GT(c[0], 0.5);
}

TEST(LinearLearner, WidthsShrinkForTriedActions) {
  std::unique_ptr<Learner> l;
  ASSERT_TRUE(MakeLearner("linear(standardize=0)", &l).ok());
  std::vector<Feature> x = {{0, 1.0f}, {7, 1.0f}};
  Example ex{x, 3, {}};
  std::vector<double> w0, w1;
  ASSERT_TRUE(l->Widths(ex, &w0));
  for (int i = 0; i < 50; ++i) l->Learn(ex, 1, 0.0, 1.0);
  ASSERT_TRUE(l->Widths(ex, &w1));
  EXPECT_LT(w1[1], w0[1] / 3);
  EXPECT_DOUBLE_EQ(w1[0], w0[0]);
}

TEST(LinearLearner, ActionFeaturesGeneralizeAcrossActions) {
  // Cost depends only on a shared action feature (index 99): actions carrying it are good.
  std::unique_ptr<Learner> l;
  ASSERT_TRUE(MakeLearner("linear(interact=0,standardize=0)", &l).ok());
  std::vector<Feature> x = {{0, 1.0f}};
  std::vector<std::vector<Feature>> af = {{{0, 1}, {99, 1}}, {{1, 1}}, {{2, 1}, {99, 1}}, {{3, 1}}};
  Example ex{x, 4, af};
  for (int i = 0; i < 300; ++i) {
    l->Learn(ex, 0, 0.0, 1.0);
    l->Learn(ex, 1, 1.0, 1.0);
  }
  std::vector<double> c;
  l->Predict(ex, &c);
  EXPECT_LT(c[2], c[3]);  // never tried, but shares the good feature
}

TEST(RidgeLearner, MatchesClosedFormRidgeSolution) {
  std::unique_ptr<Learner> l;
  ASSERT_TRUE(MakeLearner("ridge(lambda=0.5,standardize=0)", &l).ok());
  Rng rng(3);
  const int n = 40;
  std::vector<std::vector<Feature>> xs(n);
  std::vector<double> ys(n);
  Eigen::MatrixXd X(n, 3);
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) {
    float a = static_cast<float>(rng.Uniform()), b = static_cast<float>(rng.Uniform());
    xs[i] = {{0, a}, {1, b}};
    ys[i] = 0.2 + a - 2 * b + 0.1 * rng.Normal();
    X.row(i) << a, b, 1.0;
    y[i] = ys[i];
  }
  for (int i = 0; i < n; ++i) l->Learn(Example{xs[i], 2, {}}, 1, ys[i], 1.0);
  Eigen::VectorXd theta = (X.transpose() * X + 0.5 * Eigen::MatrixXd::Identity(3, 3)).ldlt().solve(X.transpose() * y);
  std::vector<Feature> q = {{0, 0.3f}, {1, 0.7f}};
  std::vector<double> c, w;
  l->Predict(Example{q, 2, {}}, &c);
  Eigen::Vector3d xq(0.3f, 0.7f, 1.0);
  EXPECT_NEAR(c[1], theta.dot(xq), 1e-6);
  EXPECT_EQ(c[0], 0.0);  // action 0 never learned
  ASSERT_TRUE(l->Widths(Example{q, 2, {}}, &w));
  Eigen::MatrixXd ainv = (X.transpose() * X + 0.5 * Eigen::MatrixXd::Identity(3, 3)).inverse();
  EXPECT_NEAR(w[1], std::sqrt(xq.dot(ainv * xq)), 1e-6);
  EXPECT_NEAR(w[0], std::sqrt(xq.squaredNorm() / 0.5), 1e-6);
}

TEST(AutoLearner, PicksRidgeForDenseAndLinearForHashedInputs) {
  std::unique_ptr<Learner> dense, text;
  ASSERT_TRUE(MakeLearner("auto", &dense).ok());
  ASSERT_TRUE(MakeLearner("auto", &text).ok());
  std::vector<Feature> xd = {{0, 1.0f}, {1, 2.0f}};
  std::vector<Feature> xt = {{0x80001234u, 1.0f}};
  std::vector<double> c;
  dense->Predict(Example{xd, 3, {}}, &c);
  EXPECT_EQ(c[0], 0.0);  // ridge starts at init 0
  text->Predict(Example{xt, 3, {}}, &c);
  EXPECT_EQ(c[0], 1.0);  // hashed linear model starts pessimistic (init 1)
}

TEST(OnlineStandardizer, CentersAndScales) {
  OnlineStandardizer s;
  std::vector<Feature> out;
  for (int i = 0; i < 1000; ++i) {
    std::vector<Feature> in = {{0, static_cast<float>(100 + (i % 2 ? 5 : -5))}};
    s.UpdateAndTransform(in, &out);
  }
  std::vector<Feature> probe = {{0, 110.0f}, {0x80000001u, 3.0f}};
  s.Transform(probe, &out);
  EXPECT_NEAR(out[0].value, 2.0, 0.01);
  EXPECT_EQ(out[1].value, 3.0f);  // hashed features pass through
}

}  // namespace
}  // namespace memory::policies

namespace memory::policies {
namespace {
TEST(RidgeLearner, IgnoresHashedFeaturesBeyondItsDimension) {
  std::unique_ptr<Learner> l;
  ASSERT_TRUE(MakeLearner("ridge", &l).ok());
  std::vector<Feature> first = {{0, 1.0f}};
  std::vector<Feature> text = {{0, 2.0f}, {0x80001234u, 1.0f}, {70000, 1.0f}};
  std::vector<double> c;
  l->Predict(Example{first, 2, {}}, &c);
  l->Learn(Example{text, 2, {}}, 1, 1.0, 1.0);
  l->Predict(Example{text, 2, {}}, &c);
  EXPECT_GT(c[1], 0.0);
  EXPECT_EQ(c[0], 0.0);
}
}  // namespace
}  // namespace memory::policies
