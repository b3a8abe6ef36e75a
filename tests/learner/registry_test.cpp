#include "learner/registry.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "learner/experiment.h"

namespace memory::learner {
namespace {
namespace fs = std::filesystem;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (fs::temp_directory_path() / ("registry_test_" + std::to_string(::getpid()) + "_" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                .string();
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Stages a version holding `payload` in model.bin and commits it with the given created time.
  std::string Add(ModelRegistry& r, int64_t created_us, const std::string& payload) {
    std::string dir;
    EXPECT_TRUE(r.Stage("intent", &dir).ok());
    std::ofstream(dir + "/model.bin") << payload;
    ModelVersionInfo m;
    m.kind = "intent";
    m.status = "rejected";
    m.created_us = created_us;
    m.config = "ppm(order=3)";
    m.events = 100;
    m.metrics = {{"top1", 0.5}};
    Status s = r.Commit(dir, &m);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_FALSE(fs::exists(dir));
    return m.version;
  }

  static Status LoadsOk(const std::string& dir) {
    std::ifstream in(dir + "/model.bin");
    std::string text;
    in >> text;
    return text == "good" ? Status::OK() : Status::Corruption(dir + "/model.bin: bad model");
  }

  std::string root_;
};

TEST_F(RegistryTest, CommitRoundTripsMetadataAndNamesVersionsByTime) {
  ModelRegistry r(root_);
  std::string v1 = Add(r, 1764026100000000, "good");  // 2025-11-24T23:15:00Z
  std::string v2 = Add(r, 1764026100000000, "good");
  EXPECT_EQ(v1, "20251124T231500Z");
  EXPECT_EQ(v2, "20251124T231500Z-2");
  ModelVersionInfo m;
  ASSERT_TRUE(r.Get("intent", v1, &m).ok());
  EXPECT_EQ(m.config, "ppm(order=3)");
  EXPECT_EQ(m.events, 100);
  EXPECT_DOUBLE_EQ(m.metrics["top1"], 0.5);
  EXPECT_EQ(m.status, "rejected");
  std::vector<ModelVersionInfo> all;
  ASSERT_TRUE(r.List("intent", &all).ok());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].version, v2);  // newest first
  std::string champion;
  EXPECT_TRUE(r.Champion("intent", &champion).IsNotFound());
}

TEST_F(RegistryTest, PromoteRetiresThePreviousChampionAndRollbackRestoresIt) {
  ModelRegistry r(root_);
  std::string a = Add(r, 1764026100000000, "good");
  std::string b = Add(r, 1764026200000000, "good");
  ASSERT_TRUE(r.Promote("intent", a, "first", "", LoadsOk).ok());
  usleep(2000);
  ASSERT_TRUE(r.Promote("intent", b, "promoted", "better", LoadsOk).ok());
  std::string champion;
  ASSERT_TRUE(r.Champion("intent", &champion).ok());
  EXPECT_EQ(champion, b);
  ModelVersionInfo ma;
  ASSERT_TRUE(r.Get("intent", a, &ma).ok());
  EXPECT_EQ(ma.status, "retired");
  std::string restored;
  Status s = r.Rollback("intent", LoadsOk, &restored);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(restored, a);
  ASSERT_TRUE(r.Champion("intent", &champion).ok());
  EXPECT_EQ(champion, a);
  ModelVersionInfo mb;
  ASSERT_TRUE(r.Get("intent", b, &mb).ok());
  EXPECT_EQ(mb.status, "retired");
  EXPECT_EQ(mb.decision, "rolled back");
  // Nothing before a: a second rollback fails and a stays champion.
  EXPECT_TRUE(r.Rollback("intent", LoadsOk, &restored).IsNotFound());
  ASSERT_TRUE(r.Champion("intent", &champion).ok());
  EXPECT_EQ(champion, a);
}

TEST_F(RegistryTest, CorruptModelIsNotPromotedAndChampionKeepsServing) {
  ModelRegistry r(root_);
  std::string good = Add(r, 1764026100000000, "good");
  std::string bad = Add(r, 1764026200000000, "garbage");
  ASSERT_TRUE(r.Promote("intent", good, "first", "", LoadsOk).ok());
  Status s = r.Promote("intent", bad, "forced", "", LoadsOk);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("champion unchanged"), std::string::npos) << s.message();
  std::string champion;
  ASSERT_TRUE(r.Champion("intent", &champion).ok());
  EXPECT_EQ(champion, good);
}

