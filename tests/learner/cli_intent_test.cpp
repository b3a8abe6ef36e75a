// Runs the built `memory` binary: `memory eval intent` (and `memory predict`) on good and bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "learner/online_eval.h"
#include "test_util.h"

namespace memory::learner {
namespace {

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout + stderr
};

RunResult RunMemory(const std::string& args, const std::string& stdin_text = "") {
  std::string dir = ::testing::TempDir();
  std::string in = dir + "/intent_stdin.txt";
  { std::ofstream f(in); f << stdin_text; }
  std::string cmd = std::string(MEMORY_BIN) + " " + args + " < " + in + " 2>&1";
  RunResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
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
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    RunResult r = RunMemory(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("internal error"), std::string::npos) << r.out;
  }
  EXPECT_NE(RunMemory("eval intent --format purdue").exit_code, 0);  // no files
}

TEST(CliEvalIntentTest, SmallFileJson) {
  std::string a = WriteFile("intent_user_a", "ls\ncd\nls\ncd\nls\n");
  RunResult r = RunMemory("eval intent --format purdue --model markov --json " + a);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["events"], 5);
  EXPECT_EQ(j["scored"], 4);
  // ls,cd,ls,cd,ls: miss (cd new), ls via mfu fill at rank 2, then two row hits.
  EXPECT_DOUBLE_EQ(j["top1"].get<double>(), 2.0 / 4);
  EXPECT_DOUBLE_EQ(j["top3"].get<double>(), 3.0 / 4);
  EXPECT_GT(j["events_per_s"].get<double>(), 0);
  EXPECT_EQ(j["model"], "markov(order=1)");
}

TEST(CliEvalIntentTest, PurdueFolderMatchesLibrary) {
  std::string dir = testing::SharedDir() + "/data/purdue-pu";
  Vocabulary vocab;
  auto users = testing::ReadUsers(dir, "USER", &vocab);
  if (users.empty()) GTEST_SKIP();
  EvalResult lib;
  ASSERT_TRUE(EvaluateOnline("ipam(alpha=0.8)", users, {}, 5, &lib).ok());
  RunResult r = RunMemory("eval intent --format purdue --model 'ipam(alpha=0.8)' --json " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["users"], 4);  // README.md is skipped
  EXPECT_EQ(j["events"], lib.total.events);
  EXPECT_DOUBLE_EQ(j["top1"].get<double>(), lib.total.Rate(0));
  EXPECT_DOUBLE_EQ(j["top5"].get<double>(), lib.total.Rate(2));
  EXPECT_DOUBLE_EQ(j["macro"]["top1"].get<double>(), lib.Macro(0));
  EXPECT_EQ(j["per_user"].size(), 4u);
}

}  // namespace
}  // namespace memory::learner
