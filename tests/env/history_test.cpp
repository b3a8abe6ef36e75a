#include "env/history.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "env/compressed_file.h"

namespace memory::env {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kBase = 1'700'000'000'000'000;

HistoryReadOptions Opts(int64_t base = kBase) {
  HistoryReadOptions o;
  o.base_ts_us = base;
  return o;
}

std::vector<Event> ParseOk(std::string_view text, HistoryFormat f, std::string_view name = "h",
                           HistoryReadOptions o = Opts()) {
  std::vector<Event> ev;
  Status s = ParseHistory(text, name, f, o, &ev);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return ev;
}

// Parses `text` expecting InvalidArgument; checks the message starts with "name:line:" and that
// nothing was added to a vector that already held one event.
std::string ParseBad(std::string_view text, HistoryFormat f, size_t line,
                     HistoryReadOptions o = Opts()) {
  std::vector<Event> ev(1);
  ev[0].command = "keep";
  Status s = ParseHistory(text, "bad.hist", f, o, &ev);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(s.message().rfind("bad.hist:" + std::to_string(line) + ": ", 0), 0u) << s.message();
  EXPECT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].command, "keep");
  return s.message();
}

std::vector<std::string> Commands(const std::vector<Event>& ev) {
  std::vector<std::string> out;
  for (const auto& e : ev) out.push_back(e.command);
  return out;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::path(::testing::TempDir()) /
            ("history_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, std::string_view content) const {
    std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

TEST(HistoryFormat, NamesRoundTrip) {
  for (HistoryFormat f : {HistoryFormat::kJsonl, HistoryFormat::kBash, HistoryFormat::kZsh,
                          HistoryFormat::kFish, HistoryFormat::kSchonlau, HistoryFormat::kPurdue}) {
    HistoryFormat back;
    ASSERT_TRUE(ParseHistoryFormat(HistoryFormatName(f), &back).ok());
    EXPECT_EQ(back, f);
  }
  HistoryFormat f;
  Status s = ParseHistoryFormat("tcsh", &f);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("tcsh"), std::string::npos);
  EXPECT_NE(s.message().find("fish"), std::string::npos);
  EXPECT_NE(s.message().find("schonlau"), std::string::npos);
}

TEST(Utf8, ValidAndInvalid) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii text, long enough for the fast path"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("abc\xC3"));                 // truncated sequence
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));                // overlong NUL
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));            // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));        // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("0123456789abcdef\x80xyz"));  // stray continuation after fast path
}

TEST(OnePerLine, SchonlauSkipsEmptyLinesAndNamesUserFromFile) {
  auto ev = ParseOk("cpp\nsh\n\n  \nxrdb\r\n ls \n", HistoryFormat::kSchonlau, "data/User7");
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(Commands(ev), (std::vector<std::string>{"cpp", "sh", "xrdb", "ls"}));
  for (size_t i = 0; i < ev.size(); ++i) {
    EXPECT_EQ(ev[i].user, "User7");
    EXPECT_EQ(ev[i].session, "schonlau:User7");
    EXPECT_EQ(ev[i].actor, "human");
    EXPECT_EQ(ev[i].kind, EventKind::kShell);
    EXPECT_EQ(ev[i].ts_us, kBase + static_cast<int64_t>(i));
    EXPECT_FALSE(ev[i].exit_code.has_value());
  }
}

TEST(OnePerLine, PurdueWithExplicitUserAndSession) {
  HistoryReadOptions o = Opts();
  o.user = "alice";
  o.session = "s1";
  auto ev = ParseOk("\ndate\ncd\nls\n", HistoryFormat::kPurdue, "USER3", o);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].user, "alice");
  EXPECT_EQ(ev[2].session, "s1");
}

TEST(OnePerLine, DefaultBaseTimeIsJustBeforeNowAndIncreasing) {
  auto before = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto ev = ParseOk("a\nb\nc\n", HistoryFormat::kPurdue, "u", Opts(0));
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_LT(ev[0].ts_us, ev[1].ts_us);
  EXPECT_LT(ev[1].ts_us, ev[2].ts_us);
  EXPECT_GT(ev[0].ts_us, before - 60'000'000);
  EXPECT_LT(ev[2].ts_us, before + 60'000'000);
}

TEST(OnePerLine, AppendsToExistingEvents) {
  std::vector<Event> ev(2);
  ASSERT_TRUE(ParseHistory("a\nb\n", "u", HistoryFormat::kPurdue, Opts(), &ev).ok());
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[2].command, "a");
  EXPECT_EQ(ev[3].command, "b");
}

TEST(Bash, PlainLinesGetSynthesizedTimes) {
  auto ev = ParseOk("ls -la\ngit status\n\nmake -j4\n", HistoryFormat::kBash, "/home/bob/.bash_history");
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(Commands(ev), (std::vector<std::string>{"ls -la", "git status", "make -j4"}));
  EXPECT_EQ(ev[0].user, ".bash_history");
  EXPECT_EQ(ev[0].session, "bash:.bash_history");
  EXPECT_EQ(ev[2].ts_us, kBase + 2);
}

