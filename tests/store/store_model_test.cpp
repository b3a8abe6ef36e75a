// The store against a model: seeded random sequences of recording (spool), ingest, fold,
// forget, clean, optimize, backup, restore and reopening, checked after every step against a plain list of the
// events that should be there: what a scan gives (also by session and directory), the totals, the
// command dictionary and search.
#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "store/recorder.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace memory {
namespace {

// What identifies an event for the model (ids are the store's).
using Row = std::tuple<int64_t, std::string, std::string, std::string, int>;  // ts, command, session, cwd, exit

Row RowOf(const Event& e) { return {e.ts_us, e.command, e.session, e.cwd, e.exit_code.value_or(-999)}; }

class StoreModel : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { rng_.seed(static_cast<unsigned>(GetParam())); }

  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  Event NewEvent() {
    static const char* kCommands[] = {"git status", "git commit -m x", "make -j4", "ls dir1", "ls dir2",
                                      "echo secret-1", "echo secret-2", "cargo test", "ls dir1 -la"};
    static const char* kSessions[] = {"s1", "s2", "s3"};
    static const char* kCwds[] = {"/a", "/b", "/a/b"};
    // Mostly newer than the last, sometimes older (a late spooled event, an import).
    clock_ += 1 + static_cast<int64_t>(Pick(1000));
    const int64_t ts = Pick(5) == 0 ? clock_ - static_cast<int64_t>(Pick(50000)) : clock_;
    return MakeEvent(kCommands[Pick(std::size(kCommands))], ts, Pick(4) == 0 ? 1 + static_cast<int>(Pick(3)) : 0,
                     kSessions[Pick(std::size(kSessions))], kCwds[Pick(std::size(kCwds))]);
  }

  // One random step on the store and the model.
  void Step(const std::string& dir, std::unique_ptr<Store>* store, std::string* what) {
    Store* s = store->get();
    switch (Pick(14)) {
      case 0: case 1: case 2: {  // record (the spool), as `memory record` does
        std::vector<Event> evs;
        for (size_t n = 1 + Pick(5); n > 0; --n) evs.push_back(NewEvent());
        for (const Event& e : evs) model_.push_back(RowOf(e));
        *what = "record " + std::to_string(evs.size());
        ASSERT_TRUE(RecordEvents(RecorderOptions{dir, false}, evs).ok());
        break;
      }
      case 3: case 4: {  // ingest, as `memory import` does
        std::vector<Event> evs;
        for (size_t n = 1 + Pick(20); n > 0; --n) evs.push_back(NewEvent());
        for (const Event& e : evs) model_.push_back(RowOf(e));
        *what = "ingest " + std::to_string(evs.size());
        ASSERT_TRUE(s->Ingest(evs).ok());
        break;
      }
      case 5: case 6: {
        *what = "fold";
        ASSERT_TRUE(s->Fold().ok());
        break;
      }
      case 7: {
        static const char* kGlobs[] = {"git *", "make*", "ls dir1*", "*secret*", "echo secret-?", "none*", "*",
                                       "/a*", "s2", "u"};  // the last three match other fields only
        const std::string glob = kGlobs[Pick(std::size(kGlobs))];
        const ForgetScope scope = Pick(2) == 0 ? ForgetScope::kCommand : ForgetScope::kAnyField;
        size_t removed = 0;
        *what = std::string(scope == ForgetScope::kCommand ? "forget " : "forget (any field) ") + glob;
        ASSERT_TRUE(s->Forget(glob, scope, &removed).ok());
        const size_t before = model_.size();
        std::erase_if(model_, [&](const Row& r) {
          const auto& [ts, command, session, cwd, exit] = r;
          if (GlobMatch(glob, command)) return true;
          return scope == ForgetScope::kAnyField &&
                 (GlobMatch(glob, session) || GlobMatch(glob, cwd) || GlobMatch(glob, "u"));  // MakeEvent's user
        });
        EXPECT_EQ(removed, before - model_.size()) << *what;
        break;
      }
      case 8: {
        const int64_t before_us = clock_ - static_cast<int64_t>(Pick(30000));
        size_t removed = 0;
        *what = "clean " + std::to_string(before_us);
        ASSERT_TRUE(s->Clean(before_us, &removed).ok());
        const size_t before = model_.size();
        std::erase_if(model_, [&](const Row& r) { return std::get<0>(r) < before_us; });
        EXPECT_EQ(removed, before - model_.size()) << *what;
        break;
      }
      case 9: {
        *what = "optimize";
        ASSERT_TRUE(s->Optimize().ok());
        break;
      }
      case 10: {  // a backup (one at a time), while the store stays open
        if (!backup_.empty()) break;
        *what = "backup";
        backup_ = dir + "-backup";
        ASSERT_TRUE(s->Backup(backup_).ok());
        backup_model_ = model_;
        break;
      }
      case 11: {  // the store as the backup holds it
        if (backup_.empty()) break;
        *what = "restore";
        store->reset();
        const Status r = RestoreStore(backup_, dir);
        ASSERT_TRUE(r.ok()) << r.ToString();
        std::filesystem::remove_all(backup_);
        backup_.clear();
        model_ = backup_model_;
        *store = OpenRW(dir);
        ASSERT_NE(*store, nullptr);
        break;
      }
      default: {
        *what = "reopen";
        store->reset();
        *store = OpenRW(dir);
        ASSERT_NE(*store, nullptr);
        break;
      }
    }
  }

