// The session-bootstrap gate of `memory train` (learner/train_gate.h).
#include "learner/train_gate.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace memory::learner {
namespace {

// Sessions of `len` events; each event's difference is +1 with probability p_plus, -1 with
// p_minus, else 0. With `shared`, a whole session gets one draw (perfectly correlated events).
std::vector<PairedCluster> Sessions(int sessions, int len, double p_plus, double p_minus, bool shared, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<PairedCluster> out;
  for (int s = 0; s < sessions; ++s) {
    PairedCluster c;
    double one = u(rng);
    for (int i = 0; i < len; ++i) {
      double x = shared ? one : u(rng);
      c.n += 1;
      c.diff_sum += x < p_plus ? 1 : (x < p_plus + p_minus ? -1 : 0);
    }
    out.push_back(c);
  }
  return out;
}

TEST(ClusterBootstrap, ClearlyBetterChallengerPasses) {
  auto c = Sessions(200, 20, 0.3, 0.05, false, 1);
  GateInterval g = ClusterBootstrap(c);
  EXPECT_NEAR(g.diff, 0.25, 0.03);
  EXPECT_GT(g.lo, 0.15);
  EXPECT_LT(g.lo, g.diff);
  EXPECT_GT(g.hi, g.diff);
  EXPECT_TRUE(g.Passes());
  EXPECT_EQ(g.units, 4000);
  EXPECT_EQ(g.clusters, 200);
}

TEST(ClusterBootstrap, IdenticalModelsDoNotPass) {
  std::vector<PairedCluster> same(300, PairedCluster{15, 0.0});
  GateInterval g = ClusterBootstrap(same);
  EXPECT_EQ(g.diff, 0);
  EXPECT_EQ(g.lo, 0);
  EXPECT_EQ(g.hi, 0);
  EXPECT_FALSE(g.Passes());
  // Symmetric noise around 0 does not pass either.
  GateInterval n = ClusterBootstrap(Sessions(300, 15, 0.1, 0.1, false, 2));
  EXPECT_LT(n.lo, 0);
  EXPECT_GT(n.hi, 0);
  EXPECT_FALSE(n.Passes());
}

// The point of resampling sessions: when events within a session move together, 20 events per
// session are worth about one, and the interval must be wider than a per-event bootstrap's
// (which treats the 4,000 events as independent).
TEST(ClusterBootstrap, CorrelatedSessionsWidenTheInterval) {
  auto sessions = Sessions(200, 20, 0.3, 0.22, true, 3);
  std::vector<PairedCluster> events;
  for (const auto& s : sessions)
    for (int i = 0; i < s.n; ++i) events.push_back({1, s.diff_sum / s.n});
  GateInterval by_session = ClusterBootstrap(sessions);
  GateInterval by_event = ClusterBootstrap(events);
  EXPECT_DOUBLE_EQ(by_session.diff, by_event.diff);
  EXPECT_GT(by_session.hi - by_session.lo, 3 * (by_event.hi - by_event.lo));
}

TEST(ClusterBootstrap, EmptyAndDeterministic) {
  EXPECT_FALSE(ClusterBootstrap({}).Passes());
  std::vector<PairedCluster> zero(3);
  EXPECT_EQ(ClusterBootstrap(zero).clusters, 0);
  auto c = Sessions(50, 10, 0.2, 0.1, false, 4);
  GateInterval a = ClusterBootstrap(c), b = ClusterBootstrap(c);
  EXPECT_EQ(a.lo, b.lo);
  EXPECT_EQ(a.hi, b.hi);
  GateInterval narrow = ClusterBootstrap(c, 2000, 0.5);
  EXPECT_GT(narrow.lo, a.lo);
  EXPECT_LT(narrow.hi, a.hi);
}

}  // namespace
}  // namespace memory::learner

namespace memory::learner {
namespace {

// Logged decisions of a uniform logging policy over 4 actions (p = 1/4): the challenger puts
// 0.9 on the rewarded action, the champion spreads evenly (its value is the logged mean).
std::vector<SnipsCluster> Logged(double chal_on_good, double champ_on_good, int sessions, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> act(0, 3);
  std::vector<SnipsCluster> out(static_cast<size_t>(sessions));
  for (int i = 0; i < sessions * 10; ++i) {
    SnipsCluster& c = out[static_cast<size_t>(i % sessions)];
    const bool good = act(rng) == 0;  // action 0 is the rewarded one
    const double r = good ? 1 : 0;
    const double pb = good ? chal_on_good : (1 - chal_on_good) / 3, pa = good ? champ_on_good : (1 - champ_on_good) / 3;
    ++c.n;
    c.w_b += pb / 0.25, c.wr_b += pb / 0.25 * r;
    c.w_a += pa / 0.25, c.wr_a += pa / 0.25 * r;
  }
  return out;
}

TEST(SnipsBootstrap, BetterTargetPolicyPassesEqualOnesDoNot) {
  SnipsGate better = SnipsBootstrap(Logged(0.9, 0.25, 40, 1));
  EXPECT_NEAR(better.value_b, 0.9, 0.05);
  EXPECT_NEAR(better.value_a, 0.25, 0.05);
  EXPECT_TRUE(better.difference.Passes());
  EXPECT_EQ(better.difference.units, 400);
  EXPECT_EQ(better.difference.clusters, 40);

  SnipsGate same = SnipsBootstrap(Logged(0.6, 0.6, 40, 2));
  EXPECT_DOUBLE_EQ(same.difference.diff, 0);
  EXPECT_FALSE(same.difference.Passes());

  SnipsGate worse = SnipsBootstrap(Logged(0.1, 0.6, 40, 3));
  EXPECT_LT(worse.difference.hi, 0);
  EXPECT_FALSE(worse.difference.Passes());

  // A challenger that never picks a logged action has no estimate: it does not pass.
  std::vector<SnipsCluster> none(5, SnipsCluster{4, 4.0, 2.0, 0.0, 0.0});
  SnipsGate g = SnipsBootstrap(none);
  EXPECT_FALSE(g.difference.Passes());
  EXPECT_EQ(g.difference.lo, 0);
  EXPECT_FALSE(SnipsBootstrap({}).difference.Passes());
}

}  // namespace
}  // namespace memory::learner