TEST(Bash, TimestampLinesAndMultiLineCommands) {
  auto ev = ParseOk(
      "#1700000000\nls\n#1700000005\nfor f in *; do\n  echo $f\ndone\n#1700000010\n# just a comment\n",
      HistoryFormat::kBash);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].command, "ls");
  EXPECT_EQ(ev[0].ts_us, 1'700'000'000'000'000);
  EXPECT_EQ(ev[1].command, "for f in *; do\n  echo $f\ndone");
  EXPECT_EQ(ev[1].ts_us, 1'700'000'005'000'000);
  EXPECT_EQ(ev[2].command, "# just a comment");
  EXPECT_EQ(ev[2].ts_us, 1'700'000'010'000'000);
}

TEST(Bash, LinesBeforeFirstTimestampAreSeparateCommands) {
  auto ev = ParseOk("pwd\ncd /tmp\n#1700000000\nls\n", HistoryFormat::kBash);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].ts_us, kBase);
  EXPECT_EQ(ev[1].ts_us, kBase + 1);
  EXPECT_EQ(ev[2].ts_us, 1'700'000'000'000'000);
}

// A history whose first lines have no timestamp (HISTTIMEFORMAT set one day): with the default
// base they are placed just before the first timestamp, not at the import time, so the oldest
// commands do not become the newest.
TEST(Bash, LinesWithoutTimeKeepTheirPlaceAmongTimedOnes) {
  std::vector<Event> ev;
  HistoryReadOptions o;  // base_ts_us = 0: what `memory import` uses
  ASSERT_TRUE(ParseHistory("pwd\ncd /tmp\n#1700000000\nls\n#1700000009\nmake\n", "h", HistoryFormat::kBash, o, &ev).ok());
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].ts_us, 1'700'000'000'000'000 - 2);
  EXPECT_EQ(ev[1].ts_us, 1'700'000'000'000'000 - 1);
  EXPECT_EQ(ev[2].ts_us, 1'700'000'000'000'000);
  EXPECT_EQ(ev[3].ts_us, 1'700'000'009'000'000);
  // jsonl: an event without a time follows the previous one.
  ev.clear();
  ASSERT_TRUE(ParseHistory("{\"command\":\"a\",\"ts\":1700000000000000}\n{\"command\":\"b\"}\n", "j", HistoryFormat::kJsonl, o, &ev).ok());
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].ts_us, 1'700'000'000'000'001);
}

// Commands of one second share its timestamp; the store orders events by time, then by an id
// whose second half is a hash, so equal times would come back in any order. They are spread
// 1 µs apart in the file's order; a time that goes back is kept as it is.
TEST(Bash, CommandsOfOneSecondKeepTheirOrder) {
  auto ev = ParseOk("#1700000000\na\n#1700000000\nb\n#1700000000\nc\n#1700000001\nd\n#1699999999\ne\n",
                    HistoryFormat::kBash);
  ASSERT_EQ(ev.size(), 5u);
  constexpr int64_t t = 1'700'000'000'000'000;
  EXPECT_EQ(ev[0].ts_us, t);
  EXPECT_EQ(ev[1].ts_us, t + 1);
  EXPECT_EQ(ev[2].ts_us, t + 2);
  EXPECT_EQ(ev[3].ts_us, t + 1'000'000);
  EXPECT_EQ(ev[4].ts_us, t - 1'000'000);
  ev = ParseOk(": 1700000000:0;x\n: 1700000000:0;y\n: 1700000000:0;x\n", HistoryFormat::kZsh);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[1].ts_us, t + 1);
  EXPECT_EQ(ev[2].ts_us, t + 2);
  // jsonl: the same time given twice, and an event without a time after them.
  ev = ParseOk("{\"command\":\"a\",\"ts\":1700000000000000}\n{\"command\":\"b\",\"ts\":1700000000000000}\n"
               "{\"command\":\"c\"}\n{\"command\":\"d\",\"ts\":1700000000000001}\n",
               HistoryFormat::kJsonl, "j", HistoryReadOptions());  // times as `memory import` gives them
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[1].ts_us, t + 1);
  EXPECT_EQ(ev[2].ts_us, t + 2);
  EXPECT_EQ(ev[3].ts_us, t + 3);  // its own time is inside the run: after it
  // Exported events (with ids) keep their times.
  ev = ParseOk("{\"id\":\"00060a24182022407a5283f4886352bd\",\"command\":\"a\",\"ts\":1700000000000000}\n"
               "{\"id\":\"00060a24182022406c3175c7f0a37dd0\",\"command\":\"b\",\"ts\":1700000000000000}\n",
               HistoryFormat::kJsonl, "j", HistoryReadOptions());
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].ts_us, t);
  EXPECT_EQ(ev[1].id, "00060a24182022406c3175c7f0a37dd0");
  // An event without a time after one with an id follows it.
  ev = ParseOk("{\"id\":\"00060a24182022407a5283f4886352bd\",\"command\":\"a\",\"ts\":1700000000000000}\n"
               "{\"command\":\"b\"}\n",
               HistoryFormat::kJsonl, "j", HistoryReadOptions());
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].ts_us, t + 1);
}

TEST(Bash, TimestampWithoutCommandIsTruncated) {
  auto m = ParseBad("#1700000000\nls\n#1700000001\n", HistoryFormat::kBash, 3);
  EXPECT_NE(m.find("timestamp"), std::string::npos);
  ParseBad("#1700000000\n#1700000001\nls\n", HistoryFormat::kBash, 1);
}

