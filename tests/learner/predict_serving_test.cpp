// What `memory predict` serves: the registry's champion (kept current by the live snapshot), and
// its context read without opening the database.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "learner/intent_snapshot.h"
#include "learner/registry.h"
#include "tests/cli/cli_test_util.h"

namespace memory::learner {
namespace {

class PredictServingTest : public memory::testing::CliTest {
 protected:
  std::string Memory(const std::string& args, int* code, std::string* err = nullptr) {
    std::string out;
    *code = Sh(std::string(MEMORY_BIN) + " --db " + memory::testing::Quote(db_) + " " + args, &out, err);
    return out;
  }
  // Records "vim", "make", "make test" three times in session s1 of /w.
  void RecordChains() {
    for (int i = 0; i < 3; ++i)
      for (const char* cmd : {"vim src/a.cc", "make", "make test"}) {
        int code = 0;
        Memory(std::string("record --session s1 --cwd /w --exit 0 --cmd ") + memory::testing::Quote(cmd), &code);
        ASSERT_EQ(code, 0);
      }
  }
  nlohmann::json Predict(const std::string& extra = "", std::string* err = nullptr) {
    int code = 0;
    std::string out = Memory("predict --json --no-refresh " + extra, &code, err);
    EXPECT_EQ(code, 0) << out;
    return nlohmann::json::parse(out, nullptr, false);
  }
  // A champion trained on `commands` with `spec`, registered and promoted.
  std::string MakeChampion(const std::string& spec, const std::vector<std::string>& commands) {
    IntentTrainer trainer(spec);
    EXPECT_TRUE(trainer.status().ok()) << trainer.status().ToString();
    int64_t ts = 1;
    for (const std::string& c : commands) {
      Event e;
      e.command = c;
      e.ts_us = ts++;
      e.session = "train";
      e.cwd = "/w";
      trainer.Add(e);
    }
    ModelRegistry reg(db_ + "/models");
    std::string staging;
    EXPECT_TRUE(reg.Stage("intent", &staging).ok());
    EXPECT_TRUE(trainer.Write(staging + "/" + kIntentSnapshotFile).ok());
    ModelVersionInfo info;
    info.kind = "intent";
    info.config = spec;
    EXPECT_TRUE(reg.Commit(staging, &info).ok());
    Status s = reg.Promote("intent", info.version, "forced", "test", [](const std::string&) { return Status::OK(); });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return info.version;
  }
};

TEST_F(PredictServingTest, ContextComesFromTheRecentFileWithoutOpeningTheDatabase) {
  RecordChains();
  int code = 0;
  Memory("optimize", &code);  // folds the spool into RocksDB: the session is only in the database
  ASSERT_EQ(code, 0);
  ASSERT_TRUE(std::filesystem::exists(db_ + "/recent.bin"));
  setenv("MEMORY_SESSION", "s1", 1);
  nlohmann::json j = Predict();
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["context"]["from"], "session");
  EXPECT_EQ(j["context"]["history"], 8);
  // Without RocksDB's CURRENT file the database cannot be opened, yet predict still answers
  // from the recent-events file: the fast path never opens it.
  std::filesystem::rename(db_ + "/db/CURRENT", db_ + "/db/CURRENT.away");
  nlohmann::json fast = Predict();
  ASSERT_FALSE(fast.is_discarded());
  EXPECT_EQ(fast["predictions"], j["predictions"]);
  EXPECT_EQ(fast["context"], j["context"]);
  // With the file unusable, predict falls back to the database (which now fails: proof of use).
  std::filesystem::remove(db_ + "/recent.bin");
  Memory("predict --json --no-refresh", &code);
  EXPECT_NE(code, 0);
  std::filesystem::rename(db_ + "/db/CURRENT.away", db_ + "/db/CURRENT");
  nlohmann::json slow = Predict();
  EXPECT_EQ(slow["predictions"], j["predictions"]);
  EXPECT_EQ(slow["context"], j["context"]);
  unsetenv("MEMORY_SESSION");
}

TEST_F(PredictServingTest, ServesTheChampionAndPicksUpANewOneWithoutRestart) {
  RecordChains();
  setenv("MEMORY_SESSION", "s1", 1);
  nlohmann::json live = Predict();  // builds the live snapshot
  EXPECT_EQ(live["version"], "");
  EXPECT_NE(live["model"].get<std::string>().find("order=3"), std::string::npos);

  // A champion with another spec, trained on other data: served as it is (the live snapshot has
  // another spec), until the live snapshot is rebuilt with the champion's spec.
  const std::string spec = "ppm(order=1,decay=0.9,escape=8,base_decay=0.95,candidates=12,features=0)";
  std::string v1 = MakeChampion(spec, {"ls", "pwd", "ls", "pwd", "ls", "pwd"});
  nlohmann::json j = Predict();
  EXPECT_EQ(j["version"], v1);
  EXPECT_NE(j["model"].get<std::string>().find("order=1"), std::string::npos);
  const nlohmann::json champion_model = j["model"];
  EXPECT_EQ(j["events"], 6);  // the champion's own training data
  int code = 0;
  Memory("predict --rebuild", &code);
  ASSERT_EQ(code, 0);
  j = Predict();
  EXPECT_EQ(j["version"], v1);
  EXPECT_EQ(j["model"], champion_model);
  EXPECT_EQ(j["events"], 9);  // kept current: the live snapshot, trained with the champion's spec
  EXPECT_EQ(j["predictions"][0]["command"], "vim src/a.cc");

  // A champion whose file is damaged: a warning, and the live model keeps serving.
  std::string v2 = MakeChampion(spec, {"a", "b"});
  {
    std::ofstream f(db_ + "/models/intent/" + v2 + "/" + kIntentSnapshotFile, std::ios::trunc);
    f << "garbage";
  }
  std::string err;
  j = Predict("", &err);
  EXPECT_NE(err.find("does not load"), std::string::npos) << err;
  EXPECT_EQ(j["version"], "");
  EXPECT_EQ(j["events"], 9);
  unsetenv("MEMORY_SESSION");
}

}  // namespace
}  // namespace memory::learner
