// The front end (cli/core.h): build/memory serves record and predict without the database engine
// linked in and continues as build/memory-core for anything that needs the database, with the
// same arguments and, where it already read stdin, the same stdin.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/cli/cli_test_util.h"

namespace {

using memory::testing::CliResult;
using memory::testing::CliTest;
using memory::testing::Quote;
using memory::testing::ReadAll;
using memory::testing::RunMemory;
using memory::testing::RunOptions;

std::string CorePath() { return std::filesystem::path(MEMORY_BIN).parent_path().string() + "/memory-core"; }

// Mangled names of RocksDB's symbols (the executables are built with their symbol tables).
TEST(FrontEnd, DoesNotLinkTheDatabaseEngine) {
  const std::string front = ReadAll(MEMORY_BIN), core = ReadAll(CorePath());
  ASSERT_FALSE(front.empty());
  ASSERT_FALSE(core.empty()) << CorePath();
  EXPECT_EQ(front.find("_ZN7rocksdb"), std::string::npos) << "build/memory links RocksDB";
  EXPECT_NE(core.find("_ZN7rocksdb"), std::string::npos) << "memory-core without RocksDB?";
}

class FrontEndTest : public CliTest {
 protected:
  int Spooled() {
    int n = 0;
    for (const auto& f : std::filesystem::directory_iterator(db_ + "/spool")) n += f.file_size() > 0;
    return n;
  }
};

// No model yet: predict needs the database to build one, after it had read the JSON context from
// stdin. memory-core gets the same context (its answer names the stdin history), and the
// second call, served by the front end from the model built, answers the same.
TEST_F(FrontEndTest, AContextReadFromStdinReachesMemoryCore) {
  ASSERT_EQ(Mem("simulate --events 2000 --seed 5 --to-store"), 0);
  ASSERT_FALSE(std::filesystem::exists(db_ + "/models/intent.snap"));
  RunOptions o;
  o.stdin_text = R"({"cwd":"/tmp","history":["git status","git add -A"],"last_exit":0})";
  const std::string args = "--db " + Quote(db_) + " predict --context - --json";
  CliResult first = RunMemory(args, o);
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find(R"("from":"stdin","history":2)"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find(R"("prob")"), std::string::npos) << first.out;
  ASSERT_TRUE(std::filesystem::exists(db_ + "/models/intent.snap"));
  CliResult second = RunMemory(args, o);
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
}

// A record that takes the spool past its threshold prints its answer once and the spool is
// folded (by memory-core, `record --fold-pending`); the event counts add up.
TEST_F(FrontEndTest, RecordFoldsALargeSpoolThroughMemoryCore) {
  const std::string mem = Quote(MEMORY_BIN), db = Quote(db_);
  ASSERT_EQ(Sh(mem + " simulate --events 5000 --seed 9 --out - | " + mem + " --db " + db + " record --json -"), 0);
  ASSERT_EQ(Spooled(), 1) << "5,000 events (~1 MB) stay in the spool";
  std::string out, err;
  ASSERT_EQ(Sh(mem + " simulate --events 500 --seed 10 --out - | " + mem + " --db " + db + " record --json - --print-json",
               &out, &err),
            0)
      << err;
  EXPECT_EQ(out.rfind(R"({"recorded":500,"ids":[)", 0), 0u) << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one answer: " << out;
  EXPECT_EQ(Spooled(), 0) << "the spool passed 1 MB and was not folded";
  ASSERT_EQ(Mem("status --json", &out), 0);
  EXPECT_NE(out.find(R"("events": 5500,)"), std::string::npos) << out;
}

}  // namespace