// Bash reads any "#<digit>..." line as a timestamp: one too large for a date is an error at its
// line (it used to be imported as the command "#9999..."); "#-5" or "#1a" are ordinary lines.
TEST(Bash, TimestampsOutOfRangeAreErrorsAtTheirLine) {
  auto m = ParseBad("#1700000000\nls\n#99999999999999999999999\nmake\n", HistoryFormat::kBash, 3);
  EXPECT_NE(m.find("out of range"), std::string::npos) << m;
  ParseBad("#253402300800\nls\n", HistoryFormat::kBash, 1);  // 10000-01-01
  auto ev = ParseOk("#253402300799\nls\n#-5\n", HistoryFormat::kBash);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].ts_us, 253'402'300'799'000'000);
  EXPECT_EQ(ev[0].command, "ls\n#-5");
  ev = ParseOk("#1a\npwd\n", HistoryFormat::kBash);
  EXPECT_EQ(Commands(ev), (std::vector<std::string>{"#1a", "pwd"}));
}

TEST(Zsh, ExtendedHistoryWithDurations) {
  auto ev = ParseOk(": 1700000000:0;cd src\n: 1700000003:12;make -j2\n", HistoryFormat::kZsh,
                    "/home/carol/.zsh_history");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].command, "cd src");
  EXPECT_EQ(ev[0].ts_us, 1'700'000'000'000'000);
  EXPECT_EQ(ev[0].duration_us, 0);
  EXPECT_EQ(ev[1].command, "make -j2");
  EXPECT_EQ(ev[1].ts_us, 1'700'000'003'000'000);
  EXPECT_EQ(ev[1].duration_us, 12'000'000);
  EXPECT_EQ(ev[1].user, ".zsh_history");
}

TEST(Zsh, MultiLineCommandsContinueAfterBackslash) {
  auto ev = ParseOk(": 1700000000:1;for x in a b\\\ndo echo $x\\\ndone\n: 1700000009:0;ls\n",
                    HistoryFormat::kZsh);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].command, "for x in a b\ndo echo $x\ndone");
  EXPECT_EQ(ev[1].command, "ls");
  EXPECT_EQ(ev[1].ts_us, 1'700'000'009'000'000);
}

TEST(Zsh, PlainHistoryAndColonCommand) {
  auto ev = ParseOk("ls\n: > out.log\ngit log\n", HistoryFormat::kZsh);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[1].command, ": > out.log");
  EXPECT_EQ(ev[1].ts_us, kBase + 1);
  EXPECT_FALSE(ev[1].duration_us.has_value());
}

TEST(Zsh, MetafiedBytesAreDecoded) {
  // zsh writes byte 0xA9 of "é" (C3 A9) as 0x83 0x89.
  auto ev = ParseOk(": 1700000000:0;echo caf\xC3\x83\x89\n", HistoryFormat::kZsh);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].command, "echo caf\xC3\xA9");
}

TEST(Zsh, TruncatedRecords) {
  auto m = ParseBad(": 1700000000:0;ls\n: 1700000001", HistoryFormat::kZsh, 2);
  EXPECT_NE(m.find("truncated"), std::string::npos);
  m = ParseBad(": 1700000000:0;ls\n: 1700000001:0;for x in a\\\ndo\\\n", HistoryFormat::kZsh, 2);
  EXPECT_NE(m.find("multi-line"), std::string::npos);
  m = ParseBad(": 17x0000000:0;ls\n", HistoryFormat::kZsh, 1);
  EXPECT_NE(m.find("malformed"), std::string::npos);
  ParseBad("ls\n: 1700000000:0;echo \xFF\n", HistoryFormat::kZsh, 2);
  // Times a date cannot hold: an error at the record's line (was "malformed" or no line at all).
  m = ParseBad(": 1700000000:0;ls\n: 253402300800:0;pwd\n", HistoryFormat::kZsh, 2);
  EXPECT_NE(m.find("after year 9999"), std::string::npos) << m;
  m = ParseBad(": 1700000000:9999999999999;make\n", HistoryFormat::kZsh, 1);
  EXPECT_NE(m.find("elapsed time out of range"), std::string::npos) << m;
}

