// The experience store through its public interface: encoding, spool + fold, ingest, scan,
// search, statistics, forget/clean (bytes really gone), backup/restore, bad input.
#include <algorithm>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <rocksdb/db.h>

#include "store/recorder.h"
#include "store/rocks_store.h"
#include "store/store.h"
#include "tests/damage.h"
#include "tests/store/store_test_util.h"

namespace memory {
namespace {

namespace fs = std::filesystem;

// Every byte of every file under `dir`.
std::string AllBytes(const std::string& dir) {
  std::string all;
  for (auto& p : fs::recursive_directory_iterator(dir)) {
    if (!p.is_regular_file()) continue;
    std::ifstream f(p.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    all += ss.str();
  }
  return all;
}

// An event with every field set (a tool call with a decision).
Event EveryFieldSet() {
  Event e = MakeEvent("git commit -m \"x\" and a command too long for a short string", 1700000000123456, 3);
  e.id = NewEventId(e.ts_us);
  e.kind = EventKind::kToolCall;
  e.params_json = R"({"path":"/etc/hosts"})";
  e.repo_root = "/home/u/src/app";
  e.branch = "main";
  e.host = "h";
  e.actor = "agent:claude";
  e.cpu_us = 777;
  e.peak_rss_kb = 12345;
  e.error = "boom";
  e.tags = {"a", "b"};
  Decision d;
  d.decision_id = "d1";
  d.policy = "squarecb(gamma=10)";
  d.model_version = "v3";
  d.action_set = {"make", "ninja"};
  d.action = "ninja";
  d.probability = 0.25;
  d.reward = -1.5;
  e.decision = d;
  return e;
}

TEST(EventCodec, RoundTripsEveryField) {
  const Event e = EveryFieldSet();
  std::string enc;
  EncodeEvent(e, &enc);
  Event back;
  ASSERT_TRUE(DecodeEvent(enc, &back).ok());
  EXPECT_EQ(back, e);
  Event from_json;
  ASSERT_TRUE(EventFromJson(EventToJson(e), &from_json).ok()) << EventToJson(e);
  EXPECT_EQ(from_json, e);
}

// ClearEvent leaves an event equal to a new one, whatever it held.
TEST(EventCodec, ClearEventLeavesANewEvent) {
  Event e = EveryFieldSet();
  ASSERT_NE(e, Event());
  const size_t capacity = e.command.capacity();
  ClearEvent(&e);
  EXPECT_EQ(e, Event());
  EXPECT_EQ(e.command.capacity(), capacity);  // the buffer is kept
}

TEST(EventCodec, RejectsTruncatedAndGarbage) {
  Event e = MakeEvent("ls -la", 42);
  std::string enc;
  EncodeEvent(e, &enc);
  Event back;
  for (size_t cut = 0; cut < enc.size(); ++cut)
    EXPECT_FALSE(DecodeEvent(enc.substr(0, cut), &back).ok()) << "cut at " << cut;
  EXPECT_EQ(DecodeEvent("\x07garbage", &back).code(), Status::Code::kCorruption);
  EXPECT_FALSE(EventFromJson("{\"command\": ", &back).ok());
  EXPECT_FALSE(EventFromJson("[1,2]", &back).ok());
  EXPECT_FALSE(EventFromJson("{\"exit\": 1}", &back).ok());  // no command
  EXPECT_FALSE(EventFromJson("{\"command\":\"x\",\"id\":\"zz\"}", &back).ok());
  EXPECT_FALSE(EventFromJson("{\"command\":\"x\",\"exit\":\"1\"}", &back).ok());
}

// PeekEvent reads what DecodeEvent reads for the fields it gives, whichever optional fields are
// present before them, and fails on a record cut before the session.
TEST(EventCodec, PeekReadsTheKeyFieldsAsDecodeDoes) {
  for (int mask = 0; mask < 32; ++mask) {
    Event e = MakeEvent("make -j8", 1700000000000000 + mask, mask % 3);
    e.id = mask & 1 ? NewEventId(e.ts_us) : "";
    e.params_json = mask & 2 ? R"({"a":1})" : "";
    e.cwd = mask & 4 ? "/home/u/src" : "";
    e.repo_root = e.branch = e.host = e.user = mask & 8 ? "x" : "";
    e.session = mask & 16 ? "sh:42" : "";
    std::string enc;
    EncodeEvent(e, &enc);
    EventKey key;
    ASSERT_TRUE(PeekEvent(enc, &key).ok()) << mask;
    EXPECT_EQ(key.ts_us, e.ts_us);
    EXPECT_EQ(key.id, e.id) << mask;
    EXPECT_EQ(key.cwd, e.cwd) << mask;
    EXPECT_EQ(key.session, e.session) << mask;
    if (mask == 31) {
      const size_t session_end = enc.find("sh:42") + 5;
      for (size_t cut = 0; cut < session_end; ++cut) EXPECT_FALSE(PeekEvent(enc.substr(0, cut), &key).ok()) << cut;
    }
  }
  EventKey key;
  EXPECT_FALSE(PeekEvent("\x07garbage", &key).ok());
}

TEST(Glob, MatchesLikeAShell) {
  EXPECT_TRUE(GlobMatch("*secret*", "echo my secret here"));
  EXPECT_TRUE(GlobMatch("git *", "git status"));
  EXPECT_FALSE(GlobMatch("git *", "gitk"));
  EXPECT_TRUE(GlobMatch("ls ?", "ls a"));
  EXPECT_TRUE(GlobMatch("[a-c]at", "bat"));
  EXPECT_FALSE(GlobMatch("[!a-c]at", "bat"));
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "axb"));
  std::string long_text(100000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*b", long_text));  // no exponential blow-up
}

TEST(Duration, Parses) {
  int64_t us;
  ASSERT_TRUE(ParseDuration("30d", &us).ok());
  EXPECT_EQ(us, 30LL * 86400 * 1000000);
  ASSERT_TRUE(ParseDuration("15m", &us).ok());
  EXPECT_EQ(us, 15LL * 60 * 1000000);
  EXPECT_FALSE(ParseDuration("abc", &us).ok());
  EXPECT_FALSE(ParseDuration("3x", &us).ok());
  EXPECT_FALSE(ParseDuration("-3d", &us).ok());
}

TEST(Store, RecordFoldScanKeepsOrderAndContext) {
  TempDir t;
  RecorderOptions ro{t.path(), false};
  std::vector<Event> evs = {MakeEvent("make", 1000), MakeEvent("make test", 2000, 2), MakeEvent("vim main.c", 3000)};
  ASSERT_TRUE(RecordEvents(ro, evs).ok());
  for (auto& e : evs) EXPECT_EQ(e.id.size(), 32u);
  // Readers see spooled events before any fold.
  std::vector<Event> pending;
  ASSERT_TRUE(ReadPending(t.path(), &pending).ok());
  ASSERT_EQ(pending.size(), 3u);

  auto s = OpenRW(t.path());  // folds
  pending.clear();
  ASSERT_TRUE(ReadPending(t.path(), &pending).ok());
  EXPECT_TRUE(pending.empty());
  auto all = All(s.get());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], evs[0]);
  EXPECT_EQ(all[1], evs[1]);
  EXPECT_EQ(all[2], evs[2]);
  auto newest = All(s.get(), true);
  EXPECT_EQ(newest.front().command, "vim main.c");
  Event got;
  ASSERT_TRUE(s->Get(evs[1].id, &got).ok());
  EXPECT_EQ(got, evs[1]);
  EXPECT_TRUE(s->Get(NewEventId(5), &got).IsNotFound());
}

// Events of one call with the same time (an agent's batch within one microsecond of the clock,
// or second-resolution times of its own) come back in the order given, before and after a fold.
// A time earlier than the one before is kept, and so is an event's own id.
TEST(Store, EventsOfOneCallWithTheSameTimeKeepTheirOrder) {
  TempDir t;
  RecorderOptions ro{t.path(), false};
  std::vector<Event> evs;
  for (int i = 0; i < 40; ++i) evs.push_back(MakeEvent("step " + std::to_string(i), i < 20 ? 5'000'000 : 0));
  evs.push_back(MakeEvent("earlier", 1'000'000));
  ASSERT_TRUE(RecordEvents(ro, evs).ok());
  for (int i = 1; i < 40; ++i) EXPECT_GT(evs[i].ts_us, evs[i - 1].ts_us) << i;
  EXPECT_EQ(evs[0].ts_us, 5'000'000);
  EXPECT_EQ(evs[19].ts_us, 5'000'019);
  EXPECT_EQ(evs[40].ts_us, 1'000'000);
  Event with_id = MakeEvent("own id", 5'000'000);
  with_id.id = NewEventId(5'000'000);
  std::vector<Event> one = {with_id};
  ASSERT_TRUE(RecordEvents(ro, one).ok());
  EXPECT_EQ(one[0].ts_us, 5'000'000);
  EXPECT_EQ(one[0].id, with_id.id);
  std::vector<Event> untimed = {MakeEvent("own id, no time", 0)};  // still gets the time now
  untimed[0].id = NewEventId(6'000'000);
  const int64_t before = NowMicros();
  ASSERT_TRUE(RecordEvents(ro, untimed).ok());
  EXPECT_GE(untimed[0].ts_us, before);
  std::vector<std::string> want = {"earlier"};
  for (int i = 0; i < 40; ++i) want.push_back("step " + std::to_string(i));
  want.insert(want.begin() + 21, "own id, no time");  // placed by its id (time 6 s), after step 19
  for (bool fold : {false, true}) {
    std::unique_ptr<Store> s = fold ? OpenRW(t.path()) : OpenRO(t.path());
    std::vector<std::string> got;
    ScanOptions so;
    so.newest_first = false;
    ASSERT_TRUE(s->Scan(so, [&](const Event& e) { return got.push_back(e.command), true; }).ok());
    ASSERT_EQ(got.size(), want.size() + 1);
    // Its time is step 0's, its id random: on either side of it.
    auto own = std::find(got.begin(), got.end(), "own id") - got.begin();
    EXPECT_TRUE(own == 1 || own == 2) << own;
    got.erase(got.begin() + own);
    EXPECT_EQ(got, want) << "fold " << fold;
  }
}

