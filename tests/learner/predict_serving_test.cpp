// What `memory predict` serves: the registry's champion (kept current by the live snapshot), and
// its context read without opening the database.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/predict_core.h"
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
  // Agent runs (codex) in sessions of their own: "ls", a command of their own, then "edit".
  // People start every session in `people_cwd` with "git pull", then "vim", "make".
  void RecordAgentsAndPeople(const std::string& people_cwd) {
    int code = 0;
    for (int run = 0; run < 12; ++run) {
      const std::string a = "record --session a" + std::to_string(run) + " --actor codex --cwd /w" + std::to_string(run) + " --exit 0";
      for (const std::string& c : {std::string("ls"), "tool" + std::to_string(run), std::string("edit")}) {
        Memory(a + " --cmd " + memory::testing::Quote(c), &code);
        ASSERT_EQ(code, 0);
      }
      for (const char* c : {"git pull", "vim", "make"}) {
        Memory("record --session h" + std::to_string(run) + " --cwd " + memory::testing::Quote(people_cwd) +
                   " --exit 0 --cmd " + memory::testing::Quote(c), &code);
        ASSERT_EQ(code, 0);
      }
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
  const std::string spec_order = PredictModelSpec().substr(0, PredictModelSpec().find(','));  // "ppm(order=N"
  EXPECT_EQ(live["model"].get<std::string>().rfind(spec_order, 0), 0u) << live["model"];

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

TEST_F(PredictServingTest, StreamAnswersPerLineFromTheCacheAndPicksUpANewChampion) {
  RecordChains();
  const std::string out_path = dir_ + "/stream.out";
  std::string cmd = std::string(MEMORY_BIN) + " --db " + memory::testing::Quote(db_) +
                    " predict --context - --stream --no-refresh --top 3 > " + memory::testing::Quote(out_path) + " 2>&1";
  FILE* in = popen(cmd.c_str(), "w");
  ASSERT_NE(in, nullptr);
  auto lines = [&] {
    std::vector<nlohmann::json> out;
    std::istringstream ss(memory::testing::ReadAll(out_path));
    for (std::string l; std::getline(ss, l);) out.push_back(nlohmann::json::parse(l, nullptr, false));
    return out;
  };
  auto send = [&](const std::string& line, size_t expect_lines) {
    std::fputs((line + "\n").c_str(), in);
    std::fflush(in);
    for (int i = 0; i < 500 && lines().size() < expect_lines; ++i) usleep(10000);
    ASSERT_EQ(lines().size(), expect_lines) << memory::testing::ReadAll(out_path);
  };
  const std::string ctx = R"({"cwd":"/w","history":["vim src/a.cc"]})";
  send(ctx, 1);
  send(ctx, 2);
  send("not json", 3);
  send(R"({"cwd":"/w","history":["vim src/a.cc","make"]})", 4);  // "make" was the top prediction
  std::string v = MakeChampion("ppm(order=1,decay=0.9,escape=8,base_decay=0.95,candidates=12,features=0)",
                               {"ls", "pwd", "ls", "pwd"});
  send(ctx, 5);
  // While answering, the stream holds L3 (RocksDB's LOCK); idle for 2 s, it lets it go, so that
  // other processes (`memory search`) can write the cache.
  auto l3_locked = [&] {
    for (const auto& d : std::filesystem::directory_iterator(db_ + "/cache")) {
      if (d.path().filename().string().rfind("l3-", 0) != 0) continue;
      int fd = ::open((d.path() / "LOCK").c_str(), O_RDWR);
      if (fd < 0) continue;
      struct flock fl = {};
      fl.l_type = F_WRLCK;
      fl.l_whence = SEEK_SET;
      bool held = ::fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
      ::close(fd);
      if (held) return true;
    }
    return false;
  };
  EXPECT_TRUE(l3_locked());
  usleep(2600000);
  EXPECT_FALSE(l3_locked());
  ASSERT_EQ(pclose(in), 0);
  std::vector<nlohmann::json> out = lines();
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0]["cache"], "miss");
  EXPECT_EQ(out[0]["predictions"][0]["command"], "make");
  EXPECT_EQ(out[1]["cache"], "hit");
  EXPECT_EQ(out[1]["predictions"], out[0]["predictions"]);
  EXPECT_TRUE(out[2].contains("error"));
  EXPECT_NE(out[2]["error"].get<std::string>().find("line 3"), std::string::npos);
  EXPECT_EQ(out[3]["cache"], "prefetched");
  EXPECT_EQ(out[3]["predictions"][0]["command"], "make test");
  // The new champion answers the next line, not a cached answer of the old model.
  EXPECT_EQ(out[4]["version"], v);
  EXPECT_EQ(out[4]["cache"], "miss");
  EXPECT_EQ(out[4]["events"], 4);
  // The counters reach `memory status`.
  int code = 0;
  std::string status = Memory("status --json", &code);
  ASSERT_EQ(code, 0) << status;
  EXPECT_NE(status.find("predict"), std::string::npos) << status;
}

