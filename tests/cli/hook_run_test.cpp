// `memory run` and `memory hook`, exercised through the built binary (MEMORY_BIN): exit status,
// output and signal passthrough, what gets recorded, and a real interactive bash using the hook.
#include <gtest/gtest.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/recorder.h"
#include "tests/cli/cli_test_util.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kBin = MEMORY_BIN;

using memory::testing::Quote;
using memory::testing::ReadAll;

class HookRunTest : public memory::testing::CliTest {
 protected:
  std::string Memory() const { return Quote(kBin) + " --db " + Quote(db_); }

  std::vector<json> Events() {
    std::string out, err;
    if (!fs::exists(db_)) return {};
    EXPECT_EQ(Sh(Memory() + " export --format jsonl", &out, &err), 0) << err;
    std::vector<json> events;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) events.push_back(json::parse(line));
    return events;
  }

  // Waits (up to 10 s) until `n` events are recorded: the hook records in the background.
  std::vector<json> WaitForEvents(size_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::vector<json> ev = Events();
    while (ev.size() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ev = Events();
    }
    return ev;
  }

};

TEST_F(HookRunTest, RunPassesExitStatusThrough) {
  EXPECT_EQ(Sh(Memory() + " run -- true"), 0);
  EXPECT_EQ(Sh(Memory() + " run -- sh -c 'exit 3'"), 3);
  EXPECT_EQ(Sh(Memory() + " run -- sh -c 'exit 255'"), 255);
  // Killed by a signal: 128 + N, like a shell reports it.
  EXPECT_EQ(Sh(Memory() + " run -- sh -c 'kill -KILL $$'"), 128 + SIGKILL);
  auto ev = Events();
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0]["command"], "true");
  EXPECT_EQ(ev[1]["command"], "sh -c 'exit 3'");
  EXPECT_EQ(ev[1]["exit"], 3);
  EXPECT_EQ(ev[2]["exit"], 255);
  EXPECT_EQ(ev[3]["exit"], 128 + SIGKILL);
  EXPECT_EQ(ev[3]["error"], "killed by signal SIGKILL");
}

TEST_F(HookRunTest, RunPassesStdinStdoutStderrThroughUntouched) {
  std::string out, err;
  std::string payload = "line one\n\ttabbed \\ 'quoted'\n";
  std::ofstream(dir_ + "/in", std::ios::binary) << payload;
  EXPECT_EQ(Sh(Memory() + " run -- sh -c 'cat; echo to-stderr >&2' <" + Quote(dir_ + "/in"), &out, &err), 0);
  EXPECT_EQ(out, payload);
  EXPECT_EQ(err, "to-stderr\n");
}

TEST_F(HookRunTest, RunRecordsDurationCpuRssAndContext) {
  EXPECT_EQ(Sh("cd " + Quote(dir_) + " && MEMORY_SESSION=s-env " + Memory() +
               " run --actor claude --tag build --tag ci -- sh -c "
               "'sleep 0.15; dd if=/dev/zero of=/dev/null bs=40M count=5 2>/dev/null'"),
            0);
  auto ev = Events();
  ASSERT_EQ(ev.size(), 1u);
  const json& e = ev[0];
  EXPECT_EQ(e["kind"], "shell");
  EXPECT_EQ(e["exit"], 0);
  EXPECT_EQ(e["cwd"], fs::canonical(dir_).string());
  EXPECT_EQ(e["session"], "s-env");
  EXPECT_EQ(e["actor"], "claude");
  EXPECT_EQ(e["tags"], json::array({"build", "ci"}));
  EXPECT_GE(e["duration_ms"].get<double>(), 150.0);
  EXPECT_GT(e["cpu_ms"].get<double>(), 1.0);            // dd zeroed 200 MiB (sleep costs none)
  EXPECT_LT(e["cpu_ms"].get<double>(), e["duration_ms"].get<double>());
  EXPECT_GE(e["peak_rss_kb"].get<int64_t>(), 40 << 10);  // dd's 40 MiB buffer (a grandchild)
  EXPECT_EQ(e["command"], "sh -c 'sleep 0.15; dd if=/dev/zero of=/dev/null bs=40M count=5 2>/dev/null'");
  int64_t ts = e["ts"].get<int64_t>();
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LT(now - ts, 60LL * 1000 * 1000);
  EXPECT_GT(now - ts, 150LL * 1000);  // the start time, not the end
}

TEST_F(HookRunTest, RunSessionReachesTheChild) {
  std::string out;
  EXPECT_EQ(Sh(Memory() + " run --session s42 -- sh -c 'echo $MEMORY_SESSION'", &out), 0);
  EXPECT_EQ(out, "s42\n");
  auto ev = Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["session"], "s42");
}