// fish_history as fish 3 writes it: '\\' and '\n' escapes in cmd, when after cmd, paths lists.
TEST(Fish, EntriesWithEscapesTimesAndPaths) {
  auto ev = ParseOk("- cmd: cd src\n  when: 1700000000\n  paths:\n    - src\n"
                    "- cmd: echo \"multi\\nline\" C:\\\\dir \\\\n \\t\n  when: 1700000003\n"
                    "- cmd: ls\n",  // no when: (the explicit base time of Opts() gives it one)
                    HistoryFormat::kFish, "/home/dan/.local/share/fish/fish_history");
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].command, "cd src");
  EXPECT_EQ(ev[0].ts_us, 1'700'000'000'000'000);
  EXPECT_EQ(ev[1].command, "echo \"multi\nline\" C:\\dir \\n \\t");
  EXPECT_EQ(ev[1].ts_us, 1'700'000'003'000'000);
  EXPECT_EQ(ev[2].command, "ls");
  EXPECT_EQ(ev[2].ts_us, kBase + 2);
  EXPECT_EQ(ev[0].user, "fish_history");
  EXPECT_EQ(ev[0].session, "fish:fish_history");
  EXPECT_EQ(ev[0].actor, "human");
  EXPECT_FALSE(ev[0].duration_us.has_value());
}

TEST(Fish, CommandsOfOneSecondKeepTheirOrderAndUnknownKeysAreSkipped) {
  auto ev = ParseOk("- cmd: a1\n  when: 1700000000\n  future_key: x\n- cmd: a2\n  when: 1700000000\n"
                    "- cmd:\n  when: 1700000000\n- cmd: a3\n\twhen: 1700000000\n",
                    HistoryFormat::kFish);
  EXPECT_EQ(Commands(ev), (std::vector<std::string>{"a1", "a2", "a3"}));  // the empty cmd is skipped
  for (size_t i = 1; i < ev.size(); ++i) EXPECT_GT(ev[i].ts_us, ev[i - 1].ts_us);
}

TEST(Fish, BadInputNamesItsLine) {
  auto m = ParseBad("- cmd: ls\n  when: 1700000000\nls -la\n", HistoryFormat::kFish, 3);
  EXPECT_NE(m.find("not fish history"), std::string::npos) << m;
  m = ParseBad("- cmd: ls\n  when: yesterday\n", HistoryFormat::kFish, 2);
  EXPECT_NE(m.find("when"), std::string::npos) << m;
  m = ParseBad("- cmd: ls\n  when: 99999999999999\n", HistoryFormat::kFish, 2);
  EXPECT_NE(m.find("out of range"), std::string::npos) << m;
  m = ParseBad(std::string("- cmd: ls\n- cmd: a\0b\n", 20), HistoryFormat::kFish, 2);
  EXPECT_NE(m.find("binary"), std::string::npos) << m;
  m = ParseBad("- cmd: ls\n- cmd: c\xFF\n", HistoryFormat::kFish, 2);
  EXPECT_NE(m.find("UTF-8"), std::string::npos) << m;
  std::vector<Event> ev;
  EXPECT_TRUE(ParseHistory("  paths:\n    - x\n", "nocmd", HistoryFormat::kFish, Opts(), &ev).IsInvalidArgument());
  EXPECT_TRUE(ev.empty());
}

TEST(Jsonl, RoundTripThroughEventToJson) {
  Event a;
  a.ts_us = 1'700'000'000'123'456;
  a.command = "cargo build --release";
  a.cwd = "/home/dan/src/tool";
  a.user = "dan";
  a.session = "sh-1";
  a.actor = "human";
  a.exit_code = 101;
  a.duration_us = 2'500'000;
  Event b;
  b.ts_us = 1'700'000'001'000'000;
  b.kind = EventKind::kToolCall;
  b.command = "read_file";
  b.params_json = R"({"path":"src/main.rs"})";
  b.actor = "agent:coder";
  b.session = "run-7";
  b.user = "dan";
  std::string text = EventToJson(a) + "\n\n" + EventToJson(b) + "\n";
  auto ev = ParseOk(text, HistoryFormat::kJsonl, "x.jsonl");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].command, a.command);
  EXPECT_EQ(ev[0].ts_us, a.ts_us);
  EXPECT_EQ(ev[0].exit_code, 101);
  EXPECT_EQ(ev[0].cwd, a.cwd);
  EXPECT_EQ(ev[0].session, "sh-1");
  EXPECT_EQ(ev[1].kind, EventKind::kToolCall);
  EXPECT_EQ(ev[1].command, "read_file");
  EXPECT_EQ(ev[1].actor, "agent:coder");

  // The events' own user and session win over the defaults; missing ones are filled in.
  HistoryReadOptions o = Opts();
  o.user = "eve";
  Event bare;
  bare.command = "make";
  auto mixed = ParseOk(text + EventToJson(bare) + "\n", HistoryFormat::kJsonl, "x.jsonl", o);
  ASSERT_EQ(mixed.size(), 3u);
  EXPECT_EQ(mixed[0].user, "dan");
  EXPECT_EQ(mixed[0].session, "sh-1");
  EXPECT_EQ(mixed[2].user, "eve");
  EXPECT_EQ(mixed[2].session, "jsonl:eve");
  EXPECT_EQ(mixed[2].actor, "human");
  EXPECT_EQ(mixed[2].ts_us, kBase + 2);
}

TEST(Jsonl, MalformedLineNamesFileAndLine) {
  Event a;
  a.ts_us = 1'700'000'000'000'000;
  a.command = "ls";
  std::string good = EventToJson(a);
  ParseBad(good + "\n{\"command\": \"ls\", \n", HistoryFormat::kJsonl, 2);
  ParseBad(good + "\n" + good + "\nnot json at all\n", HistoryFormat::kJsonl, 3);
}

TEST(BadInput, BinaryDataInEveryFormat) {
  for (HistoryFormat f : {HistoryFormat::kJsonl, HistoryFormat::kBash, HistoryFormat::kZsh,
                          HistoryFormat::kSchonlau, HistoryFormat::kPurdue}) {
    auto m = ParseBad(std::string("ls\ncd\nab\0cd\n", 12), f, 3);
    EXPECT_NE(m.find("binary"), std::string::npos) << m;
  }
}

