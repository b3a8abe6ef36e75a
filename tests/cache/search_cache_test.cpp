// The `memory search` results cache: exact round trip of results, a hit only for the same query on
// the same store content, a miss after every kind of store change, and no text left after DropAll.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "cache/search_cache.h"
#include "store/recorder.h"

namespace memory::cache {
namespace {

namespace fs = std::filesystem;

Event Ev(const std::string& cmd, int64_t ts_us, int exit = 0) {
  Event e;
  e.ts_us = ts_us;
  e.command = cmd;
  e.cwd = "/home/u/project";
  e.session = "s1";
  e.exit_code = exit;
  return e;
}

class SearchCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = (fs::temp_directory_path() / ("search_cache_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name()))
              .string();
    fs::remove_all(db_);
    std::vector<Event> evs;
    const int64_t now = NowMicros();
    for (int i = 0; i < 30; ++i) evs.push_back(Ev(i % 3 ? "git status" : "git commit -m wip", now - 1000000 * (40 - i)));
    evs.push_back(Ev("make test", now - 500000, 2));
    Ingest(evs);
  }
  void TearDown() override { fs::remove_all(db_); }
  void Ingest(std::vector<Event> evs) {
    StoreOptions so;
    so.dir = db_;
    so.mode = StoreOptions::Mode::kReadWrite;
    std::unique_ptr<Store> s;
    ASSERT_TRUE(Store::Open(so, &s).ok());
    ASSERT_TRUE(s->Ingest(evs).ok());
  }
  std::vector<SearchHit> Search(const SearchQuery& q) {
    StoreOptions so;
    so.dir = db_;
    so.mode = StoreOptions::Mode::kReadOnly;
    std::unique_ptr<Store> s;
    EXPECT_TRUE(Store::Open(so, &s).ok());
    std::vector<SearchHit> hits;
    EXPECT_TRUE(s->Search(q, &hits).ok());
    return hits;
  }
  // What `memory search` does: the cache, else the store (and then fill the cache). Every result
  // is saved here (kAlways): these tests are about correctness, AutoRule about when to save.
  std::vector<SearchHit> CachedSearch(const SearchQuery& q, bool* hit) {
    auto cache = SearchCache::Open(db_, SearchCache::SaveRule::kAlways);
    std::vector<SearchHit> hits;
    *hit = cache->Lookup(q, &hits);
    if (!*hit) {
      hits = Search(q);
      cache->Save(q, hits);
    }
    return hits;
  }
  static std::vector<std::string> Commands(const std::vector<SearchHit>& hits) {
    std::vector<std::string> out;
    for (const auto& h : hits) out.push_back(h.command);
    return out;
  }
  std::string db_;
};

void ExpectSameHits(const std::vector<SearchHit>& a, const std::vector<SearchHit>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].command, b[i].command);
    EXPECT_EQ(a[i].last_ts_us, b[i].last_ts_us);
    EXPECT_EQ(a[i].count, b[i].count);
    EXPECT_EQ(a[i].last_exit, b[i].last_exit);
    EXPECT_EQ(a[i].last_cwd, b[i].last_cwd);
    EXPECT_EQ(a[i].score, b[i].score);
  }
}

TEST(SearchCacheCodec, RoundTripsEveryFieldAndRejectsDamage) {
  std::vector<SearchHit> hits(3);
  hits[0] = {"echo 'a\nb' | tr -d '\\0'", -5, 7, -1, "/tmp/x y", 12.5};
  hits[1] = {std::string("nul\0inside", 10), 1700000000000000, 1, std::nullopt, "", -0.25};
  hits[2] = {"", 0, 0, 255, "/", 0};
  std::string v = SearchCache::Encode("the key", 123456789, hits);
  std::string key;
  int64_t ts = 0;
  std::vector<SearchHit> back;
  ASSERT_TRUE(SearchCache::Decode(v, &key, &ts, &back));
  EXPECT_EQ(key, "the key");
  EXPECT_EQ(ts, 123456789);
  ExpectSameHits(back, hits);
  for (size_t n = 0; n < v.size(); ++n)
    EXPECT_FALSE(SearchCache::Decode(v.substr(0, n), &key, &ts, &back)) << "prefix of " << n << " bytes";
  EXPECT_FALSE(SearchCache::Decode(v + "x", &key, &ts, &back));
}

TEST(SearchCacheCodec, EveryOptionChangesTheKey) {
  SearchQuery base;
  base.text = "git";
  std::vector<SearchQuery> qs(8, base);
  qs[1].text = "git ";
  qs[2].match = SearchQuery::Match::kFuzzy;
  qs[3].cwd = "/tmp";
  qs[4].exit_code = 0;
  qs[5].failed_only = true;
  qs[6].limit = 21;
  qs[7].since_us = 1;
  std::set<std::string> keys;
  for (const auto& q : qs) keys.insert(SearchCache::KeyText(q, "token"));
  keys.insert(SearchCache::KeyText(base, "token2"));
  EXPECT_EQ(keys.size(), qs.size() + 1);
  EXPECT_FALSE(SearchCache::Cacheable(qs[7]));  // relative to the clock
  EXPECT_TRUE(SearchCache::Cacheable(qs[6]));
}

