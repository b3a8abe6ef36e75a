// The Bake-off protocol on the public data sets (skipped when ../shared is missing). Targets
// are the best Vowpal Wabbit figures of ../shared/cb-data/README.md (mean over seeds 1-5).
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <vector>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "env/cb_data.h"
#include "policies/cb_eval.h"
#include "policies/policy.h"

namespace memory::policies {
namespace {

std::string Shared(const std::string& rel) { return std::string(MEMORY_SHARED_DIR) + "/" + rel; }
bool Exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

double MeanLoss(const env::CbDataset& d, const std::string& policy, int seeds, double* supervised = nullptr) {
  double sum = 0;
  for (int s = 1; s <= seeds; ++s) {
    CbEvalOptions o;
    o.policy = policy;
    o.seed = s;
    o.supervised = supervised != nullptr && s == 1;
    CbEvalResult r;
    Status st = RunCbEval(d, o, &r);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(r.examples, d.rows());
    if (o.supervised) *supervised = r.supervised_loss;
    sum += r.pv_loss;
  }
  return sum / seeds;
}

struct Target {
  const char* file;
  double best_vw;  // best VW configuration's mean PV loss (README)
};

class DefaultPolicyBeatsVw : public ::testing::TestWithParam<Target> {};

TEST_P(DefaultPolicyBeatsVw, OnCbData) {
  std::string path = Shared(std::string("cb-data/") + GetParam().file);
  if (!Exists(path)) GTEST_SKIP() << path << " not available";
  env::CbDataset d;
  ASSERT_TRUE(env::ReadCbCsv(path, &d).ok());
  double supervised = -1;
  double loss = MeanLoss(d, "", 5, &supervised);
  EXPECT_LT(loss, GetParam().best_vw) << GetParam().file;
  EXPECT_LT(loss, (d.num_actions - 1.0) / d.num_actions);
  EXPECT_GE(supervised, 0.0);
}

INSTANTIATE_TEST_SUITE_P(CbData, DefaultPolicyBeatsVw,
                         ::testing::Values(Target{"iris.csv", 0.423}, Target{"wine.csv", 0.470},
                                           Target{"digits.csv", 0.406}, Target{"synth5.csv.gz", 0.483}));

TEST(CbEval, DefaultPolicyBeatsAlwaysFindOnNl2Bash) {
  std::string dir = Shared("data/nl2bash");
  if (!Exists(dir + "/nl2bash.cm")) GTEST_SKIP() << dir << " not available";
  env::CbDataset d;
  ASSERT_TRUE(env::ReadNl2BashBandit(dir, &d).ok());
  // The constant answer: the most common utility.
  std::vector<int> count(d.num_actions, 0);
  for (int l : d.labels) ++count[l];
  double constant = 1.0 - *std::max_element(count.begin(), count.end()) / static_cast<double>(d.rows());
  EXPECT_NEAR(constant, 0.398, 0.001);
  double loss = MeanLoss(d, "", 1);
  EXPECT_LT(loss, constant - 0.03);
}

TEST(CbEval, SameSeedReproducesAndBadPolicyIsAnError) {
  std::string path = Shared("cb-data/iris.csv");
  if (!Exists(path)) GTEST_SKIP() << path << " not available";
  env::CbDataset d;
  ASSERT_TRUE(env::ReadCbCsv(path, &d).ok());
  CbEvalOptions o;
  o.policy = "egreedy(epsilon=0.3)";
  o.seed = 9;
  CbEvalResult a, b;
  ASSERT_TRUE(RunCbEval(d, o, &a).ok());
  ASSERT_TRUE(RunCbEval(d, o, &b).ok());
  EXPECT_EQ(a.pv_loss, b.pv_loss);
  EXPECT_GT(a.examples_per_s, 0);
  o.policy = "egreedy(epsilon=2)";
  EXPECT_TRUE(RunCbEval(d, o, &a).IsInvalidArgument());
}

}  // namespace
}  // namespace memory::policies