TEST_F(PredictServingTest, CurrentContextKnowsTheSessionsActorStepAndStart) {
  const std::string w = dir_ + "/w";
  std::filesystem::create_directories(w);
  RecordAgentsAndPeople(w);
  // An agent's session two steps in, the last step new to the model: step 2 of agents is "edit".
  int code = 0;
  Memory("record --session now --actor codex --cwd /elsewhere --exit 0 --cmd ls", &code);
  Memory("record --session now --actor codex --cwd /elsewhere --exit 0 --cmd tool-new", &code);
  ASSERT_EQ(code, 0);
  setenv("MEMORY_SESSION", "now", 1);
  nlohmann::json j = Predict();
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["context"]["from"], "session");
  EXPECT_EQ(j["context"]["position"], 2);
  EXPECT_EQ(j["context"]["agent"], true);
  ASSERT_FALSE(j["predictions"].empty());
  EXPECT_EQ(j["predictions"][0]["command"], "edit");
  EXPECT_EQ(j["predictions"][0]["source"], "session");
  // The same from the database alone (no recent-events file): the same context and answer.
  Memory("optimize", &code);
  ASSERT_EQ(code, 0);
  std::filesystem::remove(db_ + "/recent.bin");
  nlohmann::json slow = Predict();
  EXPECT_EQ(slow["context"], j["context"]);
  EXPECT_EQ(slow["predictions"], j["predictions"]);
  unsetenv("MEMORY_SESSION");
  // A new shell in w (its session has no command yet): a session start, so "git pull" though the
  // directory's last command was "make".
  std::string out, err;
  code = Sh("cd " + memory::testing::Quote(w) + " && MEMORY_SESSION=fresh-shell " + MEMORY_BIN + " --db " +
                memory::testing::Quote(db_) + " predict --json --no-refresh",
            &out, &err);
  ASSERT_EQ(code, 0) << err;
  j = nlohmann::json::parse(out, nullptr, false);
  EXPECT_EQ(j["context"]["from"], "cwd");
  EXPECT_EQ(j["context"]["position"], 0);
  EXPECT_EQ(j["context"]["agent"], false);
  ASSERT_FALSE(j["predictions"].empty());
  EXPECT_EQ(j["predictions"][0]["command"], "git pull");
}

TEST_F(PredictServingTest, JsonContextGivesActorStepAndGap) {
  RecordAgentsAndPeople("/w");
  int code = 0;
  auto ask = [&](const std::string& ctx, int* rc, std::string* err) {
    std::string out;
    *rc = Sh("printf '%s' " + memory::testing::Quote(ctx) + " | " + MEMORY_BIN + " --db " + memory::testing::Quote(db_) +
                 " predict --json --no-refresh --context -",
             &out, err);
    return out;
  };
  std::string err;
  // An agent at step 2 after an unknown command: "edit" from the step row.
  std::string out = ask(R"({"cwd":"/x","history":["ls","tool-new"],"actor":"claude-code"})", &code, &err);
  ASSERT_EQ(code, 0) << err;
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  EXPECT_EQ(j["context"]["position"], 2);
  EXPECT_EQ(j["context"]["agent"], true);
  EXPECT_EQ(j["predictions"][0]["command"], "edit");
  // "step" overrides the history's length; a person is not an agent.
  j = nlohmann::json::parse(ask(R"({"cwd":"/x","history":["tool-new"],"step":2,"actor":"human"})", &code, &err), nullptr, false);
  ASSERT_EQ(code, 0) << err;
  EXPECT_EQ(j["context"]["position"], 2);
  EXPECT_EQ(j["context"]["agent"], false);
  EXPECT_NE(j["predictions"][0]["source"], "session");
  // A person back in /w after two hours: a session start ("git pull"), with gap_s or last_time.
  for (const std::string& gap : {std::string(R"("gap_s":7200)"), std::string(R"("last_time":1000)")}) {
    j = nlohmann::json::parse(ask(R"({"cwd":"/w","history":["make"],"position":3,)" + gap + "}", &code, &err), nullptr, false);
    ASSERT_EQ(code, 0) << err;
    EXPECT_EQ(j["predictions"][0]["command"], "git pull") << gap;
    EXPECT_EQ(j["predictions"][0]["source"], "session") << gap;
  }
  // Bad values: a clear error naming stdin and the field, exit 2.
  for (const std::string& bad : {std::string(R"({"history":[],"actor":3})"), std::string(R"({"history":[],"position":-1})"),
                                 std::string(R"({"history":[],"step":"two"})"), std::string(R"({"history":[],"gap_s":-5})"),
                                 std::string(R"({"history":[],"last_time":"yesterday"})")}) {
    ask(bad, &code, &err);
    EXPECT_EQ(code, 2) << bad;
    EXPECT_NE(err.find("stdin"), std::string::npos) << err;
    EXPECT_TRUE(err.find("actor") != std::string::npos || err.find("position") != std::string::npos ||
                err.find("step") != std::string::npos || err.find("gap_s") != std::string::npos ||
                err.find("last_time") != std::string::npos) << err;
  }
}