TEST_F(SearchCacheTest, SecondSearchHitsAndEqualsTheStore) {
  for (auto match : {SearchQuery::Match::kSubstring, SearchQuery::Match::kPrefix, SearchQuery::Match::kRegex,
                     SearchQuery::Match::kFuzzy}) {
    SearchQuery q;
    q.text = match == SearchQuery::Match::kRegex ? "^git (status|commit)" : "git";
    q.match = match;
    bool hit = true;
    auto first = CachedSearch(q, &hit);
    EXPECT_FALSE(hit);
    ASSERT_EQ(first.size(), 2u);
    auto second = CachedSearch(q, &hit);
    EXPECT_TRUE(hit);
    ExpectSameHits(second, Search(q));
  }
  SearchQuery other;
  other.text = "git";
  other.limit = 1;  // another option: another entry
  bool hit = true;
  EXPECT_EQ(CachedSearch(other, &hit).size(), 1u);
  EXPECT_FALSE(hit);
}

TEST_F(SearchCacheTest, EveryStoreChangeIsSeenByTheNextSearch) {
  SearchQuery q;
  q.text = "deploy";
  bool hit = false;
  EXPECT_TRUE(CachedSearch(q, &hit).empty());
  EXPECT_TRUE(CachedSearch(q, &hit).empty());
  EXPECT_TRUE(hit);
  // A recorded (spooled, not folded) event.
  std::vector<Event> rec = {Ev("./deploy.sh prod", NowMicros())};
  ASSERT_TRUE(RecordEvents(RecorderOptions{db_, false}, rec).ok());
  EXPECT_EQ(Commands(CachedSearch(q, &hit)), std::vector<std::string>{"./deploy.sh prod"});
  EXPECT_FALSE(hit);
  EXPECT_EQ(Commands(CachedSearch(q, &hit)), std::vector<std::string>{"./deploy.sh prod"});
  EXPECT_TRUE(hit);
  // An import.
  Ingest({Ev("deploy --dry-run", NowMicros())});
  EXPECT_EQ(CachedSearch(q, &hit).size(), 2u);
  EXPECT_FALSE(hit);
  // A forget (the writer folds the spool first: the token changes there too).
  {
    StoreOptions so;
    so.dir = db_;
    so.mode = StoreOptions::Mode::kReadWrite;
    std::unique_ptr<Store> s;
    ASSERT_TRUE(Store::Open(so, &s).ok());
    size_t removed = 0;
    ASSERT_TRUE(s->Forget("./deploy.sh*", ForgetScope::kCommand, &removed).ok());
    EXPECT_EQ(removed, 1u);
  }
  EXPECT_EQ(Commands(CachedSearch(q, &hit)), std::vector<std::string>{"deploy --dry-run"});
  EXPECT_FALSE(hit);
}

TEST_F(SearchCacheTest, NoSaveWhenTheStoreChangedDuringTheSearch) {
  SearchQuery q;
  q.text = "git";
  auto cache = SearchCache::Open(db_, SearchCache::SaveRule::kAlways);
  std::vector<SearchHit> hits;
  ASSERT_FALSE(cache->Lookup(q, &hits));
  hits = Search(q);
  std::vector<Event> rec = {Ev("git push", NowMicros())};
  ASSERT_TRUE(RecordEvents(RecorderOptions{db_, false}, rec).ok());  // lands mid-search
  cache->Save(q, hits);
  cache.reset();
  bool hit = true;
  auto now = CachedSearch(q, &hit);
  EXPECT_FALSE(hit);
  EXPECT_EQ(now.size(), 3u);  // git push is there
  // A store being written (summary.dirty) is never served from the cache.
  CachedSearch(q, &hit);
  EXPECT_TRUE(hit);
  { std::ofstream(db_ + "/summary.dirty") << ""; }
  CachedSearch(q, &hit);
  EXPECT_FALSE(hit);
  fs::remove(db_ + "/summary.dirty");
}

