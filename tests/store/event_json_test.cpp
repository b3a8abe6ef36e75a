// EventFromJson reads the usual flat line itself and hands every other text to nlohmann's parser
// (internal::EventFromJsonFull): the two must agree on every text, events and errors alike.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "store/event.h"
#include "store/internal.h"

namespace memory {
namespace {

// EventFromJson and the full parser give the same status and, when OK, the same event.
void ExpectSameAsFullParser(const std::string& text) {
  Event fast, full;
  Status a = EventFromJson(text, &fast), b = internal::EventFromJsonFull(text, &full);
  ASSERT_EQ(a.ok(), b.ok()) << text << "\n" << a.ToString() << " / " << b.ToString();
  ASSERT_EQ(a.ToString(), b.ToString()) << text;
  if (a.ok()) {
    ASSERT_EQ(fast, full) << text;
  }
}

// Tool-call parameters: the ones the flat reader takes first (strings, numbers, literals, arrays
// and objects); it leaves the others (a key with an escape, nesting deeper than 16) to the full
// parser.
const char* const kParams[] = {R"({"path":"a.txt"})",
                                R"({"query":"timeout","path":"src","limit":20,"regex":false})",
                                R"({"z":null,"a":"x\ny \"q\" \\ / café","m":-7,"ok":true})",
                                R"({})",
                                R"({"ratio":0.5,"big":1e300,"small":-2.5e-8,"whole":3.0})",
                                R"({"files":["a","b"],"opts":{"deep":true,"n":[1,[2,[]],{}]}})",
                                R"([1,"two",{"three":3}])",
                                R"({"a\"b":1})",
                                R"({"x":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]})"};
constexpr size_t kFlatParams = 7;

Event ShellEvent(std::mt19937_64& rng, int i) {
  static const char* kCommands[] = {"ls -la", "git commit -m \"fix: a \\\\ b\"", "cd ~/src/app",
                                    "make -j2 && ./run\ttests", "echo '{\"a\":[1,2]}'", "x",
                                    "git commit -m 'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'", "del\x7f"};
  Event e;
  e.ts_us = 1'700'000'000'000'000 + static_cast<int64_t>(rng() % 1'000'000'000);
  if (i % 3 == 0) e.id = NewEventId(e.ts_us);
  e.command = kCommands[rng() % std::size(kCommands)];
  if (i % 2) e.cwd = "/home/u/src/app";
  e.user = "u";
  e.session = "bash:s" + std::to_string(i % 7);
  e.actor = "human";
  if (i % 4 == 1) e.exit_code = static_cast<int32_t>(rng() % 3) - 1;
  if (i % 5 == 2) e.duration_us = static_cast<int64_t>(rng() % 5'000'000);  // fractional ms too
  if (i % 7 == 3) e.cpu_us = 1500;
  if (i % 11 == 4) e.peak_rss_kb = 1 << 20;
  if (i % 13 == 5) e.error = "boom\nline two";
  if (i % 3 == 1) e.tags = {"sim"};
  if (i % 9 == 2) e.tags = {"a", "b c", "\xc3\xa9t\xc3\xa9"};
  if (i % 5 == 3) {
    e.kind = EventKind::kToolCall;
    e.params_json = kParams[rng() % std::size(kParams)];
  }
  return e;
}

// The export of e as the full parser reads it back (params_json in nlohmann's form).
Event AsReadBack(Event e) {
  Status s = internal::EventFromJsonFull(EventToJson(e), &e);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return e;
}

TEST(EventJson, TheFlatReaderReadsWhatExportWrites) {
  std::mt19937_64 rng(7);
  int read = 0, flat_expected = 0;
  for (int i = 0; i < 2000; ++i) {
    Event e = ShellEvent(rng, i);
    const std::string line = EventToJson(e);
    ExpectSameAsFullParser(line);
    Event back;
    const bool flat = internal::ReadFlatEventJson(line, &back);
    if (flat) {
      ++read;
      EXPECT_EQ(back, AsReadBack(e)) << line;
    }
    // Shell commands, tags, UTF-8 text and flat parameters never need the full parser.
    const bool expected = e.params_json.empty() ||
                          std::find(kParams, kParams + kFlatParams, e.params_json) != kParams + kFlatParams;
    flat_expected += expected;
    EXPECT_EQ(flat, expected) << line;
  }
  EXPECT_GT(read, 1800);
  EXPECT_EQ(read, flat_expected);
}

