// The `memory` command line as a whole: main builds only the subcommand named on the command
// line (each cmd_*.cpp declares the names its setup adds), so every subcommand `memory --help`
// lists must still parse on its own, with the global options before it.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/cli_test_util.h"

namespace {

using memory::testing::CliResult;
using memory::testing::RunMemory;

// The names under "Subcommands:" in a CLI11 help text.
std::vector<std::string> Subcommands(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream in(help);
  bool listing = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Subcommands:", 0) == 0) {
      listing = true;
    } else if (listing && line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ') {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    } else if (listing && !line.empty() && line[0] != ' ') {
      listing = false;
    }
  }
  return names;
}

TEST(CommandLine, EverySubcommandParsesOnItsOwn) {
  CliResult all = RunMemory("--help");
  ASSERT_EQ(all.code, 0) << all.err;
  const std::vector<std::string> names = Subcommands(all.out);
  ASSERT_GE(names.size(), 20u) << all.out;
  for (const char* name : {"record", "predict", "search", "status", "backup", "restore",
                           "forget", "clean", "eval", "train"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  for (const std::string& name : names) {
    CliResult r = RunMemory("--db /tmp/memory-cli-unused -q " + name + " --help");
    EXPECT_EQ(r.code, 0) << name << ": " << r.err;
    EXPECT_NE(r.out.find("Usage: memory " + name), std::string::npos) << name << ":\n" << r.out;
  }
  // The eval group gathers three commands' setups.
  CliResult eval = RunMemory("eval --help");
  ASSERT_EQ(eval.code, 0) << eval.err;
  for (const char* name : {"intent", "cache", "bandit"})
    EXPECT_NE(eval.out.find(std::string("  ") + name + " "), std::string::npos) << eval.out;
}

TEST(CommandLine, HelpVersionAndUnknownNames) {
  CliResult r = RunMemory("--help record");  // as CLI11 does: the subcommand's help
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Usage: memory record"), std::string::npos) << r.out;
  CliResult bad = RunMemory("no-such-command");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("unknown command 'no-such-command'"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("--help"), std::string::npos) << bad.err;
  EXPECT_EQ(RunMemory("--db /tmp/unused no-such-command --json").code, 2);
  CliResult version = RunMemory("--version");
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.out.rfind("memory ", 0), 0u) << version.out;
}

}  // namespace
