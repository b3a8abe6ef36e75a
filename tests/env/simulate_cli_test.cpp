// `memory simulate` as a process: output, determinism, the pipe into import, bad input.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "env/simulator.h"
#include "tests/cli/cli_test_util.h"

namespace memory::env {
namespace {

namespace fs = std::filesystem;

using Result = memory::testing::CliResult;
using memory::testing::RunMemory;  // `memory ARGS`; stdout and stderr captured separately

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string line; std::getline(ss, line);) out.push_back(line);
  return out;
}

TEST(SimulateCli, WritesTheSimulatorsEventsAsJsonLines) {
  Result a = RunMemory("simulate --events 120 --seed 9 --users 2");
  ASSERT_EQ(a.code, 0) << a.err;
  Result b = RunMemory("--quiet simulate --events 120 --seed 9 --users 2");
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  auto lines = Lines(a.out);
  ASSERT_EQ(lines.size(), 120u);

  SimulatorOptions o;
  o.seed = 9;
  o.events = 120;
  o.users = 2;
  std::vector<Event> expected;
  ASSERT_TRUE(Simulate(o, &expected).ok());
  for (size_t i = 0; i < lines.size(); ++i) {
    Event e;
    Status s = EventFromJson(lines[i], &e);
    ASSERT_TRUE(s.ok()) << s.ToString() << ": " << lines[i];
    EXPECT_EQ(e.id, expected[i].id);
    EXPECT_EQ(e.ts_us, expected[i].ts_us);
    EXPECT_EQ(e.kind, expected[i].kind);
    EXPECT_EQ(e.command, expected[i].command);
    EXPECT_EQ(e.session, expected[i].session);
    EXPECT_EQ(e.exit_code, expected[i].exit_code);
  }
}

TEST(SimulateCli, OutFileMatchesStdout) {
  std::string path = ::testing::TempDir() + "simulate_cli_out_" + std::to_string(::getpid()) + ".jsonl";
  Result r = RunMemory("simulate --events 40 --seed 2 --out " + path);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), RunMemory("simulate --events 40 --seed 2").out);
  fs::remove(path);
}

TEST(SimulateCli, PipesIntoImport) {
  std::string db = ::testing::TempDir() + "simulate_cli_db_" + std::to_string(::getpid());
  fs::remove_all(db);
  Result r = RunMemory("simulate --events 300 --seed 4 | " + std::string(MEMORY_BIN) + " --db " + db +
                       " --quiet import --format jsonl -");
  ASSERT_EQ(r.code, 0) << r.err;
  Result st = RunMemory("--db " + db + " status --json");
  ASSERT_EQ(st.code, 0) << st.err;
  auto j = nlohmann::json::parse(st.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << st.out;
  EXPECT_EQ(j.value("events", int64_t{-1}), 300);
  EXPECT_EQ(j.value("users", int64_t{-1}), 3);  // the simulated users survive the import
  fs::remove_all(db);
}

TEST(SimulateCli, ToStoreWritesStraightIntoTheStore) {
  std::string db = ::testing::TempDir() + "simulate_cli_store_" + std::to_string(::getpid());
  fs::remove_all(db);
  Result r = RunMemory("--db " + db + " --quiet simulate --events 400 --users 3 --to-store");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  Result st = RunMemory("--db " + db + " status --json");
  ASSERT_EQ(st.code, 0) << st.err;
  auto j = nlohmann::json::parse(st.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << st.out;
  EXPECT_EQ(j.value("events", int64_t{-1}), 400);
  EXPECT_EQ(j.value("users", int64_t{-1}), 3);
  fs::remove_all(db);
}

TEST(SimulateCli, BadInputGivesAClearErrorAndExitCode) {
  struct Case {
    std::string args;
    int exit;
    std::string mention;
  };
  const Case cases[] = {
      {"--events -1", 2, "--events"},
      {"--events abc", 2, "--events"},
      {"--events 1e", 2, "--events"},
      {"--agents-share 1.5", 2, "--agents-share"},
      {"--agents-share x", 2, "--agents-share"},
      {"--users -3", 2, "--users"},
      {"--seed -1", 2, "--seed"},
      {"--start garbage", 2, "--start"},
      {"--start 2026-02-30", 2, "--start"},
      {"--recent --start 2026-01-01", 2, "--recent"},
      {"--to-store --out x.jsonl", 2, "--to-store"},
      {"--out /nonexistent-dir/sub/x.jsonl", 1, "/nonexistent-dir/sub/x.jsonl"},
      {"--bogus", 2, "bogus"},
  };
  for (const auto& c : cases) {
    Result r = RunMemory("simulate --events 5 " + c.args);
    EXPECT_EQ(r.code, c.exit) << c.args << ": " << r.err;
    EXPECT_NE(r.err.find(c.mention), std::string::npos) << c.args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("memory: ", 0), 0u) << r.err;
    if (c.exit == 2 && c.args.rfind("--out", 0) != 0) {
      EXPECT_TRUE(r.out.empty()) << c.args;
    }
  }
}

}  // namespace
}  // namespace memory::env
