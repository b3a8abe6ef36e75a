// Calibrated probabilities: the reliability measure (ECE), the monotone Calibrator, the
// "calibrate(MODEL)" model (same hits as MODEL, probabilities that match how often predictions
// came true) and the calibration maps the served intent snapshot keeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "learner/builtin_models.h"
#include "learner/calibration.h"
#include "learner/intent_snapshot.h"
#include "learner/model.h"
#include "learner/online_eval.h"
#include "test_util.h"

namespace memory::learner {
namespace {

TEST(ReliabilityTableTest, EceIsTheWeightedGapBetweenProbabilityAndOutcomePerBin) {
  ReliabilityTable t;
  EXPECT_EQ(t.Ece(), 0);
  // Bin [0.9, 1): four predictions at 0.95, two came true: gap |3.8 - 2| = 1.8.
  for (int i = 0; i < 4; ++i) t.Add(0.95, i < 2);
  // Bin [0.2, 0.3): two at 0.25, none came true: gap 0.5.
  t.Add(0.25, false);
  t.Add(0.25, false);
  EXPECT_EQ(t.total(), 6);
  EXPECT_NEAR(t.Ece(), (1.8 + 0.5) / 6, 1e-12);
  EXPECT_NEAR(t.MeanProb(), (4 * 0.95 + 0.5) / 6, 1e-12);
  EXPECT_NEAR(t.HitRate(), 2.0 / 6, 1e-12);
  ReliabilityTable u;
  u.Add(0.25, true);
  u.Add(0.25, true);
  t.Merge(u);  // bin [0.2, 0.3) now 4 at 0.25 with 2 hits: gap 1
  EXPECT_NEAR(t.Ece(), (1.8 + 1.0) / 8, 1e-12);
  t.Add(1.0, true);  // p = 1 counts in the last bin
  EXPECT_EQ(t.n[ReliabilityTable::kBins - 1], 5);
}

TEST(CalibratorTest, IsTheIdentityBeforeItHasSeenPredictions) {
  Calibrator c;
  for (double p : {0.0, 0.01, 0.2, 0.5, 0.77, 1.0}) EXPECT_NEAR(c.Map(p), p, 1e-12) << p;
  c.Fit();  // no observations: every bin is its prior, i.e. the identity at the bins' points
  for (double p : {0.01, 0.2, 0.5, 0.77}) EXPECT_NEAR(c.Map(p), p, 0.01) << p;
}

// An overconfident source: a prediction shown with probability p comes true with probability p².
TEST(CalibratorTest, LearnsTheRateAtWhichPredictionsComeTrue) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  Calibrator c;
  for (int i = 0; i < 200000; ++i) {
    double p = u(rng);
    c.Observe(p, u(rng) < p * p);
  }
  c.Fit();
  for (double p : {0.2, 0.4, 0.6, 0.8, 0.95}) EXPECT_NEAR(c.Map(p), p * p, 0.03) << p;
  // Fresh draws: the mapped probabilities are far better calibrated than the raw ones.
  ReliabilityTable raw, mapped;
  for (int i = 0; i < 50000; ++i) {
    double p = u(rng);
    bool hit = u(rng) < p * p;
    raw.Add(p, hit);
    mapped.Add(c.Map(p), hit);
  }
  EXPECT_GT(raw.Ece(), 0.15);
  EXPECT_LT(mapped.Ece(), 0.02);
}

TEST(CalibratorTest, TheMapNeverDecreasesAndItsKnotsRoundTrip) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  Calibrator c(2);  // a weak prior: the noisy rates below need pooling to be monotone
  for (int i = 0; i < 3000; ++i) {
    double p = u(rng);
    c.Observe(p, u(rng) < 0.5 + 0.3 * std::sin(20 * p));  // a rate that goes up and down
  }
  c.Fit();
  ASSERT_TRUE(Calibrator::ValidKnots(c.knots()));
  double last = 0;
  for (int i = 0; i <= 1000; ++i) {
    double y = c.Map(i / 1000.0);
    EXPECT_GE(y, last - 1e-15) << i;
    EXPECT_LE(y, 1.0);
    last = y;
  }
  Calibrator copy = Calibrator::FromKnots(c.knots());
  for (double p : {0.003, 0.1, 0.33, 0.5, 0.9, 0.999}) EXPECT_EQ(copy.Map(p), c.Map(p)) << p;
  // Maps that are not maps are refused (FromKnots keeps the identity).
  EXPECT_FALSE(Calibrator::ValidKnots({{0, 0}, {0.5, 0.6}, {0.4, 0.7}, {1, 1}}));  // x goes back
  EXPECT_FALSE(Calibrator::ValidKnots({{0, 0}, {0.5, 0.6}, {0.6, 0.5}, {1, 1}}));  // y goes down
  EXPECT_FALSE(Calibrator::ValidKnots({{0, 0}, {0.5, 1.5}, {1, 1}}));
  EXPECT_FALSE(Calibrator::ValidKnots({{0, 0}, {0.5, 0.5}}));
  EXPECT_EQ(Calibrator::FromKnots({{0, 0}, {0.5, 0.9}, {0.4, 0.95}, {1, 1}}).Map(0.3), 0.3);
}