TEST(Store, FoldIsIdempotentAfterACrashBeforeUnlink) {
  TempDir t;
  RecorderOptions ro{t.path(), false};
  std::vector<Event> evs = {MakeEvent("a", 10), MakeEvent("b", 20)};
  ASSERT_TRUE(RecordEvents(ro, evs).ok());
  // Keep a copy of the spool file, fold, then put the copy back: as if the folder died after
  // writing the database but before deleting the file.
  std::string spool = t.path() + "/spool/current.log";
  fs::copy_file(spool, t.path() + "/saved.log");
  { auto s = OpenRW(t.path()); }
  fs::copy_file(t.path() + "/saved.log", t.path() + "/spool/fold-1-1.log");
  auto s = OpenRW(t.path());
  EXPECT_EQ(All(s.get()).size(), 2u);
  StoreStats st;
  ASSERT_TRUE(s->Stats(&st).ok());
  EXPECT_EQ(st.events, 2);
  EXPECT_EQ(st.distinct_commands, 2);
}

// A reader merges the spool with the database and skips spooled events the database already
// holds (a folder died before deleting its file). Spooled ids after the database's last key are
// answered without a seek, the others by one: both kinds, and stored ones, are counted right.
TEST(Store, ReadersCountSpooledEventsOnceWhetherNewerOrOlderThanTheDatabase) {
  TempDir t;
  RecorderOptions ro{t.path(), false};
  std::vector<Event> first = {MakeEvent("a", 10), MakeEvent("b", 20)};
  ASSERT_TRUE(RecordEvents(ro, first).ok());
  const std::string spool = t.path() + "/spool/current.log";
  fs::copy_file(spool, t.path() + "/saved.log");
  { auto s = OpenRW(t.path()); }  // folds a and b
  fs::copy_file(t.path() + "/saved.log", t.path() + "/spool/fold-1-1.log");  // still spooled
  std::vector<Event> later = {MakeEvent("newer", 30), MakeEvent("older", 5)};
  ASSERT_TRUE(RecordEvents(ro, later).ok());
  auto s = OpenRO(t.path());
  ASSERT_TRUE(s);
  StoreStats st;
  ASSERT_TRUE(s->Stats(&st).ok());
  EXPECT_EQ(st.events, 4);
  EXPECT_EQ(st.pending_spool_events, 2);
  EXPECT_EQ(st.first_ts_us, 5);
  EXPECT_EQ(st.last_ts_us, 30);
  std::vector<std::string> commands;
  for (const Event& e : All(s.get())) commands.push_back(e.command);
  EXPECT_EQ(commands, (std::vector<std::string>{"older", "a", "b", "newer"}));
}

TEST(Store, TornSpoolTailIsIgnoredAndEarlierRecordsKept) {
  TempDir t;
  RecorderOptions ro{t.path(), false};
  std::vector<Event> evs = {MakeEvent("first", 10), MakeEvent("second", 20)};
  ASSERT_TRUE(RecordEvents(ro, evs).ok());
  {
    std::ofstream f(t.path() + "/spool/current.log", std::ios::app | std::ios::binary);
    f << "MEv1\x40\x00\x00";  // a record cut short by a crash
  }
  auto s = OpenRW(t.path());
  auto all = All(s.get());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].command, "second");
}

// Spool frames are "MEv1" | u32 LE length | u32 LE crc32 | payload, the checksum zlib's crc32
// (as earlier versions wrote it). SpoolFrame writes one without RecordEvents' checks, with the
// payload damaged after checksumming when asked.
std::string SpoolFrame(const Event& e, bool damage) {
  std::string payload, out = "MEv1";
  EncodeEvent(e, &payload);
  const uint32_t crc = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size())));
  for (uint32_t v : {static_cast<uint32_t>(payload.size()), crc})
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  if (damage) payload[payload.size() / 2] ^= 0x20;
  return out + payload;
}

// A frame checksummed by zlib is read, one whose payload was damaged after checksumming is
// skipped, and the frames after it are still read.
TEST(Store, SpoolFramesCarryZlibsCrc32) {
  TempDir t;
  fs::create_directories(t.path() + "/spool");
  auto frame = SpoolFrame;
  Event a = MakeEvent("kept one", 10), b = MakeEvent("damaged", 20), c = MakeEvent("kept two", 30);
  a.id = NewEventId(10), b.id = NewEventId(20), c.id = NewEventId(30);
  {
    std::ofstream f(t.path() + "/spool/current.log", std::ios::binary);
    f << frame(a, false) << frame(b, true) << frame(c, false);
  }
  std::vector<std::string> commands;
  for (const Event& e : All(OpenRW(t.path()).get())) commands.push_back(e.command);
  EXPECT_EQ(commands, (std::vector<std::string>{"kept one", "kept two"}));
  // And what RecordEvents writes, zlib verifies.
  TempDir t2;
  std::vector<Event> evs = {MakeEvent("written", 40)};
  ASSERT_TRUE(RecordEvents(RecorderOptions{t2.path(), false}, evs).ok());
  std::ifstream in(t2.path() + "/spool/current.log", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 12u);
  uint32_t stored = 0;
  for (int i = 3; i >= 0; --i) stored = (stored << 8) | static_cast<unsigned char>(bytes[8 + i]);
  EXPECT_EQ(stored, static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(bytes.data() + 12),
                                               static_cast<uInt>(bytes.size() - 12))));
}

// An event the store cannot take (here a time before 1970, which RecordEvents accepted before
// 2026-12-06) must not keep the fold from storing the others: it is left out, and later
// records and optimize still work. RecordEvents and EventFromJson now refuse such events.
TEST(Store, FoldLeavesOutAnInvalidSpooledEventAndKeepsTheRest) {
  TempDir t;
  fs::create_directories(t.path() + "/spool");
  Event a = MakeEvent("before", 10), bad = MakeEvent("poison", 20), c = MakeEvent("after", 30);
  bad.ts_us = -5;
  a.id = NewEventId(10), bad.id = NewEventId(20), c.id = NewEventId(30);
  {
    std::ofstream f(t.path() + "/spool/current.log", std::ios::binary);
    f << SpoolFrame(a, false) << SpoolFrame(bad, false) << SpoolFrame(c, false);
  }
  std::vector<std::string> commands;
  {
    auto s = OpenRW(t.path());
    ASSERT_TRUE(s->Fold().ok());
    for (const Event& e : All(s.get())) commands.push_back(e.command);
  }
  EXPECT_EQ(commands, (std::vector<std::string>{"before", "after"}));

  std::vector<Event> evs = {MakeEvent("negative", 0)};
  evs[0].ts_us = -1;
  EXPECT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, evs).IsInvalidArgument());
  evs[0].ts_us = kLatestEventTimeUs + 1;
  EXPECT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, evs).IsInvalidArgument());
  evs[0].ts_us = kLatestEventTimeUs;  // the last representable moment is fine
  EXPECT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, evs).ok());
  evs[0].ts_us = 40;
  evs[0].duration_us = -3;
  EXPECT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, evs).IsInvalidArgument());
}

// JSON the store cannot keep safely is refused with a message, not stored: nesting deeper than
// kMaxJsonDepth (printing it back would recurse once per level), integers that do not fit
// int64 (2^64 - 1 used to wrap to -1), times outside 1970..9999.
TEST(EventJson, RefusesHostileValues) {
  Event e;
  auto nested = [](int depth) {
    return "{\"tool\":\"x\",\"params\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  EXPECT_TRUE(EventFromJson(nested(kMaxJsonDepth), &e).ok());
  Status deep = EventFromJson(nested(kMaxJsonDepth + 1), &e);
  EXPECT_TRUE(deep.IsInvalidArgument());
  EXPECT_NE(deep.message().find("nested deeper"), std::string::npos) << deep.ToString();
  EXPECT_TRUE(EventFromJson(R"({"tool":"x","params":{"s":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}})", &e).ok())
      << "brackets inside strings do not nest";
  EXPECT_TRUE(EventFromJson(R"({"command":"x","exit":18446744073709551615})", &e).IsInvalidArgument());
  EXPECT_TRUE(EventFromJson(R"({"command":"x","peak_rss_kb":18446744073709551615})", &e).IsInvalidArgument());
  EXPECT_TRUE(EventFromJson(R"({"command":"x","ts":-1})", &e).IsInvalidArgument());
  EXPECT_TRUE(EventFromJson(R"({"command":"x","ts":9223372036854775807})", &e).IsInvalidArgument());
  EXPECT_TRUE(EventFromJson(R"({"command":"x","duration_ms":-2})", &e).IsInvalidArgument());
  ASSERT_TRUE(EventFromJson(R"({"command":"x","ts":1700000000000000,"exit":-1})", &e).ok());
  EXPECT_EQ(*e.exit_code, -1);
}

// Seeded random damage inside a spool: the fold keeps exactly the frames the damage did not
// touch (their checksums hold; a damaged frame is skipped and reading resumes at the next frame)
// and loses nothing else.
TEST(Store, RandomSpoolDamageLosesOnlyTheDamagedFrames) {
  testing::Damage damage(0xD1B54A32D192ED03ULL);
  auto next = [&] { return damage.Next(); };
  for (int round = 0; round < 30; ++round) {
    TempDir t;
    std::vector<Event> evs;
    for (int i = 0; i < 60; ++i) evs.push_back(MakeEvent("make target" + std::to_string(i), 10 + i));
    ASSERT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, evs).ok());
    const std::string spool = t.path() + "/spool/current.log";
    std::string bytes;
    {
      std::ifstream in(spool, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::vector<size_t> starts;  // frame offsets: "MEv1" | u32 length | u32 crc | payload
    for (size_t pos = 0; pos + 12 <= bytes.size();) {
      starts.push_back(pos);
      uint32_t len = 0;
      for (int i = 3; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(bytes[pos + 4 + i]);
      pos += 12 + len;
    }
    ASSERT_EQ(starts.size(), 60u);
    std::set<size_t> touched;
    for (int j = 0; j < 1 + static_cast<int>(next() % 3); ++j) {
      const size_t at = next() % bytes.size();
      bytes[at] = static_cast<char>(bytes[at] ^ (1 + next() % 255));
      touched.insert(static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), at) - starts.begin()) - 1);
    }
    {
      std::ofstream out(spool, std::ios::binary | std::ios::trunc);
      out << bytes;
    }
    auto s = OpenRW(t.path());  // folds the spool
    std::set<std::string> kept;
    for (const Event& e : All(s.get())) kept.insert(e.command);
    EXPECT_EQ(kept.size(), 60 - touched.size()) << "round " << round;
    for (size_t f = 0; f < 60; ++f)
      if (!touched.count(f)) {
        EXPECT_TRUE(kept.count("make target" + std::to_string(f))) << round << " frame " << f;
      }
  }
}

