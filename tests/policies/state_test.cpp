// Policy::Save / LoadPolicy: a loaded policy predicts, chooses and keeps learning exactly as the
// saved one; damaged files are rejected with a clear status.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "policies/policy.h"

namespace memory::policies {
namespace {

struct Round {
  std::vector<Feature> context;
  std::vector<std::vector<Feature>> actions;
  int best = 0;
};

// Dense contexts (d = 4): the best action depends on the sign of x0 - x1 (and x2 for a third).
// Text-like contexts: hashed indices above 65536, the best action is named by a word.
std::vector<Round> Rounds(bool text, bool action_features, int n, uint64_t seed) {
  Rng rng(seed);
  std::vector<Round> out;
  for (int i = 0; i < n; ++i) {
    Round r;
    if (text) {
      r.best = static_cast<int>(rng.Uniform() * 3);
      r.context.push_back({0x10000u + 977u * static_cast<uint32_t>(r.best + 1), 1.0f});
      r.context.push_back({0x20000u + static_cast<uint32_t>(rng.Uniform() * 50), 1.0f});
    } else {
      float x[4];
      for (float& v : x) v = static_cast<float>(rng.Normal());
      for (uint32_t k = 0; k < 4; ++k) r.context.push_back({k, x[k]});
      r.best = x[0] > x[1] ? 0 : (x[2] > 0 ? 1 : 2);
    }
    if (action_features)
      for (uint32_t a = 0; a < 3; ++a) r.actions.push_back({{0x30000u + 31 * a, 1.0f}});
    out.push_back(std::move(r));
  }
  return out;
}

Example Ex(const Round& r) {
  Example ex;
  ex.context = r.context;
  ex.num_actions = 3;
  ex.action_features = r.actions;
  return ex;
}

void Train(Policy& p, const std::vector<Round>& rounds) {
  for (const Round& r : rounds) {
    Example ex = Ex(r);
    Choice c = p.Choose(ex);
    p.Learn(ex, c.action, c.action == r.best ? 0.0 : 1.0, c.probability);
  }
}

struct Case {
  const char* spec;
  bool text;
  bool action_features;
};

class RoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(RoundTrip, LoadedPolicyBehavesIdentically) {
  const Case c = GetParam();
  std::unique_ptr<Policy> a;
  ASSERT_TRUE(MakePolicy(c.spec, 7, &a).ok()) << c.spec;
  Train(*a, Rounds(c.text, c.action_features, 300, 1));
  std::string bytes;
  ASSERT_TRUE(a->Save(&bytes).ok()) << c.spec;
  std::unique_ptr<Policy> b;
  Status s = LoadPolicy(bytes, "test", &b);
  ASSERT_TRUE(s.ok()) << c.spec << ": " << s.ToString();
  EXPECT_EQ(b->Spec(), a->Spec());
  // Same predictions, distributions and samples, also while both keep learning.
  std::vector<Round> more = Rounds(c.text, c.action_features, 100, 2);
  std::vector<double> ca, cb, pa, pb;
  double spread = 0;
  for (const Round& r : more) {
    Example ex = Ex(r);
    a->PredictCosts(ex, &ca);
    b->PredictCosts(ex, &cb);
    ASSERT_EQ(ca, cb) << c.spec;
    spread += std::abs(ca[0] - ca[1]) + std::abs(ca[1] - ca[2]);
    a->Distribution(ex, &pa);
    b->Distribution(ex, &pb);
    ASSERT_EQ(pa, pb) << c.spec;
    Choice x = a->Choose(ex), y = b->Choose(ex);
    ASSERT_EQ(x.action, y.action) << c.spec;
    ASSERT_EQ(x.probability, y.probability) << c.spec;
    a->Learn(ex, x.action, x.action == r.best ? 0.0 : 1.0, x.probability);
    b->Learn(ex, y.action, y.action == r.best ? 0.0 : 1.0, y.probability);
  }
  EXPECT_GT(spread, 0) << c.spec << ": the trained policy should tell actions apart";
  // Saving the loaded copy gives the same bytes as saving the original.
  std::string again_a, again_b;
  ASSERT_TRUE(a->Save(&again_a).ok());
  ASSERT_TRUE(b->Save(&again_b).ok());
  EXPECT_EQ(again_a, again_b) << c.spec;
}

INSTANTIATE_TEST_SUITE_P(
    EveryLearner, RoundTrip,
    ::testing::Values(Case{"egreedy(epsilon=0.1)/linear()", true, true}, Case{"egreedy(epsilon=0.1)/linear()", false, false},
                      Case{"linucb(alpha=0.3)/ridge()", false, false}, Case{"linucb(alpha=0.3)/ridge()", false, true},
                      Case{"thompson(scale=1,draws=8)/ridge(quadratic=1)", false, false},
                      Case{"linucb(alpha=0.3)/auto()", false, false}, Case{"linucb(alpha=0.3)/auto()", true, true},
                      Case{"squarecb(gamma=10)/mlp(hidden=8)", false, false},
                      Case{"squarecb(gamma=10)/mlp(hidden=8)", true, true},
                      Case{"linucb(alpha=0.3)/mlp(hidden=8,base=1)", false, false},
                      Case{"efirst(n=50)/linear()", false, false}, Case{"softmax(lambda=5)/linear()", true, true},
                      Case{"bag(n=3)/linear()", false, false}, Case{"cover(n=3,psi=1,epsilon=0.05)/ridge()", false, false},
                      Case{"greedy()/linear()", true, true}));

TEST(PolicyState, UntrainedPolicyRoundTrips) {
  std::unique_ptr<Policy> a, b;
  ASSERT_TRUE(MakePolicy("linucb(alpha=0.3)/auto()", 1, &a).ok());
  std::string bytes;
  ASSERT_TRUE(a->Save(&bytes).ok());
  ASSERT_TRUE(LoadPolicy(bytes, "x", &b).ok());
  Train(*a, Rounds(false, false, 50, 3));
  Train(*b, Rounds(false, false, 50, 3));
  std::vector<double> ca, cb;
  const std::vector<Round> probe = Rounds(false, false, 1, 4);  // Ex's spans point into it
  Example ex = Ex(probe[0]);
  a->PredictCosts(ex, &ca);
  b->PredictCosts(ex, &cb);
  EXPECT_EQ(ca, cb);
}

TEST(PolicyState, DamagedFilesAreRejected) {
  std::unique_ptr<Policy> a, b;
  ASSERT_TRUE(MakePolicy("linucb(alpha=0.3)/ridge()", 1, &a).ok());
  Train(*a, Rounds(false, false, 100, 1));
  std::string bytes;
  ASSERT_TRUE(a->Save(&bytes).ok());
  ASSERT_TRUE(LoadPolicy(bytes, "ok", &b).ok());

  Status s = LoadPolicy(bytes.substr(0, bytes.size() / 2), "half.bin", &b);
  EXPECT_TRUE(s.code() == Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.ToString().find("half.bin"), std::string::npos);

  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x40;
  s = LoadPolicy(flipped, "flipped.bin", &b);
  EXPECT_TRUE(s.code() == Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.ToString().find("checksum"), std::string::npos) << s.ToString();

  s = LoadPolicy("not a policy at all, just text", "text.bin", &b);
  EXPECT_TRUE(s.code() == Status::Code::kCorruption) << s.ToString();
  EXPECT_TRUE(LoadPolicy("", "empty.bin", &b).code() == Status::Code::kCorruption);

  std::string future = bytes;
  future[8] = 99;  // format version
  s = LoadPolicy(future, "future.bin", &b);
  EXPECT_TRUE(s.code() == Status::Code::kUnsupported) << s.ToString();
  EXPECT_NE(s.ToString().find("format 99"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace memory::policies