TEST_F(PredictServingTest, AnOlderSnapshotFormatIsRebuilt) {
  RecordChains();
  setenv("MEMORY_SESSION", "s1", 1);
  nlohmann::json j = Predict();
  ASSERT_FALSE(j["predictions"].empty());
  const std::string live = db_ + "/models/intent.snap";
  std::string bytes = memory::testing::ReadAll(live);
  ASSERT_EQ(bytes.substr(0, 8), "MEMINT05");
  bytes[7] = '4';  // as written by the previous version
  {
    std::ofstream f(live, std::ios::binary | std::ios::trunc);
    f << bytes;
  }
  nlohmann::json again = Predict();
  EXPECT_EQ(again["predictions"], j["predictions"]);
  EXPECT_EQ(memory::testing::ReadAll(live).substr(0, 8), "MEMINT05");
  unsetenv("MEMORY_SESSION");
}

// A store whose models directory cannot be written (a read-only mount, another user's store)
// still answers: the first predict builds its model in the temporary directory for the call
// only, says so, and leaves nothing there. As root, the store is mounted read-only in a mount
// namespace of its own (skipped where that is not allowed); otherwise it is made read-only.
TEST_F(PredictServingTest, AStoreThatCannotBeWrittenIsAnsweredWithAModelForTheCall) {
  RecordChains();
  int code = 0;
  Memory("optimize -q", &code);  // the events in the database, the spool empty
  ASSERT_EQ(code, 0);
  const std::string tmp = dir_ + "/tmp";
  std::filesystem::create_directories(tmp);
  const std::string predict = "env TMPDIR=" + memory::testing::Quote(tmp) + " MEMORY_SESSION=s1 " +
                              memory::testing::Quote(MEMORY_BIN) + " --db " + memory::testing::Quote(db_) +
                              " predict --json --no-refresh";
  std::string out, err;
  if (::geteuid() == 0) {
    const std::string q = memory::testing::Quote(db_);
    if (Sh("unshare -m sh -c 'mount --bind -o ro " + q + " " + q + "' 2>/dev/null") != 0)
      GTEST_SKIP() << "no read-only mount here (unshare -m not allowed)";
    code = Sh("unshare -m sh -c " + memory::testing::Quote("mount --bind -o ro " + q + " " + q + " && " + predict), &out, &err);
  } else {
    std::filesystem::permissions(db_, std::filesystem::perms::owner_write, std::filesystem::perm_options::remove);
    code = Sh(predict, &out, &err);
    std::filesystem::permissions(db_, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  }
  ASSERT_EQ(code, 0) << err;
  EXPECT_NE(err.find("built for this call only"), std::string::npos) << err;
  EXPECT_TRUE(std::filesystem::is_empty(tmp));
  EXPECT_FALSE(std::filesystem::exists(db_ + "/models"));
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  ASSERT_FALSE(j["predictions"].empty()) << out;
  // The same answer as a store that keeps its model.
  setenv("MEMORY_SESSION", "s1", 1);
  nlohmann::json kept = Predict();
  unsetenv("MEMORY_SESSION");
  EXPECT_EQ(j["predictions"], kept["predictions"]);
  EXPECT_TRUE(std::filesystem::exists(db_ + "/models/intent.snap"));
}

TEST(LiveSnapshotStaleTest, AtLeast64NewEventsAndOneIn256OfThoseLearntOrAnyWhenOld) {
  using memory::cli::LiveSnapshotStale;
  const int64_t minute = int64_t{60} * 1000000;
  // A small store: 64 new events.
  EXPECT_FALSE(LiveSnapshotStale(9, 9 + 63, 0));
  EXPECT_TRUE(LiveSnapshotStale(9, 9 + 64, 0));
  EXPECT_FALSE(LiveSnapshotStale(16384, 16384 + 63, minute));
  EXPECT_TRUE(LiveSnapshotStale(16384, 16384 + 64, minute));
  // A large one: 1/256 of what the snapshot learnt (3,906 on 1M events, 390 on 100k).
  EXPECT_FALSE(LiveSnapshotStale(1000000, 1000000 + 64, minute));
  EXPECT_FALSE(LiveSnapshotStale(1000000, 1000000 + 3905, minute));
  EXPECT_TRUE(LiveSnapshotStale(1000000, 1000000 + 3906, minute));
  EXPECT_FALSE(LiveSnapshotStale(100000, 100000 + 389, 0));
  EXPECT_TRUE(LiveSnapshotStale(100000, 100000 + 390, 0));
  // Any new event once the snapshot is more than 10 minutes old; none: never.
  EXPECT_FALSE(LiveSnapshotStale(1000000, 1000001, 10 * minute));
  EXPECT_TRUE(LiveSnapshotStale(1000000, 1000001, 10 * minute + 1));
  EXPECT_TRUE(LiveSnapshotStale(9, 10, 11 * minute));
  EXPECT_FALSE(LiveSnapshotStale(1000000, 1000000, 1000 * minute));
  // Events removed since (forget), or a count that is not known.
  EXPECT_TRUE(LiveSnapshotStale(1000000, 999999, 0));
  EXPECT_TRUE(LiveSnapshotStale(9, -1, 0));
}

TEST_F(PredictServingTest, ManyNewEventsRebuildTheLiveSnapshotInTheBackground) {
  RecordChains();
  setenv("MEMORY_SESSION", "s1", 1);
  nlohmann::json j = Predict();  // builds the live snapshot (9 events)
  EXPECT_EQ(j["events"], 9);
  auto record = [&](int from, int to) {
    return Sh("for i in $(seq " + std::to_string(from) + " " + std::to_string(to) + "); do " +
              std::string(MEMORY_BIN) + " --db " + memory::testing::Quote(db_) +
              " record --session s2 --cwd /w --exit 0 --cmd \"echo $i\" || exit 1; done");
  };
  // 30 new events (< 64) on a fresh snapshot: no rebuild.
  int code = record(1, 30);
  ASSERT_EQ(code, 0);
  std::string out = Memory("predict --json", &code);
  ASSERT_EQ(code, 0) << out;
  usleep(300000);
  EXPECT_FALSE(std::filesystem::exists(db_ + "/models/intent.rebuild.lock"));
  EXPECT_EQ(Predict()["events"], 9);
  code = record(31, 70);
  ASSERT_EQ(code, 0);
  // 70 new events: answered at once from the old snapshot, rebuilt by a detached child that
  // removes its lock file when done.
  out = Memory("predict --json", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out, nullptr, false)["events"], 9);
  int64_t events = 0;
  for (int i = 0; i < 200 && events != 79; ++i) {
    usleep(50000);
    events = Predict()["events"].get<int64_t>();
  }
  EXPECT_EQ(events, 79);
  for (int i = 0; i < 100 && std::filesystem::exists(db_ + "/models/intent.rebuild.lock"); ++i) usleep(50000);
  EXPECT_FALSE(std::filesystem::exists(db_ + "/models/intent.rebuild.lock"));
  unsetenv("MEMORY_SESSION");
}