TEST_F(HookRunTest, RunCommandNotFoundIs127AndRecordedWithError) {
  std::string out, err;
  EXPECT_EQ(Sh(Memory() + " run -- no-such-command-4711 --x", &out, &err), 127);
  EXPECT_NE(err.find("no-such-command-4711: command not found"), std::string::npos) << err;
  auto ev = Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["command"], "no-such-command-4711 --x");
  EXPECT_EQ(ev[0]["exit"], 127);
  EXPECT_EQ(ev[0]["error"], "command not found");
}

TEST_F(HookRunTest, RunForwardsSigtermToTheChild) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(kBin.c_str(), kBin.c_str(), "--db", db_.c_str(), "run", "--", "sleep", "20", (char*)nullptr);
    _exit(99);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  ASSERT_TRUE(WIFEXITED(st)) << "memory run itself died of signal " << WTERMSIG(st);
  EXPECT_EQ(WEXITSTATUS(st), 128 + SIGTERM);
  auto ev = Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["command"], "sleep 20");
  EXPECT_EQ(ev[0]["error"], "killed by signal SIGTERM");
}

TEST_F(HookRunTest, RunRedactsSecretsAndHonoursIgnoreRulesAndPause) {
  fs::create_directories(dir_ + "/config/llmunix-memory");
  std::ofstream(dir_ + "/config/llmunix-memory/config.yaml") << "privacy:\n  ignore: ['echo private*']\n";
  EXPECT_EQ(Sh(Memory() + " run -- env PASSWORD=hunter2 true"), 0);
  EXPECT_EQ(Sh(Memory() + " run -- echo private stuff"), 0);
  auto ev = Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["command"], "env PASSWORD=[REDACTED:secret_assignment] true");

  ASSERT_TRUE(memory::SetRecordingPaused(db_, true).ok());
  EXPECT_EQ(Sh(Memory() + " run -- sh -c 'exit 4'"), 4);  // still runs, still passes status
  EXPECT_EQ(Events().size(), 1u);
  ASSERT_TRUE(memory::SetRecordingPaused(db_, false).ok());
  EXPECT_EQ(Sh(Memory() + " run -- true"), 0);
  EXPECT_EQ(Events().size(), 2u);
}

TEST_F(HookRunTest, RunWithBadConfigStillRunsAndWarns) {
  std::string bad = dir_ + "/bad.yaml";
  std::ofstream(bad) << "store:\n  sink: true\n";
  std::string out, err;
  EXPECT_EQ(Sh(Memory() + " --config " + Quote(bad) + " run -- sh -c 'echo ran; exit 5'", &out, &err), 5);
  EXPECT_EQ(out, "ran\n");
  EXPECT_NE(err.find("not recorded"), std::string::npos) << err;
  EXPECT_NE(err.find("bad.yaml:2"), std::string::npos) << err;
  EXPECT_TRUE(Events().empty());
}

TEST_F(HookRunTest, RunWhenTheStoreCannotBeWrittenStillPassesStatus) {
  std::ofstream(db_) << "a file where the data directory should be";
  std::string out, err;
  EXPECT_EQ(Sh(Memory() + " run -- sh -c 'echo ran; exit 6'", &out, &err), 6);
  EXPECT_EQ(out, "ran\n");
  EXPECT_NE(err.find("memory run: not recorded"), std::string::npos) << err;
}

TEST_F(HookRunTest, RunRedactsBeforeCuttingLongCommands) {
  fs::create_directories(dir_ + "/config/llmunix-memory");
  std::ofstream(dir_ + "/config/llmunix-memory/config.yaml") << "record:\n  max_command_bytes: 30\n";
  const std::string token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
  EXPECT_EQ(Sh(Memory() + " run -- echo 0123456789012345 " + token), 0);
  auto ev = Events();
  ASSERT_EQ(ev.size(), 1u);
  std::string cmd = ev[0]["command"];
  EXPECT_EQ(cmd.size(), 30u);
  EXPECT_EQ(cmd.rfind("echo 0123456789012345 [REDACT", 0), 0u) << cmd;  // no stub of the token
  EXPECT_EQ(ev[0]["tags"], json::array({"truncated"}));
}

TEST_F(HookRunTest, RunUsageErrors) {
  std::string err;
  EXPECT_EQ(Sh(Memory() + " run", nullptr, &err), 2);
  EXPECT_NE(err.find("no command given"), std::string::npos) << err;
  EXPECT_EQ(Sh(Memory() + " run --", nullptr, &err), 2);
  EXPECT_EQ(Sh(Memory() + " run ls -la", nullptr, &err), 2);  // options of the command need --
  EXPECT_NE(err.find("put -- before the command"), std::string::npos) << err;
  EXPECT_TRUE(Events().empty());
}

