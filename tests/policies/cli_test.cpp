// End-to-end tests of `memory eval bandit`, `memory tune`, `memory reward` and `memory ope`
// through the built binary, each with its own data directory.
#include <sys/stat.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_test_util.h"

namespace {

using Result = memory::testing::CliResult;

class BanditCli : public memory::testing::CliTest {
 protected:
  // Runs `memory ARGS` (ARGS already shell-quoted) in the test's directory with MEMORY_DB there;
  // stderr merged into out, or kept apart.
  Result Run(const std::string& args, bool merge_stderr = true) {
    return memory::testing::RunMemory(
        args, {.merge_stderr = merge_stderr, .env = "MEMORY_DB=" + memory::testing::Quote(db_), .cwd = dir_});
  }
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    return path;
  }
};

bool SharedExists(const std::string& rel) {
  struct stat st;
  return stat((std::string(MEMORY_SHARED_DIR) + "/" + rel).c_str(), &st) == 0;
}

TEST_F(BanditCli, EvalBanditJsonOnIris) {
  if (!SharedExists("cb-data/iris.csv")) GTEST_SKIP() << "no shared data";
  Result r = Run("eval bandit --data '" + std::string(MEMORY_SHARED_DIR) + "/cb-data/iris.csv' --runs 3 --json", false);
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["examples"], 150);
  EXPECT_EQ(j["actions"], 3);
  EXPECT_LT(j["pv_loss"].get<double>(), 0.423);  // best VW figure on iris
  EXPECT_GT(j["examples_per_s"].get<double>(), 0);
  EXPECT_EQ(j["per_seed"].size(), 3u);
  EXPECT_EQ(j["policy"], "linucb(alpha=0.3)/auto(dense=256,quad=8)");
}

TEST_F(BanditCli, EvalBanditBadInput) {
  std::string ragged = Write("ragged.csv", "label,f0,f1\n1,2,3\n0,1\n");
  Result r = Run("eval bandit --data '" + ragged + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("ragged.csv:3:"), std::string::npos) << r.out;
  std::string text = Write("text.csv", "label,f0\n1,abc\n");
  r = Run("eval bandit --data '" + text + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("text.csv:2: field 2 'abc' is not a number"), std::string::npos) << r.out;
  r = Run("eval bandit --data '" + dir_ + "/missing.csv'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("missing.csv"), std::string::npos);
  std::string ok = Write("ok.csv", "label,f0\n1,2\n0,1\n");
  r = Run("eval bandit --data '" + ok + "' --policy 'squarecb(gamma=-1)'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("gamma=-1 is outside"), std::string::npos) << r.out;
  r = Run("eval bandit --data '" + ok + "' --format parquet");
  EXPECT_EQ(r.code, 2);
  r = Run("eval bandit --data '" + ok + "' --seed abc");
  EXPECT_EQ(r.code, 2);
  r = Run("eval bandit --format nl2bash --data '" + dir_ + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("nl2bash.nl"), std::string::npos) << r.out;
}

// A synthetic command whose best setting is known: sleep 1, 31, 61 or 91 ms.
TEST_F(BanditCli, TuneConvergesAndShowsWhatItLearned) {
  Result r = Run("-q tune --runs 24 --json --param n=0,3,6,9 -- sh -c 'sleep 0.0{n}1'", false);
  ASSERT_EQ(r.code, 0) << r.out;
  auto runs = nlohmann::json::parse(r.out);
  ASSERT_EQ(runs.size(), 24u);
  int best_late = 0;
  for (size_t i = 14; i < 24; ++i) best_late += runs[i]["action"] == "n=0";
  EXPECT_GE(best_late, 7);
  r = Run("tune --show --json -- sh -c 'sleep 0.0{n}1'", false);
  ASSERT_EQ(r.code, 0) << r.out;
  auto show = nlohmann::json::parse(r.out);
  EXPECT_EQ(show["runs"], 24);
  EXPECT_EQ(show["best"], "n=0");
  EXPECT_EQ(show["actions"].size(), 4u);
}

// Settings not run yet have no means, and the best so far is one that ran, even when the policy
// favours an untried one (its predicted cost starts at 0, below any measured one): it said
// "best so far: n=1" for an n=1 never run.
TEST_F(BanditCli, TheBestSoFarIsASettingThatRan) {
  Result r = Run("-q tune --runs 2 --json --param n=1,2,3,4 -- sh -c 'sleep 0.0{n}'", false);
  ASSERT_EQ(r.code, 0) << r.out;
  r = Run("tune --show --json -- sh -c 'sleep 0.0{n}'", false);
  ASSERT_EQ(r.code, 0) << r.out;
  auto show = nlohmann::json::parse(r.out);
  ASSERT_EQ(show["actions"].size(), 4u);
  int untried = 0;
  for (const auto& a : show["actions"]) {
    if (a["runs"] == 0) {
      ++untried;
      EXPECT_TRUE(a["mean_cost"].is_null()) << a;
      EXPECT_TRUE(a["mean_seconds"].is_null()) << a;
    } else {
      EXPECT_TRUE(a["mean_cost"].is_number()) << a;
    }
    if (a["action"] == show["best"]) EXPECT_GT(a["runs"].get<int>(), 0) << show;
  }
  EXPECT_GE(untried, 2);
  ASSERT_TRUE(show["best"].is_string()) << show;
  r = Run("tune --show -- sh -c 'sleep 0.0{n}'", false);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("best so far: " + show["best"].get<std::string>()), std::string::npos) << r.out;
}

TEST_F(BanditCli, TuneRecordsFailuresAndRejectsBadTemplates) {
  Result r = Run("-q tune --param n=3 -- sh -c 'exit {n}'");
  EXPECT_EQ(r.code, 3);  // the command's status
  r = Run("-q tune --param n=9 -- sh -c 'kill -9 $$ # {n}'");
  EXPECT_EQ(r.code, 137);
  r = Run("-q tune --param n=1 -- no-such-command-{n}");
  EXPECT_EQ(r.code, 127);
  r = Run("tune --show --json -- sh -c 'exit {n}'", false);
  ASSERT_EQ(r.code, 0) << r.out;
  auto show = nlohmann::json::parse(r.out);
  EXPECT_EQ(show["actions"][0]["failures"], 1);
  r = Run("tune --param n=1 -- echo {m}");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("{m}"), std::string::npos) << r.out;
  r = Run("tune --param n= -- echo {n}");
  EXPECT_EQ(r.code, 2);
  r = Run("tune --show -- never-tuned");
  EXPECT_EQ(r.code, 2);
}