TEST(Store, IngestDedupsCommandsAndCountsEverything) {
  TempDir t;
  auto s = OpenRW(t.path());
  std::vector<Event> evs;
  for (int i = 0; i < 1000; ++i)
    evs.push_back(MakeEvent(i % 10 == 0 ? "make" : "git status", 1000 + i, i % 7 == 0 ? 1 : 0,
                            i < 500 ? "s1" : "s2"));
  ASSERT_TRUE(s->Ingest(evs).ok());
  StoreStats st;
  ASSERT_TRUE(s->Stats(&st).ok());
  EXPECT_EQ(st.events, 1000);
  EXPECT_EQ(st.distinct_commands, 2);
  EXPECT_EQ(st.sessions, 2);
  EXPECT_EQ(st.users, 1);
  EXPECT_EQ(st.first_ts_us, 1000);
  EXPECT_EQ(st.last_ts_us, 1999);
  std::map<std::string, CommandStats> by;
  ASSERT_TRUE(s->ForEachCommand([&](const CommandStats& c) { return by[c.command] = c, true; }).ok());
  ASSERT_EQ(by.size(), 2u);
  EXPECT_EQ(by["make"].count, 100);
  int make_failures = 0;
  for (int i = 0; i < 1000; i += 10) make_failures += i % 7 == 0;
  EXPECT_EQ(by["make"].failures, make_failures);
  EXPECT_EQ(by["make"].last_ts_us, 1000 + 990);
  EXPECT_EQ(by["make"].total_duration_us, 100 * 1500);

  // Ingesting the same events again (same ids) adds nothing.
  ASSERT_TRUE(s->Ingest(evs).ok());
  ASSERT_TRUE(s->Stats(&st).ok());
  EXPECT_EQ(st.events, 1000);
}

constexpr char kSharedId[] = "00000000000005dc00000000000000aa";

// What a reader sees of a store: every event with its fields (ids other than the two given ones
// left out), and every command's counters.
std::string Contents(Store* s) {
  std::string out;
  for (Event e : All(s)) {
    if (e.id != std::string(32, '0') && e.id != kSharedId) e.id.clear();  // the store's: random
    out += EventToJson(e) + "\n";
  }
  std::map<std::string, std::string> commands;
  EXPECT_TRUE(s->ForEachCommand([&](const CommandStats& c) {
    commands[c.command] = std::to_string(c.count) + "/" + std::to_string(c.failures) + "/" +
                          std::to_string(c.last_ts_us) + "/" + std::to_string(c.total_duration_us) + "/" +
                          std::to_string(c.last_exit.value_or(-99));
    return true;
  }).ok());
  for (const auto& [cmd, c] : commands) out += cmd + " " + c + "\n";
  StoreStats st;
  EXPECT_TRUE(s->Stats(&st).ok());
  out += std::to_string(st.events) + " " + std::to_string(st.distinct_commands) + " " +
         std::to_string(st.sessions) + " " + std::to_string(st.users);
  return out;
}

// Stores `evs` in the data directory `one` with one Ingest, and in `batched` with a bulk load of
// batches of `per_batch` events; `before_commit` (may be null) runs between the last Add and Commit.
void StoreOnceAndInBatches(const std::vector<Event>& evs, size_t per_batch, const std::string& one,
                           const std::string& batched, const std::function<void()>& before_commit = nullptr) {
  {
    auto s = OpenRW(one);
    std::vector<Event> copy = evs;
    ASSERT_TRUE(s->Ingest(copy).ok());
  }
  auto s = OpenRW(batched);
  std::unique_ptr<Store::BulkLoad> load;
  ASSERT_TRUE(s->StartBulkLoad(&load, Store::BulkLoadOptions()).ok());
  for (size_t b = 0; b < evs.size(); b += per_batch) {
    std::vector<Event> batch(evs.begin() + b, evs.begin() + std::min(evs.size(), b + per_batch));
    ASSERT_TRUE(load->Add(batch).ok());
  }
  if (before_commit) before_commit();
  ASSERT_TRUE(load->Commit().ok());
}

TEST(Store, ABulkLoadInBatchesStoresWhatOneIngestStoresAndOnlyAtCommit) {
  // Commands, sessions and given ids recur across batches; the last exit of a command is that of
  // its latest event, which comes in a later batch.
  std::vector<Event> evs;
  for (int i = 0; i < 3000; ++i) {
    Event e = MakeEvent(i % 3 == 0 ? "make" : "cmd" + std::to_string(i % 50), 1000 + i, i % 11 == 0 ? 2 : 0,
                        "s" + std::to_string(i % 4), "/d" + std::to_string(i % 5));
    if (i % 2 == 0) e.id = i < 10 ? std::string(32, '0') : "";  // a given id, repeated
    evs.push_back(e);
  }
  evs[2999].id = evs[1500].id = kSharedId;  // the same id in two batches
  TempDir one, batched;
  StoreOnceAndInBatches(evs, 700, one.path(), batched.path(), [&] {
    auto reader = OpenRO(batched.path());  // nothing visible before Commit
    EXPECT_EQ(All(reader.get()).size(), 0u);
  });
  auto a = OpenRO(one.path());
  auto b = OpenRO(batched.path());
  std::string want = Contents(a.get()), got = Contents(b.get());
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want);
  StoreStats st;
  ASSERT_TRUE(b->Stats(&st).ok());
  EXPECT_EQ(st.events, 3000 - 4 - 1);  // 4 repeats of the zero id, 1 of the shared one
}

// Level-0 files per column family, read from the database directly (read-only).
std::map<std::string, size_t> Level0Files(const std::string& data_dir) {
  std::map<std::string, size_t> out;
  std::vector<std::string> names;
  const std::string db_dir = data_dir + "/db";
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db_dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status st = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), db_dir, families, &handles, &db);
  EXPECT_TRUE(st.ok()) << st.ToString();
  if (!st.ok()) return out;
  for (auto* h : handles) {
    rocksdb::ColumnFamilyMetaData meta;
    db->GetColumnFamilyMetaData(h, &meta);
    out[h->GetName()] = meta.levels.empty() ? 0 : meta.levels[0].files.size();
    db->DestroyColumnFamilyHandle(h);
  }
  delete db;
  return out;
}

// Each batch of a bulk load writes files that overlap the other batches' (level 0, where RocksDB
// stops writes at 64 files): a load of many batches leaves no family with 32 level-0 files or
// more, and holds what one ingest holds.
TEST(Store, ABulkLoadOfManyBatchesLeavesNoPileOfLevel0Files) {
  std::vector<Event> evs;
  for (int i = 0; i < 2000; ++i)
    evs.push_back(MakeEvent("cmd" + std::to_string(i % 30), 1000 + i, i % 7 == 0 ? 1 : 0, "s" + std::to_string(i % 3)));
  TempDir one, batched;
  StoreOnceAndInBatches(evs, 40, one.path(), batched.path());  // 50 batches, each with every command
  for (const auto& [family, files] : Level0Files(batched.path())) EXPECT_LT(files, 32u) << family;
  auto a = OpenRO(one.path());
  auto b = OpenRO(batched.path());
  EXPECT_TRUE(Contents(a.get()) == Contents(b.get()));
}

// A small load into a store with a large dictionary looks its commands up instead of loading
// the dictionary: known commands keep their ids and counts add up; new ones get new ids.
TEST(Store, ASmallBulkLoadFindsKnownCommandsWithoutLoadingTheDictionary) {
  TempDir t;
  {
    auto first = OpenRW(t.path());
    std::vector<Event> evs;
    for (int i = 0; i < 1000; ++i) evs.push_back(MakeEvent("cmd" + std::to_string(i), 1000 + i));
    ASSERT_TRUE(first->Ingest(evs).ok());
  }
  auto s = OpenRW(t.path());  // a new process: nothing of the dictionary in memory
  std::unique_ptr<Store::BulkLoad> load;
  ASSERT_TRUE(s->StartBulkLoad(&load, Store::BulkLoadOptions()).ok());
  std::vector<Event> small;
  for (int i = 0; i < 10; ++i) small.push_back(MakeEvent(i % 2 ? "new" + std::to_string(i) : "cmd" + std::to_string(i), 5000 + i));
  small.push_back(MakeEvent("new1", 6000));
  ASSERT_TRUE(load->Add(small).ok());
  ASSERT_TRUE(load->Commit().ok());
  load.reset();
  std::map<std::string, int64_t> counts;
  std::set<uint64_t> ids;
  ASSERT_TRUE(s->ForEachCommand([&](const CommandStats& c) {
    counts[c.command] = c.count;
    ids.insert(c.id);
    return true;
  }).ok());
  EXPECT_EQ(counts.size(), 1005u);
  EXPECT_EQ(ids.size(), 1005u);
  EXPECT_EQ(counts["cmd0"], 2);
  EXPECT_EQ(counts["cmd8"], 2);
  EXPECT_EQ(counts["cmd9"], 1);
  EXPECT_EQ(counts["new1"], 2);
  EXPECT_EQ(counts["new9"], 1);
}

TEST(Store, ABulkLoadNotCommittedStoresNothing) {
  TempDir t;
  {
    auto s = OpenRW(t.path());
    std::vector<Event> first = {MakeEvent("git status", 10)};
    ASSERT_TRUE(s->Ingest(first).ok());
    {
      std::unique_ptr<Store::BulkLoad> load;
      ASSERT_TRUE(s->StartBulkLoad(&load, Store::BulkLoadOptions()).ok());
      std::vector<Event> batch = {MakeEvent("new-command", 20), MakeEvent("git status", 30)};
      ASSERT_TRUE(load->Add(batch).ok());
      EXPECT_TRUE(fs::exists(t.path() + "/ingest-tmp"));
    }  // dropped: an import that failed later
    EXPECT_FALSE(fs::exists(t.path() + "/ingest-tmp"));
    {
      // A batch that fails while the one before is still being written (in the background):
      // the load fails from then on, and dropping it leaves nothing.
      std::unique_ptr<Store::BulkLoad> load;
      ASSERT_TRUE(s->StartBulkLoad(&load, Store::BulkLoadOptions()).ok());
      std::vector<Event> good;
      for (int i = 0; i < 20000; ++i) good.push_back(MakeEvent("good" + std::to_string(i % 100), 100 + i));
      ASSERT_TRUE(load->Add(good).ok());
      std::vector<Event> bad = {MakeEvent("fine", 50), MakeEvent("", 60)};
      EXPECT_EQ(load->Add(bad).code(), Status::Code::kInvalidArgument);
      std::vector<Event> after = {MakeEvent("after", 70)};
      EXPECT_FALSE(load->Add(after).ok());
      EXPECT_FALSE(load->Commit().ok());
    }
    EXPECT_FALSE(fs::exists(t.path() + "/ingest-tmp"));
    ASSERT_EQ(All(s.get()).size(), 1u);
    // The dictionary ids the dropped load took are free again: a later command gets one.
    std::vector<Event> later = {MakeEvent("another", 40)};
    ASSERT_TRUE(s->Ingest(later).ok());
    ASSERT_EQ(All(s.get()).size(), 2u);
  }
  // A load killed half-way leaves its files; the next writer removes them.
  fs::create_directories(t.path() + "/ingest-tmp");
  std::ofstream(t.path() + "/ingest-tmp/events-0-0.sst") << "partial";
  auto s = OpenRW(t.path());
  EXPECT_FALSE(fs::exists(t.path() + "/ingest-tmp"));
  std::map<std::string, int64_t> counts;
  ASSERT_TRUE(s->ForEachCommand([&](const CommandStats& c) { return counts[c.command] = c.count, true; }).ok());
  EXPECT_EQ(counts, (std::map<std::string, int64_t>{{"another", 1}, {"git status", 1}}));
}

