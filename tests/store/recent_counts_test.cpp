// recent.bin (ReadRecentEvents) keeps what `memory predict` needs for the session row of the
// intent model: each event's actor, and how many events the session and the directory have.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <set>

#include "store/recorder.h"
#include "tests/damage.h"
#include "store/store.h"

namespace memory {
namespace {

namespace fs = std::filesystem;

class RecentCountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/memory-recent-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static Event Ev(const std::string& cmd, int64_t ts, const std::string& session, const std::string& cwd,
                  const std::string& actor = "human") {
    Event e;
    e.command = cmd;
    e.ts_us = ts;
    e.exit_code = 0;
    e.session = session;
    e.cwd = cwd;
    e.actor = actor;
    return e;
  }
  void Ingest(std::vector<Event> evs) {
    StoreOptions o;
    o.dir = dir_;
    o.mode = StoreOptions::Mode::kReadWrite;
    std::unique_ptr<Store> s;
    ASSERT_TRUE(Store::Open(o, &s).ok());
    ASSERT_TRUE(s->Ingest(evs).ok());
  }
  std::string dir_;
};

TEST_F(RecentCountsTest, ActorsAndCountsOfSessionsAndDirectories) {
  std::vector<Event> evs;
  for (int i = 0; i < 20; ++i) evs.push_back(Ev("make t" + std::to_string(i), 100 + i, "long", "/a"));
  for (int i = 0; i < 5; ++i) evs.push_back(Ev("step " + std::to_string(i), 200 + i, "agent-run", "/b", "claude-code"));
  Ingest(evs);
  RecentEvents r;
  ASSERT_TRUE(ReadRecentEvents(dir_, "agent-run", "/a", 8, &r).ok());
  ASSERT_EQ(r.session.size(), 5u);
  EXPECT_EQ(r.session[0].actor, "claude-code");
  EXPECT_EQ(r.session_count, 5u);
  EXPECT_TRUE(r.session_count_exact);
  EXPECT_EQ(r.cwd_count, kRecentCountCap);  // 20 in /a: capped
  ASSERT_FALSE(r.cwd.empty());
  EXPECT_EQ(r.cwd[0].actor, "human");
  ASSERT_FALSE(r.newest.empty());
  EXPECT_EQ(r.newest[0].actor, "claude-code");
  ASSERT_TRUE(ReadRecentEvents(dir_, "long", "", 8, &r).ok());
  EXPECT_EQ(r.session_count, kRecentCountCap);
  EXPECT_TRUE(r.session_count_exact);
  EXPECT_EQ(r.cwd_count, 0u);
  ASSERT_TRUE(ReadRecentEvents(dir_, "new-session", "/nowhere", 8, &r).ok());
  EXPECT_EQ(r.session_count, 0u);
  EXPECT_TRUE(r.session_count_exact);

  // Spooled events count too (once, also after they are folded into the database).
  std::vector<Event> more = {Ev("step 5", 300, "agent-run", "/b", "claude-code")};
  ASSERT_TRUE(RecordEvents(RecorderOptions{dir_, false}, more).ok());
  ASSERT_TRUE(ReadRecentEvents(dir_, "agent-run", "/b", 8, &r).ok());
  EXPECT_EQ(r.session_count, 6u);
  EXPECT_EQ(r.cwd_count, 6u);
  EXPECT_EQ(r.session[0].command, "step 5");
  EXPECT_EQ(r.session[0].actor, "claude-code");
  Ingest({});  // a writer folds the spool
  ASSERT_TRUE(ReadRecentEvents(dir_, "agent-run", "/b", 8, &r).ok());
  EXPECT_EQ(r.session_count, 6u);
  EXPECT_EQ(r.events, 26);
}

TEST_F(RecentCountsTest, ACountOlderThanTheFilesWindowIsALowerBound) {
  std::vector<Event> evs;
  for (int i = 0; i < 3; ++i) evs.push_back(Ev("old " + std::to_string(i), 100 + i, "early", "/e", "aider"));
  for (int i = 0; i < 5000; ++i) evs.push_back(Ev("ls " + std::to_string(i), 1000 + i, "busy", "/b"));
  evs.push_back(Ev("late", 9000, "early", "/e", "aider"));
  Ingest(evs);
  RecentEvents r;
  ASSERT_TRUE(ReadRecentEvents(dir_, "early", "/e", 8, &r).ok());
  // Only the newest 4096 events are counted: "early" shows 1 of its 4 events, as a lower bound.
  ASSERT_FALSE(r.session.empty());
  EXPECT_EQ(r.session[0].command, "late");
  EXPECT_EQ(r.session_count, 1u);
  EXPECT_FALSE(r.session_count_exact);
  EXPECT_FALSE(r.cwd_count_exact);
  ASSERT_TRUE(ReadRecentEvents(dir_, "busy", "", 8, &r).ok());
  EXPECT_EQ(r.session_count, kRecentCountCap);
  EXPECT_TRUE(r.session_count_exact);  // at the cap: exact enough
}

// The spool holds up to ~10,000 events before a fold; ReadRecentEvents visits them one at a time
// and keeps only candidates. Against the definition: the file's list plus the spooled events of
// the key it lacks (ids deduplicate; some spooled ones repeat stored events, as after a crash
// mid-fold, and some are older than the file's), newest first by (ts, id), at most the limit;
// counts add the spooled events whose id the file's list lacks, capped.
TEST_F(RecentCountsTest, ALargeSpoolMergesLikeTheDefinition) {
  std::vector<Event> stored;
  for (int i = 0; i < 30; ++i)
    stored.push_back(Ev("c" + std::to_string(i), 10'000 + 10 * i, "s" + std::to_string(i % 3), i % 2 ? "/a" : "/b"));
  Ingest(stored);
  RecentEvents file;
  ASSERT_TRUE(ReadRecentEvents(dir_, "s1", "/a", 8, &file).ok());
  ASSERT_EQ(file.session.size(), 8u);
  ASSERT_EQ(file.session_count, 10u);
  std::vector<Event> spooled;
  uint64_t x = 7;
  for (int i = 0; i < 4000; ++i) {  // sessions s2..s9, mostly older than the stored events
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    spooled.push_back(Ev("p" + std::to_string(i), 5'000 + int64_t((x >> 33) % 5'400), "s" + std::to_string(2 + (x >> 20) % 8),
                         (x >> 40) % 3 == 0 ? "/a" : "/c"));
  }
  for (int64_t ts : {9'500, 10'135, 10'295, 10'300, 10'400})  // five more of s1 (15 in all: below the cap)
    spooled.push_back(Ev("q" + std::to_string(ts), ts, "s1", "/b"));
  for (const Event& e : {file.session[0], file.session[3], file.newest[1]}) {  // already stored
    Event again = e;
    again.session = "s1", again.cwd = "/a";
    spooled.push_back(again);
  }
  ASSERT_TRUE(RecordEvents(RecorderOptions{dir_, false}, spooled).ok());
  RecentEvents r;
  ASSERT_TRUE(ReadRecentEvents(dir_, "s1", "/a", 8, &r).ok());
  EXPECT_EQ(r.events, 30 + int64_t(spooled.size()));

  auto expect = [&](const std::vector<Event>& from_file, auto match, size_t limit, uint32_t file_count,
                    const std::vector<Event>& got, uint32_t got_count, const char* what) {
    std::vector<std::pair<int64_t, std::string>> want;
    std::set<std::string> ids, file_ids;
    for (const Event& e : from_file) want.push_back({e.ts_us, e.id}), ids.insert(e.id), file_ids.insert(e.id);
    uint64_t count = file_count;
    for (const Event& e : spooled) {
      if (!match(e)) continue;
      count += file_ids.count(e.id) == 0;
      if (ids.insert(e.id).second) want.push_back({e.ts_us, e.id});
    }
    std::sort(want.rbegin(), want.rend());
    if (want.size() > limit) want.resize(limit);
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].id, want[i].second) << what << " " << i;
      EXPECT_EQ(got[i].ts_us, want[i].first) << what << " " << i;
    }
    if (got_count != UINT32_MAX) {
      EXPECT_EQ(got_count, std::min<uint64_t>(count, kRecentCountCap)) << what;
    }
  };
  expect(file.session, [](const Event& e) { return e.session == "s1"; }, 8, file.session_count, r.session,
         r.session_count, "session");
  expect(file.cwd, [](const Event& e) { return e.cwd == "/a"; }, 8, file.cwd_count, r.cwd, r.cwd_count, "cwd");
  expect(file.newest, [](const Event&) { return true; }, kRecentNewest, 0, r.newest, UINT32_MAX, "newest");
}

TEST_F(RecentCountsTest, AnOlderFileIsNotFoundNotMisread) {
  Ingest({Ev("ls", 1, "s", "/a")});
  RecentEvents r;
  ASSERT_TRUE(ReadRecentEvents(dir_, "s", "/a", 8, &r).ok());
  // A version-1 file (no actors, no counts) answering for session "s".
  std::string v1("MEMREC01", 8);
  v1 += std::string("\x01\x02\x01s\x02/a\x01\x02\x01x\x01\x00\x01\x02ls", 18);
  {
    std::ofstream f(dir_ + "/recent.bin", std::ios::binary | std::ios::trunc);
    f << v1;
  }
  Status s = ReadRecentEvents(dir_, "s", "/a", 8, &r);
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_NE(s.ToString().find("older format"), std::string::npos) << s.ToString();
}

}  // namespace
// A damaged recent.bin never crashes predict's reader: it answers from what decodes or says the
// file is damaged (NotFound: predict then opens the database). Seeded random damage; under
// AddressSanitizer (scripts/test-sanitizers) a read outside the file fails.
TEST_F(RecentCountsTest, RandomDamageIsRejectedOrReadSafely) {
  std::vector<Event> evs;
  for (int i = 0; i < 300; ++i)
    evs.push_back(Ev("cmd " + std::to_string(i % 17), 100 + i, "s" + std::to_string(i % 5), "/d" + std::to_string(i % 3),
                     i % 4 ? "human" : "agent"));
  Ingest(evs);
  const std::string path = dir_ + "/recent.bin";
  const std::string good = testing::ReadWholeFile(path);
  ASSERT_GT(good.size(), 100u);
  std::vector<Event> spooled = {Ev("later", 1000, "s1", "/d1")};
  ASSERT_TRUE(RecordEvents(RecorderOptions{dir_, false}, spooled).ok());
  testing::Damage damage(88172645463325252ULL);
  int served = 0, rejected = 0;
  for (int round = 0; round < 300; ++round) {
    testing::ReplaceFile(path, damage.Apply(good, round));
    RecentEvents r;
    Status s = ReadRecentEvents(dir_, "s1", "/d1", 8, &r);
    if (!s.ok()) {
      EXPECT_TRUE(s.IsNotFound()) << s.ToString();
      ++rejected;
      continue;
    }
    ++served;
    EXPECT_LE(r.session.size(), 8u);
    EXPECT_LE(r.cwd.size(), 8u);
    EXPECT_LE(r.session_count, kRecentCountCap);
  }
  EXPECT_GT(rejected, 50);
  EXPECT_GT(served + rejected, 299);
}

}  // namespace memory
