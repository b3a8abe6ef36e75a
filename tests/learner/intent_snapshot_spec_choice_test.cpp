// `memory train` trains every count-model spec of PredictModelSpecs() and chooses among them on the
// last part of its training range, before the champion gate: a history whose next command depends
// on a command further back than the default's context order ends with a higher-order champion,
// which `memory predict` then serves; a history where the previous command decides keeps the
// default, and the specs not chosen are reported but not registered. The specs are trained one
// after the other (one count model in memory at a time): the report and the served snapshot are
// what one trainer per spec, fed the same events, gives.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "learner/intent_snapshot.h"
#include "learner/template.h"
#include "store/store.h"
#include "tests/cli/cli_test_util.h"

namespace memory::learner {
namespace {

using nlohmann::json;
using memory::testing::Quote;

int OrderOf(const std::string& spec) {
  const size_t at = spec.find("order=");
  return at == std::string::npos ? 0 : std::stoi(spec.substr(at + 6));
}

class TrainSpecChoiceTest : public memory::testing::CliTest {
 protected:
  // Imports `sessions` (each a list of commands, session i run in /w) as recent events: 10 s
  // apart, sessions an hour apart, all within the last 40 days (train's default --since is 90d).
  void Import(const std::vector<std::vector<std::string>>& sessions) {
    const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    int64_t ts = now - int64_t{40} * 86400 * 1000000;
    const std::string path = dir_ + "/history.jsonl";
    std::ofstream f(path);
    for (size_t i = 0; i < sessions.size(); ++i) {
      for (const std::string& c : sessions[i]) {
        f << json{{"ts", ts}, {"kind", "shell"}, {"command", c}, {"session", "s" + std::to_string(i)},
                  {"cwd", "/w"}, {"exit", 0}}.dump() << "\n";
        ts += 10 * 1000000;
      }
      ts += int64_t{3600} * 1000000;
    }
    f.close();
    std::string out, err;
    ASSERT_EQ(Mem("import --format jsonl " + Quote(path), &out, &err), 0) << err;
  }
  json Train(const std::string& extra = "") {
    std::string out, err;
    EXPECT_EQ(Mem("train --model intent --no-neural --json" + extra, &out, &err), 0) << err;
    return json::parse(out, nullptr, false);
  }
  // Sessions open_K, step0 .. step{d-1}, close_K (K one of 8 names), about 3000 events: the last
  // d commands say nothing about K, the one before them (d + 1 back) decides it.
  std::vector<std::vector<std::string>> LongContextSessions(int d, std::vector<std::string>* steps) {
    const std::vector<std::string> names = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"};
    std::mt19937 rng(7);
    std::vector<std::vector<std::string>> sessions;
    for (int i = 0; i < d; ++i) steps->push_back("step" + std::to_string(i));
    while (sessions.size() * (d + 2) < 3000) {
      const std::string k = names[rng() % names.size()];
      std::vector<std::string> s = {"open_" + k};
      s.insert(s.end(), steps->begin(), steps->end());
      s.push_back("close_" + k);
      sessions.push_back(std::move(s));
    }
    return sessions;
  }
  size_t Versions() {
    std::string out;
    EXPECT_EQ(Mem("model list --json", &out), 0);
    return json::parse(out).size();
  }
};

TEST_F(TrainSpecChoiceTest, LongContextHistoryEndsWithAHigherOrderChampion) {
  const std::vector<std::string> specs = PredictModelSpecs();
  ASSERT_GE(specs.size(), 2u);
  const int d = OrderOf(specs[0]);
  int longest = 0;
  for (const std::string& s : specs) longest = std::max(longest, OrderOf(s));
  ASSERT_GT(d, 0) << specs[0];
  if (longest <= d) GTEST_SKIP() << "no spec of a higher order than the default " << specs[0];
  std::vector<std::string> steps;
  Import(LongContextSessions(d, &steps));
  json r = Train();
  ASSERT_FALSE(r.is_discarded());
  EXPECT_EQ(r["decision"], "first") << r.dump();
  const std::string chosen = r["config"];
  EXPECT_GT(OrderOf(chosen), d) << r.dump();
  ASSERT_TRUE(r.contains("count_models")) << r.dump();
  ASSERT_EQ(r["count_models"].size(), specs.size()) << r.dump();
  double default_top1 = -1;
  for (const json& c : r["count_models"]) {
    if (c["config"] == specs[0]) default_top1 = c["selection"]["top1"].get<double>();
    if (c["config"] == chosen) {
      EXPECT_EQ(c["decision"], "chosen");
      EXPECT_EQ(c["version"], r["version"]);
    } else {
      EXPECT_EQ(c["decision"], "not chosen");
    }
    EXPECT_GT(c["selection"]["events"].get<double>(), 200) << c.dump();
  }
  // The default is far behind on the selection range: the other cannot tell K.
  ASSERT_GE(default_top1, 0) << r.dump();
  EXPECT_GT(r["selection"]["top1"].get<double>(), default_top1 + 0.1) << r.dump();
  EXPECT_EQ(Versions(), 1u);  // the specs not chosen are not registered

  // predict serves the champion's spec and recalls K from d + 1 commands back.
  std::vector<std::string> history = {"open_charlie"};
  history.insert(history.end(), steps.begin(), steps.end());
  memory::testing::RunOptions ro;
  ro.stdin_text = json{{"history", history}, {"cwd", "/w"}}.dump();
  auto p = memory::testing::RunMemory("--db " + Quote(db_) + " predict --context - --json --no-refresh", ro);
  ASSERT_EQ(p.code, 0) << p.err;
  json pj = json::parse(p.out);
  EXPECT_EQ(pj["version"], r["version"]) << p.out;
  EXPECT_EQ(OrderOf(pj["model"]), OrderOf(chosen)) << p.out;
  ASSERT_FALSE(pj["predictions"].empty()) << p.out;
  EXPECT_EQ(pj["predictions"][0]["command"], "close_charlie") << p.out;
}

// Top-1/3/5 of `snap` replayed over `events` with serving contexts (as the train gate does).
std::vector<double> Replay(const IntentSnapshot& snap, const std::vector<Event>& events) {
  std::unordered_map<std::string, IntentSessionState> sessions;
  std::vector<Prediction> preds;
  double h[3] = {0, 0, 0};
  for (const Event& e : events) {
    IntentSessionState& st = sessions[SessionKeyOf(e)];
    Context ctx;
    st.Fill(e, snap.FindCwd(e.cwd), &ctx);
    snap.Predict(ctx, 5, &preds, nullptr);
    const CommandId actual = snap.Find(e.kind == EventKind::kToolCall ? e.command : CommandTemplate(e.command));
    for (size_t r = 0; r < preds.size(); ++r)
      if (actual != kNoCommand && preds[r].command == actual) {
        h[0] += r < 1, h[1] += r < 3, h[2] += r < 5;
        break;
      }
    st.Advance(e, actual);
  }
  const double n = static_cast<double>(events.size());
  return {h[0] / n, h[1] / n, h[2] / n};
}

TEST_F(TrainSpecChoiceTest, ReportAndChallengerAreWhatOneTrainerPerSpecGives) {
  // Sessions need the command 2 back (open_K, x, close_K) or 4 back (open_K, y0, y1, y2,
  // close_K): order 2 beats order 1 beyond noise and order 4 beats both, so the choice moves on
  // twice and the staged challenger is replaced by a later spec's.
  const std::vector<std::string> names = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"};
  std::mt19937 rng(5);
  std::vector<std::vector<std::string>> sessions;
  size_t events = 0;
  while (events < 3000) {
    const std::string k = names[rng() % names.size()];
    sessions.push_back(rng() % 2 ? std::vector<std::string>{"open_" + k, "x", "close_" + k}
                                 : std::vector<std::string>{"open_" + k, "y0", "y1", "y2", "close_" + k});
    events += sessions.back().size();
  }
  Import(sessions);
  const std::vector<std::string> specs = {"ppm(order=1,decay=0.9,escape=8)", "ppm(order=2,decay=0.9,escape=8)",
                                          "ppm(order=4,decay=0.9,escape=8)"};
  std::string extra;
  for (const std::string& s : specs) extra += " --count-model " + Quote(s);
  json r = Train(extra);
  ASSERT_FALSE(r.is_discarded());
  ASSERT_EQ(r["config"], specs[2]) << r.dump();
  ASSERT_EQ(r["count_models"].size(), 3u) << r.dump();

  // The store's events oldest first: the first `events` trained the challenger, the last
  // `selection.events` of those chose it.
  std::vector<Event> all;
  {
    StoreOptions so;
    so.dir = db_;
    so.mode = StoreOptions::Mode::kReadOnly;
    std::unique_ptr<Store> store;
    ASSERT_TRUE(Store::Open(so, &store).ok());
    ScanOptions scan;
    scan.newest_first = false;
    ASSERT_TRUE(store->Scan(scan, [&](const Event& e) { return all.push_back(e), true; }).ok());
  }
  const size_t trained = r["events"].get<size_t>();
  const size_t selected = r["selection"]["events"].get<size_t>();
  ASSERT_LE(trained, all.size());
  ASSERT_GT(selected, 200u);
  ASSERT_LT(selected, trained);
  const std::vector<Event> before(all.begin(), all.begin() + static_cast<long>(trained - selected));
  const std::vector<Event> range(all.begin() + static_cast<long>(trained - selected), all.begin() + static_cast<long>(trained));
  std::vector<double> top1;
  for (size_t i = 0; i < specs.size(); ++i) {
    const json& c = r["count_models"][i == 2 ? 0 : i + 1];  // the chosen one is listed first
    ASSERT_EQ(c["config"], specs[i]) << r.dump();
    IntentTrainer t(specs[i]);
    for (const Event& e : before) t.Add(e);
    const std::string path = dir_ + "/select.snap";
    ASSERT_TRUE(t.Write(path).ok());
    std::unique_ptr<IntentSnapshot> snap;
    ASSERT_TRUE(IntentSnapshot::Open(path, &snap).ok());
    const std::vector<double> hits = Replay(*snap, range);
    EXPECT_DOUBLE_EQ(c["selection"]["top1"].get<double>(), hits[0]) << c.dump();
    EXPECT_DOUBLE_EQ(c["selection"]["top3"].get<double>(), hits[1]) << c.dump();
    EXPECT_DOUBLE_EQ(c["selection"]["top5"].get<double>(), hits[2]) << c.dump();
    top1.push_back(hits[0]);
    if (i == 1) {  // better than the default beyond noise, but below the chosen spec
      EXPECT_NE(c["reason"].get<std::string>().find("better, but below the chosen spec"), std::string::npos) << c.dump();
      EXPECT_GT(c["ci95"][0].get<double>(), 0.0) << c.dump();
    }
    if (i > 0 && i != 2) {
      EXPECT_NEAR(c["top1_difference"].get<double>(), hits[0] - top1[0], 1e-12);
    }
    if (i != 2) continue;
    // The challenger: this spec trained on every training event, byte for byte.
    for (const Event& e : range) t.Add(e);
    ASSERT_TRUE(t.Write(path).ok());
    const std::string served = db_ + "/models/intent/" + r["version"].get<std::string>() + "/intent.snap";
    EXPECT_EQ(memory::testing::ReadAll(path), memory::testing::ReadAll(served));
  }
  EXPECT_GT(top1[1], top1[0] + 0.05);
  EXPECT_GT(top1[2], top1[1] + 0.05);
  EXPECT_NEAR(r["count_models"][1]["top1_difference"].get<double>(), top1[0] - top1[2], 1e-12) << r.dump();
}

TEST_F(TrainSpecChoiceTest, WhenThePreviousCommandDecidesTheDefaultIsKept) {
  const std::vector<std::string> specs = PredictModelSpecs();
  ASSERT_GE(specs.size(), 2u);
  // Four fixed chains, one picked at random per session: after the first command every order
  // predicts alike.
  std::mt19937 rng(11);
  std::vector<std::vector<std::string>> sessions;
  size_t events = 0;
  while (events < 3000) {
    const std::string c = "chain" + std::to_string(rng() % 4);
    sessions.push_back({c + "_start", c + "_edit", c + "_build", c + "_test", c + "_push"});
    events += 5;
  }
  Import(sessions);
  json r = Train();
  ASSERT_FALSE(r.is_discarded());
  EXPECT_EQ(r["decision"], "first") << r.dump();
  EXPECT_EQ(r["config"], specs[0]) << r.dump();
  ASSERT_EQ(r["count_models"].size(), specs.size()) << r.dump();
  EXPECT_EQ(r["count_models"][0]["decision"], "chosen");
  for (size_t i = 1; i < specs.size(); ++i) {
    const json& c = r["count_models"][i];
    EXPECT_EQ(c["config"], specs[i]);
    EXPECT_EQ(c["decision"], "not chosen");
    EXPECT_NE(c["reason"].get<std::string>().find("not better beyond noise"), std::string::npos) << c.dump();
    EXPECT_LE(c["ci95"][0].get<double>(), 0.0);
  }
  bool noted = false;
  for (const json& n : r["notes"]) noted |= n.get<std::string>().find("kept the default") != std::string::npos;
  EXPECT_TRUE(noted) << r.dump();
  EXPECT_EQ(Versions(), 1u);
}

TEST_F(TrainSpecChoiceTest, CountModelOptionsNameTheSpecsToChooseAmong) {
  std::vector<std::string> steps;
  Import(LongContextSessions(2, &steps));
  const std::string a = "ppm(order=2,decay=0.9,escape=8)", b = "ppm(order=3,decay=0.9,escape=8)";
  json r = Train(" --count-model " + Quote(a) + " --count-model " + Quote(b));
  ASSERT_FALSE(r.is_discarded());
  EXPECT_EQ(r["config"], b) << r.dump();
  ASSERT_EQ(r["count_models"].size(), 2u) << r.dump();
  EXPECT_EQ(r["count_models"][1]["config"], a);
  EXPECT_EQ(r["count_models"][1]["decision"], "not chosen");

  // Bad specs: exit 2 naming the spec, before anything is trained.
  std::string out, err;
  EXPECT_EQ(Mem("train --no-neural --count-model ipam", &out, &err), 2);
  EXPECT_NE(err.find("--count-model 'ipam': the predict model must be a ppm model"), std::string::npos) << err;
  EXPECT_EQ(Mem("train --no-neural --count-model 'ppm(order=x)'", &out, &err), 2);
  EXPECT_NE(err.find("--count-model 'ppm(order=x)'"), std::string::npos) << err;
  EXPECT_EQ(Versions(), 1u);
}

TEST_F(TrainSpecChoiceTest, TooFewEventsToChooseTrainTheDefault) {
  // 450 events: 45 held out for the gate, 40 at the end of the training range (< --min-eval 200).
  std::vector<std::vector<std::string>> sessions;
  for (int i = 0; i < 90; ++i) sessions.push_back({"a", "b", "c", "d", "e"});
  Import(sessions);
  json r = Train();
  ASSERT_FALSE(r.is_discarded());
  EXPECT_EQ(r["config"], PredictModelSpec()) << r.dump();
  EXPECT_FALSE(r.contains("count_models")) << r.dump();
  EXPECT_NE(memory::testing::ReadAll(db_ + "/models/train.log").find("training the default"), std::string::npos);
}

}  // namespace
}  // namespace memory::learner
