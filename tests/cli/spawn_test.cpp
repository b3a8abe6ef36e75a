// cli/spawn.h: redirections, exit codes and signals, a new session, programs that cannot start.
#include "cli/spawn.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "tests/cli/cli_test_util.h"

namespace {

using memory::cli::SpawnOptions;
using memory::cli::Spawn;
using memory::cli::WaitChild;
using memory::testing::ReadAll;

class SpawnTest : public memory::testing::CliTest {
 protected:
  // Runs `sh -c script` with `o` and waits; returns WaitChild's status.
  memory::Status RunSh(const std::string& script, const SpawnOptions& o, int* code = nullptr) {
    pid_t pid = 0;
    memory::Status s = Spawn({"/bin/sh", "-c", script}, o, &pid);
    if (!s.ok()) return s;
    EXPECT_GT(pid, 0);
    return WaitChild(pid, code);
  }
};

TEST_F(SpawnTest, StdoutToFileWithStderrFollowing) {
  SpawnOptions o;
  o.stdout_file = dir_ + "/log";
  o.stderr_to_stdout = true;
  ASSERT_TRUE(RunSh("echo out; echo err >&2", o).ok());
  EXPECT_EQ(ReadAll(dir_ + "/log"), "out\nerr\n");
}

TEST_F(SpawnTest, SeparateFilesAndStdinFromDevNullByDefault) {
  SpawnOptions o;
  o.stdout_file = dir_ + "/out";
  o.stderr_file = dir_ + "/err";
  ASSERT_TRUE(RunSh("cat; echo done; echo oops >&2", o).ok());  // cat returns at once on /dev/null
  EXPECT_EQ(ReadAll(dir_ + "/out"), "done\n");
  EXPECT_EQ(ReadAll(dir_ + "/err"), "oops\n");
}

TEST_F(SpawnTest, StdinFromFile) {
  { std::ofstream(dir_ + "/in") << "line one\n"; }
  SpawnOptions o;
  o.stdin_file = dir_ + "/in";
  o.stdout_file = dir_ + "/out";
  ASSERT_TRUE(RunSh("tr a-z A-Z", o).ok());
  EXPECT_EQ(ReadAll(dir_ + "/out"), "LINE ONE\n");
}

TEST_F(SpawnTest, StdoutToOurStderr) {
  // Point our fd 2 at a file for the duration of the child.
  const std::string path = dir_ + "/our_stderr";
  int saved = ::dup(2);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ::dup2(fd, 2);
  ::close(fd);
  SpawnOptions o;
  o.stdout_to_stderr = true;
  memory::Status s = RunSh("echo report-line", o);
  ::dup2(saved, 2);
  ::close(saved);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ReadAll(path), "report-line\n");
}

TEST_F(SpawnTest, ExitCodeAndSignal) {
  int code = -1;
  memory::Status s = RunSh("exit 3", SpawnOptions(), &code);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "exit 3");
  EXPECT_EQ(code, 3);
  s = RunSh("kill -TERM $$", SpawnOptions(), &code);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "signal 15");
  EXPECT_EQ(code, 128 + 15);
  EXPECT_TRUE(RunSh("true", SpawnOptions(), &code).ok());
  EXPECT_EQ(code, 0);
}

// The session id is field 6 of /proc/PID/stat (after the parenthesised command name).
pid_t SessionOf(const std::string& stat_text) {
  std::istringstream in(stat_text.substr(stat_text.rfind(')') + 2));
  std::string state;
  long ppid = 0, pgrp = 0, session = 0;
  in >> state >> ppid >> pgrp >> session;
  return static_cast<pid_t>(session);
}

TEST_F(SpawnTest, NewSession) {
  for (bool detach : {false, true}) {
    SpawnOptions o;
    o.new_session = detach;
    o.stdout_file = dir_ + "/stat";
    pid_t pid = 0;
    ASSERT_TRUE(Spawn({"/bin/sh", "-c", "cat /proc/$$/stat"}, o, &pid).ok());
    ASSERT_TRUE(WaitChild(pid).ok());
    const pid_t session = SessionOf(ReadAll(dir_ + "/stat"));
    if (detach) EXPECT_EQ(session, pid) << "the child leads its own session";
    else EXPECT_EQ(session, ::getsid(0)) << "the child stays in our session";
  }
}

TEST_F(SpawnTest, CannotStart) {
  pid_t pid = 0;
  memory::Status s = Spawn({dir_ + "/no-such-program"}, SpawnOptions(), &pid);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("no-such-program: cannot start"), std::string::npos) << s.ToString();
  s = Spawn({}, SpawnOptions(), &pid);
  EXPECT_TRUE(s.IsInvalidArgument());
  SpawnOptions bad;
  bad.stdout_file = dir_ + "/missing-dir/log";
  s = Spawn({"/bin/true"}, bad, &pid);
  EXPECT_FALSE(s.ok()) << "a redirection that cannot be opened fails the spawn";
}

}  // namespace