TEST_F(PredictServingTest, ALargerStoreWaitsForItsShareOfNewEvents) {
  // 20,480 imported events: the snapshot is rebuilt after 20480 / 256 = 80 new events, not 64.
  {
    std::ofstream f(dir_ + "/h.jsonl");
    const int64_t ts = 1700000000LL * 1000000;
    for (int i = 0; i < 20480; ++i)
      f << nlohmann::json{{"ts", ts + int64_t{i} * 10000000}, {"kind", "shell"}, {"command", "cmd" + std::to_string(i % 50)},
                          {"session", "s" + std::to_string(i / 20)}, {"cwd", "/w"}, {"exit", 0}}.dump()
        << "\n";
  }
  int code = 0;
  std::string out = Memory("import --format jsonl " + memory::testing::Quote(dir_ + "/h.jsonl"), &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(Predict()["events"], 20480);  // builds the live snapshot
  auto record = [&](int from, int to) {
    return Sh("for i in $(seq " + std::to_string(from) + " " + std::to_string(to) + "); do " +
              std::string(MEMORY_BIN) + " --db " + memory::testing::Quote(db_) +
              " record --session x --cwd /w --exit 0 --cmd \"echo $i\" || exit 1; done");
  };
  ASSERT_EQ(record(1, 70), 0);
  out = Memory("predict --json", &code);
  ASSERT_EQ(code, 0) << out;
  usleep(300000);
  EXPECT_FALSE(std::filesystem::exists(db_ + "/models/intent.rebuild.lock"));
  EXPECT_EQ(Predict()["events"], 20480);
  ASSERT_EQ(record(71, 80), 0);
  out = Memory("predict --json", &code);
  ASSERT_EQ(code, 0) << out;
  int64_t events = 0;
  for (int i = 0; i < 200 && events != 20560; ++i) {
    usleep(50000);
    events = Predict()["events"].get<int64_t>();
  }
  EXPECT_EQ(events, 20560);
  for (int i = 0; i < 100 && std::filesystem::exists(db_ + "/models/intent.rebuild.lock"); ++i) usleep(50000);
}

}  // namespace
}  // namespace memory::learner