TEST(Store, ContentIdsStoreAHistoryLoadedTwiceOnce) {
  TempDir t;
  auto s = OpenRW(t.path());
  Store::BulkLoadOptions content;
  content.content_ids = true;
  auto load_all = [&](std::vector<Event> evs) {
    std::unique_ptr<Store::BulkLoad> load;
    ASSERT_TRUE(s->StartBulkLoad(&load, content).ok());
    for (size_t b = 0; b < evs.size(); b += 2) {  // batches of 2: repeats straddle batches
      std::vector<Event> batch(evs.begin() + b, evs.begin() + std::min(evs.size(), b + 2));
      ASSERT_TRUE(load->Add(batch).ok());
    }
    ASSERT_TRUE(load->Commit().ok());
  };
  // The same command twice in one second is two events (bash times are in seconds).
  std::vector<Event> history = {MakeEvent("ls", 1'000'000), MakeEvent("ls", 1'000'000),
                                MakeEvent("make", 1'000'000), MakeEvent("ls", 2'000'000),
                                MakeEvent("ls", 1'000'000, 0, "s2")};
  load_all(history);
  ASSERT_EQ(All(s.get()).size(), 5u);
  load_all(history);  // imported again: nothing new
  EXPECT_EQ(All(s.get()).size(), 5u);
  history.push_back(MakeEvent("ls", 2'000'000));  // the history grew by one more `ls` that second
  history.push_back(MakeEvent("git push", 3'000'000));
  load_all(history);
  std::vector<Event> all = All(s.get());
  ASSERT_EQ(all.size(), 7u);
  std::map<std::string, int64_t> counts;
  ASSERT_TRUE(s->ForEachCommand([&](const CommandStats& c) { return counts[c.command] = c.count, true; }).ok());
  EXPECT_EQ(counts, (std::map<std::string, int64_t>{{"git push", 1}, {"ls", 5}, {"make", 1}}));
  // Without content ids (the default) the same events are new ones.
  std::vector<Event> again = history;
  ASSERT_TRUE(s->Ingest(again).ok());
  EXPECT_EQ(All(s.get()).size(), 14u);
}

// Content ids are part of the store's format: a history imported again must get the ids it got
// before, whatever version of the program stored it. These were computed by the version that
// introduced content ids (9029c62).
TEST(Store, ContentIdsNeverChange) {
  Event e = MakeEvent("git commit -m \"x\"", 1700000000123456, 0, "s1", "/home/u/src/app");
  EXPECT_EQ(ContentEventId(e, 0), "00060a24182022407a5283f4886352bd");
  EXPECT_EQ(ContentEventId(e, 1), "00060a24182022406c3175c7f0a37dd0");
  e.params_json = R"({"path":"a.txt"})";
  EXPECT_EQ(ContentEventId(e, 0), "00060a2418202240d2ad5d9b4cad271c");
  Event bare;
  bare.command = "ls";
  bare.ts_us = 42;
  EXPECT_EQ(ContentEventId(bare, 0), "000000000000002acd8aa924be1be619");
}

// A bulk load with content ids stores each event under ContentEventId(event, occurrence), the
// occurrence counting the same event earlier in the load.
TEST(Store, ContentIdsOfABulkLoadAreThoseOfContentEventId) {
  TempDir t;
  auto s = OpenRW(t.path());
  Store::BulkLoadOptions content;
  content.content_ids = true;
  std::vector<Event> evs = {MakeEvent("ls", 5'000'000), MakeEvent("ls", 5'000'000, 0, "s1", "/tmp"),
                            MakeEvent("ls", 5'000'000), MakeEvent("make", 6'000'000, 0, "s2")};
  std::set<std::string> want = {ContentEventId(evs[0], 0), ContentEventId(evs[1], 0),
                                ContentEventId(evs[2], 1), ContentEventId(evs[3], 0)};
  std::unique_ptr<Store::BulkLoad> load;
  ASSERT_TRUE(s->StartBulkLoad(&load, content).ok());
  std::vector<Event> batch = evs;
  ASSERT_TRUE(load->Add(batch).ok());
  ASSERT_TRUE(load->Commit().ok());
  std::set<std::string> got;
  for (const Event& e : All(s.get())) got.insert(e.id);
  EXPECT_EQ(got, want);
}

TEST(Store, ScanBySessionAndCwdUsesIndexesAndTimeBounds) {
  TempDir t;
  auto s = OpenRW(t.path());
  std::vector<Event> evs;
  for (int i = 0; i < 300; ++i)
    evs.push_back(MakeEvent("cmd" + std::to_string(i % 5), 100 + i, 0, "s" + std::to_string(i % 3),
                            "/d" + std::to_string(i % 2)));
  ASSERT_TRUE(s->Ingest(evs).ok());
  ScanOptions so;
  so.session = "s1";
  std::vector<int64_t> ts;
  ASSERT_TRUE(s->Scan(so, [&](const Event& e) {
    EXPECT_EQ(e.session, "s1");
    ts.push_back(e.ts_us);
    return ts.size() < 5;
  }).ok());
  EXPECT_EQ(ts, (std::vector<int64_t>{100 + 298, 100 + 295, 100 + 292, 100 + 289, 100 + 286}));
  so = ScanOptions();
  so.cwd = "/d0";
  so.newest_first = false;
  so.since_us = 150;
  so.until_us = 160;
  std::vector<int64_t> got;
  ASSERT_TRUE(s->Scan(so, [&](const Event& e) { return got.push_back(e.ts_us), true; }).ok());
  EXPECT_EQ(got, (std::vector<int64_t>{150, 152, 154, 156, 158}));
}

// A session's events found by stepping through the events family (runs of one session) or by
// seeking (sessions interleaved, events forgotten in between) are the same as a full scan's.
TEST(Store, ScanOfASessionGivesWhatAFullScanFilteredGives) {
  TempDir t;
  auto s = OpenRW(t.path());
  std::vector<Event> evs;
  uint64_t x = 12345;
  auto next = [&](uint64_t n) { return ((x = x * 6364136223846793005ULL + 1442695040888963407ULL) >> 33) % n; };
  int64_t ts = 1000;
  while (evs.size() < 3000) {
    // Runs of 1..40 events of one session, sometimes strictly alternating sessions.
    const std::string session = "s" + std::to_string(next(3));
    const size_t run = 1 + next(40);
    const bool alternate = next(4) == 0;
    for (size_t i = 0; i < run; ++i) {
      const std::string sess = alternate ? "s" + std::to_string(i % 3) : session;
      std::string cmd = next(10) == 0 ? "gone " : "cmd ";
      cmd += std::to_string(i);
      evs.push_back(MakeEvent(cmd, ts++, 0, sess, next(2) ? "/d1" : "/d0"));
    }
  }
  ASSERT_TRUE(s->Ingest(evs).ok());
  size_t removed = 0;
  ASSERT_TRUE(s->Forget("gone*", ForgetScope::kCommand, &removed).ok());
  ASSERT_GT(removed, 100u);
  for (bool newest_first : {false, true}) {
    const std::vector<Event> all = All(s.get(), newest_first);
    for (const std::string session : {"s0", "s1", "s2"}) {
      for (auto [since, until] : {std::pair<int64_t, int64_t>{0, INT64_MAX}, {1500, 2600}}) {
        std::vector<std::string> want, got;
        for (const Event& e : all)
          if (e.session == session && e.ts_us >= since && e.ts_us < until) want.push_back(e.id);
        ScanOptions so;
        so.session = session;
        so.newest_first = newest_first;
        so.since_us = since;
        so.until_us = until;
        ASSERT_TRUE(s->Scan(so, [&](const Event& e) { return got.push_back(e.id), true; }).ok());
        EXPECT_EQ(got, want) << session << " newest_first=" << newest_first << " since=" << since;
        EXPECT_GT(got.size(), 100u);
      }
    }
  }
}

TEST(Store, ScanTimeBoundsInBothDirectionsWithSpooledEvents) {
  TempDir t;
  {
    auto s = OpenRW(t.path());
    std::vector<Event> evs;
    for (int i = 0; i < 50; ++i) evs.push_back(MakeEvent("db" + std::to_string(i), 100 + 2 * i));
    ASSERT_TRUE(s->Ingest(evs).ok());
  }
  // Spooled (not folded) events between and beyond the stored ones.
  std::vector<Event> spooled = {MakeEvent("sp1", 121), MakeEvent("sp2", 131), MakeEvent("sp3", 500)};
  ASSERT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, spooled).ok());
  auto s = OpenRO(t.path());
  ASSERT_TRUE(s);
  for (bool newest_first : {false, true}) {
    ScanOptions so;
    so.newest_first = newest_first;
    so.since_us = 118;
    so.until_us = 132;
    std::vector<int64_t> got;
    ASSERT_TRUE(s->Scan(so, [&](const Event& e) { return got.push_back(e.ts_us), true; }).ok());
    std::vector<int64_t> want = {118, 120, 121, 122, 124, 126, 128, 130, 131};
    if (newest_first) std::reverse(want.begin(), want.end());
    EXPECT_EQ(got, want) << "newest_first=" << newest_first;
  }
}