TEST_F(HookRunTest, HookCodeIsValidShellWithAbsoluteBinaryAndDb) {
  std::string out, err;
  ASSERT_EQ(Sh(Quote(kBin) + " hook bash", &out), 0);
  const std::string self = fs::canonical(kBin).string();
  EXPECT_NE(out.find("__memory_hook_bin=" + Quote(self)), std::string::npos) << out;
  EXPECT_EQ(out.find("--db"), std::string::npos);  // no --db given: none baked in
  std::ofstream(dir_ + "/h.bash") << out;
  EXPECT_EQ(Sh("bash -n " + Quote(dir_ + "/h.bash"), nullptr, &err), 0) << err;

  const std::string odd_db = dir_ + "/it's a db";
  ASSERT_EQ(Sh(Quote(kBin) + " --db " + Quote(odd_db) + " hook bash", &out), 0);
  EXPECT_NE(out.find("__memory_hook_args=(--db " + Quote(odd_db) + ")"), std::string::npos) << out;
  std::ofstream(dir_ + "/h2.bash") << out;
  EXPECT_EQ(Sh("bash -n " + Quote(dir_ + "/h2.bash"), nullptr, &err), 0) << err;

  EXPECT_EQ(Sh(Quote(kBin) + " hook tcsh", nullptr, &err), 2);
  EXPECT_NE(err.find("unknown shell 'tcsh' (expected bash, zsh or fish)"), std::string::npos) << err;
}

// fish single quotes take \\ and \' as escapes: a --db with both reaches fish unchanged.
TEST_F(HookRunTest, FishHookIsValidFishWithTheDbAsGiven) {
  if (std::system("command -v fish >/dev/null 2>&1") != 0) GTEST_SKIP() << "fish is not installed";
  std::string out, err;
  const std::string odd_db = dir_ + "/it's a \\\\db";  // two backslashes
  ASSERT_EQ(Sh(Quote(kBin) + " --db " + Quote(odd_db) + " hook fish", &out), 0);
  std::ofstream(dir_ + "/h.fish") << out;
  EXPECT_EQ(Sh("fish --no-config -n " + Quote(dir_ + "/h.fish"), nullptr, &err), 0) << err;
  const size_t at = out.find("set -g __memory_hook_args ");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string line = out.substr(at, out.find('\n', at) - at);
  ASSERT_EQ(Sh("fish --no-config -c " + Quote(line + "; printf '%s\\n' $__memory_hook_args"), &out, &err), 0) << err;
  EXPECT_EQ(out, "--db\n" + odd_db + "\n");
}

TEST_F(HookRunTest, ZshHookIsValidZsh) {
  std::string out, err;
  ASSERT_EQ(Sh(Quote(kBin) + " --db " + Quote(db_) + " hook zsh", &out), 0);
  EXPECT_NE(out.find("add-zsh-hook preexec __memory_hook_preexec"), std::string::npos);
  if (Sh("command -v zsh") != 0) GTEST_SKIP() << "zsh is not installed";
  std::ofstream(dir_ + "/h.zsh") << out;
  EXPECT_EQ(Sh("zsh -n " + Quote(dir_ + "/h.zsh"), nullptr, &err), 0) << err;
}

// A line the hook hands over that only runs `memory run` is left to that command (it records
// what it runs); any line that may do more is recorded.
TEST_F(HookRunTest, HookLeavesLinesThatOnlyRunMemoryRunToIt) {
  const std::vector<std::string> left = {
      "memory run -- make", "/usr/local/bin/memory run make -j2", "  memory -q --db /tmp/x run -- ls",
      "'memory' --db=/x --config /c.yaml run --tag build -- git commit -m \"wip\""};
  const std::vector<std::string> recorded = {
      "memory run -- make | tee log", "memory run -- ls > out", "memory run -- a; b", "memory run -- a && b",
      "memory run -- echo $HOME", "memory search run", "memory --db run", "memorize run", "memory",
      "env X=1 memory run -- ls", "memory run -- (ls)", "memory run -- echo `date`", "memory run -- a\nb"};
  for (const auto& line : left) ASSERT_EQ(Sh(Memory() + " record --from-hook --cmd " + Quote(line)), 0) << line;
  for (const auto& line : recorded) ASSERT_EQ(Sh(Memory() + " record --from-hook --cmd " + Quote(line)), 0) << line;
  ASSERT_EQ(Sh(Memory() + " record --cmd " + Quote(left[0])), 0);  // not from the hook: recorded
  std::multiset<std::string> got, want(recorded.begin(), recorded.end());
  want.insert(left[0]);
  for (const auto& e : Events()) got.insert(e["command"].get<std::string>());
  EXPECT_EQ(got, want);
}