TEST_F(BanditCli, RewardAndOpeOnLoggedDecisions) {
  Result r = Run("-q tune --runs 12 --json --param v=0,1 -- sh -c 'exit {v}'", false);
  ASSERT_TRUE(r.code == 0 || r.code == 1) << r.out;  // the last run's status
  auto runs = nlohmann::json::parse(r.out);
  std::string id = runs[0]["decision"];
  r = Run("reward --json --decision " + id + " --value 0.5", false);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["reward"], 0.5);
  r = Run("reward --decision 0123456789abcdef0123456789abcdef --value 1");
  EXPECT_EQ(r.code, 2);
  r = Run("reward --decision " + id + " --value high");
  EXPECT_EQ(r.code, 2);
  r = Run("ope --json --bootstrap 50 --policy 'greedy/linear'", false);
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["decisions"], 12);
  for (const char* k : {"logged", "ips", "snips", "dm", "dr"}) {
    EXPECT_LE(j[k]["lo"].get<double>(), j[k]["value"].get<double>()) << k;
    EXPECT_GE(j[k]["hi"].get<double>(), j[k]["value"].get<double>()) << k;
  }
  r = Run("ope --policy 'bogus(x=1)'");
  EXPECT_EQ(r.code, 2);
}

}  // namespace

namespace {
TEST_F(BanditCli, SuggestFromRecordedCommandsThenReward) {
  Result r = Run("suggest --task 'commit my fix'");
  EXPECT_EQ(r.code, 2);  // nothing recorded yet
  EXPECT_NE(r.out.find("no recorded commands"), std::string::npos) << r.out;
  for (const char* c : {"git commit -m fix", "git commit -m fix", "grep -rn TODO src", "tar czf a.tgz photos"})
    ASSERT_EQ(Run(std::string("record --cmd='") + c + "' --exit 0").code, 0);
  r = Run("suggest --json --top 2 --task 'commit my fix'", false);
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["suggestions"].size(), 2u);
  EXPECT_EQ(j["suggestions"][0]["tool"], "git");
  EXPECT_EQ(j["suggestions"][0]["example"], "git commit -m fix");
  std::string id = j["decision"];
  EXPECT_EQ(Run("reward --decision " + id + " --value 1").code, 0);
  r = Run("ope --json --bootstrap 20 --policy 'egreedy(epsilon=0.1)/linear(init=1)'", false);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["decisions"], 1);
  EXPECT_EQ(Run("suggest --task '   '").code, 2);
  EXPECT_EQ(Run("suggest --task x --top 0").code, 2);
}
}  // namespace
