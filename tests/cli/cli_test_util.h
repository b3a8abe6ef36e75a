// Shared by the CLI tests of every module (header-only; each test executable has MEMORY_BIN, the
// built `memory`): run a shell command line or `memory ARGS` and capture exit code, stdout and
// stderr; a fixture with a temporary data directory and no user config leaking in.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace memory::testing {

// Single-quotes `s` for /bin/sh.
inline std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CliResult {
  int code = -1;    // exit status; 128+N when killed by signal N
  std::string out;  // stdout (and stderr, in order, with merge_stderr)
  std::string err;  // stderr (empty with merge_stderr)
};

struct RunOptions {
  std::optional<std::string> stdin_text{};  // fed on stdin; nullopt: the command line decides
  bool merge_stderr = false;              // 2>&1: stderr into `out`
  std::string env{};                      // "NAME=value ..." (already quoted) set for the command
  std::string cwd{};                      // run in this directory ("" = ours)
};

// Runs a /bin/sh command line. The capture redirections are appended to `cmd`, so in a pipeline
// or `a && b` they apply to its last command (as with `cmd >out 2>err` typed in a shell).
inline CliResult RunShell(const std::string& cmd, const RunOptions& o = {}) {
  char tmpl[] = "/tmp/memory-run-XXXXXX";
  CliResult r;
  if (mkdtemp(tmpl) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return r;
  }
  const std::string tmp = tmpl, in = tmp + "/in", out = tmp + "/out", err = tmp + "/err";
  std::string line = cmd;
  if (!o.env.empty()) line = "env " + o.env + " " + line;
  if (!o.cwd.empty()) line = "cd " + Quote(o.cwd) + " && " + line;
  if (o.stdin_text) {
    std::ofstream(in, std::ios::binary) << *o.stdin_text;
    line += " <" + Quote(in);
  }
  line += " >" + Quote(out) + (o.merge_stderr ? std::string(" 2>&1") : " 2>" + Quote(err));
  const int st = std::system(line.c_str());
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = ReadAll(out);
  if (!o.merge_stderr) r.err = ReadAll(err);
  std::filesystem::remove_all(tmp);
  return r;
}

// Runs the built `memory ARGS` (ARGS already shell-quoted where needed).
inline CliResult RunMemory(const std::string& args, const RunOptions& o = {}) {
  return RunShell(Quote(MEMORY_BIN) + " " + args, o);
}

// A fresh directory per test (dir_), a data directory inside it (db_), and an environment in
// which the user's own config, $MEMORY_DB and $MEMORY_SESSION play no part.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/memory-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    db_ = dir_ + "/db";
    setenv("XDG_CONFIG_HOME", (dir_ + "/config").c_str(), 1);
    unsetenv("MEMORY_DB");
    unsetenv("MEMORY_SESSION");
  }
  // A background model rebuild a test started may still be writing into the directory (its
  // temporary files come and go), so removal retries instead of throwing mid-way.
  void TearDown() override {
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      if (!ec && !std::filesystem::exists(dir_, ec)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "could not remove " << dir_;
  }

  // Runs a shell command line; returns its exit status (128+N for a signal), fills stdout/stderr.
  int Sh(const std::string& cmd, std::string* out = nullptr, std::string* err = nullptr) {
    CliResult r = RunShell(cmd);
    if (out) *out = std::move(r.out);
    if (err) *err = std::move(r.err);
    return r.code;
  }
  // Runs `memory --db <db_> ARGS` with stdin from /dev/null (see Sh).
  int Mem(const std::string& args, std::string* out = nullptr, std::string* err = nullptr) {
    return Sh(Quote(MEMORY_BIN) + " --db " + Quote(db_) + " " + args + " </dev/null", out, err);
  }

  std::string dir_, db_;
};

}  // namespace memory::testing
