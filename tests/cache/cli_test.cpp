// `memory eval cache` end to end: JSON output and bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "tests/cli/cli_test_util.h"

namespace {

using CliRun = memory::testing::CliResult;

CliRun Memory(const std::string& args) {
  return memory::testing::RunMemory("--db /nonexistent-memory-db eval cache " + args);
}

const std::string kGli = std::string(MEMORY_SHARED_DIR) + "/cache-traces/lirs/gli.trace.gz";

TEST(EvalCacheCli, JsonOnGli) {
  if (!std::filesystem::exists(kGli)) GTEST_SKIP() << kGli << " is not there";
  CliRun r = Memory("--trace " + kGli + " --capacity 250 --policy lru --prefetch successor --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["requests"], 6015);
  EXPECT_EQ(j["unique"], 2529);
  EXPECT_EQ(j["format"], "lirs");
  double h = j["hit_ratio"];
  EXPECT_GT(h, 0.5);  // last-successor prefetching lifts gli@250 from 0.9 % past 50 %
  EXPECT_LE(h, 1.0);
  EXPECT_GT(j["prefetch_used"].get<int>(), 2500);
  EXPECT_GT(j["accesses_per_s"].get<double>(), 0);
  ASSERT_EQ(j["levels"].size(), 2u);
  EXPECT_EQ(j["levels"][0]["name"], "main");
  EXPECT_EQ(j["levels"][1]["capacity"], 3);  // round(1 % of 250)

  CliRun t = Memory("--trace " + kGli + " --capacity 250");
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_NE(t.out.find("0.91 %"), std::string::npos) << t.out;
}

TEST(EvalCacheCli, BadInputGivesClearErrors) {
  struct Case { std::string args; int code; std::string needle; };
  std::string tmp = std::filesystem::temp_directory_path() / ("eval_cache_" + std::to_string(::getpid()));
  std::ofstream(tmp) << "1\n2\nx\n";
  const std::vector<Case> cases = {
      {"--trace /nonexistent/t.gz --format lirs --capacity 10", 2, "/nonexistent/t.gz"},
      {"--trace " + tmp + " --format lirs --capacity 0", 2, "capacity"},
      {"--trace " + tmp + " --format lirs --capacity -3", 2, "capacity"},
      {"--trace " + tmp + " --format lirs --capacity 1e3", 2, "capacity"},
      {"--trace " + tmp + " --format arcx --capacity 10", 2, "arcx"},
      {"--trace " + tmp + " --format lines --capacity 99999999999", 2, "too large"},
      {"--trace " + tmp + " --capacity 10", 2, "--format"},
      {"--trace " + tmp + " --format lirs --capacity 10", 2, ":3"},
      {"--trace " + tmp + " --format lines --capacity 10 --policy lfu", 2, "lfu"},
      {"--trace " + tmp + " --format lines --capacity 10 --prefetch oracle", 2, "oracle"},
      {"--trace " + tmp + " --format cache2k --capacity 10", 2, "truncated"},
      {"--capacity 10", 2, "trace"},
  };
  for (const Case& c : cases) {
    CliRun r = Memory(c.args);
    EXPECT_EQ(r.code, c.code) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  }
  std::filesystem::remove(tmp);
}

}  // namespace
