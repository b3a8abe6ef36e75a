#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policies/policy.h"
#include "policies/spec.h"

namespace memory::policies {
namespace {

TEST(SpecTerm, ParsesNameAndParameters) {
  SpecTerm t;
  ASSERT_TRUE(SpecTerm::Parse(" squarecb( gamma = 10 , x=2.5) ", &t).ok());
  EXPECT_EQ(t.name(), "squarecb");
  double g, x, missing;
  ASSERT_TRUE(t.GetDouble("gamma", 1, 0, 100, &g).ok());
  ASSERT_TRUE(t.GetDouble("x", 1, 0, 100, &x).ok());
  ASSERT_TRUE(t.GetDouble("y", 7, 0, 100, &missing).ok());
  EXPECT_EQ(g, 10);
  EXPECT_EQ(x, 2.5);
  EXPECT_EQ(missing, 7);
  EXPECT_TRUE(t.CheckAllUsed().ok());
}

TEST(SpecTerm, RejectsMalformedText) {
  SpecTerm t;
  for (const char* bad : {"", "(x=1)", "a(x=1", "a(x)", "a(x=)", "a(=1)", "a(x=1,x=2)", "a b", "a((x=1))"}) {
    Status s = SpecTerm::Parse(bad, &t);
    EXPECT_TRUE(s.IsInvalidArgument()) << bad;
  }
}

TEST(SplitSpec, SplitsAtTopLevelSlashOnly) {
  auto parts = SplitSpec("squarecb(gamma=10)/linear(bits=18)");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "squarecb(gamma=10)");
  EXPECT_EQ(parts[1], "linear(bits=18)");
  EXPECT_EQ(SplitSpec("greedy").size(), 1u);
}

TEST(FormatNumber, ShortestExactText) {
  EXPECT_EQ(FormatNumber(10), "10");
  EXPECT_EQ(FormatNumber(0.05), "0.05");
  EXPECT_EQ(std::stod(FormatNumber(0.1 + 0.2)), 0.1 + 0.2);
}

// Every explorer with every learner: the canonical spec builds a policy whose spec is the same
// string (round trip), and the short form builds the same canonical policy.
TEST(MakePolicy, RoundTripsEveryString) {
  std::vector<std::string> explorers = {"greedy",       "greedy()",      "egreedy(epsilon=0.1)", "efirst(n=50)",
                                        "softmax(lambda=3)", "squarecb(gamma=25)", "bag(n=3)",
                                        "cover(n=2,psi=0.5,epsilon=0.1)", "linucb(alpha=0.5)",
                                        "thompson(scale=0.2,draws=8)"};
  std::vector<std::string> learners = {"",
                                       "linear",
                                       "linear(bits=12,lr=0.25,interact=0,standardize=0,iw=0,init=1,width_scale=0.5)",
                                       "ridge(lambda=2,standardize=0,iw=1,init=0.5,quadratic=1)",
                                       "auto(dense=32,quad=4)"};
  int checked = 0;
  for (const auto& e : explorers) {
    for (const auto& l : learners) {
      std::string spec = l.empty() ? e : e + "/" + l;
      std::unique_ptr<Policy> p;
      Status s = MakePolicy(spec, 1, &p);
      ASSERT_TRUE(s.ok()) << spec << ": " << s.ToString();
      std::string canonical = p->Spec();
      std::unique_ptr<Policy> q;
      ASSERT_TRUE(MakePolicy(canonical, 1, &q).ok()) << canonical;
      EXPECT_EQ(q->Spec(), canonical);
      // Canonical strings spell out the parameters that were given.
      if (!l.empty() && l.find('(') != std::string::npos) {
        std::string inner = l.substr(l.find('(') + 1, l.size() - l.find('(') - 2);
        EXPECT_NE(canonical.find(inner.substr(0, inner.find(','))), std::string::npos) << canonical;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 50);
}

TEST(MakePolicy, DefaultSpecBuilds) {
  std::unique_ptr<Policy> p;
  ASSERT_TRUE(MakePolicy(DefaultPolicySpec(), 1, &p).ok());
  EXPECT_EQ(p->Spec(), "linucb(alpha=0.3)/auto(dense=256,quad=8)");
}

TEST(MakePolicy, RejectsUnknownNamesParametersAndValues) {
  std::unique_ptr<Policy> p;
  struct Case {
    const char* spec;
    const char* must_mention;
  } cases[] = {
      {"nope(x=1)", "unknown exploration strategy 'nope'"},
      {"squarecb/forest()", "unknown learner 'forest'"},
      {"squarecb(gama=1)", "unknown parameter 'gama'"},
      {"squarecb(gamma=ten)", "not a number"},
      {"egreedy(epsilon=1.5)", "outside"},
      {"egreedy(epsilon=nan)", "not a number"},
      {"bag(n=2.5)", "not an integer"},
      {"bag(n=0)", "outside"},
      {"linear(bits=40)", "unknown exploration strategy"},
      {"squarecb/linear(bits=40)", "outside"},
      {"a/b/c", "expected explorer/learner"},
      {"squarecb(gamma=1", "missing ')'"},
      // Memory asked for before anything is allocated (was bad_alloc or the OOM killer).
      {"bag(n=256)/linear(bits=28)", "needs 256 linear learners of 2^28 weights"},
      {"cover(n=1)/linear(bits=28)", "8192 MiB (at most 4096 MiB)"},
      {"cover(n=16)/linear(bits=24)", "needs 17 linear learners"},
  };
  for (const auto& c : cases) {
    Status s = MakePolicy(c.spec, 1, &p);
    ASSERT_FALSE(s.ok()) << c.spec;
    EXPECT_TRUE(s.IsInvalidArgument()) << c.spec;
    EXPECT_NE(s.ToString().find(c.must_mention), std::string::npos) << c.spec << " -> " << s.ToString();
  }
}

TEST(MakePolicy, LargeButAffordableLinearLearnersAreBuilt) {
  std::unique_ptr<Policy> p;
  EXPECT_TRUE(MakePolicy("bag(n=16)/linear(bits=20)", 1, &p).ok());  // 16 x 16 MiB
  EXPECT_TRUE(MakePolicy("bag(n=256)/mlp(bits=24)", 1, &p).ok());    // mlp rows are made when seen
}

TEST(MakePolicy, UncertaintyExplorersNeedWidths) {
  std::unique_ptr<Policy> p;
  EXPECT_TRUE(MakePolicy("linucb/ridge", 1, &p).ok());
  EXPECT_TRUE(MakePolicy("thompson/linear", 1, &p).ok());
  EXPECT_EQ(MakePolicy("linucb", 1, &p).ok(), true);
  EXPECT_NE(p->Spec().find("/auto("), std::string::npos);
}

}  // namespace
}  // namespace memory::policies