TEST_F(RegistryTest, CorruptOrIncompatibleMetadataIsListedNotFatal) {
  ModelRegistry r(root_);
  std::string v = Add(r, 1764026100000000, "good");
  std::string w = Add(r, 1764026200000000, "good");
  std::ofstream(r.VersionDir("intent", v) + "/metadata.json") << "{\"registry_format\": 1, \"kind\": ";
  std::ofstream(r.VersionDir("intent", w) + "/metadata.json") << "{\"registry_format\": 99}";
  std::vector<ModelVersionInfo> all;
  ASSERT_TRUE(r.List("intent", &all).ok());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].status, "corrupt");
  EXPECT_NE(all[0].reason.find("registry format 99"), std::string::npos) << all[0].reason;
  EXPECT_EQ(all[1].status, "corrupt");
  ModelVersionInfo m;
  EXPECT_EQ(r.Get("intent", v, &m).code(), Status::Code::kCorruption);
  EXPECT_TRUE(r.Get("intent", "nope", &m).IsNotFound());
}

TEST_F(RegistryTest, StagingLeftoversAreNeverListedAndCleanRemovesThem) {
  ModelRegistry r(root_);
  std::string dir;
  ASSERT_TRUE(r.Stage("intent", &dir).ok());
  std::ofstream(dir + "/model.bin") << "half";
  std::vector<ModelVersionInfo> all;
  ASSERT_TRUE(r.List("intent", &all).ok());
  EXPECT_TRUE(all.empty());
  ASSERT_TRUE(r.Clean("intent").ok());
  EXPECT_FALSE(fs::exists(dir));
}

// Ten versions; v0, v2, v4, v6 promoted in that order (v6 champion, rollback returns to v4, v2, v0).
TEST_F(RegistryTest, PruneKeepsChampionRollbackTargetsAndNewestOthers) {
  ModelRegistry r(root_);
  std::vector<std::string> v;
  for (int i = 0; i < 10; ++i) v.push_back(Add(r, 1764026100000000 + i * 1000000LL, "good"));
  for (int i : {0, 2, 4, 6}) {
    ASSERT_TRUE(r.Promote("intent", v[i], "promoted", "", LoadsOk).ok());
    usleep(2000);
  }
  PruneOptions o;
  o.keep = 2;
  o.keep_rollback = 2;
  o.dry_run = true;
  PruneResult dry;
  ASSERT_TRUE(r.Prune("intent", o, &dry).ok());
  std::vector<ModelVersionInfo> all;
  ASSERT_TRUE(r.List("intent", &all).ok());
  EXPECT_EQ(all.size(), 10u) << "a dry run deletes nothing";
  for (const auto& name : v) EXPECT_TRUE(fs::is_directory(r.VersionDir("intent", name))) << name;

  o.dry_run = false;
  PruneResult res;
  ASSERT_TRUE(r.Prune("intent", o, &res).ok());
  auto names = [](const std::vector<PrunedVersion>& ps) {
    std::vector<std::string> out;
    for (const auto& p : ps) out.push_back(p.version + "=" + p.why);
    return out;
  };
  // Kept, newest first: v9, v8 (newest others), v6 champion, v4 and v2 (rollback 1, 2).
  const std::vector<std::string> kept = {v[9] + "=newest 1", v[8] + "=newest 2", v[6] + "=champion",
                                         v[4] + "=rollback 1", v[2] + "=rollback 2"};
  const std::vector<std::string> removed = {v[7] + "=older", v[5] + "=older", v[3] + "=older", v[1] + "=older",
                                            v[0] + "=older"};
  EXPECT_EQ(names(res.kept), kept);
  EXPECT_EQ(names(res.removed), removed);
  EXPECT_EQ(names(dry.kept), kept) << "the dry run reports the same plan";
  EXPECT_EQ(names(dry.removed), removed);
  EXPECT_GT(res.bytes_removed, 0);
  EXPECT_EQ(res.bytes_removed, dry.bytes_removed);
  ASSERT_TRUE(r.List("intent", &all).ok());
  ASSERT_EQ(all.size(), 5u);
  for (int i : {0, 1, 3, 5, 7}) EXPECT_FALSE(fs::exists(r.VersionDir("intent", v[i]))) << v[i];
  for (const auto& entry : fs::directory_iterator(r.KindDir("intent")))
    EXPECT_NE(entry.path().filename().string().rfind(".deleted-", 0), 0u) << "no tombstone left behind";

  // Rollback still walks back through what was kept, and stops where pruning cut the chain.
  std::string restored, champion;
  ASSERT_TRUE(r.Rollback("intent", LoadsOk, &restored).ok());
  EXPECT_EQ(restored, v[4]);
  ASSERT_TRUE(r.Rollback("intent", LoadsOk, &restored).ok());
  EXPECT_EQ(restored, v[2]);
  EXPECT_TRUE(r.Rollback("intent", LoadsOk, &restored).IsNotFound());
  ASSERT_TRUE(r.Champion("intent", &champion).ok());
  EXPECT_EQ(champion, v[2]);

  // A second prune with nothing to spare: only the champion; rolled-back versions are not targets.
  o.keep = 0;
  o.keep_rollback = 1;
  ASSERT_TRUE(r.Prune("intent", o, &res).ok());
  EXPECT_EQ(names(res.kept), std::vector<std::string>{v[2] + "=champion"});
  ASSERT_TRUE(r.List("intent", &all).ok());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].version, v[2]);
}

