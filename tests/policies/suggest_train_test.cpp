// `memory train --model bandit` as a library (policies/suggest_train.h): a store with recorded
// commands and logged suggestion decisions (uniform logging policy, explicit rewards), trained
// against the registry's champion with the off-policy gate.
#include "policies/suggest_train.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "learner/registry.h"
#include "policies/decision_log.h"
#include "policies/policy.h"
#include "store/recorder.h"

namespace memory::policies {
namespace {

const std::vector<std::string> kTools = {"git", "tar", "grep", "make", "python3"};
// Tasks that share no word with any command: only logged feedback can teach them.
const std::vector<std::string> kTasks = {"ship the release", "pack holiday archive", "look for notes",
                                         "compile everything", "run the experiment"};

class BanditTrain : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/memory-bandit-train-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    t_ = 1'700'000'000'000'000;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Record(std::vector<Event>& events) {
    RecorderOptions ro;
    ro.dir = dir_ + "/db";
    ASSERT_TRUE(RecordEvents(ro, events).ok());
  }
  void Commands() {
    std::vector<Event> ev;
    const std::vector<std::string> lines = {"git commit -m 'fix typo'", "tar czf backup.tgz photos", "grep -rn TODO src",
                                            "make -j4 test", "python3 train.py --epochs 3"};
    for (int i = 0; i < 6; ++i)
      for (const auto& l : lines) {
        Event e;
        e.command = l;
        e.ts_us = t_ += 1'000'000;
        e.cwd = "/w";
        e.session = "shell";
        e.exit_code = 0;
        ev.push_back(e);
      }
    Record(ev);
  }
  // `n` suggestions chosen uniformly at random; reward 1 when the tool fits the task (or, with
  // `random_rewards`, a coin flip whatever the tool), sent with `memory reward`'s event shape.
  void Decisions(int n, bool random_rewards, uint64_t seed) {
    Rng rng(seed);
    std::vector<Event> ev;
    for (int i = 0; i < n; ++i) {
      const int task = static_cast<int>(rng.Uniform() * kTasks.size());
      const int action = static_cast<int>(rng.Uniform() * kTools.size());
      Event e;
      e.kind = EventKind::kToolCall;
      e.command = "memory suggest";
      e.tags = {kSuggestTag};
      e.params_json = std::string("{\"task\":\"") + kTasks[task] + "\"}";
      e.cwd = "/w";
      e.session = "s" + std::to_string(i % sessions_);
      e.ts_us = t_ += 30'000'000;  // 30 s apart: most reward windows (10 min) close within the data
      e.exit_code = 0;
      Decision d;
      d.decision_id = "d" + std::to_string(seed) + "-" + std::to_string(i);
      d.policy = "uniform";
      d.action_set = kTools;
      d.action = kTools[action];
      d.probability = 1.0 / kTools.size();
      e.decision = d;
      ev.push_back(e);
      Event r = e;
      r.command = "memory reward";
      r.tags = {kRewardTag};
      r.params_json.clear();
      r.ts_us = t_ += 1000;
      r.decision->reward = random_rewards ? (rng.Uniform() < 0.5 ? 1.0 : 0.0) : (task == action ? 1.0 : 0.0);
      ev.push_back(r);
    }
    Record(ev);
  }
  learner::TrainOutcome Train(bool force = false) {
    std::unique_ptr<Store> store;
    StoreOptions so;
    so.dir = dir_ + "/db";
    so.mode = StoreOptions::Mode::kReadOnly;
    EXPECT_TRUE(Store::Open(so, &store).ok());
    learner::ModelRegistry reg(dir_ + "/db/models");
    BanditTrainOptions o;
    o.holdout = 0.2;
    o.force = force;
    o.code_version = "test";
    learner::TrainOutcome out;
    Status s = TrainBandit(*store, reg, o, nullptr, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  std::string Champion() {
    std::string v;
    learner::ModelRegistry(dir_ + "/db/models").Champion(kBanditKind, &v);
    return v;
  }
  std::string dir_;
  int64_t t_;
  int sessions_ = 25;
};

TEST_F(BanditTrain, FirstModelThenGatedPromotionThenRejection) {
  Commands();
  learner::TrainOutcome first = Train();
  EXPECT_EQ(first.decision, "first") << first.reason;
  EXPECT_EQ(Champion(), first.version);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/db/models/bandit/" + first.version + "/policy.bin"));

  // No new data: kept without training.
  learner::TrainOutcome again = Train();
  EXPECT_EQ(again.decision, "kept");
  EXPECT_TRUE(again.version.empty());

  // Too few logged decisions since the champion: it is kept and the report says why.
  Decisions(10, false, 1);
  learner::TrainOutcome few = Train();
  EXPECT_EQ(few.decision, "kept");
  EXPECT_NE(few.reason.find("too few logged suggestion decisions"), std::string::npos) << few.reason;

  // Feedback that teaches which tool fits which task: the challenger learned it from the older
  // decisions, the champion never saw any; on the newest 20 % the challenger is clearly better.
  Decisions(600, false, 2);
  learner::TrainOutcome better = Train();
  ASSERT_EQ(better.decision, "promoted") << better.reason;
  EXPECT_GT(better.lo, 0.3) << better.reason;
  EXPECT_GT(better.info.metrics.at("value_snips"), better.info.champion_metrics.at("value_snips") + 0.3);
  EXPECT_GE(better.info.eval_events, 120);
  EXPECT_GT(better.clusters, 1);
  EXPECT_LE(better.clusters, 25);
  EXPECT_EQ(Champion(), better.version);

  // Rewards that no longer depend on the tool: nobody can be better beyond noise.
  Decisions(300, true, 3);
  learner::TrainOutcome noise = Train();
  EXPECT_EQ(noise.decision, "rejected") << noise.reason;
  EXPECT_LE(noise.lo, 0) << noise.reason;
  EXPECT_EQ(Champion(), better.version);
  learner::ModelVersionInfo info;
  ASSERT_TRUE(learner::ModelRegistry(dir_ + "/db/models").Get(kBanditKind, noise.version, &info).ok());
  EXPECT_EQ(info.status, "rejected");
}

// All suggestions from one terminal: one session cannot be resampled (its bootstrap interval
// would have zero width), so the gate resamples single decisions and says so.
TEST_F(BanditTrain, OneSessionFallsBackToDecisions) {
  sessions_ = 1;
  Commands();
  ASSERT_EQ(Train().decision, "first");
  Decisions(600, false, 5);
  learner::TrainOutcome r = Train();
  EXPECT_EQ(r.decision, "promoted") << r.reason;
  EXPECT_NE(r.reason.find("bootstrap over decisions: only 1 sessions"), std::string::npos) << r.reason;
  EXPECT_LT(r.lo, r.diff - 0.02) << r.reason;  // a real interval, not a point
  EXPECT_GT(r.hi, r.diff + 0.02) << r.reason;
  EXPECT_EQ(r.clusters, 1);
}

TEST_F(BanditTrain, LoadedChampionSuggestsWhatItLearned) {
  Commands();
  Decisions(400, false, 4);
  learner::TrainOutcome first = Train();
  ASSERT_EQ(first.decision, "first") << first.reason;
  std::unique_ptr<SuggestModel> m;
  SuggestOptions so;
  so.top = 5;
  ASSERT_TRUE(SuggestModel::Load(dir_ + "/db/models/bandit/" + first.version, so, &m).ok());
  EXPECT_EQ(m->learned_commands(), 30u);
  EXPECT_GT(m->learned_suggestions(), 300u);
  SuggestResult r;
  ASSERT_TRUE(m->Answer("compile everything", "/w", &r).ok());
  EXPECT_EQ(r.items[0].tool, "make");
  EXPECT_EQ(r.items[0].example, "make -j4 test");
  ASSERT_TRUE(m->Answer("ship the release", "/w", &r).ok());
  EXPECT_EQ(r.items[0].tool, "git");

  // Damaged files: Load fails naming the file.
  const std::string dir = dir_ + "/db/models/bandit/" + first.version;
  std::ofstream(dir + "/policy.bin", std::ios::binary | std::ios::app) << "x";
  Status s = SuggestModel::Load(dir, so, &m);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("policy.bin"), std::string::npos) << s.ToString();
  std::ofstream(dir + "/suggest.json", std::ios::binary) << "{\"format\": 1";
  s = SuggestModel::Load(dir, so, &m);
  EXPECT_NE(s.ToString().find("suggest.json"), std::string::npos) << s.ToString();
  EXPECT_FALSE(ValidateBanditVersion(dir).ok());
}

}  // namespace
}  // namespace memory::policies