TEST(Store, SearchModes) {
  TempDir t;
  auto s = OpenRW(t.path());
  std::vector<Event> evs = {
      MakeEvent("git status", 100),       MakeEvent("git commit -m fix", 200, 1), MakeEvent("make -j4", 300),
      MakeEvent("git checkout main", 400), MakeEvent("grep -rn TODO src", 500),   MakeEvent("git status", 600),
  };
  evs[4].cwd = "/other";
  ASSERT_TRUE(s->Ingest(evs).ok());
  auto run = [&](SearchQuery q) {
    std::vector<SearchHit> hits;
    Status st = s->Search(q, &hits);
    EXPECT_TRUE(st.ok()) << st.ToString();
    std::vector<std::string> out;
    for (auto& h : hits) out.push_back(h.command);
    return out;
  };
  SearchQuery q;
  q.text = "git";
  EXPECT_EQ(run(q), (std::vector<std::string>{"git status", "git checkout main", "git commit -m fix"}));
  q.match = SearchQuery::Match::kPrefix;
  q.text = "gr";
  EXPECT_EQ(run(q), (std::vector<std::string>{"grep -rn TODO src"}));
  q.match = SearchQuery::Match::kRegex;
  q.text = "^git (status|checkout)";
  EXPECT_EQ(run(q), (std::vector<std::string>{"git status", "git checkout main"}));
  q.match = SearchQuery::Match::kFuzzy;
  q.text = "gcm";
  auto fuzzy = run(q);
  ASSERT_FALSE(fuzzy.empty());
  EXPECT_EQ(fuzzy[0], "git checkout main");  // word starts beat scattered letters
  q = SearchQuery();
  q.text = "git";
  q.failed_only = true;
  EXPECT_EQ(run(q), (std::vector<std::string>{"git commit -m fix"}));
  q = SearchQuery();
  q.text = "";
  q.cwd = "/other";
  EXPECT_EQ(run(q), (std::vector<std::string>{"grep -rn TODO src"}));
  q = SearchQuery();
  q.match = SearchQuery::Match::kRegex;
  q.text = "(unclosed";
  std::vector<SearchHit> hits;
  EXPECT_TRUE(s->Search(q, &hits).IsInvalidArgument());
  // The hit for a repeated command counts every use.
  q = SearchQuery();
  q.text = "git status";
  ASSERT_TRUE(s->Search(q, &hits).ok());
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].count, 2);
  EXPECT_EQ(hits[0].last_ts_us, 600);
}

TEST(Store, ForgetRemovesEveryTraceFromEveryFile) {
  TempDir t;
  const std::string secret = "hunter2-TOPSECRET-value";
  {
    auto s = OpenRW(t.path(), /*compress=*/false);  // so raw bytes would be visible
    std::vector<Event> evs;
    for (int i = 0; i < 200; ++i) evs.push_back(MakeEvent("make target" + std::to_string(i), 1000 + i));
    evs.push_back(MakeEvent("echo " + secret, 5000));
    evs.push_back(MakeEvent("curl -d " + secret + " x", 5001, 0, "s9", "/secret-dir"));
    ASSERT_TRUE(s->Ingest(evs).ok());
  }
  // Also one that only reached the spool (the WAL path) before the forget.
  std::vector<Event> spooled = {MakeEvent("export X=" + secret, 6000)};
  ASSERT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, spooled).ok());
  {
    auto s = OpenRW(t.path(), /*compress=*/false);
    ASSERT_NE(s, nullptr);
    ASSERT_NE(AllBytes(t.path()).find(secret), std::string::npos);  // the test can see it
    size_t removed = 0;
    ASSERT_TRUE(s->Forget("*" + secret + "*", ForgetScope::kCommand, &removed).ok());
    EXPECT_EQ(removed, 3u);
    StoreStats st;
    ASSERT_TRUE(s->Stats(&st).ok());
    EXPECT_EQ(st.events, 200);
    EXPECT_EQ(st.distinct_commands, 200);
    EXPECT_EQ(st.sessions, 1);  // s9 had only the forgotten event
    EXPECT_EQ(AllBytes(t.path()).find(secret), std::string::npos) << "secret bytes left on disk";
  }
  EXPECT_EQ(AllBytes(t.path()).find(secret), std::string::npos) << "secret bytes left after close";
}

// ForgetScope::kAnyField: a name that is only in a tool call's parameters, its error, a cwd, a
// tag or a decision is gone from every file too; events that do not hold it stay, and the
// command scope alone does not find it.
TEST(Store, ForgetInAnyFieldRemovesWhatOtherFieldsHold) {
  TempDir t;
  const std::string name = "zebra42-client";
  {
    auto s = OpenRW(t.path(), /*compress=*/false);
    std::vector<Event> evs;
    for (int i = 0; i < 100; ++i) evs.push_back(MakeEvent("make target" + std::to_string(i), 1000 + i));
    Event tool = MakeEvent("http_get", 2000);
    tool.kind = EventKind::kToolCall;
    tool.params_json = R"({"url":"https://x/?q=)" + name + R"("})";
    evs.push_back(tool);
    Event failed = MakeEvent("deploy", 2001, 1);
    failed.error = "auth failed for " + name;
    evs.push_back(failed);
    evs.push_back(MakeEvent("ls", 2002, 0, "s1", "/home/u/" + name));
    Event tagged = MakeEvent("git push", 2003);
    tagged.tags = {"ok", name};
    evs.push_back(tagged);
    Event decided = MakeEvent("grep", 2004);
    decided.decision = Decision{"d1", "egreedy", "v1", {"grep", "rg " + name}, "grep", 0.5, std::nullopt};
    evs.push_back(decided);
    evs.push_back(MakeEvent("http_get", 2005));  // same tool, nothing of the name
    ASSERT_TRUE(s->Ingest(evs).ok());
  }
  std::vector<Event> spooled = {MakeEvent("cat notes", 3000, 0, "s1", "/srv/" + name)};
  ASSERT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, spooled).ok());
  auto s = OpenRW(t.path(), /*compress=*/false);
  ASSERT_NE(s, nullptr);
  ASSERT_NE(AllBytes(t.path()).find(name), std::string::npos);  // the test can see it
  size_t removed = 0;
  ASSERT_TRUE(s->Forget("*" + name + "*", ForgetScope::kCommand, &removed).ok());
  EXPECT_EQ(removed, 0u);
  ASSERT_TRUE(s->Forget("*" + name + "*", ForgetScope::kAnyField, &removed).ok());
  EXPECT_EQ(removed, 6u);
  auto all = All(s.get());
  ASSERT_EQ(all.size(), 101u);
  EXPECT_EQ(std::count_if(all.begin(), all.end(), [](const Event& e) { return e.command == "http_get"; }), 1);
  EXPECT_EQ(AllBytes(t.path()).find(name), std::string::npos) << "bytes left on disk";
  s.reset();
  EXPECT_EQ(AllBytes(t.path()).find(name), std::string::npos) << "bytes left after close";
}

// A forget or clean that finds nothing changes nothing: no marker, no compaction (the files of
// the database stay as they are). It compacted the whole store before: `memory forget` and
// `clean` count first and do not call it then, but any other caller paid seconds for nothing.
TEST(Store, AForgetOrCleanThatFindsNothingChangesNoFile) {
  TempDir t;
  auto s = OpenRW(t.path());
  std::vector<Event> evs;
  for (int i = 0; i < 50; ++i) evs.push_back(MakeEvent("make target" + std::to_string(i), 1000 + i));
  ASSERT_TRUE(s->Ingest(evs).ok());
  ASSERT_TRUE(s->Ingest(evs = {MakeEvent("ls", 5000)}).ok());  // two files of events, at least
  auto files = [&] {
    std::set<std::string> names;
    for (const auto& f : std::filesystem::recursive_directory_iterator(t.path()))
      if (f.is_regular_file() && f.path().extension() == ".sst") names.insert(f.path().filename().string());
    return names;
  };
  const auto before = files();
  ASSERT_FALSE(before.empty());
  size_t removed = 7;
  ASSERT_TRUE(s->Forget("nothing*", ForgetScope::kCommand, &removed).ok());
  EXPECT_EQ(removed, 0u);
  ASSERT_TRUE(s->Forget("*nowhere*", ForgetScope::kAnyField, &removed).ok());
  ASSERT_TRUE(s->Clean(10, &removed).ok());
  EXPECT_EQ(removed, 0u);
  EXPECT_FALSE(s->DeletionPending());
  EXPECT_EQ(files(), before);
  ASSERT_TRUE(s->Forget("ls", ForgetScope::kCommand, &removed).ok());  // one found: compacted
  EXPECT_EQ(removed, 1u);
  EXPECT_NE(files(), before);
  EXPECT_EQ(All(s.get()).size(), 50u);
}

TEST(Store, CleanDeletesOlderEventsAndTheirCommands) {
  TempDir t;
  auto s = OpenRW(t.path());
  std::vector<Event> evs = {MakeEvent("old-only", 100), MakeEvent("both", 150), MakeEvent("both", 300),
                            MakeEvent("new-only", 400)};
  ASSERT_TRUE(s->Ingest(evs).ok());
  size_t removed = 0;
  ASSERT_TRUE(s->Clean(200, &removed).ok());
  EXPECT_EQ(removed, 2u);
  auto all = All(s.get());
  ASSERT_EQ(all.size(), 2u);
  std::set<std::string> cmds;
  ASSERT_TRUE(s->ForEachCommand([&](const CommandStats& c) { return cmds.insert(c.command), true; }).ok());
  EXPECT_EQ(cmds, (std::set<std::string>{"both", "new-only"}));
  StoreStats st;
  ASSERT_TRUE(s->Stats(&st).ok());
  EXPECT_EQ(st.events, 2);
  EXPECT_EQ(st.first_ts_us, 300);
}