TEST(ListCalibratorTest, ApplyKeepsTheListsOrder) {
  // First predictions come true often, later ones rarely: the first map rises above the other.
  ListCalibrator c;
  std::vector<Prediction> shown = {{1, 0.3}, {2, 0.3}, {3, 0.2}};
  for (int i = 0; i < 5000; ++i) c.Observe(shown, i % 4 == 0 ? 2 : 1);  // #1 right 3/4 of the time
  c.Fit();
  std::vector<Prediction> list = {{1, 0.3}, {2, 0.29}, {3, 0.2}};
  c.Apply(&list);
  EXPECT_GT(list[0].prob, 0.6);
  for (size_t i = 1; i < list.size(); ++i) EXPECT_LE(list[i].prob, list[i - 1].prob) << i;
  EXPECT_EQ(list[0].command, 1u);
  EXPECT_EQ(list[2].command, 3u);
}

// A forgetting ListCalibrator follows a change of regime: predictions of 0.5 came true 80 % of the
// time, then 20 %; with a half-life of 3,000 lists the map follows the newer rate, without one it
// keeps the average of both regimes; with no change both give the same map.
TEST(ListCalibratorTest, WithAHalfLifeTheMapFollowsTheNewestOutcomes) {
  ListCalibrator forgetting(50, 3000), keeping(50);
  std::vector<Prediction> shown = {{1, 0.5}, {2, 0.1}};
  for (int i = 0; i < 60000; ++i) {
    const bool second_regime = i >= 30000;
    const bool first_right = second_regime ? i % 5 == 0 : i % 5 != 0;
    forgetting.Observe(shown, first_right ? 1 : 3);
    keeping.Observe(shown, first_right ? 1 : 3);
  }
  forgetting.Fit();
  keeping.Fit();
  EXPECT_NEAR(forgetting.Map(0.5, 0), 0.2, 0.03);
  EXPECT_NEAR(keeping.Map(0.5, 0), 0.5, 0.03);

  ListCalibrator steady_forgetting(50, 3000), steady(50);
  for (int i = 0; i < 1100000; ++i) {  // long enough for the weights to pass 1e100 (rescaled)
    steady_forgetting.Observe(shown, i % 4 == 0 ? 1 : 3);
    steady.Observe(shown, i % 4 == 0 ? 1 : 3);
  }
  steady_forgetting.Fit();
  steady.Fit();
  EXPECT_NEAR(steady_forgetting.Map(0.5, 0), 0.25, 0.03);
  EXPECT_NEAR(steady.Map(0.5, 0), 0.25, 0.01);
}

