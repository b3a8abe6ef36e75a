// A GRU intent champion: trained by `memory train` beside the count model when memory-train is
// built, served by `memory predict` (ranked by the GRU, named by the live snapshot), and a corrupt
// weight file falls back to the live count model with a warning.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "learner/gru.h"
#include "learner/intent_snapshot.h"
#include "learner/registry.h"
#include "learner/template.h"
#include "tests/cli/cli_test_util.h"

namespace memory::learner {
namespace {

namespace fs = std::filesystem;
using memory::testing::Quote;
using nlohmann::json;

class GruServingTest : public memory::testing::CliTest {
 protected:
  // `memory predict --json --context -` with `context` on stdin.
  int Predict(const std::string& context, const std::string& extra, std::string* out, std::string* err) {
    return Sh("printf '%s\\n' " + Quote(context) + " | " + MEMORY_BIN + " --db " + Quote(db_) +
                  " predict --json --no-refresh --context - " + extra,
              out, err);
  }
  void Record(const std::string& session, const std::string& cmd) {
    std::string out;
    ASSERT_EQ(Mem("record --session " + session + " --cwd /w --exit 0 --cmd " + Quote(cmd), &out), 0) << out;
  }
  // Random weights over `texts` (texts[0] = "<unk>"), committed and promoted as a GRU version.
  std::string MakeGruChampion(const std::vector<std::string>& texts, uint32_t seed) {
    GruWeights w;
    w.vocab = static_cast<uint32_t>(texts.size());
    w.embed = 4;
    w.hidden = 6;
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0, 1);
    auto fill = [&](std::vector<float>* v, size_t n) { for (size_t i = 0; i < n; ++i) v->push_back(d(rng)); };
    fill(&w.embedding, w.vocab * w.embed);
    fill(&w.w_ih, 3 * w.hidden * w.embed);
    fill(&w.w_hh, 3 * w.hidden * w.hidden);
    fill(&w.b_ih, 3 * w.hidden);
    fill(&w.b_hh, 3 * w.hidden);
    fill(&w.out_w, w.vocab * w.hidden);
    fill(&w.out_b, w.vocab);
    w.texts = texts;
    ModelRegistry reg(db_ + "/models");
    std::string staging;
    EXPECT_TRUE(reg.Stage("intent", &staging).ok());
    EXPECT_TRUE(w.Save(staging + "/" + kGruFile).ok());
    ModelVersionInfo info;
    info.kind = "intent";
    info.config = kGruVersionConfig;
    EXPECT_TRUE(reg.Commit(staging, &info).ok());
    Status s = reg.Promote("intent", info.version, "forced", "test", ValidateIntentVersion);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return info.version;
  }
  std::string VersionDir(const std::string& v) { return db_ + "/models/intent/" + v; }
  bool HaveTrainer() { return fs::exists(fs::path(MEMORY_BIN).parent_path() / "memory-train"); }
};

TEST_F(GruServingTest, PredictRanksWithTheGruChampionAndNamesCommandsFromTheContext) {
  for (int i = 0; i < 3; ++i)
    for (const char* cmd : {"vim src/a.cc", "make", "make test", "git status"}) Record("s1", cmd);
  const std::string v = MakeGruChampion({"<unk>", "vim <path>", "make", "make test", "git status", "ls"}, 7);

  const std::vector<std::string> history = {"vim src/b.cc", "make", "git status"};
  std::string out, err;
  ASSERT_EQ(Predict(json{{"cwd", "/w"}, {"history", history}}.dump(), "--top 4", &out, &err), 0)
      << out << err;
  json j = json::parse(out);
  EXPECT_EQ(j["model"], kGruVersionConfig);
  EXPECT_EQ(j["version"], v);

  // The same ranking computed here through the Eigen GRU.
  std::shared_ptr<const GruNet> net;
  ASSERT_TRUE(OpenGruNet(VersionDir(v) + "/" + kGruFile, &net).ok());
  GruSession session(net.get());
  for (const std::string& h : history) session.Observe(CommandTemplate(h));
  std::vector<std::pair<int32_t, double>> top;
  session.Top(4, &top);
  ASSERT_EQ(j["predictions"].size(), top.size());
  for (size_t i = 0; i < top.size(); ++i) {
    const json& p = j["predictions"][i];
    const std::string tmpl(session.Text(top[i].first));
    EXPECT_EQ(p["template"], tmpl);
    EXPECT_NEAR(p["prob"].get<double>(), top[i].second, 1e-9);
    EXPECT_EQ(p["source"], "gru");
    // Shown as this context's most recent command of the template, else the store's, else the
    // template ("ls" was never recorded).
    if (tmpl == "vim <path>") EXPECT_EQ(p["command"], "vim src/b.cc");
    else if (tmpl == "make test") EXPECT_EQ(p["command"], "make test");
    else if (tmpl == "ls") EXPECT_EQ(p["command"], "ls");
    else EXPECT_EQ(p["command"], tmpl);
  }
}

// A GRU version with calibration maps (gru.calib, written by `memory train`): predict shows the
// mapped probabilities in the GRU's order; a damaged map makes the version unloadable (served
// by the live model with a warning, as damaged weights are).
TEST_F(GruServingTest, PredictAppliesTheGruVersionsCalibration) {
  for (const char* cmd : {"vim src/a.cc", "make", "make test", "git status"}) Record("s1", cmd);
  const std::string v = MakeGruChampion({"<unk>", "vim <path>", "make", "make test", "git status", "ls"}, 11);
  const std::string context = R"({"cwd":"/w","history":["make","git status"]})";
  std::string out, err;
  ASSERT_EQ(Predict(context, "--top 4", &out, &err), 0) << err;
  const json raw = json::parse(out)["predictions"];
  ASSERT_EQ(raw.size(), 4u) << out;

  // First prediction: p -> p / 2 up to 0.9; the others: p -> p / 5 up to 0.5.
  ListCalibrator map;
  std::ofstream(VersionDir(v) + "/" + kGruCalibrationFile)
      << "MEMCAL01\nfirst 3\n0 0\n0.9 0.45\n1 1\nrest 3\n0 0\n0.5 0.1\n1 1\n";
  ASSERT_TRUE(LoadListCalibrator(VersionDir(v) + "/" + kGruCalibrationFile, &map).ok());
  ASSERT_EQ(Predict(context, "--top 4", &out, &err), 0) << err;
  const json cal = json::parse(out);
  EXPECT_EQ(cal["version"], v);
  ASSERT_EQ(cal["predictions"].size(), raw.size());
  std::vector<Prediction> want;
  for (const json& p : raw) want.push_back({kNoCommand, p["prob"].get<double>()});
  map.Apply(&want);
  for (size_t i = 0; i < raw.size(); ++i) {
    EXPECT_EQ(cal["predictions"][i]["template"], raw[i]["template"]) << i;
    EXPECT_NEAR(cal["predictions"][i]["prob"].get<double>(), want[i].prob, 1e-12) << i;
    EXPECT_LT(cal["predictions"][i]["prob"].get<double>(), raw[i]["prob"].get<double>()) << i;
  }

  std::ofstream(VersionDir(v) + "/" + kGruCalibrationFile) << "MEMCAL01\nfirst 2\n0 0\n";
  ASSERT_EQ(Predict(context, "", &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["version"], "") << out;
  EXPECT_NE(err.find("champion " + v + " does not load"), std::string::npos) << err;
}

TEST_F(GruServingTest, CorruptGruChampionFallsBackToTheLiveModelWithAWarning) {
  for (const char* cmd : {"vim src/a.cc", "make", "make test"}) Record("s1", cmd);
  const std::string v = MakeGruChampion({"<unk>", "vim <path>", "make", "make test"}, 3);
  const std::string file = VersionDir(v) + "/" + kGruFile;
  fs::resize_file(file, fs::file_size(file) / 2);  // truncated weights

  std::string out, err;
  ASSERT_EQ(Predict(R"({"cwd":"/w","history":["make"]})", "", &out, &err),
            0)
      << err;
  json j = json::parse(out);
  EXPECT_EQ(j["model"].get<std::string>().rfind("ppm(", 0), 0u) << out;  // the live count model
  EXPECT_EQ(j["version"], "");
  EXPECT_FALSE(j["predictions"].empty());
  EXPECT_NE(err.find("champion " + v + " does not load"), std::string::npos) << err;

  // Promoting it again is refused: the weights do not load.
  EXPECT_NE(Mem("model promote " + v, &out, &err), 0);
}

TEST_F(GruServingTest, MissingTrainerIsANoteNotAnError) {
  std::string out_, err;
  ASSERT_EQ(Mem("simulate --events 1500 --seed 3 --recent --to-store", &out_), 0) << out_;
  ASSERT_EQ(Sh("MEMORY_TRAIN=" + Quote(dir_ + "/nope") + " " + MEMORY_BIN + " --db " + Quote(db_) + " train --json", &out_,
               &err),
            0)
      << err;
  json r = json::parse(out_);
  EXPECT_EQ(r["decision"], "first");
  EXPECT_EQ(r["config"], PredictModelSpec());  // the count model only
  ASSERT_EQ(r["candidates"].size(), 1u);
  ASSERT_EQ(r["notes"].size(), 1u);
  EXPECT_NE(r["notes"][0].get<std::string>().find("MEMORY_TRAIN"), std::string::npos);

  // A trainer that fails: reported, the count model is still trained and gated.
  ASSERT_EQ(Sh("MEMORY_TRAIN=/bin/false " + std::string(MEMORY_BIN) + " --db " + Quote(db_) + " train --force --json",
               &out_, &err),
            0)
      << err;
  r = json::parse(out_);
  EXPECT_EQ(r["candidates"].size(), 1u);
  ASSERT_EQ(r["notes"].size(), 1u);
  EXPECT_NE(r["notes"][0].get<std::string>().find("memory-train failed (exit 1)"), std::string::npos) << out_;
  for (const auto& d : fs::directory_iterator(db_ + "/models/intent"))
    EXPECT_NE(d.path().filename().string().rfind(".staging", 0), 0u) << "leftover " << d.path();
}

TEST_F(GruServingTest, TrainAddsAGruChallengerAndPromotesTheBetterOne) {
  if (!HaveTrainer()) GTEST_SKIP() << "memory-train is not built beside " << MEMORY_BIN;
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 3000 --seed 5 --recent --to-store", &out), 0) << out;
  ASSERT_EQ(Mem("train --json --neural-epochs 1 --neural-hidden 16 --neural-embed 8", &out, &err), 0) << err;
  json r = json::parse(out);
  ASSERT_EQ(r["candidates"].size(), 2u) << out;
  std::string gru_version, ppm_version;
  double gru_top1 = 0, ppm_top1 = 0;
  for (const json& c : r["candidates"]) {
    EXPECT_GT(c["eval_events"].get<int>(), 0);
    (c["config"] == kGruVersionConfig ? gru_version : ppm_version) = c["version"];
    (c["config"] == kGruVersionConfig ? gru_top1 : ppm_top1) = c["challenger"]["top1"].get<double>();
    if (c["config"] == kGruVersionConfig)
      for (const char* m : {"ece_top1", "ece_top5", "ece_top1_raw", "ece_top5_raw"}) {
        ASSERT_TRUE(c["challenger"].contains(m)) << m << ": " << out;
        EXPECT_GE(c["challenger"][m].get<double>(), 0.0) << m;
        EXPECT_LT(c["challenger"][m].get<double>(), 1.0) << m;
      }
  }
  ASSERT_FALSE(gru_version.empty()) << out;
  ASSERT_FALSE(ppm_version.empty()) << out;
  EXPECT_TRUE(fs::exists(VersionDir(gru_version) + "/" + kGruFile));
  // The GRU challenger's calibration, fitted on the held-out slice, is kept with its weights, and
  // the report gives the calibration predict would show (cross-fitted) beside the raw softmax's.
  EXPECT_TRUE(fs::exists(VersionDir(gru_version) + "/" + kGruCalibrationFile));
  EXPECT_TRUE(ValidateIntentVersion(VersionDir(gru_version)).ok());
  EXPECT_FALSE(fs::exists(VersionDir(gru_version) + "/train.jsonl"));  // the exported commands are removed
  EXPECT_TRUE(fs::exists(VersionDir(ppm_version) + "/" + kIntentSnapshotFile));
  // No champion before: the higher top-1 wins, the other is rejected naming why.
  const std::string winner = gru_top1 > ppm_top1 ? gru_version : ppm_version;
  EXPECT_EQ(r["version"], winner);
  EXPECT_EQ(r["decision"], "first");
  EXPECT_EQ(r["candidates"][1]["decision"], "rejected");
  EXPECT_NE(r["candidates"][1]["reason"].get<std::string>().find("below"), std::string::npos);

  ASSERT_EQ(Mem("model list --json", &out), 0);
  int champions = 0;
  for (const json& v : json::parse(out)) champions += v["status"] == "champion";
  EXPECT_EQ(champions, 1);

  // The GRU version served by predict once it is the champion.
  ASSERT_EQ(Mem("model promote " + gru_version, &out, &err), 0) << err;
  ASSERT_EQ(Predict(R"({"history":["ls"]})", "", &out, &err), 0) << err;
  json p = json::parse(out);
  EXPECT_EQ(p["model"], kGruVersionConfig);
  EXPECT_EQ(p["version"], gru_version);
  EXPECT_FALSE(p["predictions"].empty());

  // A GRU champion is the one the next training compares against (forced: no new events).
  ASSERT_EQ(Mem("train --json --force --neural-epochs 1 --neural-hidden 16 --neural-embed 8", &out, &err), 0) << err;
  r = json::parse(out);
  EXPECT_EQ(r["previous_champion"], gru_version);
  EXPECT_TRUE(r["champion"].contains("top1")) << out;
}

}  // namespace
}  // namespace memory::learner