// RocksDB's own info log renamed LOG to LOG.old.<time> at every open and unlinked old ones before
// taking the lock, so two processes opening at once could fail on each other's unlink. The
// store's log is appended to and never rotated; old LOG.old files are removed by the writer.
TEST(Store, WriterOpensNeverRotateTheInfoLog) {
  TempDir t;
  const std::string db = t.path() + "/db";
  { auto s = OpenRW(t.path()); }
  { std::ofstream(db + "/LOG.old.123") << "left by an older version\n"; }
  for (int i = 0; i < 3; ++i) {
    auto s = OpenRW(t.path());
    std::vector<Event> evs = {MakeEvent("cmd" + std::to_string(i), 10 + i)};
    ASSERT_TRUE(s->Ingest(evs).ok());
  }
  for (const auto& f : fs::directory_iterator(db))
    EXPECT_NE(f.path().filename().string().rfind("LOG.old", 0), 0u) << f.path();
  // A writer waiting for the lock logs nothing (each attempt used to add a warning).
  auto holder = OpenRW(t.path());
  StoreOptions o;
  o.dir = t.path();
  o.mode = StoreOptions::Mode::kReadWrite;
  o.lock_wait_ms = 200;
  std::unique_ptr<Store> second;
  EXPECT_TRUE(Store::Open(o, &second).IsBusy());
  std::string log;
  { std::ifstream in(db + "/LOG"); log.assign(std::istreambuf_iterator<char>(in), {}); }
  EXPECT_EQ(log.find("lock file"), std::string::npos) << log;
}

// A backup inside the data directory would go with it: refused, however the path is spelled.
TEST(Store, ABackupInsideTheDataDirectoryIsRefused) {
  TempDir t;
  auto s = OpenRW(t.path());
  std::vector<Event> evs = {MakeEvent("ls", 1000)};
  ASSERT_TRUE(s->Ingest(evs).ok());
  for (const std::string& inside : {t.path(), t.path() + "/", t.path() + "/b", t.path() + "/x/../b", t.path() + "/db/b"}) {
    Status st = s->Backup(inside);
    EXPECT_TRUE(st.IsInvalidArgument()) << inside << ": " << st.ToString();
    EXPECT_NE(st.message().find("inside the data directory"), std::string::npos) << st.ToString();
  }
  EXPECT_FALSE(fs::exists(t.path() + "/b"));
  const std::string beside = t.path() + "-backup";  // same prefix, another directory
  EXPECT_TRUE(s->Backup(beside).ok());
  fs::remove_all(beside);
}