TEST(BadInput, InvalidUtf8InEveryFormat) {
  for (HistoryFormat f : {HistoryFormat::kJsonl, HistoryFormat::kBash, HistoryFormat::kZsh,
                          HistoryFormat::kSchonlau, HistoryFormat::kPurdue}) {
    auto m = ParseBad("ls\nc\xFF\n", f, 2);
    EXPECT_NE(m.find("UTF-8"), std::string::npos) << m;
  }
}

TEST(BadInput, OverlongLineInEveryFormat) {
  HistoryReadOptions o = Opts();
  o.max_line_bytes = 16;
  for (HistoryFormat f : {HistoryFormat::kJsonl, HistoryFormat::kBash, HistoryFormat::kZsh,
                          HistoryFormat::kSchonlau, HistoryFormat::kPurdue}) {
    // Two good lines (short enough for the limit) before the long one.
    std::string good = f == HistoryFormat::kJsonl ? "{\"command\":\"ls\"}\n{\"tool\":\"x\"}\n" : "ls\ncd\n";
    auto m = ParseBad(good + std::string(17, 'x') + "\n", f, 3, o);
    EXPECT_NE(m.find("limit"), std::string::npos) << m;
  }
}

// A UTF-8 byte-order mark (Windows editors write one) is not part of the first command: it
// made "ls -la" a command of its own, "\ufeffls -la".
TEST(BadInput, AByteOrderMarkIsNotPartOfTheFirstCommand) {
  const std::string bom = "\xEF\xBB\xBF";
  EXPECT_EQ(Commands(ParseOk(bom + "ls -la\r\ngit status\r\n", HistoryFormat::kBash)),
            (std::vector<std::string>{"ls -la", "git status"}));
  EXPECT_EQ(Commands(ParseOk(bom + "#1700000000\nls -la\n", HistoryFormat::kBash)), (std::vector<std::string>{"ls -la"}));
  EXPECT_EQ(Commands(ParseOk(bom + ": 1700000000:0;ls -la\n", HistoryFormat::kZsh)), (std::vector<std::string>{"ls -la"}));
  EXPECT_EQ(Commands(ParseOk(bom + "- cmd: ls -la\n", HistoryFormat::kFish)), (std::vector<std::string>{"ls -la"}));
  EXPECT_EQ(Commands(ParseOk(bom + "{\"command\":\"ls -la\"}\n", HistoryFormat::kJsonl)), (std::vector<std::string>{"ls -la"}));
  EXPECT_EQ(Commands(ParseOk(bom + "ls\n", HistoryFormat::kSchonlau)), (std::vector<std::string>{"ls"}));
  EXPECT_EQ(Commands(ParseOk("ls\n" + bom + "ls\n", HistoryFormat::kSchonlau))[1], bom + "ls");  // only at the start
  std::vector<Event> ev;
  EXPECT_TRUE(ParseHistory(bom + "\n", "bom-only", HistoryFormat::kBash, Opts(), &ev).IsInvalidArgument());
}

TEST(BadInput, EmptyOrBlankHistory) {
  for (HistoryFormat f : {HistoryFormat::kJsonl, HistoryFormat::kBash, HistoryFormat::kZsh,
                          HistoryFormat::kSchonlau, HistoryFormat::kPurdue}) {
    std::vector<Event> ev;
    Status s = ParseHistory("", "empty.txt", f, Opts(), &ev);
    EXPECT_TRUE(s.IsInvalidArgument());
    EXPECT_NE(s.message().find("empty.txt"), std::string::npos);
    s = ParseHistory("\n  \n\n", "blank.txt", f, Opts(), &ev);
    EXPECT_TRUE(s.IsInvalidArgument());
    EXPECT_TRUE(ev.empty());
  }
}

TEST(ReadFile, ReadsFilesAndReportsMissingOnes) {
  TempDir dir;
  std::string p = dir.Write("User3", "vi\nmake\n");
  std::vector<Event> ev;
  ASSERT_TRUE(ReadHistoryFile(p, HistoryFormat::kSchonlau, Opts(), &ev).ok());
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].user, "User3");

  Status s = ReadHistoryFile(dir.path() + "/nope", HistoryFormat::kBash, Opts(), &ev);
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_NE(s.message().find("nope"), std::string::npos);
  s = ReadHistoryFile(dir.path(), HistoryFormat::kBash, Opts(), &ev);
  EXPECT_FALSE(s.ok());
  s = ReadHistoryFile(dir.Write("bin", std::string("\x7f" "ELF\0\0", 6)), HistoryFormat::kBash,
                      Opts(), &ev);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("bin:1:"), std::string::npos) << s.message();
  EXPECT_EQ(ev.size(), 2u);
}

TEST(ExpandPaths, DirectoriesExpandSortedWithoutDocs) {
  TempDir dir;
  dir.Write("User10", "a\n");
  dir.Write("User9", "a\n");
  dir.Write("README.md", "docs\n");
  dir.Write(".hidden", "a\n");
  dir.Write("labels.txt", "0 1\n");
  fs::create_directories(dir.path() + "/sub");
  std::vector<std::string> files;
  ASSERT_TRUE(ExpandHistoryPaths({dir.path(), "-", "/nonexistent/history/path"}, &files)
                  .IsNotFound());
  ASSERT_TRUE(ExpandHistoryPaths({dir.path(), "-"}, &files).ok());
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(fs::path(files[0]).filename(), "User9");
  EXPECT_EQ(fs::path(files[1]).filename(), "User10");
  EXPECT_EQ(fs::path(files[2]).filename(), "labels.txt");
  EXPECT_EQ(files[3], "-");

  ASSERT_TRUE(ExpandHistoryPaths({dir.path()}, HistoryFormat::kSchonlau, &files).ok());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(fs::path(files[1]).filename(), "User10");

  TempDir empty;
  Status s = ExpandHistoryPaths({empty.path()}, &files);
  EXPECT_TRUE(s.IsInvalidArgument());
}