  // The store holds exactly the model's events, and its counters agree.
  void Check(Store* s, const std::string& what) {
    SCOPED_TRACE("after " + what);
    std::vector<Row> got;
    int64_t last_ts = INT64_MIN;
    ScanOptions so;
    so.newest_first = false;
    ASSERT_TRUE(s->Scan(so, [&](const Event& e) {
                   EXPECT_GE(e.ts_us, last_ts) << "scan out of time order";
                   last_ts = e.ts_us;
                   got.push_back(RowOf(e));
                   return true;
                 }).ok());
    std::vector<Row> want = model_;
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    ASSERT_EQ(got, want);

    // The session and directory indexes give what filtering the model gives.
    for (const auto& [session, cwd] : {std::pair<std::string, std::string>{"s2", ""}, {"", "/a"}, {"s1", "/a/b"}}) {
      ScanOptions fo;
      fo.session = session;
      fo.cwd = cwd;
      std::vector<Row> filtered, expected;
      ASSERT_TRUE(s->Scan(fo, [&](const Event& e) { return filtered.push_back(RowOf(e)), true; }).ok());
      for (const Row& r : want)
        if ((session.empty() || std::get<2>(r) == session) && (cwd.empty() || std::get<3>(r) == cwd)) expected.push_back(r);
      std::sort(filtered.begin(), filtered.end());
      EXPECT_EQ(filtered, expected) << "session '" << session << "' cwd '" << cwd << "'";
    }

    StoreStats st;
    ASSERT_TRUE(s->Stats(&st).ok());
    EXPECT_EQ(st.events, static_cast<int64_t>(want.size()));
    if (st.pending_spool_events != 0) return;  // the dictionary counts folded events only
    std::map<std::string, CommandStats> by_command;
    std::set<std::string> sessions;
    for (const Row& r : want) {
      CommandStats& c = by_command[std::get<1>(r)];
      if (c.count == 0 || std::get<0>(r) < c.first_ts_us) c.first_ts_us = std::get<0>(r);
      c.last_ts_us = std::max(c.last_ts_us, std::get<0>(r));
      c.count += 1;
      c.failures += std::get<4>(r) != 0;
      sessions.insert(std::get<2>(r));
    }
    EXPECT_EQ(st.distinct_commands, static_cast<int64_t>(by_command.size()));
    EXPECT_EQ(st.sessions, static_cast<int64_t>(sessions.size()));
    size_t listed = 0;
    ASSERT_TRUE(s->ForEachCommand([&](const CommandStats& c) {
                   ++listed;
                   auto it = by_command.find(c.command);
                   EXPECT_NE(it, by_command.end()) << "a forgotten command is listed: " << c.command;
                   if (it == by_command.end()) return true;
                   EXPECT_EQ(c.count, it->second.count) << c.command;
                   EXPECT_EQ(c.failures, it->second.failures) << c.command;
                   EXPECT_EQ(c.first_ts_us, it->second.first_ts_us) << c.command;
                   EXPECT_EQ(c.last_ts_us, it->second.last_ts_us) << c.command;
                   return true;
                 }).ok());
    EXPECT_EQ(listed, by_command.size());
    for (const char* text : {"git", "ls dir1", "secret"}) {
      SearchQuery q;
      q.text = text;
      q.limit = 100;
      std::vector<SearchHit> hits;
      ASSERT_TRUE(s->Search(q, &hits).ok());
      std::map<std::string, int64_t> want_hits;
      for (const auto& [command, c] : by_command)
        if (command.find(text) != std::string::npos) want_hits[command] = c.count;
      std::map<std::string, int64_t> got_hits;
      for (const SearchHit& h : hits) got_hits[h.command] = h.count;
      EXPECT_EQ(got_hits, want_hits) << "search " << text;
    }
  }

  std::mt19937 rng_;
  int64_t clock_ = 1700000000000000;
  std::vector<Row> model_;
  std::string backup_;              // the backup made and not yet restored ("" none)
  std::vector<Row> backup_model_;   // what it holds
};

TEST_P(StoreModel, RandomOperationsKeepExactlyTheModelsEvents) {
  TempDir t;
  std::unique_ptr<Store> s = OpenRW(t.path());
  ASSERT_NE(s, nullptr);
  for (int step = 0; step < 120; ++step) {
    std::string what;
    ASSERT_NO_FATAL_FAILURE(Step(t.path(), &s, &what));
    ASSERT_NO_FATAL_FAILURE(Check(s.get(), "step " + std::to_string(step) + ": " + what));
    if (HasFailure()) return;
  }
  // What a reader in another process sees: the same events.
  s.reset();
  if (!backup_.empty()) std::filesystem::remove_all(backup_);
  std::unique_ptr<Store> reader = OpenRO(t.path());
  ASSERT_NE(reader, nullptr);
  Check(reader.get(), "reopened read-only");
}

INSTANTIATE_TEST_SUITE_P(Seeds, StoreModel, ::testing::Values(1, 2, 3, 4));

}  // namespace
}  // namespace memory