TEST_F(RegistryTest, PruneNeverDeletesWhatChampionNamesAndDeletesNothingWhenItIsUnreadable) {
  ModelRegistry r(root_);
  std::string a = Add(r, 1764026100000000, "good");
  std::string b = Add(r, 1764026200000000, "good");
  std::string c = Add(r, 1764026300000000, "good");
  ASSERT_TRUE(r.Promote("intent", a, "first", "", LoadsOk).ok());
  std::ofstream(r.VersionDir("intent", a) + "/metadata.json") << "{ not json";  // champion's metadata lost
  PruneOptions o;
  o.keep = 0;
  o.keep_rollback = 0;
  PruneResult res;
  ASSERT_TRUE(r.Prune("intent", o, &res).ok());
  ASSERT_EQ(res.kept.size(), 1u);
  EXPECT_EQ(res.kept[0].version, a);
  EXPECT_EQ(res.kept[0].status, "corrupt");
  EXPECT_TRUE(fs::exists(r.VersionDir("intent", a) + "/model.bin"));
  EXPECT_FALSE(fs::exists(r.VersionDir("intent", b)));
  EXPECT_FALSE(fs::exists(r.VersionDir("intent", c)));

  // An empty CHAMPION pointer: refuse to decide, delete nothing.
  std::string d = Add(r, 1764026400000000, "good");
  std::ofstream(r.KindDir("intent") + "/CHAMPION", std::ios::trunc) << "";
  EXPECT_EQ(r.Prune("intent", o, &res).code(), Status::Code::kCorruption);
  EXPECT_TRUE(fs::exists(r.VersionDir("intent", a)));
  EXPECT_TRUE(fs::exists(r.VersionDir("intent", d)));

  // No champion at all (nothing promoted yet): only the newest `keep` survive; an absent kind is empty.
  ModelRegistry fresh(root_ + "/fresh");
  std::string x = Add(fresh, 1764026100000000, "good");
  std::string y = Add(fresh, 1764026200000000, "good");
  o.keep = 1;
  ASSERT_TRUE(fresh.Prune("intent", o, &res).ok());
  ASSERT_EQ(res.kept.size(), 1u);
  EXPECT_EQ(res.kept[0].version, y);
  EXPECT_FALSE(fs::exists(fresh.VersionDir("intent", x)));
  ASSERT_TRUE(fresh.Prune("bandit", o, &res).ok());
  EXPECT_TRUE(res.kept.empty() && res.removed.empty());
}

TEST_F(RegistryTest, PruneResultJson) {
  PruneResult r;
  r.kind = "bandit";
  r.kept.push_back({"20261124T231500Z", "champion", "champion", 10});
  r.removed.push_back({"20261101T231500Z", "rejected", "older", 3500000});
  r.bytes_removed = 3500000;
  auto j = nlohmann::json::parse(PruneResultJson(r));
  EXPECT_EQ(j["kind"], "bandit");
  EXPECT_EQ(j["kept"][0]["why"], "champion");
  EXPECT_EQ(j["removed"][0]["version"], "20261101T231500Z");
  EXPECT_EQ(j["removed"][0]["bytes"], 3500000);
  EXPECT_EQ(j["bytes_removed"], 3500000);
}

TEST_F(RegistryTest, TombstonesAreNeverListedAndCleanRemovesThem) {
  ModelRegistry r(root_);
  std::string v = Add(r, 1764026100000000, "good");
  const std::string tomb = r.KindDir("intent") + "/.deleted-" + v + "-123";
  fs::create_directories(tomb);
  std::ofstream(tomb + "/model.bin") << "half deleted";
  std::vector<ModelVersionInfo> all;
  ASSERT_TRUE(r.List("intent", &all).ok());
  ASSERT_EQ(all.size(), 1u);
  ASSERT_TRUE(r.Clean("intent").ok());
  EXPECT_FALSE(fs::exists(tomb));
  EXPECT_TRUE(fs::exists(r.VersionDir("intent", v)));
}