TEST(EventJson, EveryOtherTextGetsTheFullParsersAnswer) {
  const std::vector<std::string> cases = {
      R"({"command":"ls","ts":5})",
      R"(  {"command" : "ls" , "ts" : 5 }  )",
      "{\"command\":\"ls\",\"ts\":5}\r",
      R"({"command":"ls","ts":5,"command":"rm"})",       // duplicate
      R"({"command":"ls","ts":5.0})",                    // ts not an integer
      R"({"command":"ls","ts":-5})",                     // before 1970
      R"({"command":"ls","ts":1e3})",
      R"({"command":"ls","ts":01})",
      R"({"command":"ls","ts":-0})",
      R"({"command":"ls","ts":123456789012345678901})",  // too large
      R"({"command":"ls","duration_ms":1.5,"cpu_ms":-0.25e1})",
      R"({"command":"ls","duration_ms":-1})",
      R"({"command":"ls","duration_ms":1e400})",
      R"({"command":"ls","duration_ms":9e15,"cpu_ms":9.000000000000001e15})",
      R"({"command":"ls","exit":2147483648})",
      R"({"command":"ls","exit":-2147483648})",
      R"({"command":"ls","exit":"1"})",
      R"({"command":"ls","peak_rss_kb":-1})",
      R"({"command":"","tool":"Read"})",
      R"({"tool":"Read","kind":"shell"})",
      R"({"tool":"Read","kind":"robot"})",
      R"({"command":"ls","kind":null,"cwd":null,"exit":null,"tags":null,"decision":null})",
      R"({"command":"ls","tags":["a","b"]})",
      R"({"command":"ls","tags":"a"})",
      R"({"command":"ls","params":"raw text"})",
      R"({"command":"ls","params":7})",
      R"({"command":"ls","id":"0006479EC226EE0091F818171E44F59D"})",
      R"({"command":"ls","id":"xyz"})",
      R"({"command":"ls","id":""})",
      R"({"command":"a\"b\\c\/d\b\f\n\r\t"})",
      R"({"command":"\u00e9"})",
      "{\"command\":\"caf\xc3\xa9\"}",
      "{\"command\":\"bad \xff byte\"}",
      "{\"command\":\"tab\tinside\"}",
      "{\"command\":\"del\x7f\"}",
      R"({"command":"ls","unknown":{"x":[1,2,{"y":null}]},"other":true,"n":-12.5e-3})",
      R"({"command":"ls","unknown":123456789012345678901234567890})",
      R"({"command":"ls",})",
      R"({"command":"ls"} trailing)",
      R"({"command":"ls")",
      R"({"command":"ls)",
      R"({"command":"ls","ts":})",
      R"({"command":"ls","ts":-})",
      R"({"command" "ls"})",
      R"({command:"ls"})",
      R"([{"command":"ls"}])",
      R"("ls")",
      "",
      "   ",
      "\xef\xbb\xbf{\"command\":\"ls\"}",
      R"({"command":"ls","decision":{"policy":"p","action":"a","probability":0.5}})",
      R"({"command":"ls","time":"2026-01-05T07:10:48.000000Z","host":"h","repo":"/r","branch":"main","error":"e"})",
      R"({"command":"ls","unknown":true,"other":false,"third":tru})",
      // tags
      R"({"command":"ls","tags":[]})",
      R"({"command":"ls","tags":[ "a" , "b" ] })",
      R"({"command":"ls","tags":["a",]})",
      R"({"command":"ls","tags":["a",1]})",
      R"({"command":"ls","tags":[null]})",
      R"({"command":"ls","tags":["a"],"tags":["b"]})",
      R"({"command":"ls","tags":["a\u0041"]})",
      R"({"command":"ls","tags":["a")",
      "{\"command\":\"ls\",\"tags\":[\"\xc3\xa9\"]}",
      // params
      R"({"tool":"Read","params":{"path":"a","n":3,"ok":true,"no":false,"z":null}})",
      R"({"tool":"R","params":{"b":"1","a":"2","B":"3","":"4","a b":5}})",
      R"({"tool":"R","params":{"a":"1","a":"2"}})",
      R"({"tool":"R","params":{"x":1.5}})",
      R"({"tool":"R","params":{"x":1e2}})",
      R"({"tool":"R","params":{"x":1E+2,"y":-0.0,"z":0.1,"w":123456789.125,"v":1e-7,"u":5e-324}})",
      R"({"tool":"R","params":{"x":1e400}})",
      R"({"tool":"R","params":{"x":1e-400}})",
      R"({"tool":"R","params":{"x":{"y":1}}})",
      R"({"tool":"R","params":{"x":[1]}})",
      R"({"tool":"R","params":{"x":[1,[2,[3,{}]],[]],"y":{"z":{"w":null}}}})",
      R"({"tool":"R","params":[1,2,{"a":"b"}]})",
      R"({"tool":"R","params":[]})",
      R"({"tool":"R","params":{"x":[1,]}})",
      R"({"tool":"R","params":{"x":[1 2]}})",
      R"({"tool":"R","params":{"x":{"a":1,"a":2}}})",
      R"({"tool":"R","params":{"x":{"a":1},"y":{"a":2}}})",
      R"({"tool":"R","params":{"x":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}})",
      R"({"tool":"R","params":{"x":[{"a":[{"b":[{"c":[{"d":[{"e":[{"f":[{"g":[{"h":1}]}]}]}]}]}]}]}]}})",
      R"({"tool":"R","params":{"x":12345678901234567890}})",
      R"({"tool":"R","params":{}})",
      R"({"tool":"R","params": { "a" : "x\/y\n\t\"\\" , "b":-0 , "c" : 123456789012345678 } })",
      R"({"tool":"R","params":{"x":1234567890123456789}})",
      R"({"tool":"R","params":{"x":-1234567890123456789012}})",
      R"({"tool":"R","params":{"a\"b":1}})",
      R"({"tool":"R","params":{"a":"\u00e9"}})",
      R"({"tool":"R","params":{"a":1,}})",
      R"({"tool":"R","params":{"a" 1}})",
      R"({"tool":"R","params":{"a":1)",
      R"({"tool":"R","params":{"a":nul}})",
      R"({"tool":"R","params":{"a":1},"params":{"b":2}})",
      R"({"tool":"R","params":{"a":1},"params":null})",
      R"({"tool":"R","params":null})",
      "{\"tool\":\"R\",\"params\":{\"a\":\"caf\xc3\xa9 del\x7f\"}}",
      "{\"tool\":\"R\",\"params\":{\"\xc3\xa9\":1}}",
      // UTF-8: well-formed sequences of 2, 3 and 4 bytes; overlong, surrogate, too large, cut
      "{\"command\":\"\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\"}",
      "{\"command\":\"\xc0\xaf\"}",
      "{\"command\":\"\xc1\xbf\"}",
      "{\"command\":\"\xe0\x9f\xbf\"}",
      "{\"command\":\"\xed\xa0\x80\"}",
      "{\"command\":\"\xf0\x8f\xbf\xbf\"}",
      "{\"command\":\"\xf4\x90\x80\x80\"}",
      "{\"command\":\"\xf5\x80\x80\x80\"}",
      "{\"command\":\"\xe2\x82\"}",
      "{\"command\":\"\xe2\x82",
      "{\"command\":\"\x80\"}",
      "{\"command\":\"\xc3\"}",
  };
  for (const std::string& c : cases) ExpectSameAsFullParser(c);
}