TEST(Store, BackupWhileRecordingAndRestore) {
  TempDir t, b;
  std::string data = t.path() + "/data", backup = b.path() + "/bk";
  std::vector<Event> evs = {MakeEvent("one", 10), MakeEvent("two", 20)};
  {
    auto s = OpenRW(data);
    ASSERT_TRUE(s->Ingest(evs).ok());
    std::vector<Event> late = {MakeEvent("three", 30)};
    ASSERT_TRUE(RecordEvents(RecorderOptions{data, false}, late).ok());  // recording continues
    ASSERT_TRUE(s->Backup(backup).ok());
    EXPECT_FALSE(s->Backup(backup).ok());  // not empty any more
    // The backup owns its files: no table file is shared with the store (a checkpoint hard-links).
    int files = 0;
    for (const auto& f : fs::directory_iterator(backup + "/db"))
      if (f.is_regular_file()) {
        EXPECT_EQ(fs::hard_link_count(f.path()), 1u) << f.path();
        ++files;
      }
    EXPECT_GT(files, 2);
    std::vector<Event> more = {MakeEvent("after-backup", 40)};
    ASSERT_TRUE(s->Ingest(more).ok());
  }
  ASSERT_TRUE(RestoreStore(backup, data).ok());
  auto s = OpenRW(data);
  std::vector<std::string> cmds;
  for (auto& e : All(s.get())) cmds.push_back(e.command);
  EXPECT_EQ(cmds, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_TRUE(fs::exists(data + "/db.before-restore"));
  EXPECT_FALSE(RestoreStore(t.path() + "/nonexistent", data).ok());
}

// A restore copies the backup beside the store, writes restore-ready, then swaps. Killed during
// the copy, the store is as it was (and a deletion removes the copy); killed after deciding, in
// either half of the swap, the next writer's open finishes it.
TEST(Store, AKilledRestoreLeavesTheStoreOrFinishesOnTheNextOpen) {
  enum Stage { kDuringCopy, kBeforeSwap, kMidSwap };
  for (Stage stage : {kDuringCopy, kBeforeSwap, kMidSwap}) {
    TempDir t;
    const std::string data = t.path() + "/data", backup = t.path() + "/bk";
    {
      auto s = OpenRW(data);
      std::vector<Event> evs = {MakeEvent("in-backup", 10)};
      ASSERT_TRUE(s->Ingest(evs).ok());
      ASSERT_TRUE(s->Backup(backup).ok());
      std::vector<Event> later = {MakeEvent("after-backup", 20)};
      ASSERT_TRUE(s->Ingest(later).ok());
    }
    fs::copy(backup + "/db", data + "/db.restoring", fs::copy_options::recursive);
    if (stage == kDuringCopy) {
      fs::remove(data + "/db.restoring/CURRENT");  // the copy stopped half-way
    } else {
      std::ofstream(data + "/restore-ready") << "x";
      if (stage == kMidSwap) fs::rename(data + "/db", data + "/db.before-restore");
    }
    auto s = OpenRW(data);
    ASSERT_TRUE(s);
    std::vector<std::string> cmds;
    for (auto& e : All(s.get())) cmds.push_back(e.command);
    if (stage == kDuringCopy) {
      EXPECT_EQ(cmds, (std::vector<std::string>{"in-backup", "after-backup"}));
      size_t removed = 0;
      ASSERT_TRUE(s->Forget("in-backup", ForgetScope::kCommand, &removed).ok());
      EXPECT_FALSE(fs::exists(data + "/db.restoring"));  // it held a forgotten event
    } else {
      EXPECT_EQ(cmds, (std::vector<std::string>{"in-backup"})) << "stage " << stage;
      EXPECT_FALSE(fs::exists(data + "/restore-ready"));
      EXPECT_FALSE(fs::exists(data + "/db.restoring"));
      EXPECT_TRUE(fs::exists(data + "/db.before-restore/CURRENT"));
    }
  }
}

// A damaged backup is refused before anything changes (it used to be swapped in, exit 0, and
// the store then failed with corruption); a good backup restores over a damaged store.
TEST(Store, RestoreChecksTheBackupAndReplacesADamagedStore) {
  TempDir t;
  const std::string data = t.path() + "/data", good = t.path() + "/good", bad = t.path() + "/bad";
  {
    std::vector<Event> evs;
    for (int i = 0; i < 200; ++i) evs.push_back(MakeEvent("cmd" + std::to_string(i), 10 + i));
    auto s = OpenRW(data);
    ASSERT_TRUE(s->Ingest(evs).ok());
    ASSERT_TRUE(s->Optimize().ok());
    ASSERT_TRUE(s->Backup(good).ok());
    ASSERT_TRUE(s->Backup(bad).ok());
  }
  // Damage a table file of the backup in place (a copy: the backup may hard-link the store's).
  std::string sst;
  for (const auto& f : fs::directory_iterator(bad + "/db"))
    if (f.path().extension() == ".sst" && (sst.empty() || fs::file_size(f.path()) > fs::file_size(sst))) sst = f.path();
  ASSERT_FALSE(sst.empty());
  {
    std::ifstream in(sst, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    fs::remove(sst);
    bytes[bytes.size() / 3] ^= 0x5a;
    std::ofstream(sst, std::ios::binary) << bytes;
  }
  Status s = RestoreStore(bad, data);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_FALSE(fs::exists(data + "/db.before-restore"));
  EXPECT_EQ(All(OpenRW(data).get()).size(), 200u);
  // Now the store itself is damaged: its MANIFEST is gone. The good backup still restores.
  for (const auto& f : fs::directory_iterator(data + "/db"))
    if (f.path().filename().string().rfind("MANIFEST", 0) == 0) fs::remove(f.path());
  ASSERT_TRUE(RestoreStore(good, data).ok());
  EXPECT_EQ(All(OpenRW(data).get()).size(), 200u);
  EXPECT_TRUE(fs::exists(data + "/db.before-restore"));
}

// A forget or clean killed after it began deleting leaves its marker: the next one finishes the
// job even when nothing matches any more (it used to report "deleted 0" and leave the deleted
// values in the database files, and an import's killed table files in ingest-tmp/).
TEST(Store, AnInterruptedDeletionIsFinishedByTheNextOne) {
  for (bool clean : {false, true}) {
    TempDir t;
    std::vector<Event> evs = {MakeEvent("keep", 10)};
    {
      auto s = OpenRW(t.path());
      ASSERT_TRUE(s->Ingest(evs).ok());
      EXPECT_FALSE(s->DeletionPending());
    }
    // What a killed deletion and a killed import leave behind.
    std::ofstream(t.path() + "/deletion-pending") << "x";
    fs::create_directories(t.path() + "/ingest-tmp");
    std::ofstream(t.path() + "/ingest-tmp/commands-1.sst") << "SECRET-7f3a91";
    fs::create_directories(t.path() + "/db.before-restore");
    std::ofstream(t.path() + "/db.before-restore/000001.sst") << "SECRET-7f3a91";
    {
      StoreStats st;  // what `memory status` reports
      auto reader = OpenRO(t.path());
      ASSERT_TRUE(reader->Stats(&st).ok());
      EXPECT_TRUE(st.deletion_pending);
    }
    auto s = OpenRW(t.path());
    EXPECT_TRUE(s->DeletionPending());
    size_t removed = 99;
    ASSERT_TRUE((clean ? s->Clean(1, &removed) : s->Forget("nothing matches*", ForgetScope::kCommand, &removed)).ok());
    EXPECT_EQ(removed, 0u);
    EXPECT_FALSE(s->DeletionPending()) << "clean=" << clean;
    StoreStats st;
    ASSERT_TRUE(s->Stats(&st).ok());
    EXPECT_FALSE(st.deletion_pending);
    EXPECT_FALSE(fs::exists(t.path() + "/ingest-tmp")) << "clean=" << clean;
    EXPECT_FALSE(fs::exists(t.path() + "/db.before-restore")) << "clean=" << clean;
    EXPECT_EQ(All(s.get()).size(), 1u);
  }
}

// RocksDB's failures to take the LOCK: held by another process is Busy (exit 3: retry later); a
// lock file that cannot be written (a read-only file system, no permission) is an I/O error —
// it was reported as Busy ("open for writing by another process"), which a retry never fixes.
TEST(Store, ALockThatCannotBeWrittenIsNotBusy) {
  using internal::FromRocks;
  EXPECT_TRUE(FromRocks(rocksdb::Status::IOError("While lock file: /s/db/LOCK: Resource temporarily unavailable"), "open").IsBusy());
  EXPECT_TRUE(FromRocks(rocksdb::Status::Busy(), "open").IsBusy());
  const Status ro = FromRocks(rocksdb::Status::IOError("while open a file for lock: /s/db/LOCK: Read-only file system"), "open");
  EXPECT_EQ(ro.code(), Status::Code::kIOError) << ro.ToString();
  const Status perm = FromRocks(rocksdb::Status::IOError("while open a file for lock: /s/db/LOCK: Permission denied"), "open");
  EXPECT_EQ(perm.code(), Status::Code::kIOError) << perm.ToString();
}

TEST(Store, SecondWriterIsBusyAndReadersStillRead) {
  TempDir t;
  auto w = OpenRW(t.path());
  std::vector<Event> evs = {MakeEvent("x", 1)};
  ASSERT_TRUE(w->Ingest(evs).ok());
  StoreOptions o;
  o.dir = t.path();
  o.mode = StoreOptions::Mode::kReadWrite;
  o.lock_wait_ms = 50;
  std::unique_ptr<Store> second;
  Status st = Store::Open(o, &second);
  EXPECT_TRUE(st.IsBusy()) << st.ToString();
  o.mode = StoreOptions::Mode::kReadOnly;
  ASSERT_TRUE(Store::Open(o, &second).ok());
  EXPECT_TRUE(second->read_only());
  EXPECT_EQ(All(second.get()).size(), 1u);
  std::vector<Event> more = {MakeEvent("y", 2)};
  EXPECT_FALSE(second->Ingest(more).ok());
}

// Readers opened while a writer adds new commands and flushes and compacts (optimize) see a
// consistent store: every event's command is in the dictionary. An open that read the MANIFEST
// just before a flush and listed the WALs just after it used to miss the flushed WAL's writes
// to some families ("event refers to unknown command id", about once a minute of such load).
// The writer of the next test, run as a process of its own: this binary started again with
// MEMORY_TEST_WRITER_DIR set (a forked child would inherit RocksDB's thread pools without their
// threads). Writes new commands and optimizes for 4 s; exits 0 after more than 5 rounds.
TEST(StoreHelper, WriterProcess) {
  const char* dir = std::getenv("MEMORY_TEST_WRITER_DIR");
  if (!dir) GTEST_SKIP() << "run by ReadersOpenedDuringFlushesAndCompactionsSeeAConsistentStore";
  auto w = OpenRW(dir);
  ASSERT_TRUE(w);
  int rounds = 0;
  for (auto end = std::chrono::steady_clock::now() + std::chrono::seconds(4); std::chrono::steady_clock::now() < end; ++rounds) {
    std::vector<Event> evs;
    for (int j = 0; j < 20; ++j) evs.push_back(MakeEvent("cmd-" + std::to_string(rounds) + "-" + std::to_string(j), 1000 + rounds * 20 + j));
    ASSERT_TRUE(w->Ingest(evs).ok());
    ASSERT_TRUE(w->Optimize().ok());
  }
  EXPECT_GT(rounds, 5);
}

TEST(Store, ReadersOpenedDuringFlushesAndCompactionsSeeAConsistentStore) {
  TempDir t;
  { auto w = OpenRW(t.path()); }
  pid_t writer = fork();
  ASSERT_GE(writer, 0);
  if (writer == 0) {
    setenv("MEMORY_TEST_WRITER_DIR", t.path().c_str(), 1);
    execl("/proc/self/exe", "test_store", "--gtest_filter=StoreHelper.WriterProcess", "--gtest_brief=1",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int opens = 0, status = 0;
  for (; waitpid(writer, &status, WNOHANG) == 0; ++opens) {
    StoreOptions o;
    o.dir = t.path();
    o.mode = StoreOptions::Mode::kReadOnly;
    std::unique_ptr<Store> r;
    Status st = Store::Open(o, &r);
    size_t n = 0;
    if (st.ok()) st = r->Scan(ScanOptions{}, [&](const Event&) { return ++n, true; });
    if (!st.ok()) {
      kill(writer, SIGKILL);
      waitpid(writer, &status, 0);
      FAIL() << st.ToString() << " after " << opens << " opens";
    }
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);  // the writer's test failed (or did too few rounds)
  EXPECT_GT(opens, 20);
}

TEST(Store, CorruptDatabaseGivesAClearError) {
  TempDir t;
  {
    auto s = OpenRW(t.path());
    std::vector<Event> evs = {MakeEvent("x", 1)};
    ASSERT_TRUE(s->Ingest(evs).ok());
  }
  // Overwrite the CURRENT file (which names the manifest) with garbage.
  {
    std::ofstream f(t.path() + "/db/CURRENT", std::ios::trunc);
    f << "\x01\x02garbage";
  }
  StoreOptions o;
  o.dir = t.path();
  std::unique_ptr<Store> s;
  Status st = Store::Open(o, &s);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(t.path()), std::string::npos) << st.ToString();
}

TEST(Store, AReaderReportsADamagedStoreAfterAFewTriesNotAfterTheWritersRetries) {
  TempDir t;
  {
    auto s = OpenRW(t.path());
    std::vector<Event> evs = {MakeEvent("x", 1), MakeEvent("y", 2)};
    ASSERT_TRUE(s->Ingest(evs).ok());
  }
  for (auto& p : fs::directory_iterator(t.path() + "/db"))
    if (p.path().extension() == ".sst") fs::remove(p.path());  // lost table files
  StoreOptions o;
  o.dir = t.path();
  o.mode = StoreOptions::Mode::kReadOnly;
  std::unique_ptr<Store> s;
  Status st = Store::Open(o, &s);
  if (st.ok()) st = s->Scan(ScanOptions(), [](const Event&) { return true; });  // opens are deferred
  ASSERT_FALSE(st.ok());
  // Nothing changed the MANIFEST meanwhile: no writer is at work, so ~60 ms of tries, not ~1.7 s.
  EXPECT_NE(st.message().find("read-only (tried 3 times)"), std::string::npos) << st.ToString();
}

TEST(Store, FilesArePrivate) {
  TempDir t;
  std::string data = t.path() + "/data";
  std::vector<Event> evs = {MakeEvent("x", 1)};
  ASSERT_TRUE(RecordEvents(RecorderOptions{data, false}, evs).ok());
  { auto s = OpenRW(data); }
  struct stat st;
  ASSERT_EQ(::stat(data.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (auto& p : fs::recursive_directory_iterator(data)) {
    ASSERT_EQ(::stat(p.path().c_str(), &st), 0);
    if (p.is_regular_file()) EXPECT_EQ(st.st_mode & 0077, 0u) << p.path();
    else EXPECT_EQ(st.st_mode & 0077, 0u) << p.path();
  }
}

}  // namespace
}  // namespace memory

namespace memory {
namespace {

// Seeded random damage of summary.bin (flipped bytes, 0xff runs, cuts; replaced by rename as
// writers do): status and search either use it or fall back to the database; none crashes
// (under AddressSanitizer a read outside the file fails), and the counts stay those of the store
// wherever the damage hits the numbers the file is checked by.
TEST(Store, RandomSummaryDamageNeverCrashesReaders) {
  TempDir t;
  {
    auto s = OpenRW(t.path());
    std::vector<Event> evs;
    for (int i = 0; i < 200; ++i) evs.push_back(MakeEvent("git commit -m " + std::to_string(i % 23), 10 + i, i % 3));
    ASSERT_TRUE(s->Ingest(evs).ok());
  }
  const std::string path = t.path() + "/summary.bin";
  const std::string good = testing::ReadWholeFile(path);
  ASSERT_GT(good.size(), 100u);
  testing::Damage damage(0x9E3779B97F4A7C15ULL);
  for (int round = 0; round < 200; ++round) {
    testing::ReplaceFile(path, damage.Apply(good, round));
    auto s = OpenRO(t.path());
    ASSERT_TRUE(s);
    StoreStats st;
    ASSERT_TRUE(s->Stats(&st).ok());
    EXPECT_GE(st.events, 0);
    EXPECT_GE(st.distinct_commands, 0);
    SearchQuery q;
    q.text = "git commit";
    std::vector<SearchHit> hits;
    EXPECT_TRUE(s->Search(q, &hits).ok());
    if (round % 3 == 2) {  // a cut file never decodes: the database answers
      EXPECT_EQ(st.events, 200) << round;
      EXPECT_EQ(st.distinct_commands, 23) << round;
    }
  }
}

// A write that only adds events updates the summary from the one before it (reading again only
// the commands it used); after every kind of write the file is byte for byte what a rebuild from
// all commands writes.
TEST(Store, TheSummaryUpdatedByAWriteEqualsOneRebuiltFromAllCommands) {
  TempDir t;
  auto read = [&] {
    std::ifstream in(t.path() + "/summary.bin", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  auto rebuilt = [&] {
    const std::string before = read();
    { std::ofstream f(t.path() + "/summary.dirty"); }
    { auto s = OpenRW(t.path()); }  // a writer that finds the marker rebuilds the summary
    std::string after = read();
    EXPECT_FALSE(fs::exists(t.path() + "/summary.dirty"));
    return after;
  };
  int64_t ts = 1000;
  auto events = [&](int n, int distinct, const std::string& prefix) {
    std::vector<Event> v;
    for (int i = 0; i < n; ++i, ++ts)
      v.push_back(MakeEvent(prefix + std::to_string(i % distinct), ts, i % 5 == 0 ? 1 : 0, "s" + std::to_string(i % 3)));
    return v;
  };
  {
    auto s = OpenRW(t.path());
    std::vector<Event> first = events(500, 200, "cmd");
    ASSERT_TRUE(s->Ingest(first).ok());
  }
  std::string after_ingest = read();
  EXPECT_EQ(after_ingest, rebuilt());
  // A bulk load of n events of `distinct` old commands and `fresh` new ones; the summary it leaves.
  auto load = [&](int n, int distinct, int fresh, const std::string& fresh_prefix) {
    {
      auto s = OpenRW(t.path());
      std::vector<Event> evs = events(n, distinct, "cmd");
      std::vector<Event> added = events(fresh, fresh, fresh_prefix);
      evs.insert(evs.end(), added.begin(), added.end());
      EXPECT_TRUE(s->Ingest(evs).ok());
    }
    return read();
  };
  // Touching most commands: the summary is built by a scan of all.
  std::string after_load = load(300, 150, 50, "new");
  EXPECT_NE(after_load, after_ingest);
  EXPECT_EQ(after_load, rebuilt());
  // Touching a few: they are read again one by one.
  std::string after_small_load = load(40, 20, 5, "few");
  EXPECT_NE(after_small_load, after_load);
  EXPECT_EQ(after_small_load, rebuilt());
  // A fold of spooled events (the WriteBatch path).
  std::vector<Event> spooled = events(20, 7, "cmd");
  ASSERT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, spooled).ok());
  { auto s = OpenRW(t.path()); }
  std::string after_fold = read();
  EXPECT_NE(after_fold, after_small_load);
  EXPECT_EQ(after_fold, rebuilt());
  // A deletion rebuilds; an add after it starts from that.
  {
    auto s = OpenRW(t.path());
    size_t removed = 0;
    ASSERT_TRUE(s->Forget("new*", ForgetScope::kCommand, &removed).ok());
    EXPECT_EQ(removed, 50u);
    std::vector<Event> again = events(30, 30, "again");
    ASSERT_TRUE(s->Ingest(again).ok());
  }
  std::string after_forget = read();
  EXPECT_EQ(after_forget, rebuilt());
  StoreStats st;
  ASSERT_TRUE(OpenRO(t.path())->Stats(&st).ok());
  EXPECT_EQ(st.distinct_commands, 200 + 5 + 30);
  EXPECT_EQ(st.events, 500 + 300 + 45 + 20 + 30);
}

TEST(Store, SummaryAnswersReadersAndAStaleOneIsNeverTrusted) {
  TempDir t;
  {
    auto s = OpenRW(t.path());
    std::vector<Event> evs = {MakeEvent("git push", 10, 1), MakeEvent("git push", 20, 0), MakeEvent("git pull", 30)};
    ASSERT_TRUE(s->Ingest(evs).ok());
  }
  ASSERT_TRUE(fs::exists(t.path() + "/summary.bin"));
  auto search = [&](const std::string& text) {
    auto s = OpenRO(t.path());
    SearchQuery q;
    q.text = text;
    std::vector<SearchHit> hits;
    EXPECT_TRUE(s->Search(q, &hits).ok());
    return hits;
  };
  auto hits = search("git push");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].count, 2);
  EXPECT_EQ(hits[0].last_exit, 0);
  // Spooled events count at once, before any fold.
  std::vector<Event> more = {MakeEvent("git push", 40, 128)};
  ASSERT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, more).ok());
  hits = search("git push");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].count, 3);
  EXPECT_EQ(hits[0].last_exit, 128);
  // A writer that died after committing leaves the marker: readers use the database instead,
  // and the next writer rebuilds the summary.
  fs::remove(t.path() + "/spool/current.log");
  {
    std::ofstream f(t.path() + "/summary.bin", std::ios::trunc);
    f << "MEMSUM01 stale";
  }
  { std::ofstream f(t.path() + "/summary.dirty"); }
  EXPECT_EQ(search("git push")[0].count, 2);
  { auto s = OpenRW(t.path()); }
  EXPECT_FALSE(fs::exists(t.path() + "/summary.dirty"));
  EXPECT_EQ(search("git pull").size(), 1u);
  // A damaged summary is not trusted either, also where status only counts its commands: the
  // header (magic, then events 3, sessions 1, users 1, first 10, last 30 and the number of
  // commands, one byte each here) claims 5 commands where 2 follow.
  std::string bytes;
  {
    std::ifstream in(t.path() + "/summary.bin", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(bytes.size(), 13u);
  ASSERT_EQ(bytes[13], 2);
  bytes[13] = 5;
  {
    std::ofstream out(t.path() + "/summary.bin", std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  StoreStats st;
  ASSERT_TRUE(OpenRO(t.path())->Stats(&st).ok());
  EXPECT_EQ(st.distinct_commands, 2);
  EXPECT_EQ(st.events, 3);
}

}  // namespace
}  // namespace memory

namespace memory {
namespace {

TEST(Store, OptimizeKeepsEveryEventAndFoldsTheSpool) {
  TempDir t;
  auto s = OpenRW(t.path());
  for (int batch = 0; batch < 5; ++batch) {
    std::vector<Event> evs;
    for (int i = 0; i < 100; ++i) evs.push_back(MakeEvent("cmd" + std::to_string(i % 7), batch * 1000 + i + 1));
    ASSERT_TRUE(s->Ingest(evs).ok());
  }
  std::vector<Event> late = {MakeEvent("spooled", 99999)};
  ASSERT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, late).ok());
  auto before = All(s.get());
  ASSERT_TRUE(s->Optimize().ok());
  auto after = All(s.get());
  EXPECT_EQ(after.size(), 501u);
  EXPECT_EQ(after.back().command, "spooled");
  std::vector<Event> pending;
  ASSERT_TRUE(ReadPending(t.path(), &pending).ok());
  EXPECT_TRUE(pending.empty());
  StoreStats st;
  ASSERT_TRUE(s->Stats(&st).ok());
  EXPECT_EQ(st.events, 501);
  EXPECT_EQ(st.distinct_commands, 8);
}

TEST(Store, ContentTokenChangesWithEveryChangeAndOnlyThen) {
  TempDir t;
  auto token = [&] {
    std::string tok;
    Status st = StoreContentToken(t.path(), &tok);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return tok;
  };
  std::string missing;
  ASSERT_TRUE(StoreContentToken(t.path() + "/absent", &missing).ok());
  EXPECT_EQ(missing, "empty");
  std::set<std::string> seen;
  {
    auto s = OpenRW(t.path());
    std::vector<Event> evs = {MakeEvent("git push", 10), MakeEvent("make", 20)};
    ASSERT_TRUE(s->Ingest(evs).ok());
  }
  std::string t1 = token();
  EXPECT_EQ(token(), t1);  // stable while nothing happens
  seen.insert(t1);
  std::vector<Event> more = {MakeEvent("ls", 30)};
  ASSERT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, more).ok());
  std::string t2 = token();
  EXPECT_TRUE(seen.insert(t2).second) << "spooling an event must change the token";
  {
    auto s = OpenRW(t.path());  // folds the spool
    EXPECT_TRUE(seen.insert(token()).second) << "a fold must change the token";
    size_t removed = 0;
    ASSERT_TRUE(s->Forget("make", ForgetScope::kCommand, &removed).ok());
    EXPECT_EQ(removed, 1u);
  }
  EXPECT_TRUE(seen.insert(token()).second) << "forget must change the token";
  // A writer between commit and summary: no token can be trusted.
  { std::ofstream f(t.path() + "/summary.dirty"); }
  std::string tok;
  EXPECT_TRUE(StoreContentToken(t.path(), &tok).IsBusy());
}