TEST_F(RegistryTest, LockIsExclusiveAcrossOpenFileDescriptions) {
  std::unique_ptr<RegistryLock> a, b;
  ASSERT_TRUE(RegistryLock::Acquire(root_ + "/train.lock", &a).ok());
  EXPECT_TRUE(RegistryLock::Acquire(root_ + "/train.lock", &b).IsBusy());
  a.reset();
  EXPECT_TRUE(RegistryLock::Acquire(root_ + "/train.lock", &b).ok());
}

TEST_F(RegistryTest, MarkStaleFlagsVersionsTrainedOnRemovedData) {
  ModelRegistry r(root_);
  std::string v = Add(r, 1764026100000000, "good");
  ASSERT_TRUE(r.MarkStale("intent", 1).ok());  // data_from_us = 0 < 1
  ModelVersionInfo m;
  ASSERT_TRUE(r.Get("intent", v, &m).ok());
  EXPECT_TRUE(m.stale);
}

// Experiment configs: line-numbered errors and the shipped files' validity.
TEST(ExperimentConfigTest, ErrorsNameFileAndLine) {
  ExperimentConfig c;
  Status s = ParseExperimentYaml("kind: intent\nmodels: [mfu]\nenvironments:\n  - {name: a, path: x, format: bash}\nbogus: 1\n",
                                 "t.yaml", false, &c);
  EXPECT_EQ(s.message().substr(0, 9), "t.yaml:5:") << s.message();
  EXPECT_NE(s.message().find("unknown key 'bogus'"), std::string::npos);
  s = ParseExperimentYaml("kind: simulator\nmodels: [mfu]\nenvironments:\n  - name: a\n    events: lots\n", "t.yaml",
                          false, &c);
  EXPECT_EQ(s.message().substr(0, 9), "t.yaml:5:") << s.message();
  EXPECT_NE(s.message().find("must be an integer"), std::string::npos);
  s = ParseExperimentYaml("kind: intent\nmodels: [mfu]\nenvironments:\n  - {name: a, path: /no/such/dir, format: bash}\n",
                          "t.yaml", true, &c);
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_NE(s.message().find("t.yaml:4:"), std::string::npos) << s.message();
  s = ParseExperimentYaml(
      "kind: intent\nskip_missing: true\nmodels: [mfu]\nenvironments:\n  - {name: a, path: /no/such/dir, format: bash}\n",
      "t.yaml", true, &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(c.environments[0].missing);
  EXPECT_TRUE(ExpandGrid(c).empty());
  s = ParseExperimentYaml("kind: intent\nmodels: [mfu\n", "t.yaml", false, &c);
  EXPECT_NE(s.message().find("YAML syntax error"), std::string::npos) << s.message();
}

TEST(ExperimentConfigTest, GridAndSummary) {
  ExperimentConfig c;
  ASSERT_TRUE(ParseExperimentYaml("kind: cache\npolicies: [lru, arc]\nseeds: [1, 2]\nenvironments:\n"
                                  "  - {name: t, path: t.gz, capacities: [10, 20, 30]}\n",
                                  "t.yaml", false, &c)
                  .ok());
  EXPECT_EQ(ExpandGrid(c).size(), 2u * 2u * 3u);
  std::vector<ExperimentRow> rows = {{"t", "lru", 1, 10, {{"hit_ratio", 0.2}}}, {"t", "lru", 2, 10, {{"hit_ratio", 0.4}}}};
  auto sum = Summarize(c, rows);
  ASSERT_EQ(sum.size(), 1u);
  EXPECT_DOUBLE_EQ(sum[0].mean["hit_ratio"], 0.3);
  EXPECT_NEAR(sum[0].sd["hit_ratio"], 0.1414213562, 1e-9);
}

TEST(ExperimentConfigTest, ShippedConfigsParse) {
  const fs::path dir = fs::path(MEMORY_SOURCE_DIR) / "configs" / "experiments";
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ExperimentConfig c;
    Status s = ParseExperimentConfig(entry.path().string(), false, &c);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_FALSE(ExpandGrid(c).empty()) << entry.path();
    ++n;
  }
  EXPECT_GE(n, 4);
}

// A file without an end (/dev/zero) is refused at its first block; it was read until memory ran out.
TEST(ExperimentConfigTest, EndlessOrBinaryFilesAreRefusedAtOnce) {
  ExperimentConfig c;
  Status s = ParseExperimentConfig("/dev/zero", false, &c);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("binary file, expected YAML"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace memory::learner