// The maps a GRU version keeps (gru.calib): ObserveRank learns as Observe does, the file round-trips
// every map exactly, and a missing, truncated or non-monotone file is refused.
TEST(ListCalibratorTest, RanksLearnAsIdsAndTheFileRoundTrips) {
  ListCalibrator by_id, by_rank;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 4000; ++i) {
    double p0 = 0.2 + 0.6 * u(rng), p1 = p0 * u(rng), p2 = p1 * u(rng);
    std::vector<Prediction> shown = {{7, p0}, {8, p1}, {9, p2}};
    size_t rank = u(rng) < p0 * p0 ? 0 : (u(rng) < 0.1 ? 1 : (u(rng) < 0.05 ? 2 : 3));
    by_id.Observe(shown, rank < 3 ? shown[rank].command : 99);
    by_rank.ObserveRank(shown, rank);
  }
  by_id.Fit();
  by_rank.Fit();
  const std::string path = ::testing::TempDir() + "/calibration_roundtrip.calib";
  ASSERT_TRUE(SaveListCalibrator(by_rank, path).ok());
  ListCalibrator loaded;
  ASSERT_TRUE(LoadListCalibrator(path, &loaded).ok());
  bool moved = false;
  for (double p = 0; p <= 1.0; p += 0.0137)
    for (size_t r = 0; r < 2; ++r) {
      EXPECT_EQ(by_rank.Map(p, r), by_id.Map(p, r)) << p << " " << r;
      EXPECT_EQ(loaded.Map(p, r), by_rank.Map(p, r)) << p << " " << r;
      moved |= std::abs(by_rank.Map(p, r) - p) > 0.05;
    }
  EXPECT_TRUE(moved) << "the fitted maps should differ from the identity";

  EXPECT_TRUE(LoadListCalibrator(path + ".missing", &loaded).IsNotFound());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto write = [&](const std::string& t) { std::ofstream(path) << t; };
  for (const std::string& bad :
       {text.substr(0, text.size() / 2), std::string("MEMCAL02") + text.substr(8), std::string(""),
        text + "0.5 0.5\n", std::string("MEMCAL01\nfirst 3\n0 0\n0.5 0.8\n1 1\nrest 3\n0 0\n0.5 0.9\n0.6 0.2\n")}) {
    write(bad);
    Status s = LoadListCalibrator(path, &loaded);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString() << " for: " << bad;
  }
  write("MEMCAL01\nfirst 3\n0 0\n0.5 0.8\n1 1\nrest 2\n0 0\n1 1\n");
  ASSERT_TRUE(LoadListCalibrator(path, &loaded).ok());
  EXPECT_DOUBLE_EQ(loaded.Map(0.25, 0), 0.4);
  EXPECT_DOUBLE_EQ(loaded.Map(0.25, 1), 0.25);
}

// A model that is sure of itself and right half the time: it says 0.9 for the command that comes
// next with probability 0.5.
class OverconfidentModel final : public NextCommandModel {
 public:
  void Predict(const Context&, size_t k, std::vector<Prediction>* out) override {
    out->assign({{0, 0.9}, {1, 0.05}, {2, 0.03}});
    if (out->size() > k) out->resize(k);
  }
  void Learn(const Context&, CommandId) override {}
  std::string Name() const override { return "overconfident"; }
  std::unique_ptr<NextCommandModel> Clone() const override { return std::make_unique<OverconfidentModel>(); }
};

TEST(CalibratedModelTest, SameListsInTheSameOrderWithProbabilitiesThatMatchTheOutcomes) {
  UserStream s;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) s.commands.push_back(rng() % 2 == 0 ? 0 : 1 + rng() % 2);
  auto raw = std::make_unique<OverconfidentModel>();
  auto calibrated = NewCalibratedModel(std::make_unique<OverconfidentModel>(), 50);
  ReliabilityTable raw_first, cal_first;
  std::vector<Prediction> a, b;
  Context ctx;
  for (size_t i = 0; i < s.commands.size(); ++i) {
    ctx.history = std::span<const CommandId>(s.commands.data(), i);
    raw->Predict(ctx, 5, &a);
    calibrated->Predict(ctx, 5, &b);
    ASSERT_EQ(a.size(), b.size());
    for (size_t r = 0; r < a.size(); ++r) ASSERT_EQ(a[r].command, b[r].command) << i;
    raw_first.Add(a[0].prob, a[0].command == s.commands[i]);
    if (i >= 2000) cal_first.Add(b[0].prob, b[0].command == s.commands[i]);  // after a warm-up
    calibrated->Learn(ctx, s.commands[i]);
  }
  EXPECT_NEAR(raw_first.Ece(), 0.4, 0.02);
  EXPECT_LT(cal_first.Ece(), 0.03);
  EXPECT_NEAR(cal_first.MeanProb(), 0.5, 0.03);
}

TEST(CalibratedModelTest, FactoryNamesAndBadSpecs) {
  std::unique_ptr<NextCommandModel> m;
  ASSERT_TRUE(NewModel("calibrate(mfu)", &m).ok());
  EXPECT_EQ(m->Name(), "calibrate(mfu,prior=50)");
  ASSERT_TRUE(NewModel("calibrate(markov(order=2),prior=5)", &m).ok());
  std::unique_ptr<NextCommandModel> again;
  ASSERT_TRUE(NewModel(m->Name(), &again).ok());
  EXPECT_EQ(again->Name(), m->Name());
  for (const char* bad : {"calibrate", "calibrate()", "calibrate(mfu,mru)", "calibrate(mfu,prior=-1)",
                          "calibrate(mfu,bins=3)", "calibrate(nope)"}) {
    EXPECT_FALSE(NewModel(bad, &m).ok()) << bad;
  }
}

