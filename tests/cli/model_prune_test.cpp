// `memory model prune` and the prune after `memory train`, end to end through the built binary:
// what is kept (champion, rollback targets, newest others), --dry-run, --json, config defaults,
// rollback after pruning, bad input, busy.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_test_util.h"

namespace {

namespace fs = std::filesystem;
using memory::testing::Quote;
using nlohmann::json;

class ModelPruneCli : public memory::testing::CliTest {
 protected:
  void WriteConfig(const std::string& text) {
    fs::create_directories(dir_ + "/config/llmunix-memory");
    std::ofstream(dir_ + "/config/llmunix-memory/config.yaml") << text;
  }
  std::vector<std::string> Versions() {  // newest first
    std::string out;
    EXPECT_EQ(Mem("model list --json", &out), 0);
    std::vector<std::string> v;
    for (const auto& m : json::parse(out)) v.push_back(m["version"]);
    return v;
  }
  std::string Champion() {
    std::string out;
    EXPECT_EQ(Mem("model list --json", &out), 0);
    for (const auto& m : json::parse(out))
      if (m["status"] == "champion") return m["version"];
    return "";
  }
  static std::vector<std::string> Names(const json& list) {
    std::vector<std::string> v;
    for (const auto& e : list) v.push_back(e.is_string() ? e.get<std::string>() : e["version"].get<std::string>());
    return v;
  }
};

TEST_F(ModelPruneCli, TrainPrunesThenPruneKeepsWhatRollbackNeeds) {
  WriteConfig("models:\n  keep: 1\n  keep_rollback: 1\n");
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 1500 --recent --to-store", &out, &err), 0) << err;
  // Four trainings, each promoted (the first; then forced): champions v1, v2, v3, v4 in order.
  std::vector<std::string> v;
  json r;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(Mem(std::string("train --no-neural --json") + (i ? " --force" : ""), &out, &err), 0) << err;
    r = json::parse(out);
    ASSERT_EQ(r["status"], "champion") << out;
    v.push_back(r["version"]);
    if (i < 3) {  // champion + 1 rollback + 1 newest other
      EXPECT_TRUE(r["pruned"].empty()) << out;
    }
  }
  // The fourth training pruned v1: v4 champion, v3 what rollback returns to, v2 the newest other.
  EXPECT_EQ(Names(r["pruned"]), std::vector<std::string>{v[0]});
  EXPECT_GT(r["pruned_bytes"].get<int64_t>(), 0);
  EXPECT_EQ(Versions(), (std::vector<std::string>{v[3], v[2], v[1]}));
  EXPECT_FALSE(fs::exists(db_ + "/models/intent/" + v[0]));
  EXPECT_NE(memory::testing::ReadAll(db_ + "/models/train.log").find("pruned 1 old versions"), std::string::npos);

  // --dry-run reports and deletes nothing.
  ASSERT_EQ(Mem("model prune --kind intent --keep 0 --dry-run --json", &out, &err), 0) << err;
  json p = json::parse(out);
  EXPECT_TRUE(p["dry_run"].get<bool>());
  EXPECT_EQ(p["keep"], 0);
  EXPECT_EQ(p["keep_rollback"], 1);  // from the config
  ASSERT_EQ(p["kinds"].size(), 1u);
  EXPECT_EQ(Names(p["kinds"][0]["removed"]), std::vector<std::string>{v[1]});
  EXPECT_EQ(Versions().size(), 3u);