TEST_F(SearchCacheTest, OldFuzzyResultsExpire) {
  SearchQuery q;
  q.text = "gst";
  q.match = SearchQuery::Match::kFuzzy;
  std::string token;
  ASSERT_TRUE(StoreContentToken(db_, &token).ok());
  std::string key_text = SearchCache::KeyText(q, token);
  HierarchyOptions o;
  o.name = "search";
  o.l3_path = CacheDir(db_);
  std::vector<SearchHit> fake(1);
  fake[0].command = "stale ranking";
  fs::create_directories(CacheDir(db_));
  { std::ofstream(CacheDir(db_) + "/search.state") << token; }  // L3 holds this state (the hint)
  {
    std::unique_ptr<Hierarchy> h;
    ASSERT_TRUE(Hierarchy::Open(o, &h).ok());
    ASSERT_TRUE(h->Put(KeyOfString(key_text),
                       SearchCache::Encode(key_text, NowMicros() - SearchCache::kFuzzyTtlUs - 1, fake)).ok());
  }
  ASSERT_TRUE(fs::is_directory(CacheDir(db_)));
  std::vector<SearchHit> hits;
  EXPECT_FALSE(SearchCache::Open(db_)->Lookup(q, &hits));
  {
    std::unique_ptr<Hierarchy> h;
    ASSERT_TRUE(Hierarchy::Open(o, &h).ok());
    ASSERT_TRUE(h->Put(KeyOfString(key_text), SearchCache::Encode(key_text, NowMicros() - 1000000, fake)).ok());
  }
  ASSERT_TRUE(SearchCache::Open(db_)->Lookup(q, &hits));
  EXPECT_EQ(Commands(hits), std::vector<std::string>{"stale ranking"});  // fresh enough: served
  // A value stored under a colliding 64-bit key for another query text is never served.
  SearchQuery other = q;
  other.text = "gco";
  {
    std::unique_ptr<Hierarchy> h;
    ASSERT_TRUE(Hierarchy::Open(o, &h).ok());
    ASSERT_TRUE(h->Put(KeyOfString(SearchCache::KeyText(other, token)),
                       SearchCache::Encode(key_text, NowMicros(), fake)).ok());
  }
  EXPECT_FALSE(SearchCache::Open(db_)->Lookup(other, &hits));
}

TEST_F(SearchCacheTest, OnlyTheLatestStoreStateIsKeptAndDropAllRemovesTheText) {
  SearchQuery q;
  q.text = "git";
  bool hit;
  std::vector<std::string> tokens;
  for (int i = 0; i < 5; ++i) {
    CachedSearch(q, &hit);
    ASSERT_FALSE(hit);
    tokens.emplace_back();
    ASSERT_TRUE(StoreContentToken(db_, &tokens.back()).ok());
    std::vector<Event> rec = {Ev("secret-cmd-" + std::to_string(i), NowMicros())};
    ASSERT_TRUE(RecordEvents(RecorderOptions{db_, false}, rec).ok());
  }
  SearchQuery s;
  s.text = "secret-cmd";
  EXPECT_EQ(CachedSearch(s, &hit).size(), 5u);
  // Entries of older states were erased: only the current state's results are readable in L3.
  HierarchyOptions o;
  o.name = "search";
  o.l3_path = CacheDir(db_);
  std::string token;
  ASSERT_TRUE(StoreContentToken(db_, &token).ok());
  std::unique_ptr<Hierarchy> h;
  ASSERT_TRUE(Hierarchy::Open(o, &h).ok());
  std::string v;
  EXPECT_TRUE(h->Get(KeyOfString(SearchCache::KeyText(s, token)), &v).ok());
  for (const auto& old : tokens)  // each was cached in its state, then erased by a newer state's save
    EXPECT_TRUE(h->Get(KeyOfString(SearchCache::KeyText(q, old)), &v).IsNotFound());
  h.reset();
  ASSERT_TRUE(Hierarchy::DropAll(CacheDir(db_)).ok());
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(CacheDir(db_), ec); !ec && it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file()) continue;
    std::ifstream f(it->path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("secret-cmd"), std::string::npos) << it->path();
  }
  std::vector<SearchHit> none;
  EXPECT_FALSE(SearchCache::Open(db_)->Lookup(s, &none));
}

TEST_F(SearchCacheTest, AutoRuleSkipsResultsCheaperThanAWrite) {
  SearchQuery q;
  q.text = "git";
  auto cache = SearchCache::Open(db_, SearchCache::SaveRule::kAuto);
  std::vector<SearchHit> hits;
  ASSERT_FALSE(cache->Lookup(q, &hits));
  EXPECT_FALSE(cache->Save(q, Search(q), 0));  // never asked before: not saved (the doorkeeper)
  cache.reset();
  cache = SearchCache::Open(db_, SearchCache::SaveRule::kAuto);
  ASSERT_FALSE(cache->Lookup(q, &hits));
  EXPECT_TRUE(cache->Save(q, Search(q), 0));  // asked again, no write measured yet: saved, and measured
  cache.reset();
  q.text = "make";
  cache = SearchCache::Open(db_, SearchCache::SaveRule::kAuto);
  ASSERT_FALSE(cache->Lookup(q, &hits));
  EXPECT_FALSE(cache->Save(q, Search(q), 0));  // a search cheaper than the last write
  EXPECT_FALSE(cache->Save(q, Search(q), 3600 * 1000000LL));  // dearer, but asked for the first time
  cache.reset();
  cache = SearchCache::Open(db_, SearchCache::SaveRule::kAuto);
  ASSERT_FALSE(cache->Lookup(q, &hits));
  EXPECT_TRUE(cache->Save(q, Search(q), 3600 * 1000000LL));  // dearer than a write, and asked before
  cache.reset();
  cache = SearchCache::Open(db_, SearchCache::SaveRule::kAlways);
  q.text = "status";
  ASSERT_FALSE(cache->Lookup(q, &hits));
  EXPECT_TRUE(cache->Save(q, Search(q), 0));
}

}  // namespace
}  // namespace memory::cache