// On the public Purdue users (skipped without ../shared): the project's best model is calibrated
// (its outer layer) and lists exactly what its uncalibrated inner model lists.
TEST(CalibratedModelTest, BestOnPurdueHitsAsItsInnerModelWithCalibratedProbabilities) {
  Vocabulary vocab;
  auto users = testing::ReadUsers(testing::SharedDir() + "/data/purdue-pu", "USER", &vocab);
  if (users.empty()) GTEST_SKIP() << "../shared/data/purdue-pu is not available";
  const std::string best = BestModelSpec();
  const std::string outer = "calibrate(";
  ASSERT_EQ(best.rfind(outer, 0), 0u) << best;
  const std::string inner = best.substr(outer.size(), best.rfind(",prior=") - outer.size());
  EvalResult raw, cal;
  ASSERT_TRUE(EvaluateOnline(inner, users, {}, 5, &raw, &vocab, DefaultEvalJobs()).ok());
  ASSERT_TRUE(EvaluateOnline("best", users, {}, 5, &cal, &vocab, DefaultEvalJobs()).ok());
  for (size_t u = 0; u < raw.users.size(); ++u)
    for (int j = 0; j < 4; ++j) EXPECT_EQ(raw.users[u].counts.hits[j], cal.users[u].counts.hits[j]) << u;
  // Measured: top-5 lists 0.0140 -> 0.0028, first predictions 0.0119 -> 0.0066.
  EXPECT_LT(cal.total.calibration.listed.Ece(), 0.5 * raw.total.calibration.listed.Ece());
  EXPECT_LT(cal.total.calibration.first.Ece(), raw.total.calibration.first.Ece());
}

// The served snapshot keeps the trainer's calibration maps; predict applies them.
TEST(IntentSnapshotCalibrationTest, TheSnapshotKeepsTheTrainersMapsAndRejectsDamagedOnes) {
  auto stream = testing::SyntheticStream(6000, 40, 5);
  IntentTrainer trainer("ppm(order=3)");
  ASSERT_TRUE(trainer.status().ok());
  int64_t ts = 1;
  for (CommandId c : stream) {
    Event e;
    e.command = "cmd" + std::to_string(c);
    e.session = "s";
    e.ts_us = ts++;
    trainer.Add(e);
  }
  const ListCalibrator fitted = trainer.FittedCalibrator();
  ASSERT_GT(fitted.first().knots().size(), 2u);  // fitted from the sample, not the identity
  const std::string path = ::testing::TempDir() + "/calibrated.snap";
  ASSERT_TRUE(trainer.Write(path).ok());
  std::unique_ptr<IntentSnapshot> snap;
  ASSERT_TRUE(IntentSnapshot::Open(path, &snap).ok());
  for (double p : {0.01, 0.1, 0.3, 0.6, 0.95})
    for (size_t rank : {0, 1, 4}) EXPECT_EQ(snap->calibrator().Map(p, rank), fitted.Map(p, rank)) << p << " " << rank;
  // The synthetic stream's chains make the first prediction right more often than raw ppm says.
  bool moved = false;
  for (double p : {0.1, 0.3, 0.6}) moved |= std::abs(snap->calibrator().Map(p, 0) - p) > 0.01;
  EXPECT_TRUE(moved);
  snap.reset();
  // A map whose y decreases is damage: the file does not open (predict rebuilds it).
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  // The first map's last inner y, found in the header by its value, made negative.
  const auto& knots = fitted.first().knots();
  ASSERT_GT(knots.size(), 3u);
  std::string damaged = bytes;
  bool changed = false;
  for (size_t off = 0; off + sizeof(double) <= std::min<size_t>(4096, damaged.size()); off += 8) {
    double v;
    std::memcpy(&v, damaged.data() + off, sizeof v);
    if (v == knots[knots.size() - 2].y) {
      double bad = -0.5;
      std::memcpy(damaged.data() + off, &bad, sizeof bad);
      changed = true;
      break;
    }
  }
  ASSERT_TRUE(changed);
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << damaged;
  }
  Status s = IntentSnapshot::Open(path, &snap);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.ToString().find("calibration"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace memory::learner
