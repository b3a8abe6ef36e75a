// The session row (ppm features=2) in the served snapshot: trained with the evaluation protocol's
// gap / position / agent rules and blended exactly as the "ppm" model does.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "learner/builtin_models.h"
#include "learner/intent_snapshot.h"
#include "learner/model.h"
#include "test_util.h"

namespace memory::learner {
namespace {

constexpr char kSessionSpec[] = "ppm(order=3,decay=0.9,escape=8,base_decay=0.95,candidates=12,skip=0,features=2)";
constexpr int64_t kMinute = 60LL * 1000000;

// Interleaved sessions of people and agents with short gaps and occasional long pauses.
std::vector<Event> SessionEvents() {
  auto stream = testing::SyntheticStream(4000, 30, 7);
  std::vector<Event> events;
  int64_t ts = 1000;
  for (size_t i = 0; i < stream.size(); ++i) {
    Event e;
    const int s = static_cast<int>((i / 7) % 5);  // 5 sessions, 7 events at a time
    e.session = "s" + std::to_string(s + 5 * static_cast<int>(i / 700));  // new sessions every 700 events
    e.actor = s == 0 ? "" : s < 3 ? "human" : (s == 3 ? "claude-code" : "aider");
    e.cwd = "/dir" + std::to_string(s % 3);
    e.command = "cmd" + std::to_string(stream[i]);
    e.exit_code = stream[i] % 5 == 0 ? 2 : 0;
    ts += (i % 97 == 0) ? 45 * kMinute : 3 * 1000000;  // a pause longer than 30 minutes now and then
    e.ts_us = ts;
    events.push_back(e);
  }
  return events;
}

TEST(IntentSnapshotSessionTest, ServesTheSamePredictionsAsThePpmModelWithSessionFeatures) {
  std::vector<Event> events = SessionEvents();
  IntentTrainer trainer(kSessionSpec);
  ASSERT_TRUE(trainer.status().ok()) << trainer.status().ToString();
  std::unique_ptr<NextCommandModel> model;
  ASSERT_TRUE(NewModel(kSessionSpec, &model).ok());
  // The reference: contexts computed here, independently of the trainer, by the protocol's rules.
  struct Ref {
    std::vector<CommandId> history;
    int64_t last_ts = 0;
    uint32_t n = 0;
    bool has_exit = false;
    int exit = 0;
  };
  Vocabulary vocab, cwds;
  cwds.Intern("");
  std::map<std::string, Ref> sessions;
  std::vector<std::pair<Context, std::vector<CommandId>>> probes;  // contexts (history copied)
  int starts = 0, pauses = 0, agent_steps = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    trainer.Add(e);
    Ref& r = sessions[e.session];
    Context ctx;
    ctx.history = r.history;
    ctx.cwd = cwds.Intern(e.cwd);
    ctx.has_last_exit = r.has_exit;
    ctx.last_exit = r.exit;
    ctx.position = r.n;
    ctx.gap_us = r.n ? e.ts_us - r.last_ts : -1;
    ctx.agent = !e.actor.empty() && e.actor != "human";
    starts += r.n == 0;
    pauses += r.n > 0 && ctx.gap_us > kSessionPauseUs;
    agent_steps += ctx.agent && r.n > 0;
    if (i % 13 == 0) probes.push_back({ctx, r.history});
    CommandId id = vocab.Intern(e.command);
    model->Learn(ctx, id);
    r.history.push_back(id);
    r.last_ts = e.ts_us;
    ++r.n;
    r.has_exit = true;
    r.exit = *e.exit_code;
  }
  ASSERT_GT(starts, 20);
  ASSERT_GT(pauses, 10);
  ASSERT_GT(agent_steps, 500);
  std::string path = ::testing::TempDir() + "/intent_session_test.snap";
  ASSERT_TRUE(trainer.Write(path, 64).ok());  // rows hold at most 30 followers: nothing truncated
  std::unique_ptr<IntentSnapshot> snap;
  Status st = IntentSnapshot::Open(path, &snap);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(snap->model(), model->Name());
  for (size_t i = 0; i < vocab.size(); ++i) ASSERT_EQ(snap->Find(vocab.Text(i)), i);
  // Every probe (session starts, pauses, agents' steps, people's later commands): the same ranked
  // list and the same probabilities, bit for bit; the session row decides some of them.
  std::vector<Prediction> a, b;
  std::vector<int> used;
  int session_used = 0;
  for (auto& [ctx, history] : probes) {
    ctx.history = history;
    model->Predict(ctx, 5, &a);
    snap->Predict(ctx, 5, &b, &used);
    ASSERT_EQ(a.size(), b.size());
    for (size_t r = 0; r < a.size(); ++r) {
      EXPECT_EQ(a[r].command, b[r].command) << "position " << ctx.position << " rank " << r;
      EXPECT_EQ(a[r].prob, b[r].prob) << "position " << ctx.position << " rank " << r;
    }
    for (int u : used) session_used += u == kSessionOrder;
  }
  EXPECT_GT(session_used, 0);
  // Without the session information (as a features=1 caller would pass) the answers differ.
  int differ = 0;
  for (auto& [ctx, history] : probes) {
    Context plain = ctx;
    plain.history = history;
    plain.gap_us = -1;
    plain.position = 5;
    plain.agent = false;
    Context full = plain;
    full.gap_us = ctx.gap_us;
    full.position = ctx.position;
    full.agent = ctx.agent;
    snap->Predict(plain, 5, &a, nullptr);
    snap->Predict(full, 5, &b, nullptr);
    differ += a.size() != b.size() || (a.size() > 0 && (a[0].command != b[0].command || a[0].prob != b[0].prob));
  }
  EXPECT_GT(differ, 0);
}

TEST(IntentSnapshotSessionTest, SessionStartsAndAgentStepsAreLearned) {
  // People start every session in /w with "git pull" (then varied work); agents first run "ls",
  // then a command of their own, then always "edit" (step 2).
  IntentTrainer trainer(kSessionSpec);
  int64_t ts = 1;
  for (int run = 0; run < 30; ++run) {
    Event e;
    e.cwd = "/w";
    e.session = "h" + std::to_string(run);
    e.actor = "human";
    for (const char* c : {"git pull", run % 2 ? "make" : "vim", "ls", "cat"}) {
      e.command = c;
      e.ts_us = ts += 2000000;
      trainer.Add(e);
    }
    e.session = "a" + std::to_string(run);
    e.actor = "codex";
    e.cwd = "/w" + std::to_string(run);
    for (std::string c : {std::string("ls"), "tool" + std::to_string(run), std::string("edit")}) {
      e.command = c;
      e.ts_us = ts += 2000000;
      trainer.Add(e);
    }
  }
  std::string path = ::testing::TempDir() + "/intent_session_rows.snap";
  ASSERT_TRUE(trainer.Write(path).ok());
  std::unique_ptr<IntentSnapshot> snap;
  ASSERT_TRUE(IntentSnapshot::Open(path, &snap).ok());
  std::vector<Prediction> p;
  std::vector<int> used;
  // A person's new session in /w: "git pull", from the session row.
  Context start;
  start.cwd = snap->FindCwd("/w");
  ASSERT_NE(start.cwd, 0u);
  start.position = 0;
  snap->Predict(start, 3, &p, &used);
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(snap->TemplateText(p[0].command), "git pull");
  EXPECT_EQ(used[0], kSessionOrder);
  // The same person after "cat": a minute later the session goes on (not "git pull" first); two
  // hours later it is a session start again.
  std::vector<CommandId> h = {snap->Find("cat")};
  Context later = start;
  later.history = h;
  later.position = 4;
  later.gap_us = 60 * 1000000LL;
  snap->Predict(later, 3, &p, &used);
  ASSERT_FALSE(p.empty());
  EXPECT_NE(snap->TemplateText(p[0].command), "git pull");
  later.gap_us = 2 * 3600 * 1000000LL;
  snap->Predict(later, 3, &p, &used);
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(snap->TemplateText(p[0].command), "git pull");
  EXPECT_EQ(used[0], kSessionOrder);
  // An agent's step 2 after a command never seen: "edit" from the step row; the same context as
  // a person's: not.
  std::vector<CommandId> unknown = {snap->Find("tool-new")};
  ASSERT_EQ(unknown[0], kNoCommand);
  Context step;
  step.history = unknown;
  step.position = 2;
  step.gap_us = 2000000;
  step.agent = true;
  snap->Predict(step, 3, &p, &used);
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(snap->TemplateText(p[0].command), "edit");
  EXPECT_EQ(used[0], kSessionOrder);
  step.agent = false;
  snap->Predict(step, 3, &p, &used);
  ASSERT_FALSE(p.empty());
  EXPECT_NE(snap->TemplateText(p[0].command), "edit");
}

TEST(IntentSnapshotSessionTest, SessionStateGivesTheProtocolsContext) {
  // What the train gate and the trainer feed the model, event by event of one session.
  IntentSessionState st;
  Event e;
  e.actor = "aider";
  e.ts_us = 1000;
  Context ctx;
  st.Fill(e, 7, &ctx);
  EXPECT_EQ(ctx.position, 0u);
  EXPECT_EQ(ctx.gap_us, -1);
  EXPECT_TRUE(ctx.agent);
  EXPECT_EQ(ctx.cwd, 7u);
  EXPECT_FALSE(ctx.has_last_exit);
  EXPECT_TRUE(ctx.history.empty());
  for (CommandId id = 0; id < 20; ++id) {
    e.ts_us = 1000 + 10 * id;
    e.exit_code = static_cast<int32_t>(id % 3);
    st.Advance(e, id);
  }
  e.ts_us = 1000 + 10 * 19 + 2500;
  e.actor = "human";
  st.Fill(e, 0, &ctx);
  EXPECT_EQ(ctx.position, 20u);
  EXPECT_EQ(ctx.gap_us, 2500);
  EXPECT_FALSE(ctx.agent);
  EXPECT_TRUE(ctx.has_last_exit);
  EXPECT_EQ(ctx.last_exit, 19 % 3);
  ASSERT_GE(ctx.history.size(), 3u);  // the newest commands, oldest first (8..16 kept)
  EXPECT_LE(ctx.history.size(), 16u);
  EXPECT_EQ(ctx.prev(1), 19u);
  EXPECT_EQ(ctx.prev(3), 17u);
  e.actor = "";
  st.Fill(e, 0, &ctx);
  EXPECT_FALSE(ctx.agent);  // no actor: a person, as the evaluation protocol reads it
  EXPECT_TRUE(IsAgentActor("agent:codex"));
  EXPECT_FALSE(IsAgentActor("human"));
}

TEST(IntentSnapshotSessionTest, AnOlderFormatIsRejectedNotMisread) {
  IntentTrainer trainer;
  Event e;
  for (int i = 0; i < 50; ++i) {
    e.command = "c" + std::to_string(i % 5);
    e.ts_us = i + 1;
    trainer.Add(e);
  }
  std::string path = ::testing::TempDir() + "/intent_old.snap";
  ASSERT_TRUE(trainer.Write(path).ok());
  std::unique_ptr<IntentSnapshot> snap;
  ASSERT_TRUE(IntentSnapshot::Open(path, &snap).ok());
  snap.reset();
  // The same file with the previous version's magic ("MEMINT04").
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  ASSERT_EQ(bytes.substr(0, 8), "MEMINT05");
  bytes[7] = '4';
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << bytes;
  }
  Status s = IntentSnapshot::Open(path, &snap);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.ToString().find("older format"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace memory::learner