  // The real prune, then rollback still returns to the kept previous champion.
  ASSERT_EQ(Mem("model prune --kind intent --keep 0 --json", &out, &err), 0) << err;
  p = json::parse(out);
  EXPECT_FALSE(p["dry_run"].get<bool>());
  const json& k = p["kinds"][0];
  EXPECT_EQ(Names(k["kept"]), (std::vector<std::string>{v[3], v[2]}));
  EXPECT_EQ(k["kept"][0]["why"], "champion");
  EXPECT_EQ(k["kept"][1]["why"], "rollback 1");
  EXPECT_EQ(Names(k["removed"]), std::vector<std::string>{v[1]});
  EXPECT_EQ(Versions(), (std::vector<std::string>{v[3], v[2]}));
  ASSERT_EQ(Mem("model rollback --json", &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["champion"], v[2]);
  EXPECT_EQ(Champion(), v[2]);
  ASSERT_EQ(Mem("predict --json", &out, &err), 0) << err;  // the restored champion serves
  EXPECT_EQ(Mem("model rollback", &out, &err), 2);           // v1 and v2 were pruned
  EXPECT_NE(err.find("no earlier intent champion"), std::string::npos) << err;

  // Text output, every kind by default.
  ASSERT_EQ(Mem("model prune", &out, &err), 0) << err;
  EXPECT_NE(out.find("intent: nothing to remove (2 versions)"), std::string::npos) << out;
  const size_t at = out.find(v[2] + " ");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string line = out.substr(at, out.find('\n', at) - at);
  EXPECT_NE(line.find("champion"), std::string::npos) << line;
  EXPECT_NE(line.find("kept (champion)"), std::string::npos) << line;
  EXPECT_NE(out.find("bandit: nothing to remove (0 versions)"), std::string::npos) << out;
  EXPECT_NE(out.find("prefetch: nothing to remove (0 versions)"), std::string::npos) << out;
}

TEST_F(ModelPruneCli, DryRunTextAndDefaultKeep) {
  std::string out, err;
  ASSERT_EQ(Mem("simulate --events 1500 --recent --to-store", &out, &err), 0) << err;
  for (int i = 0; i < 7; ++i) ASSERT_EQ(Mem("train --no-neural --force --json", &out, &err), 0) << err;
  // Default config (keep 5, keep_rollback 5): nothing of 7 promoted versions was pruned.
  ASSERT_EQ(Versions().size(), 7u);
  ASSERT_EQ(Mem("model prune --kind intent --keep 0 --keep-rollback 2 --dry-run", &out, &err), 0) << err;
  EXPECT_NE(out.find("intent: would remove 4 of 7 versions"), std::string::npos) << out;
  EXPECT_NE(out.find("would remove"), std::string::npos) << out;
  EXPECT_EQ(Versions().size(), 7u);
  ASSERT_EQ(Mem("model prune --kind intent --keep 0 --keep-rollback 2", &out, &err), 0) << err;
  EXPECT_NE(out.find("intent: removed 4 of 7 versions"), std::string::npos) << out;
  EXPECT_EQ(Versions().size(), 3u);
}

TEST_F(ModelPruneCli, BadInputBusyAndMissingDataDirectory) {
  std::string out, err;
  // No data directory: nothing to prune, and nothing created.
  ASSERT_EQ(Mem("model prune --json", &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["kinds"].size(), 3u);
  EXPECT_FALSE(fs::exists(db_));
  EXPECT_EQ(Mem("model prune --kind nonsense", &out, &err), 2);
  EXPECT_NE(err.find("--kind must be intent, bandit, prefetch or all"), std::string::npos) << err;
  EXPECT_EQ(Mem("model prune --keep -1", &out, &err), 2);
  EXPECT_EQ(Mem("model prune --keep many", &out, &err), 2);
  EXPECT_NE(err.find("--keep"), std::string::npos) << err;
  WriteConfig("models:\n  keep: -3\n");
  EXPECT_EQ(Mem("model prune", &out, &err), 2);
  EXPECT_NE(err.find("config.yaml:2"), std::string::npos) << err;
  EXPECT_NE(err.find("models.keep"), std::string::npos) << err;
  EXPECT_EQ(Mem("train --no-neural", &out, &err), 2) << "train reads the same config";
  EXPECT_NE(err.find("config.yaml:2"), std::string::npos) << err;
  WriteConfig("");
  // Another training or model change holds the lock: busy.
  fs::create_directories(db_ + "/models");
  int rc = Sh("flock " + Quote(db_ + "/models/train.lock") + " " + std::string(MEMORY_BIN) + " --db " + Quote(db_) +
                  " model prune",
              &out, &err);
  EXPECT_EQ(rc, 3) << err;
  EXPECT_NE(err.find("another training"), std::string::npos) << err;
}

}  // namespace