TEST(Store, RecentEventsOfASessionWithoutOpeningTheDatabase) {
  TempDir t;
  RecentEvents r;
  ASSERT_TRUE(ReadRecentEvents(t.path(), "s1", "/a", 8, &r).ok());  // no database: the spool alone
  EXPECT_TRUE(r.session.empty());
  std::vector<Event> first = {MakeEvent("top", 50, 0, "s0", "/z")};
  ASSERT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, first).ok());
  ASSERT_TRUE(ReadRecentEvents(t.path(), "s0", "/z", 8, &r).ok());
  ASSERT_EQ(r.session.size(), 1u);
  EXPECT_EQ(r.cwd.size(), 1u);
  EXPECT_EQ(r.events, 1);
  {
    auto s = OpenRW(t.path());
    std::vector<Event> evs;
    for (int i = 0; i < 20; ++i) evs.push_back(MakeEvent("make t" + std::to_string(i), 100 + i, i % 3, "s1", "/a"));
    for (int i = 0; i < 3000; ++i) evs.push_back(MakeEvent("ls " + std::to_string(i), 1000 + i, 0, "other", "/b"));
    evs.push_back(MakeEvent("vim x", 5000, 0, "s2", "/a"));
    ASSERT_TRUE(s->Ingest(evs).ok());
  }
  ASSERT_TRUE(ReadRecentEvents(t.path(), "s1", "/a", 8, &r).ok());
  ASSERT_EQ(r.session.size(), 8u);  // the newest 8 of s1, newest first, though 3000 newer events follow
  EXPECT_EQ(r.session[0].command, "make t19");
  EXPECT_EQ(r.session[0].exit_code, 19 % 3);
  EXPECT_EQ(r.session[7].command, "make t12");
  ASSERT_FALSE(r.cwd.empty());
  EXPECT_EQ(r.cwd[0].command, "vim x");
  EXPECT_EQ(r.events, 3022);
  // Spooled events are merged in, newest first.
  std::vector<Event> more = {MakeEvent("make install", 6000, 0, "s1", "/a")};
  ASSERT_TRUE(RecordEvents(RecorderOptions{t.path(), false}, more).ok());
  ASSERT_TRUE(ReadRecentEvents(t.path(), "s1", "", 3, &r).ok());
  ASSERT_EQ(r.session.size(), 3u);
  EXPECT_EQ(r.session[0].command, "make install");
  EXPECT_EQ(r.session[1].command, "make t19");
  EXPECT_TRUE(r.cwd.empty());
  EXPECT_EQ(r.events, 3023);
  // The same answer as a scan of the database.
  {
    auto s = OpenRO(t.path());
    ASSERT_TRUE(s);
    ScanOptions so;
    so.newest_first = true;
    so.include_pending = true;
    so.session = "s1";
    std::vector<std::string> scanned;
    ASSERT_TRUE(s->Scan(so, [&](const Event& e) { scanned.push_back(e.command); return scanned.size() < 3; }).ok());
    ASSERT_EQ(scanned.size(), 3u);
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(scanned[i], r.session[i].command);
  }
  // After a fold the file still answers (rewritten), and the folded event is not doubled.
  { auto s = OpenRW(t.path()); }
  ASSERT_TRUE(ReadRecentEvents(t.path(), "s1", "", 3, &r).ok());
  EXPECT_EQ(r.session[0].command, "make install");
  EXPECT_EQ(r.session[1].command, "make t19");
  EXPECT_EQ(r.events, 3023);
  // A writer between commit and summary: the file is not trusted.
  { std::ofstream f(t.path() + "/summary.dirty"); }
  EXPECT_TRUE(ReadRecentEvents(t.path(), "s1", "", 3, &r).IsNotFound());
  fs::remove(t.path() + "/summary.dirty");
  { std::ofstream f(t.path() + "/recent.bin", std::ios::trunc); f << "MEMREC01 garbage"; }
  EXPECT_TRUE(ReadRecentEvents(t.path(), "s1", "", 3, &r).IsNotFound());
}

}  // namespace
}  // namespace memory
