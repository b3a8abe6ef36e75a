// cli/context.h: the repository and branch of a directory, read from .git without running git;
// files there that are not small regular files (a FIFO, /dev/zero) give no branch and cost nothing.
#include "cli/context.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/cli/cli_test_util.h"

namespace {

using memory::cli::GitContext;

class GitContextTest : public memory::testing::CliTest {
 protected:
  void Write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }
  // GitContext(dir) on another thread: false when it has not returned within 5 s (the thread is
  // then left behind, blocked).
  bool Within5s(const std::string& dir, std::string* root, std::string* branch) {
    auto done = std::make_shared<std::promise<std::pair<std::string, std::string>>>();
    auto result = done->get_future();
    std::thread([dir, done] {
      std::string r, b;
      GitContext(dir, &r, &b);
      done->set_value({r, b});
    }).detach();
    if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return false;
    std::tie(*root, *branch) = result.get();
    return true;
  }
};

TEST_F(GitContextTest, BranchDetachedHeadAndWorktree) {
  Write(dir_ + "/repo/.git/HEAD", "ref: refs/heads/feature/x\n");
  std::filesystem::create_directories(dir_ + "/repo/src/deep");
  std::string root, branch;
  GitContext(dir_ + "/repo/src/deep", &root, &branch);
  EXPECT_EQ(root, dir_ + "/repo");
  EXPECT_EQ(branch, "feature/x");

  Write(dir_ + "/detached/.git/HEAD", "0123456789abcdef0123456789abcdef01234567\n");
  GitContext(dir_ + "/detached", &root, &branch);
  EXPECT_EQ(branch, "0123456789ab");

  Write(dir_ + "/main/.git/worktrees/wt/HEAD", "ref: refs/heads/wt-branch");  // no newline
  Write(dir_ + "/wt/.git", "gitdir: ../main/.git/worktrees/wt\n");
  GitContext(dir_ + "/wt", &root, &branch);
  EXPECT_EQ(root, dir_ + "/wt");
  EXPECT_EQ(branch, "wt-branch");

  GitContext(dir_, &root, &branch);  // not in a repository (unless /tmp is)
  EXPECT_EQ(root.rfind(dir_, 0), std::string::npos);
}

// A FIFO named HEAD blocked `memory record` for ever (one blocked process per command the hook
// records there, or an agent's call that never returns); a HEAD linked to
// /dev/zero was read until memory ran out.
TEST_F(GitContextTest, HeadThatIsNotARegularFileGivesNoBranch) {
  std::filesystem::create_directories(dir_ + "/fifo/.git");
  ASSERT_EQ(::mkfifo((dir_ + "/fifo/.git/HEAD").c_str(), 0644), 0);
  std::string root, branch = "x";
  ASSERT_TRUE(Within5s(dir_ + "/fifo", &root, &branch)) << "blocked on a FIFO";
  EXPECT_EQ(root, dir_ + "/fifo");
  EXPECT_EQ(branch, "");

  std::filesystem::create_directories(dir_ + "/zero/.git");
  std::filesystem::create_symlink("/dev/zero", dir_ + "/zero/.git/HEAD");
  ASSERT_TRUE(Within5s(dir_ + "/zero", &root, &branch)) << "read /dev/zero";
  EXPECT_EQ(root, dir_ + "/zero");
  EXPECT_EQ(branch, "");

  std::filesystem::create_directories(dir_ + "/gitfifo");
  ASSERT_EQ(::mkfifo((dir_ + "/gitfifo/.git").c_str(), 0644), 0);  // .git itself a FIFO
  ASSERT_TRUE(Within5s(dir_ + "/gitfifo", &root, &branch)) << "blocked on a FIFO .git";
  EXPECT_EQ(root, dir_ + "/gitfifo");
  EXPECT_EQ(branch, "");
}

// `record --json` takes any cwd: one of a megabyte (500,000 components) was walked prefix by
// prefix, each copied and stat()ed, for half a minute.
TEST_F(GitContextTest, AHugePathIsWalkedOnlyWhereItCanExist) {
  std::string huge;
  for (int i = 0; i < 500000; ++i) huge += "/a";
  std::string root = "x", branch = "x";
  ASSERT_TRUE(Within5s(huge, &root, &branch)) << "took more than 5 s";
  EXPECT_EQ(branch, "");
  Write(dir_ + "/repo/.git/HEAD", "ref: refs/heads/main\n");
  std::string deep = dir_ + "/repo";  // a long path inside a repository, as far as it exists
  for (int i = 0; i < 500000; ++i) deep += "/a";
  ASSERT_TRUE(Within5s(deep, &root, &branch));
  EXPECT_EQ(root, dir_ + "/repo");
  EXPECT_EQ(branch, "main");
}

}  // namespace
