// Runs the built `memory` binary: `memory eval intent` (and `memory predict`) on good and bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "learner/online_eval.h"
#include "test_util.h"
#include "tests/cli/cli_test_util.h"

namespace memory::learner {
namespace {

using RunResult = memory::testing::CliResult;

// `memory ARGS` with `stdin_text` on stdin; stdout and stderr merged into out.
RunResult RunMemory(const std::string& args, const std::string& stdin_text = "") {
  return memory::testing::RunMemory(args, {.stdin_text = stdin_text, .merge_stderr = true});
}

std::string WriteFile(const std::string& name, const std::string& content) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream f(path, std::ios::binary);
  f << content;
  return path;
}

TEST(CliEvalIntentTest, BadInputGivesAClearErrorAndExit2) {
  std::string good = WriteFile("intent_good", "ls\ncd\nls\ncd\n");
  std::string empty = WriteFile("intent_empty", "");
  std::string binary = WriteFile("intent_binary", std::string("ls\n\0\x01\x02rm\n", 10));
  struct Case { std::string args; std::string expect; };
  std::vector<Case> cases = {
      {"eval intent --format nope " + good, "nope"},
      {"eval intent --format purdue --model foo " + good, "foo"},
      {"eval intent --format purdue --model 'markov(order=x)' " + good, "order"},
      {"eval intent --format purdue " + empty, "intent_empty"},
      {"eval intent --format purdue " + binary, "intent_binary"},
      {"eval intent --format purdue /nonexistent/file", "/nonexistent/file"},
      {"eval intent --format purdue --top 0 " + good, "--top"},
      {"eval intent --format purdue --pretrain " + empty + " " + good, "intent_empty"},
      {"eval intent --format purdue --by user " + good, "--by"},
      {"eval intent --format purdue --jobs 0 " + good, "--jobs"},
      {"eval intent --format purdue --jobs x " + good, "--jobs"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    RunResult r = RunMemory(c.args);
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("internal error"), std::string::npos) << r.out;
  }
  EXPECT_NE(RunMemory("eval intent --format purdue").code, 0);  // no files
}

// Purdue's data are Latin-1: a byte >= 0x80 is a character, not an error (it is for bash/jsonl).
TEST(CliEvalIntentTest, Latin1PurdueFiles) {
  std::string f = WriteFile("intent_latin1", "ls\ncaf\xe9\nls\ncaf\xe9\n");
  RunResult r = RunMemory("eval intent --format purdue --model markov --json " + f);
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["events"], 4);
  EXPECT_DOUBLE_EQ(j["top1"].get<double>(), 1.0 / 3);  // caf\xe9 after ls is a row hit once
}

TEST(CliEvalIntentTest, SmallFileJson) {
  std::string a = WriteFile("intent_user_a", "ls\ncd\nls\ncd\nls\n");
  RunResult r = RunMemory("eval intent --format purdue --model markov --json " + a);
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["events"], 5);
  EXPECT_EQ(j["scored"], 4);
  // ls,cd,ls,cd,ls: miss (cd new), ls via mfu fill at rank 2, then two row hits.
  EXPECT_DOUBLE_EQ(j["top1"].get<double>(), 2.0 / 4);
  EXPECT_DOUBLE_EQ(j["top3"].get<double>(), 3.0 / 4);
  EXPECT_GT(j["events_per_s"].get<double>(), 0);
  EXPECT_EQ(j["model"], "markov(order=1)");
}

// --by session: every session is a stream; --pretrain on other sessions gives a population model
// that helps from a session's first steps.
TEST(CliEvalIntentTest, SessionsWithPretraining) {
  std::string train, test;
  int64_t ts = 1767600000000000;
  auto add = [&](std::string* out, const std::string& session, int repeats) {
    for (int i = 0; i < repeats; ++i)
      for (const char* cmd : {"read_file", "edit_file", "run_tests", "git_commit"}) {
        nlohmann::json e = {{"ts", ts += 1000}, {"kind", "tool"}, {"tool", cmd}, {"session", session}};
        *out += e.dump() + "\n";
      }
  };
  for (int s = 0; s < 5; ++s) add(&train, "train" + std::to_string(s), 5);
  for (int s = 0; s < 4; ++s) add(&test, "test" + std::to_string(s), 1);  // 4 steps each
  std::string tr = WriteFile("intent_train.jsonl", train), te = WriteFile("intent_test.jsonl", test);
  RunResult cold = RunMemory("eval intent --format jsonl --by session --model markov --json " + te);
  RunResult warm = RunMemory("eval intent --format jsonl --by session --model markov --json --pretrain " + tr + " " + te);
  ASSERT_EQ(cold.code, 0) << cold.out;
  ASSERT_EQ(warm.code, 0) << warm.out;
  auto jc = nlohmann::json::parse(cold.out), jw = nlohmann::json::parse(warm.out);
  EXPECT_EQ(jc["users"], 4);
  EXPECT_EQ(jc["scored"], 12);
  EXPECT_DOUBLE_EQ(jc["top1"].get<double>(), 0.0);  // every step of a fresh session is new
  EXPECT_DOUBLE_EQ(jw["top1"].get<double>(), 1.0);  // the population knows the workflow
  EXPECT_EQ(jw["pretrain"]["files"], 5);
}

