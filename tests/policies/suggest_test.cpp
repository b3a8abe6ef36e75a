#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policies/decision_log.h"
#include "policies/suggest.h"

namespace memory::policies {
namespace {

Event Cmd(const std::string& command, int64_t ts, int exit = 0, const std::string& cwd = "/w") {
  Event e;
  e.command = command;
  e.ts_us = ts;
  e.cwd = cwd;
  e.exit_code = exit;
  return e;
}

std::vector<Event> History() {
  std::vector<Event> h;
  int64_t t = 1'000'000;
  for (int i = 0; i < 6; ++i) {
    h.push_back(Cmd("git commit -m 'fix typo'", t += 1000));
    h.push_back(Cmd("tar czf backup.tgz photos", t += 1000));
    h.push_back(Cmd("grep -rn TODO src", t += 1000));
    h.push_back(Cmd("/usr/bin/make -j4 test", t += 1000));
    h.push_back(Cmd("FOO=1 python3 train.py --epochs 3", t += 1000));
  }
  return h;
}

TEST(ToolOf, FirstWordWithoutPathOrAssignments) {
  EXPECT_EQ(ToolOf("git commit"), "git");
  EXPECT_EQ(ToolOf("  /usr/bin/make -j4"), "make");
  EXPECT_EQ(ToolOf("FOO=1 BAR=2 python3 x.py"), "python3");
  EXPECT_EQ(ToolOf(""), "");
}

TEST(Suggest, ColdStartFromTextOverlapWithRecordedCommands) {
  SuggestResult r;
  SuggestOptions o;
  o.policy = "greedy/linear(lr=1,init=1)";
  ASSERT_TRUE(Suggest(History(), "commit the fix", "/w", o, &r).ok());
  EXPECT_EQ(r.items[0].tool, "git");
  EXPECT_EQ(r.items[0].example, "git commit -m 'fix typo'");
  ASSERT_TRUE(Suggest(History(), "find the TODO notes in src", "/w", o, &r).ok());
  EXPECT_EQ(r.items[0].tool, "grep");
  ASSERT_TRUE(Suggest(History(), "backup my photos", "/w", o, &r).ok());
  EXPECT_EQ(r.items[0].tool, "tar");
  EXPECT_EQ(r.action_set.size(), 5u);
  EXPECT_EQ(r.learned_commands, 30u);
}

// A task whose words never occur in commands: what the user runs after each suggestion decides
// which tool the policy learns to put first.
int LateFirst(const std::string& next_command, const std::string& tool) {
  std::vector<Event> log = History();
  int64_t t = log.back().ts_us;
  SuggestOptions o;
  int late = 0;
  for (int round = 0; round < 40; ++round) {
    o.seed = 100 + round;
    SuggestResult r;
    EXPECT_TRUE(Suggest(log, "build everything and check", "/w", o, &r).ok());
    Event d;
    d.ts_us = (t += 1'000'000'000);  // suggestions lie more than the window apart
    d.kind = EventKind::kToolCall;
    d.command = "memory suggest";
    d.cwd = "/w";
    d.tags = {kSuggestTag};
    d.params_json = R"({"task":"build everything and check"})";
    Decision dec;
    dec.decision_id = "d" + std::to_string(round);
    dec.action_set = r.action_set;
    dec.action = r.chosen;
    dec.probability = r.probability;
    d.decision = dec;
    log.push_back(d);
    log.push_back(Cmd(next_command, t += 1000));  // what the user then ran, same directory
    if (round >= 30) late += r.items[0].tool == tool;
  }
  return late;
}

TEST(Suggest, LearnsFromWhatWasRunNext) {
  EXPECT_GE(LateFirst("make -j4 all", "make"), 8);
  EXPECT_GE(LateFirst("tar czf all.tgz out", "tar"), 8);
}

TEST(Suggest, ExplicitRewardOverridesWhatWasRun) {
  std::vector<Event> log = History();
  int64_t t = log.back().ts_us;
  SuggestOptions o;
  o.policy = "greedy/linear(lr=1,init=1)";
  // Earlier suggestions of grep for this task were all rewarded 1 explicitly.
  for (int i = 0; i < 5; ++i) {
    Event d;
    d.ts_us = (t += 1'000'000'000);
    d.cwd = "/w";
    d.kind = EventKind::kToolCall;
    d.tags = {kSuggestTag};
    d.params_json = R"({"task":"tidy the release notes"})";
    Decision dec;
    dec.decision_id = "x" + std::to_string(i);
    dec.action_set = {"git", "tar", "grep", "make", "python3"};
    dec.action = "grep";
    dec.probability = 0.5;
    d.decision = dec;
    log.push_back(d);
    Event r;
    r.ts_us = t + 10;
    r.kind = EventKind::kToolCall;
    r.tags = {kRewardTag};
    Decision rd;
    rd.decision_id = dec.decision_id;
    rd.reward = 1.0;
    r.decision = rd;
    log.push_back(r);
  }
  SuggestResult res;
  ASSERT_TRUE(Suggest(log, "tidy the release notes", "/w", o, &res).ok());
  EXPECT_EQ(res.items[0].tool, "grep");
  EXPECT_EQ(res.learned_suggestions, 5u);
}

TEST(Suggest, BadInput) {
  SuggestResult r;
  SuggestOptions o;
  EXPECT_TRUE(Suggest(History(), "  ", "/w", o, &r).IsInvalidArgument());
  EXPECT_TRUE(Suggest({}, "anything", "/w", o, &r).IsNotFound());
  o.policy = "nope";
  EXPECT_TRUE(Suggest(History(), "commit", "/w", o, &r).IsInvalidArgument());
}

}  // namespace
}  // namespace memory::policies
