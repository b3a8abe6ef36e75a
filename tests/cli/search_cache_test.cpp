// `memory search` with its results cache, end to end through the binary: a repeated search is
// answered from the cache, record / import / forget are seen by the very next search, forget
// leaves no forgotten text in the cache directory, and `memory status` shows the hit ratios.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"

namespace memory::testing {
namespace {

namespace fs = std::filesystem;

class SearchCacheCli : public CliTest {
 protected:
  // Tiny stores search faster than L3 is written: save every result so the tests see hits.
  void SetUp() override {
    CliTest::SetUp();
    setenv("MEMORY_SEARCH_CACHE", "always", 1);
  }
  void TearDown() override {
    unsetenv("MEMORY_SEARCH_CACHE");
    CliTest::TearDown();
  }
  std::string Mem() { return std::string(MEMORY_BIN) + " --db " + Quote(db_) + " "; }
  void Record(const std::string& cmd) {
    ASSERT_EQ(Sh(Mem() + "record --cmd " + Quote(cmd) + " --exit 0 --duration-ms 3"), 0) << cmd;
  }
  std::vector<std::string> Search(const std::string& args) {
    std::string out, err;
    EXPECT_EQ(Sh(Mem() + "search --json " + args, &out, &err), 0) << err;
    std::vector<std::string> cmds;
    const nlohmann::json hits = nlohmann::json::parse(out);
    for (const auto& h : hits) cmds.push_back(h["command"]);
    return cmds;
  }
  nlohmann::json SearchCacheStatus() {
    std::string out, err;
    EXPECT_EQ(Sh(Mem() + "status --json", &out, &err), 0) << err;
    const nlohmann::json status = nlohmann::json::parse(out);
    for (const auto& c : status["caches"])
      if (c["name"] == "search") return c;
    ADD_FAILURE() << "no search cache in: " << out;
    return nlohmann::json();
  }
  uint64_t L3Hits() {
    auto c = SearchCacheStatus();
    if (c.is_null()) return 0;
    for (const auto& l : c["levels"])
      if (l["level"] == "L3") return l["hits"];
    return 0;
  }
  bool CacheHolds(const std::string& text) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(db_ + "/cache", ec); !ec && it != fs::recursive_directory_iterator(); ++it)
      if (it->is_regular_file() && ReadAll(it->path().string()).find(text) != std::string::npos) return true;
    return false;
  }
};

TEST_F(SearchCacheCli, RepeatedSearchHitsAndChangesAreSeenAtOnce) {
  Record("git status");
  Record("git commit -m first");
  Record("make test");
  // The first read of a new data directory creates its database and folds the spool: the store
  // changes during that search, so its result is not cached.
  EXPECT_EQ(Search("make"), std::vector<std::string>{"make test"});
  const std::vector<std::string> git = {"git commit -m first", "git status"};
  EXPECT_EQ(Search("git"), git);
  EXPECT_EQ(L3Hits(), 0u);
  EXPECT_EQ(Search("git"), git);  // from the cache
  EXPECT_EQ(L3Hits(), 1u);
  EXPECT_EQ(Search("--no-cache git"), git);  // the store says the same
  EXPECT_EQ(L3Hits(), 1u);
  EXPECT_EQ(Search("git"), git);
  EXPECT_EQ(L3Hits(), 2u);
  ASSERT_EQ(Sh("MEMORY_SEARCH_CACHE=off " + Mem() + "search git"), 0);
  EXPECT_EQ(L3Hits(), 2u);
  EXPECT_EQ(Search("--fuzzy gst --limit 1"), std::vector<std::string>{"git status"});
  EXPECT_EQ(Search("--fuzzy gst --limit 1"), std::vector<std::string>{"git status"});
  EXPECT_EQ(L3Hits(), 3u);

  Record("git push origin main");  // spooled: the next search must show it
  EXPECT_EQ(Search("git").front(), "git push origin main");
  EXPECT_EQ(L3Hits(), 3u);
  EXPECT_EQ(Search("git").size(), 3u);
  EXPECT_EQ(L3Hits(), 4u);

  std::string hist = dir_ + "/hist";
  { std::ofstream(hist) << "git log --oneline\n"; }
  ASSERT_EQ(Sh(Mem() + "import --format bash " + Quote(hist)), 0);
  EXPECT_EQ(Search("git").size(), 4u);

  EXPECT_EQ(Search("push").size(), 1u);
  EXPECT_EQ(Search("push").size(), 1u);
  ASSERT_TRUE(CacheHolds("git push origin main"));  // the check below can fail
  std::string err;
  ASSERT_EQ(Sh(Mem() + "forget --pattern 'git push*' --yes", nullptr, &err), 0) << err;
  EXPECT_FALSE(CacheHolds("git push origin main"));
  EXPECT_EQ(Search("push"), std::vector<std::string>{});
  EXPECT_EQ(Search("git").size(), 3u);
  EXPECT_EQ(Search("git").size(), 3u);
  // The counters survived the drop, and the text view shows them too.
  EXPECT_GE(L3Hits(), 6u);
  std::string out;
  ASSERT_EQ(Sh(Mem() + "status", &out), 0);
  EXPECT_NE(out.find("caches"), std::string::npos) << out;
  EXPECT_NE(out.find("search"), std::string::npos) << out;
  EXPECT_NE(out.find("L3"), std::string::npos) << out;
}

TEST_F(SearchCacheCli, StatusShowsPerLevelCountersAndBadSearchesAreNotCached) {
  std::string out;
  Record("ls -la");
  ASSERT_EQ(Sh(Mem() + "status --json", &out), 0);
  EXPECT_TRUE(nlohmann::json::parse(out)["caches"].empty());
  Search("zzz");  // may create the database and fold the spool (then its result is not cached)
  std::string err;
  EXPECT_EQ(Sh(Mem() + "search --regex '(' ", nullptr, &err), 2);
  EXPECT_NE(err.find("bad regular expression"), std::string::npos) << err;
  EXPECT_EQ(Sh(Mem() + "search --regex '(' ", nullptr, &err), 2);  // still an error, never a cached answer
  EXPECT_EQ(Search("ls"), std::vector<std::string>{"ls -la"});
  EXPECT_EQ(Search("ls"), std::vector<std::string>{"ls -la"});
  auto c = SearchCacheStatus();
  ASSERT_FALSE(c.is_null());
  ASSERT_EQ(c["levels"].size(), 3u);
  // Five searches, each a new process whose L1 and L2 start empty: five L1 misses. L3: "zzz", the
  // two bad expressions (looked up, never saved) and the first "ls" miss; the second "ls" hits.
  EXPECT_EQ(c["levels"][0]["level"], "L1");
  EXPECT_EQ(c["levels"][0]["misses"], 5);
  EXPECT_EQ(c["levels"][0]["hits"], 0);
  EXPECT_EQ(c["levels"][0]["capacity"], 64);
  EXPECT_EQ(c["levels"][2]["level"], "L3");
  EXPECT_EQ(c["levels"][2]["hits"], 1);
  EXPECT_EQ(c["levels"][2]["misses"], 4);
  EXPECT_DOUBLE_EQ(c["levels"][2]["hit_ratio"].get<double>(), 0.2);
  EXPECT_GT(c["levels"][2]["disk_bytes"].get<uint64_t>(), 0u);
  // Searches on a missing data directory create no cache.
  ASSERT_EQ(Sh(std::string(MEMORY_BIN) + " --db " + Quote(dir_ + "/none") + " search x"), 0);
  EXPECT_FALSE(fs::exists(dir_ + "/none"));
}

}  // namespace
}  // namespace memory::testing
