// `memory train`, `memory model ...` and `memory experiment` end to end through the built binary.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_test_util.h"

namespace {

namespace fs = std::filesystem;
using memory::testing::Quote;
using memory::testing::ReadAll;
using nlohmann::json;

class TrainCli : public memory::testing::CliTest {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  json List() {
    std::string out;
    EXPECT_EQ(Mem("model list --json", &out), 0);
    return json::parse(out);
  }
  std::string Champion() {
    for (const auto& v : List())
      if (v["status"] == "champion") return v["version"];
    return "";
  }
};

TEST_F(TrainCli, FirstModelThenKeptThenGatedPromotionAndRollback) {
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 5000 --recent --to-store", &out, &err), 0) << err;
  ASSERT_EQ(Mem("train --no-neural --json", &out, &err), 0) << err;
  json r = json::parse(out);
  EXPECT_EQ(r["decision"], "first");
  EXPECT_EQ(r["status"], "champion");
  EXPECT_EQ(r["events"].get<int>() + r["eval_events"].get<int>(), 5000);
  const std::string first = r["version"];
  EXPECT_EQ(Champion(), first);
  EXPECT_TRUE(fs::exists(db_ + "/models/intent/" + first + "/intent.snap"));
  EXPECT_NE(ReadAll(db_ + "/models/train.log").find("first"), std::string::npos);

  // No new data: nothing is trained, the champion stays.
  ASSERT_EQ(Mem("train --no-neural --json", &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["decision"], "kept");
  EXPECT_EQ(List().size(), 1u);

  // New users the champion never saw: the challenger wins clearly (CI above 0) and is promoted.
  ASSERT_EQ(Mem("simulate --seed 2 --events 3000 --recent --to-store", &out, &err), 0) << err;
  ASSERT_EQ(Mem("train --no-neural --json", &out, &err), 0) << err;
  r = json::parse(out);
  ASSERT_EQ(r["decision"], "promoted") << out;
  EXPECT_GT(r["ci95"][0].get<double>(), 0.0);
  // The gate resampled sessions, not events.
  EXPECT_GT(r["eval_sessions"].get<int>(), 1);
  EXPECT_LT(r["eval_sessions"].get<int>(), r["eval_events"].get<int>());
  EXPECT_GT(r["challenger"]["top1"].get<double>(), r["champion"]["top1"].get<double>());
  // The calibration of what predict would have shown on the slice, for both models.
  for (const char* who : {"challenger", "champion"}) {
    ASSERT_TRUE(r[who].contains("ece_top1")) << out;
    EXPECT_GE(r[who]["ece_top1"].get<double>(), 0.0);
    EXPECT_LT(r[who]["ece_top1"].get<double>(), 0.2);
    EXPECT_LT(r[who]["ece_top5"].get<double>(), 0.1);
  }
  const std::string second = r["version"];
  EXPECT_EQ(Champion(), second);
  json list = List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["version"], first);
  EXPECT_EQ(list[1]["status"], "retired");
  EXPECT_TRUE(list[0]["metrics"].contains("top1"));

  ASSERT_EQ(Mem("model show " + second + " --json", &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["decision"], "promoted");
  ASSERT_EQ(Mem("model rollback", &out, &err), 0) << err;
  EXPECT_EQ(Champion(), first);
  EXPECT_EQ(Mem("model rollback", &out, &err), 2);  // nothing before the first champion
  EXPECT_NE(err.find("no earlier intent champion"), std::string::npos) << err;
  EXPECT_EQ(Champion(), first);
  ASSERT_EQ(Mem("model promote " + second, &out, &err), 0) << err;
  EXPECT_EQ(Champion(), second);
}

TEST_F(TrainCli, CorruptModelIsNeverPromotedAndBadInputFailsClearly) {
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 3000 --recent --to-store", &out, &err), 0) << err;
  ASSERT_EQ(Mem("train --no-neural --json", &out, &err), 0) << err;
  const std::string first = json::parse(out)["version"];
  ASSERT_EQ(Mem("train --no-neural --force --json", &out, &err), 0) << err;  // forced although not better
  json r = json::parse(out);
  EXPECT_EQ(r["decision"], "forced");
  EXPECT_LE(r["ci95"][0].get<double>(), 0.0);  // same data: the gate alone would have rejected it
  const std::string second = r["version"];
  EXPECT_EQ(Champion(), second);
  // Corrupt the older version's model file: promoting it fails, the champion keeps serving.
  Write("junk", "this is not a snapshot");
  fs::copy_file(dir_ + "/junk", db_ + "/models/intent/" + first + "/intent.snap", fs::copy_options::overwrite_existing);
  EXPECT_NE(Mem("model promote " + first, &out, &err), 0);
  EXPECT_NE(err.find("champion unchanged"), std::string::npos) << err;
  EXPECT_EQ(Champion(), second);
  EXPECT_EQ(Mem("model show nope", &out, &err), 2);
  EXPECT_NE(err.find("no intent model version 'nope'"), std::string::npos) << err;
  EXPECT_EQ(Mem("train --model nonsense", &out, &err), 2);
  EXPECT_NE(err.find("--model must be intent, bandit, prefetch or all"), std::string::npos) << err;
  EXPECT_EQ(Mem("train --since yesterday", &out, &err), 2);
  EXPECT_NE(err.find("--since"), std::string::npos) << err;
}

TEST_F(TrainCli, SecondTrainingWhileOneRunsIsBusy) {
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 500 --recent --to-store", &out, &err), 0) << err;
  fs::create_directories(db_ + "/models");
  // flock(1) holds the lock while the inner training tries to take it.
  int rc = Sh("flock " + Quote(db_ + "/models/train.lock") + " " + std::string(MEMORY_BIN) + " --db " + Quote(db_) +
                  " train",
              &out, &err);
  EXPECT_EQ(rc, 3) << err;
  EXPECT_NE(err.find("another training"), std::string::npos) << err;
}

TEST_F(TrainCli, TooFewEventsTrainsNothing) {
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 100 --recent --to-store", &out, &err), 0) << err;
  ASSERT_EQ(Mem("train --no-neural", &out, &err), 0) << err;
  EXPECT_NE(out.find("not enough events"), std::string::npos) << out;
  EXPECT_EQ(out.find("--since all"), std::string::npos) << out;  // no older events to take
  EXPECT_EQ(List().size(), 0u);
}

// A history older than --since (90 days by default): the reason says how many events it left out
// and how to take them, for each kind; with --since all they train.
TEST_F(TrainCli, EventsOlderThanSinceAreNamedInTheReason) {
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 3000 --start 2024-01-01 --to-store", &out, &err), 0) << err;
  ASSERT_EQ(Mem("train --model all --no-neural --json", &out, &err), 0) << err;
  json j = json::parse(out);
  ASSERT_EQ(j["models"].size(), 3u) << out;
  for (const auto& m : j["models"]) {
    EXPECT_EQ(m["decision"], "skipped") << m;
    EXPECT_NE(m["reason"].get<std::string>().find("--since leaves 3000 older events out (--since all takes every event)"),
              std::string::npos) << m;
  }
  ASSERT_EQ(Mem("train --since all --no-neural --json", &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["status"], "champion") << out;
}

TEST_F(TrainCli, ExperimentRunsAGridAndWritesResults) {
  // A bandit data set and a cache trace of our own (no shared data needed).
  std::string csv = "label,f0,f1\n";
  for (int i = 0; i < 300; ++i) csv += std::to_string(i % 2) + "," + std::to_string(i % 2) + ".0," + std::to_string((i * 7) % 5) + ".0\n";
  Write("toy.csv", csv);
  std::string trace;
  for (int i = 0; i < 2000; ++i) trace += "k" + std::to_string((i * 13) % 97) + "\n";
  Write("keys.txt", trace);
  std::string sim = Write("sim.yaml",
                          "kind: simulator\nenvironments:\n  - {name: tiny, events: 1500, users: 2}\n"
                          "models: [mfu, \"markov(order=1)\"]\nseeds: [1, 2]\nbucket: 250\nmetrics: [top1]\n");
  std::string out, err;
  ASSERT_EQ(Mem("experiment " + Quote(sim) + " --jobs 2 --out " + Quote(dir_ + "/o1"), &out, &err), 0) << err;
  EXPECT_NE(out.find("markov(order=1)"), std::string::npos) << out;
  json j = json::parse(ReadAll(dir_ + "/o1/results.json"));
  EXPECT_EQ(j["kind"], "simulator");
  EXPECT_GT(j["rows"].size(), 4u);  // several points per curve
  EXPECT_TRUE(fs::exists(dir_ + "/o1/results.csv"));
  EXPECT_TRUE(fs::exists(dir_ + "/o1/plot.gp"));
  EXPECT_TRUE(out.find("gnuplot") != std::string::npos || fs::exists(dir_ + "/o1/plot.png")) << out;

  std::string bandit = Write("bandit.yaml",
                             "kind: bandit\ndata_dir: .\nenvironments:\n  - {name: toy, path: toy.csv}\n"
                             "policies: [\"greedy/ridge\"]\nseeds: [1, 2]\n");
  ASSERT_EQ(Mem("experiment " + Quote(bandit) + " --json --out " + Quote(dir_ + "/o2"), &out, &err), 0) << err;
  j = json::parse(out);
  ASSERT_EQ(j["rows"].size(), 2u);
  EXPECT_GE(j["rows"][0]["pv_loss"].get<double>(), 0.0);
  EXPECT_LE(j["rows"][0]["pv_loss"].get<double>(), 1.0);

  std::string cache = Write("cache.yaml",
                            "kind: cache\nenvironments:\n  - {name: keys, path: keys.txt, format: lines, capacities: [10, 97]}\n"
                            "policies: [lru, arc]\nmetrics: [hit_ratio]\n");
  ASSERT_EQ(Mem("experiment " + Quote(cache) + " --json --out " + Quote(dir_ + "/o3"), &out, &err), 0) << err;
  j = json::parse(out);
  ASSERT_EQ(j["rows"].size(), 4u);
  for (const auto& row : j["rows"])
    if (row["capacity"] == 97) {
      EXPECT_NEAR(row["hit_ratio"].get<double>(), 1.0 - 97.0 / 2000, 1e-9);  // only cold misses
    }
  std::string csv_out = ReadAll(dir_ + "/o3/results.csv");
  EXPECT_EQ(csv_out.substr(0, csv_out.find('\n')), "environment,model,seed,capacity,hit_ratio");
}

TEST_F(TrainCli, ExperimentBadConfigsFailWithFileAndLine) {
  std::string out, err;
  std::string bad = Write("bad.yaml", "kind: simulator\nmodels: [mfu]\nenvironments:\n  - {name: a, events: 100}\nseeds: [x]\n");
  EXPECT_EQ(Mem("experiment " + Quote(bad), &out, &err), 2);
  EXPECT_NE(err.find(bad + ":5:"), std::string::npos) << err;
  std::string missing = Write("missing.yaml", "kind: bandit\nenvironments:\n  - {name: a, path: /no/such.csv}\npolicies: [\"greedy/ridge\"]\n");
  EXPECT_NE(Mem("experiment " + Quote(missing), &out, &err), 0);
  EXPECT_NE(err.find("/no/such.csv not found"), std::string::npos) << err;
  std::string model = Write("model.yaml", "kind: simulator\nenvironments:\n  - {name: a, events: 100}\nmodels: [\"nosuch(x=1)\"]\n");
  EXPECT_EQ(Mem("experiment " + Quote(model), &out, &err), 2);
  EXPECT_NE(err.find("nosuch"), std::string::npos) << err;
  EXPECT_EQ(Mem("experiment " + Quote(dir_ + "/absent.yaml"), &out, &err), 2);
  EXPECT_NE(err.find("absent.yaml: no such file"), std::string::npos) << err;
  Write("empty.yaml", "");
  EXPECT_EQ(Mem("experiment " + Quote(dir_ + "/empty.yaml"), &out, &err), 2);
  // The name becomes experiments/NAME: it may not climb out of it.
  std::string climb = Write("climb.yaml", "name: ../../escaped\nkind: simulator\nenvironments:\n  - {name: a, events: 100}\n");
  EXPECT_EQ(Mem("experiment " + Quote(climb), &out, &err), 2);
  EXPECT_NE(err.find(climb + ":1:"), std::string::npos) << err;
}

}  // namespace

namespace {
TEST_F(TrainCli, ExperimentOnTheStoresOwnHistory) {
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 2000 --users 3 --to-store", &out, &err), 0) << err;
  std::string cfg = Write("store.yaml", "kind: intent\nenvironments:\n  - {name: mine, store: true}\nmodels: [mfu, best]\n");
  ASSERT_EQ(Mem("experiment " + Quote(cfg) + " --json --out " + Quote(dir_ + "/o"), &out, &err), 0) << err;
  json j = json::parse(out);
  ASSERT_EQ(j["rows"].size(), 2u);
  EXPECT_GT(j["rows"][1]["top1"].get<double>(), j["rows"][0]["top1"].get<double>());  // best beats mfu
  std::string bad = Write("bad.yaml", "kind: intent\nenvironments:\n  - {name: mine, store: true, path: x}\nmodels: [mfu]\n");
  EXPECT_EQ(Mem("experiment " + Quote(bad), &out, &err), 2);
  EXPECT_NE(err.find(":3:"), std::string::npos) << err;
}
}  // namespace

namespace {
TEST_F(TrainCli, StaleChampionIsReplacedByTheNextTraining) {
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 3000 --recent --to-store", &out, &err), 0) << err;
  ASSERT_EQ(Mem("train --no-neural --json", &out, &err), 0) << err;
  const std::string first = json::parse(out)["version"];
  // What forget / clean do through ModelRegistry::MarkStale: flag the metadata.
  const std::string meta = db_ + "/models/intent/" + first + "/metadata.json";
  json m = json::parse(ReadAll(meta));
  m["stale"] = true;
  std::ofstream(meta) << m.dump();
  ASSERT_EQ(Mem("train --no-neural --json", &out, &err), 0) << err;  // no new events, yet it retrains
  json r = json::parse(out);
  EXPECT_EQ(r["decision"], "replaced stale champion") << out;
  EXPECT_EQ(Champion(), r["version"].get<std::string>());
  EXPECT_NE(r["version"], first);
}
}  // namespace

namespace {

// `memory train --model bandit`, `memory suggest` serving the champion, `--model all`.
TEST_F(TrainCli, BanditChampionServesSuggestAndCorruptModelFallsBack) {
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 2000 --recent --to-store", &out, &err), 0) << err;
  ASSERT_EQ(Mem("train --model bandit --json", &out, &err), 0) << err;
  json r = json::parse(out);
  ASSERT_EQ(r["decision"], "first") << out;
  const std::string v = r["version"];
  const int learned = r["challenger"]["learned_commands"].get<int>();
  EXPECT_GT(learned, 1000);

  // suggest loads the champion and replays only the newest events (those after its cutoffs).
  ASSERT_EQ(Mem("suggest --task 'show the git status' --json", &out, &err), 0) << err;
  json s = json::parse(out);
  EXPECT_EQ(s["model"], v);
  EXPECT_LT(s["replayed_events"].get<int>(), 2000);
  EXPECT_GE(s["learned_commands"].get<int>(), learned);
  EXPECT_EQ(s["suggestions"].size(), 5u);

  // Too few logged suggestions since: the champion is kept, and the output says why.
  ASSERT_EQ(Mem("train --model bandit", &out, &err), 0) << err;
  EXPECT_NE(out.find("too few logged suggestion decisions"), std::string::npos) << out;

  ASSERT_EQ(Mem("model list --kind bandit --json", &out, &err), 0) << err;
  json list = json::parse(out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["status"], "champion");

  // A damaged champion: suggest says so on stderr and rebuilds from the store; promote refuses.
  std::ofstream(db_ + "/models/bandit/" + v + "/policy.bin", std::ios::binary | std::ios::trunc) << "garbage";
  ASSERT_EQ(Mem("suggest --task 'show the git status' --json", &out, &err), 0) << err;
  EXPECT_NE(err.find("cannot be used"), std::string::npos) << err;
  EXPECT_NE(err.find("policy.bin"), std::string::npos) << err;
  EXPECT_EQ(json::parse(out)["model"], "");
  EXPECT_NE(Mem("model promote " + v + " --kind bandit", &out, &err), 0);

  // The next training replaces the unloadable champion.
  ASSERT_EQ(Mem("train --model bandit --json", &out, &err), 0) << err;
  r = json::parse(out);
  EXPECT_EQ(r["decision"], "replaced unloadable champion") << out;
  ASSERT_EQ(Mem("suggest --task 'show the git status' --json", &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["model"], r["version"]);
}

TEST_F(TrainCli, ForgetRemovesTheBanditModelAndSuggestRebuildsQuietly) {
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 2000 --recent --to-store", &out, &err), 0) << err;
  ASSERT_EQ(Mem("train --model bandit --json", &out, &err), 0) << err;
  const std::string v = json::parse(out)["version"];
  const std::string dir = db_ + "/models/bandit/" + v;
  ASSERT_TRUE(fs::exists(dir + "/suggest.json"));
  ASSERT_EQ(Mem("forget --pattern 'git*' --yes", &out, &err), 0) << err;
  // The tool table holds command lines: it goes with the events, the version is marked stale.
  EXPECT_FALSE(fs::exists(dir + "/suggest.json"));
  EXPECT_FALSE(fs::exists(dir + "/policy.bin"));
  ASSERT_EQ(Mem("model show " + v + " --kind bandit --json", &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["stale"], true);
  ASSERT_EQ(Mem("suggest --task 'show the status' --json", &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["model"], "");
  EXPECT_EQ(err.find("cannot be used"), std::string::npos) << err;
  ASSERT_EQ(Mem("train --model bandit --json", &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["decision"], "replaced stale champion") << out;
}

TEST_F(TrainCli, AllModelsInOneRunWithOneReport) {
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 3000 --recent --to-store", &out, &err), 0) << err;
  ASSERT_EQ(Mem("train --model all --no-neural --json", &out, &err), 0) << err;
  json r = json::parse(out);
  ASSERT_EQ(r["models"].size(), 3u) << out;
  EXPECT_EQ(r["models"][0]["model"], "intent");
  EXPECT_EQ(r["models"][1]["model"], "bandit");
  EXPECT_EQ(r["models"][2]["model"], "prefetch");
  EXPECT_EQ(r["models"][0]["decision"], "first");
  EXPECT_EQ(r["models"][1]["decision"], "first");
  EXPECT_EQ(r["models"][2]["decision"], "first");
  EXPECT_EQ(r["exit_code"], 0);
  EXPECT_TRUE(fs::exists(db_ + "/models/intent/CHAMPION"));
  EXPECT_TRUE(fs::exists(db_ + "/models/bandit/CHAMPION"));
  EXPECT_TRUE(fs::exists(db_ + "/models/prefetch/CHAMPION"));
}

// The prefetch kind: the first training registers a spec with hit-ratio metrics; a second one
// on more data of the same kind is gated; a corrupt prefetch.json is never promoted.
TEST_F(TrainCli, PrefetchIsChosenGatedAndValidated) {
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 3000 --recent --to-store", &out, &err), 0) << err;
  ASSERT_EQ(Mem("train --model prefetch --json", &out, &err), 0) << err;
  json r = json::parse(out);
  EXPECT_EQ(r["model"], "prefetch");
  EXPECT_EQ(r["decision"], "first") << out;
  EXPECT_EQ(r["status"], "champion");
  const std::string first = r["version"];
  const double hit = r["challenger"]["hit_ratio"].get<double>();
  EXPECT_GT(hit, 0.0);
  EXPECT_LE(hit, 1.0);
  EXPECT_GT(r["challenger"]["train_hit_ratio"].get<double>(), 0.0);
  EXPECT_GE(r["eval_events"].get<int64_t>(), 200);
  json cfg = json::parse(ReadAll(db_ + "/models/prefetch/" + first + "/prefetch.json"));
  EXPECT_TRUE(cfg["spec"].is_string());
  EXPECT_EQ(cfg["capacity"], 64);
  // Nothing new: kept without training.
  ASSERT_EQ(Mem("train --model prefetch --json", &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["decision"], "kept") << out;
  // More data of the same kind: the challenger cannot beat the champion beyond noise.
  ASSERT_EQ(Mem("simulate --seed 2 --events 3000 --recent --to-store", &out, &err), 0) << err;
  ASSERT_EQ(Mem("train --model prefetch --json", &out, &err), 0) << err;
  r = json::parse(out);
  EXPECT_TRUE(r["champion"].contains("hit_ratio")) << out;
  const std::string second = r["version"];
  ASSERT_FALSE(second.empty());
  if (r["decision"] == "rejected") {
    EXPECT_LE(r["ci95"][0].get<double>(), 0.0) << out;
    EXPECT_NE(r["reason"].get<std::string>().find("95% CI"), std::string::npos) << out;
  } else {
    EXPECT_EQ(r["decision"], "promoted") << out;
    EXPECT_GT(r["ci95"][0].get<double>(), 0.0) << out;
  }
  ASSERT_EQ(Mem("model list --kind prefetch --json", &out, &err), 0) << err;
  json list = json::parse(out);
  ASSERT_EQ(list.size(), 2u) << out;
  EXPECT_TRUE(list[0]["metrics"].contains("hit_ratio")) << out;
  ASSERT_EQ(Mem("model show --kind prefetch " + first, &out, &err), 0) << err;
  EXPECT_NE(out.find("hit_ratio"), std::string::npos) << out;
  // Corrupt the non-champion version's prefetch.json: promote refuses, naming the file.
  std::string champ_now, other;
  for (const auto& v : list) (v["status"] == "champion" ? champ_now : other) = v["version"];
  ASSERT_FALSE(other.empty()) << out;
  Write("junk", "{\"format\":1,\"spec\":\"markov(order=banana)\"}");
  fs::copy_file(dir_ + "/junk", db_ + "/models/prefetch/" + other + "/prefetch.json", fs::copy_options::overwrite_existing);
  EXPECT_NE(Mem("model promote --kind prefetch " + other, &out, &err), 0);
  EXPECT_NE(err.find("prefetch.json"), std::string::npos) << err;
  ASSERT_EQ(Mem("model list --kind prefetch --json", &out, &err), 0) << err;
  for (const auto& v : json::parse(out))
    if (v["status"] == "champion") {
      EXPECT_EQ(v["version"], champ_now);
    }
  EXPECT_EQ(Mem("model list --kind nonsense", &out, &err), 2);
  EXPECT_NE(err.find("intent, bandit or prefetch"), std::string::npos) << err;
}

// --force on a second training with a champion whose spec the challenger repeats: the gate's
// interval is [0, 0] (identical replays), so only --force promotes, visibly.
TEST_F(TrainCli, PrefetchForcedWhenNotBetter) {
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 3000 --recent --to-store", &out, &err), 0) << err;
  ASSERT_EQ(Mem("train --model prefetch --json", &out, &err), 0) << err;
  ASSERT_EQ(Mem("train --model prefetch --force --json", &out, &err), 0) << err;
  json r = json::parse(out);
  EXPECT_EQ(r["decision"], "forced") << out;
  EXPECT_DOUBLE_EQ(r["ci95"][0].get<double>(), 0.0) << out;
  EXPECT_DOUBLE_EQ(r["ci95"][1].get<double>(), 0.0) << out;
  EXPECT_NE(r["reason"].get<std::string>().find("not better beyond noise"), std::string::npos) << out;
  EXPECT_EQ(r["status"], "champion");
  // A champion whose prefetch.json is corrupt is replaced by the next valid challenger.
  const std::string forced = r["version"];
  Write("junk", "not json at all");
  fs::copy_file(dir_ + "/junk", db_ + "/models/prefetch/" + forced + "/prefetch.json", fs::copy_options::overwrite_existing);
  ASSERT_EQ(Mem("train --model prefetch --json", &out, &err), 0) << err;
  r = json::parse(out);
  EXPECT_EQ(r["decision"], "replaced unloadable champion") << out;
  EXPECT_EQ(r["status"], "champion");
  EXPECT_NE(r["version"], forced);
}

}  // namespace