TEST_F(HookRunTest, BashHookRecordsAnInteractiveSession) {
  const std::string work = fs::canonical(dir_).string();
  fs::create_directories(work + "/sub");
  const std::string token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
  std::ofstream(dir_ + "/session.txt")
      << "eval \"$(" << Quote(kBin) << " --db " << Quote(db_) << " hook bash)\"\n"
      << "cd " << Quote(work) << "\n"
      << "echo hello\n"
      << "   echo typed-with-leading-space\n"
      << "\n"
      << "false\n"
      << "sleep 0.2\n"
      << "cd sub\n"
      << "export GITHUB_TOKEN=" << token << "\n"
      << "HISTCONTROL=ignoreboth\n"
      << " echo hidden-by-histcontrol\n"
      << "echo again\n"
      << "echo again\n"  // a repeat ignoredups keeps out of the history: recorded all the same
      << " echo again\n"  // hidden, but the same text: recorded as a repeat (nothing new leaks)
      << " echo hidden-again\n"
      << "echo \"$MEMORY_SESSION\" > " << Quote(dir_ + "/session-id") << "\n"
      << "(exit 7)\n"
      << Memory() << " run -- echo via-run\n"  // recorded once, by `memory run`
      << Memory() << " run -- echo piped | cat\n"  // the line does more: the hook records it too
      << "exit 0\n";
  std::string out, err;
  ASSERT_EQ(Sh("HISTFILE=/dev/null bash --norc --noprofile -i <" + Quote(dir_ + "/session.txt"), &out, &err), 0)
      << err;
  EXPECT_NE(out.find("hello"), std::string::npos);
  EXPECT_EQ(err.find("command not found"), std::string::npos) << err;
  EXPECT_EQ(err.find("syntax error"), std::string::npos) << err;

  const std::vector<std::string> expected = {
      "cd " + Quote(work), "echo hello", "false", "sleep 0.2", "cd sub",
      "export GITHUB_TOKEN=[REDACTED:github_token]", "HISTCONTROL=ignoreboth",
      "echo again", "echo again", "echo again",
      "echo \"$MEMORY_SESSION\" > " + Quote(dir_ + "/session-id"), "(exit 7)", "echo via-run",
      Memory() + " run -- echo piped | cat", "echo piped"};
  auto ev = WaitForEvents(expected.size());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing else trickles in
  ev = Events();
  std::vector<std::string> got;
  for (const auto& e : ev) got.push_back(e["command"]);
  // Background records can land out of order: compare sorted by start time.
  std::sort(ev.begin(), ev.end(), [](const json& a, const json& b) { return a["ts"] < b["ts"]; });
  got.clear();
  for (const auto& e : ev) got.push_back(e["command"]);
  ASSERT_EQ(got, expected);

  std::string session = ReadAll(dir_ + "/session-id");
  while (!session.empty() && session.back() == '\n') session.pop_back();
  EXPECT_FALSE(session.empty());
  for (const auto& e : ev) {
    EXPECT_EQ(e["session"], session);
    EXPECT_EQ(e["actor"], "human");
  }
  EXPECT_EQ(ev[1]["exit"], 0);
  EXPECT_EQ(ev[1]["cwd"], work);
  EXPECT_EQ(ev[2]["exit"], 1);
  EXPECT_GE(ev[3]["duration_ms"].get<double>(), 200.0);
  EXPECT_LT(ev[1]["duration_ms"].get<double>(), 200.0);
  EXPECT_EQ(ev[4]["cwd"], work);          // `cd sub` started in work/
  EXPECT_EQ(ev[5]["cwd"], work + "/sub");  // the next one in work/sub
  EXPECT_EQ(ev[11]["exit"], 7);
  EXPECT_TRUE(ev[12].contains("cpu_ms")) << ev[12];  // run's own record
  EXPECT_FALSE(ev[13].contains("cpu_ms")) << ev[13];  // the hook's
  for (const auto& e : ev) {
    EXPECT_EQ(e.dump().find(token), std::string::npos);
    EXPECT_EQ(e.dump().find("hidden"), std::string::npos);
    EXPECT_EQ(e.dump().find("leading-space"), std::string::npos);
  }
}

}  // namespace