// Random edits of exported lines: deleted, inserted, replaced and repeated pieces.
TEST(EventJson, MangledLinesGetTheFullParsersAnswer) {
  std::mt19937_64 rng(11);
  const std::string alphabet = "\"\\{}[]:,-.0123456789eEnultrfasbu /\t\r\n\x01\x7f\xc3\xa9Z\xe2\x82\xac\xf0\x9f\xed\xa0\xc0";
  for (int i = 0; i < 20000; ++i) {
    std::string line = EventToJson(ShellEvent(rng, i));
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits && !line.empty(); ++k) {
      const size_t at = rng() % line.size();
      switch (rng() % 4) {
        case 0: line.erase(at, 1 + rng() % 3); break;
        case 1: line.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        case 2: line[at] = alphabet[rng() % alphabet.size()]; break;
        default: {
          const size_t len = std::min<size_t>(line.size() - at, 1 + rng() % 24);
          line.insert(at, line.substr(at, len));
        }
      }
    }
    ExpectSameAsFullParser(line);
  }
}

// EventToJson writes the usual event itself: byte for byte what nlohmann's serializer writes,
// for every event (the rest goes to the serializer).
TEST(EventJson, EventToJsonWritesWhatTheFullSerializerWrites) {
  std::mt19937_64 rng(13);
  const std::vector<std::string> texts = {
      "", "ls", "a\"b\\c/d", "tab\tnew\nline\r\b\f", std::string("nul\0byte", 8), "\x01\x1f\x7f",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", std::string(300, 'x')};
  // Not UTF-8 (the full serializer writes U+FFFD for them): now and then, so that most events
  // take the writer's own path.
  const std::vector<std::string> bad = {"bad \xff byte", "cut \xe2\x82", "overlong \xc0\xaf",
                                        "surrogate \xed\xa0\x80"};
  const std::vector<std::string> params = {
      R"({"path":"a.txt"})", R"({"b":1,"a":"x\ny","c":true,"d":null,"e":-5})", R"({})",
      R"({"a": 1})", R"({"x":1.5})", R"({"x":[1,2],"y":{"z":"w"}})", "not json", R"(["a"])",
      R"({"a":"\u00e9"})", R"({"a":"caf\u00e9"})", "{\"a\":\"caf\xc3\xa9\"}", R"({"a":1,"a":2})"};
  const double doubles_ms[] = {0, 0.001, 0.648, 1, 3, 43.296, 1e3, 123456.789, 9e15, 1e-4, 2.5e-7};
  auto text = [&] { return rng() % 64 == 0 ? bad[rng() % bad.size()] : texts[rng() % texts.size()]; };
  for (int i = 0; i < 20000; ++i) {
    Event e;
    e.ts_us = static_cast<int64_t>(rng() % 4) == 0 ? 0 : static_cast<int64_t>(rng() % kLatestEventTimeUs);
    if (rng() % 2) e.id = NewEventId(e.ts_us);
    e.kind = rng() % 3 ? EventKind::kShell : EventKind::kToolCall;
    e.command = text();
    if (rng() % 2) e.params_json = params[rng() % params.size()];
    if (rng() % 2) e.cwd = text();
    if (rng() % 3) e.repo_root = text();
    if (rng() % 3) e.branch = text();
    if (rng() % 2) e.host = text();
    if (rng() % 2) e.user = text();
    if (rng() % 2) e.session = text();
    if (rng() % 2) e.actor = text();
    if (rng() % 2) e.exit_code = static_cast<int32_t>(rng());
    if (rng() % 2) e.duration_us = static_cast<int64_t>(rng() % 10'000'000'000);
    if (rng() % 4 == 0) e.duration_us = std::llround(doubles_ms[rng() % std::size(doubles_ms)] * 1000);
    if (rng() % 2) e.cpu_us = -static_cast<int64_t>(rng() % 1000);
    if (rng() % 2) e.peak_rss_kb = static_cast<int64_t>(rng());
    if (rng() % 4 == 0) e.error = text();
    for (int t = static_cast<int>(rng() % 3); t > 0; --t) e.tags.push_back(text());
    if (rng() % 5 == 0) {
      Decision d;
      if (rng() % 2) d.decision_id = text();
      d.policy = text();
      if (rng() % 2) d.model_version = text();
      for (int a = static_cast<int>(rng() % 3); a > 0; --a) d.action_set.push_back(text());
      d.action = text();
      d.probability = rng() % 2 ? 0.25 : 1.0 / static_cast<double>(1 + rng() % 7);
      if (rng() % 2) d.reward = rng() % 2 ? -1.5 : std::nan("");
      e.decision = d;
    }
    ASSERT_EQ(EventToJson(e), internal::EventToJsonFull(e)) << i;
  }
}

// Params are kept whatever the kind (an import may give a shell event params): both writers
// write them back, so an export reads back as the same events.
TEST(EventJson, AShellEventsParamsAreWrittenAndReadBack) {
  for (const char* params : {R"({"branch":"main","n":2})", "master", R"([1,"x"])"}) {
    for (EventKind kind : {EventKind::kShell, EventKind::kToolCall}) {
      Event e;
      e.ts_us = 1700000000123456;
      e.kind = kind;
      e.command = "git push";
      e.params_json = params;
      for (const std::string& text : {EventToJson(e), internal::EventToJsonFull(e)}) {
        Event back;
        ASSERT_TRUE(EventFromJson(text, &back).ok()) << text;
        EXPECT_EQ(back, e) << text;
      }
    }
  }
}

TEST(EventJson, ParamsInDumpFormAreTheOnesCopiedAsTheyAre) {
  EXPECT_TRUE(internal::IsParamsDump(R"({"path":"a.txt","n":3,"ok":true,"z":null})"));
  EXPECT_TRUE(internal::IsParamsDump(R"({})"));
  EXPECT_TRUE(internal::IsParamsDump("{\"a\":\"caf\xc3\xa9\"}"));
  EXPECT_FALSE(internal::IsParamsDump(R"({"a": 1})"));          // dump() has no spaces
  EXPECT_FALSE(internal::IsParamsDump(R"({"a":"x\/y"})"));     // dump() writes '/' as it is
  EXPECT_TRUE(internal::IsParamsDump(R"({"a":1.5,"b":{"c":[1,true,null]},"d":[]})"));
  EXPECT_TRUE(internal::IsParamsDump(R"([1,2])"));
  EXPECT_FALSE(internal::IsParamsDump(R"({"a":1.50})"));  // dump() writes 1.5
  EXPECT_FALSE(internal::IsParamsDump(R"({"a":1e2})"));   // dump() writes 100.0
  EXPECT_FALSE(internal::IsParamsDump(R"({"a":1,"a":2})"));
  EXPECT_FALSE(internal::IsParamsDump(R"({"a":1} )"));
  EXPECT_FALSE(internal::IsParamsDump("not json"));
}

// IsoTime against gmtime_r: the epoch, leap days, century years, the last representable time,
// times before 1970 and random ones.
TEST(EventJson, IsoTimeIsGmtimesCalendar) {
  auto reference = [](int64_t ts_us) {
    time_t secs = static_cast<time_t>(ts_us / 1000000);
    if (ts_us < 0 && ts_us % 1000000) --secs;
    struct tm tm;
    gmtime_r(&secs, &tm);
    char date[32], us[16];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);  // (years from 1969 to 9999 here)
    std::snprintf(us, sizeof us, ".%06lldZ", static_cast<long long>(((ts_us % 1000000) + 1000000) % 1000000));
    return std::string(date) + us;
  };
  std::vector<int64_t> times = {0, 1, 999999, 1000000, 86399999999, 86400000000,
                                951782400000000,   // 2000-02-29
                                951868800000000,   // 2000-03-01
                                4107542400000000,  // 2100-03-01
                                68256000000000,    // 1972-02-29 (leap day after 1970)
                                kLatestEventTimeUs, -1, -1000000, -86400000001};
  std::mt19937_64 rng(17);
  for (int i = 0; i < 100000; ++i) times.push_back(static_cast<int64_t>(rng() % uint64_t(kLatestEventTimeUs + 1)));
  for (int i = 0; i < 1000; ++i) times.push_back(static_cast<int64_t>(rng() % 400) * 31556952000000 / 4 + static_cast<int64_t>(rng() % 86400000000));
  for (int64_t t : times) ASSERT_EQ(internal::IsoTime(t), reference(t)) << t;
}

}  // namespace
}  // namespace memory
