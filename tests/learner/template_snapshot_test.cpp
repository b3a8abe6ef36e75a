#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "learner/intent_snapshot.h"
#include "learner/model.h"
#include "learner/template.h"
#include "test_util.h"

namespace memory::learner {
namespace {

TEST(TemplateTest, AbstractsArgumentsThatVary) {
  EXPECT_EQ(CommandTemplate("ls"), "ls");
  EXPECT_EQ(CommandTemplate("git commit -m 'fix the bug'"), "git commit -m <str>");
  EXPECT_EQ(CommandTemplate("git  commit   -m \"say \\\"hi\\\"\""), "git commit -m <str>");
  EXPECT_EQ(CommandTemplate("head -n 20 src/a.cc"), "head -n <num> <path>");
  EXPECT_EQ(CommandTemplate("vim main.cpp"), "vim <path>");
  EXPECT_EQ(CommandTemplate("make test"), "make test");
  EXPECT_EQ(CommandTemplate("cd ~/work"), "cd <path>");
  EXPECT_EQ(CommandTemplate("cat a.txt | grep -c foo > out.log"), "cat <path> | grep -c foo > <path>");
  EXPECT_EQ(CommandTemplate("./build/memory --top=5 predict"), "./build/memory --top=<num> predict");
  EXPECT_EQ(CommandTemplate("echo $HOME"), "echo $HOME");
  EXPECT_EQ(CommandTemplate("   "), "");
  EXPECT_EQ(CommandTemplate("vim b.h"), CommandTemplate("vim src/a.cc"));
}

// Events of `sessions` interleaved round-robin, one-word commands (their own templates).
std::vector<Event> InterleavedEvents(const std::vector<std::vector<CommandId>>& sessions) {
  std::vector<Event> out;
  size_t longest = 0;
  for (auto& s : sessions) longest = std::max(longest, s.size());
  int64_t ts = 1000;
  for (size_t i = 0; i < longest; ++i)
    for (size_t s = 0; s < sessions.size(); ++s) {
      if (i >= sessions[s].size()) continue;
      Event e;
      e.command = "cmd" + std::to_string(sessions[s][i]);
      e.session = "s" + std::to_string(s);
      e.ts_us = ts++;
      out.push_back(e);
    }
  return out;
}

TEST(IntentSnapshotTest, ServesTheSamePredictionsAsTheTrainedModel) {
  auto stream = testing::SyntheticStream(3000, 25, 21);
  IntentTrainer trainer;
  ASSERT_TRUE(trainer.status().ok());
  std::unique_ptr<NextCommandModel> model;
  ASSERT_TRUE(NewModel(PredictModelSpec(), &model).ok());
  Vocabulary vocab, cwds;  // same interning order as the trainer's
  cwds.Intern("");
  std::vector<CommandId> ids;
  std::vector<uint32_t> cwd_ids;
  std::vector<int> exits;
  for (size_t i = 0; i < stream.size(); ++i) {
    Event e;
    e.command = "cmd" + std::to_string(stream[i]);
    e.session = "one";
    e.ts_us = 100 + static_cast<int64_t>(i);
    e.cwd = "/dir" + std::to_string((i / 50) % 4);
    e.exit_code = stream[i] % 7 == 0 ? 1 : 0;
    trainer.Add(e);
    CommandId id = vocab.Intern(e.command);
    Context ctx;
    ctx.history = ids;
    ctx.cwd = cwds.Intern(e.cwd);
    ctx.has_last_exit = i > 0;
    ctx.last_exit = i > 0 ? exits.back() : 0;
    ctx.position = static_cast<uint32_t>(i);  // one session, an event per microsecond
    ctx.gap_us = i > 0 ? 1 : -1;
    model->Learn(ctx, id);
    ids.push_back(id);
    cwd_ids.push_back(ctx.cwd);
    exits.push_back(*e.exit_code);
  }
  std::string path = ::testing::TempDir() + "/intent_test.snap";
  // Rows hold at most 25 followers here, so nothing is truncated.
  ASSERT_TRUE(trainer.Write(path, 32).ok());
  std::unique_ptr<IntentSnapshot> snap;
  Status st = IntentSnapshot::Open(path, &snap);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(snap->events(), 3000);
  EXPECT_EQ(snap->watermark_us(), 100 + 2999);
  EXPECT_EQ(snap->commands(), vocab.size());
  EXPECT_EQ(snap->model(), model->Name());
  for (size_t i = 0; i < vocab.size(); ++i) {
    EXPECT_EQ(snap->Find(vocab.Text(i)), i);
    EXPECT_EQ(snap->DisplayText(i), vocab.Text(i));
  }
  EXPECT_EQ(snap->Find("nope"), kNoCommand);
  // Every suffix context of the stream: the same ranked list and probabilities.
  std::vector<Prediction> a, b;
  std::vector<int> used;
  for (size_t end = 1; end < ids.size(); end += 37) {
    Context ctx;
    ctx.history = std::span<const CommandId>(ids.data(), end);
    ctx.cwd = cwd_ids[end];
    ctx.has_last_exit = true;
    ctx.last_exit = exits[end - 1];
    ctx.position = static_cast<uint32_t>(end);
    ctx.gap_us = 1;
    EXPECT_EQ(snap->FindCwd(cwds.Text(ctx.cwd)), ctx.cwd);
    model->Predict(ctx, 5, &a);
    snap->Predict(ctx, 5, &b, &used);
    ASSERT_EQ(a.size(), b.size());
    for (size_t r = 0; r < a.size(); ++r) {
      EXPECT_EQ(a[r].command, b[r].command) << "context end " << end << " rank " << r;
      EXPECT_DOUBLE_EQ(a[r].prob, b[r].prob);
    }
    ASSERT_EQ(used.size(), b.size());
  }
}

TEST(IntentSnapshotTest, SessionsKeepTheirOwnHistory) {
  // Session 0 always runs a -> b, session 1 always a -> c; interleaved they must not mix.
  std::vector<std::vector<CommandId>> sessions(2);
  for (int i = 0; i < 50; ++i) {
    sessions[0].insert(sessions[0].end(), {1, 2});
    sessions[1].insert(sessions[1].end(), {1, 3, 4});
  }
  IntentTrainer trainer;
  for (const Event& e : InterleavedEvents(sessions)) trainer.Add(e);
  std::string path = ::testing::TempDir() + "/intent_sessions.snap";
  ASSERT_TRUE(trainer.Write(path).ok());
  std::unique_ptr<IntentSnapshot> snap;
  ASSERT_TRUE(IntentSnapshot::Open(path, &snap).ok());
  std::vector<CommandId> h = {snap->Find("cmd4"), snap->Find("cmd1")};  // session 1's pattern
  Context ctx;
  ctx.history = h;
  std::vector<Prediction> p;
  std::vector<int> used;
  snap->Predict(ctx, 3, &p, &used);
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(snap->TemplateText(p[0].command), "cmd3");
  EXPECT_EQ(used[0], 2);
  h = {snap->Find("cmd2"), snap->Find("cmd1")};  // session 0's pattern
  ctx.history = h;
  snap->Predict(ctx, 3, &p, &used);
  EXPECT_EQ(snap->TemplateText(p[0].command), "cmd2");
}

TEST(IntentSnapshotTest, WorkingDirectoryAndFailuresAreContext) {
  IntentTrainer trainer;
  int64_t ts = 1;
  for (int i = 0; i < 40; ++i) {
    for (const char* dir : {"/a", "/b"}) {
      // In /a "make" is followed by "make test"; in /b by "make install".
      Event e;
      e.session = std::string("s") + dir;
      e.cwd = dir;
      e.ts_us = ts++;
      e.command = "make";
      e.exit_code = 0;
      trainer.Add(e);
      e.command = std::string(dir) == "/a" ? "make test" : "make install";
      e.ts_us = ts++;
      trainer.Add(e);
    }
  }
  std::string path = ::testing::TempDir() + "/intent_features.snap";
  ASSERT_TRUE(trainer.Write(path).ok());
  std::unique_ptr<IntentSnapshot> snap;
  ASSERT_TRUE(IntentSnapshot::Open(path, &snap).ok());
  EXPECT_EQ(snap->FindCwd("/nowhere"), 0u);
  std::vector<CommandId> h = {snap->Find("make")};
  std::vector<Prediction> p;
  std::vector<int> used;
  for (const char* dir : {"/a", "/b"}) {
    Context ctx;
    ctx.history = h;
    ctx.cwd = snap->FindCwd(dir);
    ASSERT_NE(ctx.cwd, 0u);
    snap->Predict(ctx, 2, &p, &used);
    ASSERT_FALSE(p.empty());
    EXPECT_EQ(snap->TemplateText(p[0].command), std::string(dir) == "/a" ? "make test" : "make install") << dir;
  }
}

TEST(IntentSnapshotTest, DamagedFilesAreRejected) {
  std::string dir = ::testing::TempDir();
  std::unique_ptr<IntentSnapshot> snap;
  EXPECT_TRUE(IntentSnapshot::Open(dir + "/missing.snap", &snap).IsNotFound());
  { std::ofstream f(dir + "/garbage.snap", std::ios::binary); f << std::string(500, 'x'); }
  EXPECT_EQ(IntentSnapshot::Open(dir + "/garbage.snap", &snap).code(), Status::Code::kCorruption);
  IntentTrainer trainer;
  for (int i = 0; i < 100; ++i) {
    Event e;
    e.command = "c" + std::to_string(i % 7);
    trainer.Add(e);
  }
  std::string good = dir + "/good.snap";
  ASSERT_TRUE(trainer.Write(good).ok());
  std::string bytes;
  { std::ifstream f(good, std::ios::binary); bytes.assign(std::istreambuf_iterator<char>(f), {}); }
  for (size_t cut : {size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    std::string p = dir + "/cut.snap";
    { std::ofstream f(p, std::ios::binary | std::ios::trunc); f.write(bytes.data(), static_cast<std::streamsize>(cut)); }
    EXPECT_EQ(IntentSnapshot::Open(p, &snap).code(), Status::Code::kCorruption) << cut;
  }
  EXPECT_TRUE(IntentSnapshot::Open(good, &snap).ok());
}

}  // namespace
}  // namespace memory::learner