TEST(CliEvalIntentTest, PurdueFolderMatchesLibrary) {
  std::string dir = testing::SharedDir() + "/data/purdue-pu";
  Vocabulary vocab;
  auto users = testing::ReadUsers(dir, "USER", &vocab);
  if (users.empty()) GTEST_SKIP();
  EvalResult lib;
  ASSERT_TRUE(EvaluateOnline("ipam(alpha=0.8)", users, {}, 5, &lib).ok());
  RunResult r = RunMemory("eval intent --format purdue --model 'ipam(alpha=0.8)' --jobs 3 --json " + dir);
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["users"], 4);  // README.md is skipped
  EXPECT_EQ(j["events"], lib.total.events);
  EXPECT_DOUBLE_EQ(j["top1"].get<double>(), lib.total.Rate(0));
  EXPECT_DOUBLE_EQ(j["top5"].get<double>(), lib.total.Rate(2));
  EXPECT_DOUBLE_EQ(j["macro"]["top1"].get<double>(), lib.Macro(0));
  EXPECT_EQ(j["per_user"].size(), 4u);
  EXPECT_EQ(j["jobs"], 3);
}

TEST(CliPredictTest, EmptyStoreSaysSoAndExits0) {
  std::string db = ::testing::TempDir() + "/predict_empty_db_does_not_exist";
  RunResult r = RunMemory("--db " + db + " predict --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["predictions"].empty());
  EXPECT_TRUE(j.contains("model"));
  r = RunMemory("--db " + db + " predict");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("empty"), std::string::npos) << r.out;
}

TEST(CliPredictTest, BadContextIsAClearError) {
  std::string db = ::testing::TempDir() + "/predict_bad_db";
  struct Case { std::string args, stdin_text, expect; };
  std::vector<Case> cases = {
      {"predict --context foo", "", "--context"},
      {"predict --context -", "not json", "malformed"},
      {"predict --context -", "[1,2]", "malformed"},
      {"predict --context -", "{\"history\": [1]}", "history"},
      {"predict --context -", "{\"cwd\": 3}", "cwd"},
      {"predict --context -", "{\"last_exit\": \"x\"}", "last_exit"},
      {"predict --context -", "{\"last_exit\": 4294967296}", "last_exit"},  // not 0 in 32 bits
      {"predict --context -", "{\"last_exit\": -2147483649}", "last_exit"},
      {"predict --context -", "{\"gap_s\": -1}", "gap_s"},
      {"predict --context -", "{\"step\": 1.5}", "step"},
      {"predict --top 0", "", "--top"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args + " <<< " + c.stdin_text);
    RunResult r = RunMemory("--db " + db + " " + c.args, c.stdin_text);
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << r.out;
  }
}

TEST(CliPredictTest, PredictsTheFollowerOfTheGivenHistory) {
  std::string dir = ::testing::TempDir() + "/predict_db_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  // Two sessions: "make" is always followed by "make test", then "git status".
  std::string jsonl;
  int64_t ts = 1767600000000000;
  for (int s = 0; s < 2; ++s)
    for (int i = 0; i < 30; ++i)
      for (const char* cmd : {"vim src/main.cc", "make", "make test", "git status"}) {
        nlohmann::json e = {{"ts", ts += 1000000}, {"kind", "shell"}, {"command", cmd}, {"cwd", "/w"},
                            {"session", "s" + std::to_string(s)}, {"exit", 0}};
        jsonl += e.dump() + "\n";
      }
  std::string file = WriteFile("predict_events.jsonl", jsonl);
  RunResult imp = RunMemory("--db " + dir + " import --format jsonl " + file);
  ASSERT_EQ(imp.code, 0) << imp.out;
  RunResult r = RunMemory("--db " + dir + " predict --context - --json --top 3 --no-refresh",
                          "{\"cwd\":\"/w\",\"history\":[\"vim src/other.cc\",\"make\"]}");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["predictions"].size(), 3u);
  EXPECT_EQ(j["predictions"][0]["command"], "make test");
  EXPECT_GT(j["predictions"][0]["prob"].get<double>(), 0.5);
  EXPECT_EQ(j["events"], 240);
  double sum = 0;
  for (const auto& p : j["predictions"]) sum += p["prob"].get<double>();
  EXPECT_LE(sum, 1.0 + 1e-9);
  // --context current: this shell's session ($MEMORY_SESSION), here from freshly recorded events.
  for (const char* cmd : {"git status", "vim src/x.cc", "make"}) {
    RunResult rec = RunMemory("--db " + dir + " record --session live --cwd /w --exit 0 --cmd '" + cmd + "'");
    ASSERT_EQ(rec.code, 0) << rec.out;
  }
  {
    RunResult rc = memory::testing::RunMemory("--db " + dir + " predict --json --no-refresh",
                                              {.merge_stderr = true, .env = "MEMORY_SESSION=live"});
    ASSERT_EQ(rc.code, 0) << rc.out;
    auto jc = nlohmann::json::parse(rc.out);
    EXPECT_EQ(jc["context"]["from"], "session");
    EXPECT_EQ(jc["context"]["history"], 3);
    EXPECT_EQ(jc["predictions"][0]["command"], "make test");
  }
  // The template of "vim src/other.cc" is known: after "git status" comes "vim <path>", shown as
  // the most recent concrete command (the one recorded last).
  r = RunMemory("--db " + dir + " predict --context - --json --no-refresh", "{\"history\":[\"git status\"]}");
  ASSERT_EQ(r.code, 0) << r.out;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["predictions"][0]["template"], "vim <path>");
  EXPECT_EQ(j["predictions"][0]["command"], "vim src/x.cc");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace memory::learner
