// EventFromJson reads the usual flat line itself and hands every other text to nlohmann's parser
// (internal::EventFromJsonFull): the two must agree on every text, events and errors alike.
#include <gtest/gtest.h>

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
  if (a.ok()) ASSERT_EQ(fast, full) << text;
}

Event ShellEvent(std::mt19937_64& rng, int i) {
  static const char* kCommands[] = {"ls -la", "git commit -m \"fix: a \\\\ b\"", "cd ~/src/app",
                                    "make -j2 && ./run\ttests", "echo '{\"a\":[1,2]}'", "x"};
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
  if (i % 17 == 6) {
    e.kind = EventKind::kToolCall;
    e.params_json = R"({"path":"a.txt"})";
  }
  return e;
}

TEST(EventJson, TheFlatReaderReadsWhatExportWritesForShellCommands) {
  std::mt19937_64 rng(7);
  int read = 0, shell = 0;
  for (int i = 0; i < 2000; ++i) {
    Event e = ShellEvent(rng, i);
    const std::string line = EventToJson(e);
    ExpectSameAsFullParser(line);
    Event back;
    const bool flat = internal::ReadFlatEventJson(line, &back);
    if (flat) {
      ++read;
      EXPECT_EQ(back, e) << line;
    }
    if (e.kind == EventKind::kShell) {
      ++shell;
      EXPECT_TRUE(flat) << line;  // a shell command's line never needs the full parser
    }
  }
  EXPECT_EQ(read, shell);  // tool calls have a params object: the full parser reads them
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
  };
  for (const std::string& c : cases) ExpectSameAsFullParser(c);
}

// Random edits of exported lines: deleted, inserted, replaced and repeated pieces.
TEST(EventJson, MangledLinesGetTheFullParsersAnswer) {
  std::mt19937_64 rng(11);
  const std::string alphabet = "\"\\{}[]:,-.0123456789eEnultrfasbu /\t\r\n\x01\x7f\xc3\xa9Z";
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

}  // namespace
}  // namespace memory