TEST(Scale, ManyLinesParseCompletely) {
  // Correctness at scale (speed is measured by bench, not here).
  std::string text;
  text.reserve(4'000'000);
  for (int i = 0; i < 300'000; ++i) {
    text += ": ";
    text += std::to_string(1'700'000'000 + i);
    text += ":0;git status\n";
  }
  std::vector<Event> ev;
  ASSERT_TRUE(ParseHistory(text, "big", HistoryFormat::kZsh, Opts(), &ev).ok());
  ASSERT_EQ(ev.size(), 300'000u);
  EXPECT_EQ(ev.back().ts_us, int64_t{1'700'299'999} * 1'000'000);
}

// Reads `path` with StreamHistoryFile in batches of `batch`, checking that `counted` comes first
// with the total and that no batch is larger than asked.
Status StreamAll(const std::string& path, HistoryFormat f, const HistoryReadOptions& o, size_t batch,
                 std::vector<Event>* out, size_t* batches = nullptr) {
  size_t total = SIZE_MAX, calls = 0;
  Status s = StreamHistoryFile(path, "", f, o, batch, nullptr, [&](size_t n) { total = n; },
                               [&](std::vector<Event>* b) {
                                 EXPECT_NE(total, SIZE_MAX) << "a batch came before the count";
                                 EXPECT_GE(b->size(), 1u);
                                 EXPECT_LE(b->size(), batch);
                                 ++calls;
                                 for (Event& e : *b) out->push_back(std::move(e));
                                 return Status::OK();
                               });
  if (s.ok()) EXPECT_EQ(total, out->size());
  if (batches) *batches = calls;
  return s;
}

// Every format, over several read blocks (1 MiB): lines and multi-line records that straddle
// blocks, CRLF line ends, untimed bash lines before the first timed one.
TEST(Stream, AFileInBatchesGivesWhatParsingItWholeGives) {
  TempDir dir;
  std::string bash = "early one\r\nearly two\n", zsh, plain, jsonl;
  for (int i = 0; i < 60'000; ++i) {
    const std::string n = std::to_string(i);
    bash += "#" + std::to_string(1'600'000'000 + i) + "\n";
    bash += i % 7 == 0 ? "for f in *; do\n  echo " + n + "\ndone\n" : "git commit -m 'change " + n + "'\r\n";
    if (i % 1000 == 0) bash += "untimed after a timed one " + n + "\n";
    zsh += i % 5 == 0 ? ": " + std::to_string(1'700'000'000 + i) + ":3;echo a\\\nb " + n + "\n"
                      : ": " + std::to_string(1'700'000'000 + i) + ":0;ls \xC4\x83\xA3" + n + "\n";
    plain += (i % 9 == 0 ? "\n" : "") + std::string("cmd") + std::to_string(i % 300) + "\n";
    Event e;
    e.command = "tool" + std::to_string(i % 40);
    e.ts_us = i % 3 == 0 ? 0 : 1'000'000 + i;
    e.params_json = "{\"path\":\"/src/" + n + "\"}";
    jsonl += EventToJson(e) + "\n";
  }
  ASSERT_GT(bash.size(), 2u << 20);
  struct Case {
    HistoryFormat format;
    std::string text;
    int64_t base;  // 0: times from the file (or just before now)
  };
  for (const Case& c : {Case{HistoryFormat::kBash, bash, 0}, Case{HistoryFormat::kZsh, zsh, 0},
                        Case{HistoryFormat::kSchonlau, plain, kBase}, Case{HistoryFormat::kJsonl, jsonl, kBase}}) {
    SCOPED_TRACE(std::string(HistoryFormatName(c.format)));
    std::string path = dir.Write("h-" + std::string(HistoryFormatName(c.format)), c.text);
    std::vector<Event> whole, streamed;
    Status parsed = ParseHistory(c.text, path, c.format, Opts(c.base), &whole);
    ASSERT_TRUE(parsed.ok()) << parsed.ToString();
    size_t batches = 0;
    ASSERT_TRUE(StreamAll(path, c.format, Opts(c.base), 7'777, &streamed, &batches).ok());
    ASSERT_EQ(streamed.size(), whole.size());
    EXPECT_EQ(batches, (whole.size() + 7'776) / 7'777);
    for (size_t i = 0; i < whole.size(); ++i) ASSERT_EQ(streamed[i], whole[i]) << "event " << i;
  }
}

TEST(Stream, ALineOverTheLimitIsNamedWithItsSizeAcrossBlocks) {
  TempDir dir;
  std::string path = dir.Write("long.hist", "ls\n" + std::string(3'000'000, 'x') + "\r\npwd\n");
  HistoryReadOptions o = Opts();
  o.max_line_bytes = 1 << 20;
  std::vector<Event> out;
  Status s = StreamAll(path, HistoryFormat::kBash, o, 10, &out);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), path + ":2: line is 3000000 bytes, over the limit of 1048576");
  EXPECT_TRUE(out.empty());
}

TEST(Stream, AnErrorAnywhereComesBeforeTheFirstBatch) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 50'000; ++i) text += "make target" + std::to_string(i) + "\n";
  for (const std::string& bad : {std::string("ab\0c\n", 5), std::string("caf\xC3\n")}) {
    std::string path = dir.Write("late-error.hist", text + bad);
    std::vector<Event> out;
    Status s = StreamAll(path, HistoryFormat::kBash, Opts(), 1'000, &out);
    EXPECT_TRUE(s.IsInvalidArgument());
    EXPECT_EQ(s.message().rfind(path + ":50001: ", 0), 0u) << s.message();
    EXPECT_TRUE(out.empty());
  }
}

// Without a sink only the check pass runs: its errors, events and count.
TEST(Stream, WithoutASinkOnlyTheFileIsChecked) {
  TempDir dir;
  std::string good = dir.Write("good.hist", "#1600000000\nls\n#1600000001\nmake\n#1600000002\ncd ..\n");
  std::string bad = dir.Write("bad.hist", "#1600000000\nls\n#1600000001\n");
  size_t seen = 0, count = 0;
  ASSERT_TRUE(StreamHistoryFile(good, "", HistoryFormat::kBash, Opts(), 1'000,
                                [&](const Event&) { ++seen; }, [&](size_t n) { count = n; }, nullptr).ok());
  EXPECT_EQ(seen, 3u);
  EXPECT_EQ(count, 3u);
  Status s = StreamHistoryFile(bad, "", HistoryFormat::kBash, Opts(), 1'000, nullptr, nullptr, nullptr);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(s.message().rfind(bad + ":3: ", 0), 0u) << s.message();
}

// A check pass's layout lets a later read of the same file skip its own check (a multi-file
// import reads each file twice, not three times): the same events and count, no `checked` call,
// lines appended since left out; a file that shrank is Aborted.
TEST(Stream, AReadWithTheCheckPassesLayoutSkipsItsOwnCheck) {
  TempDir dir;
  std::string path = dir.Write("h", "ls\n#1600000000\nmake\n#1600000005\npwd\n");
  HistoryLayout layout;
  size_t seen = 0;
  ASSERT_TRUE(StreamHistoryFile(path, "", HistoryFormat::kBash, Opts(), 10, [&](const Event&) { ++seen; },
                                nullptr, nullptr, &layout).ok());
  EXPECT_EQ(seen, 3u);
  ASSERT_TRUE(layout.valid);
  EXPECT_EQ(layout.events, 3u);
  EXPECT_EQ(layout.first_timed, 1u);
  EXPECT_EQ(layout.first_ts, int64_t{1'600'000'000} * 1'000'000);
  std::vector<Event> whole;
  ASSERT_TRUE(ReadHistoryFile(path, HistoryFormat::kBash, Opts(), &whole).ok());
  { std::ofstream(path, std::ios::binary | std::ios::app) << "later\n"; }
  std::vector<Event> out;
  size_t count = 0;
  seen = 0;
  Status s = StreamHistoryFile(path, "", HistoryFormat::kBash, Opts(), 10, [&](const Event&) { ++seen; },
                               [&](size_t n) { count = n; },
                               [&](std::vector<Event>* b) { return out.insert(out.end(), b->begin(), b->end()), Status::OK(); },
                               nullptr, &layout);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen, 0u);
  EXPECT_EQ(count, 3u);
  ASSERT_EQ(out.size(), 3u);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].command, whole[i].command);
    EXPECT_EQ(out[i].ts_us, whole[i].ts_us);
  }
  // Replaced by another file (a new inode) of the same text and more: Aborted.
  const std::string other = dir.Write("other", "ls\n#1600000000\nmake\n#1600000005\npwd\nmore\n");
  std::filesystem::rename(other, path);
  s = StreamHistoryFile(path, "", HistoryFormat::kBash, Opts(), 10, nullptr, nullptr,
                        [&](std::vector<Event>*) { return Status::OK(); }, nullptr, &layout);
  EXPECT_EQ(s.code(), Status::Code::kAborted) << s.ToString();
  // Shorter than what was checked: Aborted.
  ASSERT_TRUE(StreamHistoryFile(path, "", HistoryFormat::kBash, Opts(), 10, nullptr, nullptr, nullptr, &layout).ok());
  std::filesystem::resize_file(path, 3);
  s = StreamHistoryFile(path, "", HistoryFormat::kBash, Opts(), 10, nullptr, nullptr,
                        [&](std::vector<Event>*) { return Status::OK(); }, nullptr, &layout);
  EXPECT_EQ(s.code(), Status::Code::kAborted) << s.ToString();
}

TEST(Stream, ASinkErrorStopsTheRead) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 10'000; ++i) text += "ls " + std::to_string(i) + "\n";
  std::string path = dir.Write("h", text);
  int calls = 0;
  Status s = StreamHistoryFile(path, "", HistoryFormat::kBash, Opts(), 1'000, nullptr, nullptr,
                               [&](std::vector<Event>*) {
                                 return ++calls == 3 ? Status::IOError("disk full") : Status::OK();
                               });
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_EQ(s.message(), "disk full");
  EXPECT_EQ(calls, 3);
}

TEST(Stream, AFileRewrittenBetweenThePassesIsAborted) {
  TempDir dir;
  std::string path = dir.Write("h", "ls\npwd\nmake\n");
  std::vector<Event> out;
  Status s = StreamHistoryFile(path, "", HistoryFormat::kBash, Opts(), 10, nullptr,
                               [&](size_t n) {
                                 EXPECT_EQ(n, 3u);
                                 std::ofstream(path, std::ios::binary | std::ios::trunc) << "ls\n";
                               },
                               [&](std::vector<Event>* b) { return out.insert(out.end(), b->begin(), b->end()), Status::OK(); });
  EXPECT_EQ(s.code(), Status::Code::kAborted) << s.ToString();
  // Lines appended after the open are left for the next read; the rest is read as it was.
  std::string grown = dir.Write("g", "ls\npwd\n");
  out.clear();
  s = StreamHistoryFile(grown, "", HistoryFormat::kBash, Opts(), 10, nullptr,
                        [&](size_t) { std::ofstream(grown, std::ios::binary | std::ios::app) << "later\n"; },
                        [&](std::vector<Event>* b) { return out.insert(out.end(), b->begin(), b->end()), Status::OK(); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Commands(out), (std::vector<std::string>{"ls", "pwd"}));
}

TEST(Stream, StandardInputIsReadFromWhereItIs) {
  TempDir dir;
  std::string path = dir.Write("in", "skipped\nls\npwd\n");
  int saved = ::dup(0);
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::lseek(fd, 8, SEEK_SET), 8);  // "skipped\n" was read by someone else
  ::dup2(fd, 0);
  ::close(fd);
  std::vector<Event> out;
  Status s = StreamAll("-", HistoryFormat::kBash, Opts(), 1, &out);
  ::dup2(saved, 0);
  ::close(saved);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Commands(out), (std::vector<std::string>{"ls", "pwd"}));
  EXPECT_EQ(out[0].user, "stdin");
}

std::string SharedPath(const std::string& rel) { return std::string(MEMORY_SHARED_DIR) + "/" + rel; }

TEST(RealData, PurdueUser1) {
  std::string p = SharedPath("data/purdue-pu/USER1");
  if (!fs::exists(p)) GTEST_SKIP() << p << " not present";
  std::vector<Event> ev;
  Status s = ReadHistoryFile(p, HistoryFormat::kPurdue, Opts(), &ev);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ev.size(), 10'806u);  // non-empty lines, as the data set's README states
  EXPECT_EQ(ev.front().user, "USER1");
  for (const auto& e : ev) ASSERT_FALSE(e.command.empty());
}

TEST(RealData, SchonlauUser1AndDirectory) {
  std::string dir = SharedPath("data/schonlau-sea");
  if (!fs::exists(dir + "/User1")) GTEST_SKIP() << dir << " not present";
  std::vector<Event> ev;
  Status s = ReadHistoryFile(dir + "/User1", HistoryFormat::kSchonlau, Opts(), &ev);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ev.size(), 15'000u);
  std::vector<std::string> files;
  ASSERT_TRUE(ExpandHistoryPaths({dir}, HistoryFormat::kSchonlau, &files).ok());
  EXPECT_EQ(files.size(), 25u);  // User1, User3, ..., User49
  EXPECT_EQ(fs::path(files.front()).filename(), "User1");
  EXPECT_EQ(fs::path(files.back()).filename(), "User49");
}

}  // namespace
}  // namespace memory::env

namespace memory::env {
namespace {

// What cannot be sized or read twice (a device, a pipe) is read whole but bounded: /dev/zero took
// 13 GB in a minute before; a binary stream stops at its first block, a long one at the limit.
TEST(Unsized, DevZeroStopsAtOnceAndAPipeAtTheLimit) {
  std::vector<Event> events;
  for (HistoryFormat f : {HistoryFormat::kBash, HistoryFormat::kJsonl}) {
    Status s = ReadHistoryFile("/dev/zero", f, HistoryReadOptions{}, &events);
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.message().find("/dev/zero:1: binary data"), std::string::npos) << s.ToString();
  }
  Status s = ReadProtocolHistory("/dev/zero", HistoryFormat::kSchonlau, &events);
  EXPECT_NE(s.message().find("binary data"), std::string::npos) << s.ToString();
  EXPECT_TRUE(events.empty());

  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  auto old_sigpipe = ::signal(SIGPIPE, SIG_IGN);  // the writer outlives the reader
  std::thread writer([&] {
    const std::string chunk(1 << 16, 'y');
    for (int i = 0; i < 40; ++i)  // 2.5 MiB, more than the 1 MiB allowed below
      if (::write(p[1], chunk.data(), chunk.size()) < 0) break;  // the reader stopped
    ::close(p[1]);
  });
  std::string text;
  s = ReadToEnd(p[0], "pipe", size_t{1} << 20, "binary", &text);
  ::close(p[0]);
  writer.join();
  ::signal(SIGPIPE, old_sigpipe);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("more than 1 MiB"), std::string::npos) << s.ToString();
  EXPECT_LE(text.size(), size_t{1} << 20);
}

}  // namespace
}  // namespace memory::env
