// Shared by the CLI tests: a temporary data directory with no user config leaking in, and
// helpers to run the built `memory` binary through the shell.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

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
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs a shell command line; returns its exit status (128+N for a signal), fills stdout/stderr.
  int Sh(const std::string& cmd, std::string* out = nullptr, std::string* err = nullptr) {
    std::string o = dir_ + "/out", e = dir_ + "/err";
    int st = std::system((cmd + " >" + Quote(o) + " 2>" + Quote(e)).c_str());
    if (out) *out = ReadAll(o);
    if (err) *err = ReadAll(e);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

  std::string dir_, db_;
};

}  // namespace memory::testing
