// A damaged intent snapshot never crashes a reader: Open either rejects it (Corruption, or
// NotFound/IOError for a file that is gone) or maps something every lookup and Predict can walk
// without reading outside the file. Seeded random damage (tests/damage.h: random bytes, 0xff
// bytes, cuts); scripts/test-sanitizers runs this under AddressSanitizer, where a read past the
// mapping fails.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "learner/intent_snapshot.h"
#include "store/event.h"
#include "tests/damage.h"
#include "tests/learner/test_util.h"

namespace memory::learner {
namespace {

TEST(IntentSnapshotDamage, RandomDamageIsRejectedOrReadSafely) {
  // A snapshot with every section: several cwds, failures (exit context), sessions, templates.
  IntentTrainer trainer("ppm(order=3,features=2)");
  ASSERT_TRUE(trainer.status().ok());
  const std::vector<CommandId> stream = testing::SyntheticStream(3000, 60, 11);
  for (size_t i = 0; i < stream.size(); ++i) {
    Event e;
    e.command = "cmd" + std::to_string(stream[i]) + (i % 5 == 0 ? " 'a quoted arg'" : "");
    e.cwd = "/home/u/p" + std::to_string(stream[i] % 7);
    e.session = "s" + std::to_string(i / 300);
    e.exit_code = stream[i] % 9 == 0 ? 1 : 0;
    e.ts_us = static_cast<int64_t>(i + 1) * 1'000'000;
    trainer.Add(e);
  }
  const std::string path = ::testing::TempDir() + "/damage.snap";
  ASSERT_TRUE(trainer.Write(path).ok());
  const std::string good = memory::testing::ReadWholeFile(path);
  ASSERT_GT(good.size(), 1000u);

  memory::testing::Damage damage(20261206);
  int opened = 0, rejected = 0;
  std::vector<Prediction> out;
  std::vector<int> orders;
  for (int round = 0; round < 400; ++round) {
    memory::testing::ReplaceFile(path, damage.Apply(good, round));
    std::unique_ptr<IntentSnapshot> snap;
    Status s = IntentSnapshot::Open(path, &snap);
    if (!s.ok()) {
      EXPECT_TRUE(s.code() == Status::Code::kCorruption || s.IsNotFound() || s.code() == Status::Code::kIOError) << s.ToString();
      ++rejected;
      continue;
    }
    ++opened;
    // Walk everything a reader can reach.
    for (size_t id = 0; id < snap->commands() + 2; ++id) {
      (void)snap->TemplateText(static_cast<CommandId>(id));
      (void)snap->DisplayText(static_cast<CommandId>(id));
    }
    for (int c = 0; c < 9; ++c) (void)snap->FindCwd("/home/u/p" + std::to_string(c));
    (void)snap->Find("cmd7");
    for (size_t i = 3; i < stream.size(); i += 97) {
      Context ctx;
      ctx.history = std::span<const CommandId>(stream.data() + i - 3, 3);
      ctx.cwd = static_cast<uint32_t>(1 + i % 7);
      ctx.has_last_exit = true;
      ctx.last_exit = static_cast<int32_t>(i % 2);
      ctx.position = static_cast<uint32_t>(i % 300);
      snap->Predict(ctx, 5, &out, &orders);
      for (const Prediction& p : out) EXPECT_TRUE(p.prob >= 0 && p.prob <= 1 + 1e-9) << p.prob;
    }
  }
  // Both outcomes occur: damage outside the checked structure is served, the rest rejected.
  EXPECT_GT(rejected, 100);
  EXPECT_GT(opened, 0);

  // Scores inflated a millionfold (each now above its row's sum) are damage the blend must not
  // pass on: every probability stays within [0, 1].
  {
    std::string inflated = good;
    uint64_t entries = 0, entries_off = 0;
    std::memcpy(&entries, inflated.data() + 64, sizeof entries);      // num_entries
    std::memcpy(&entries_off, inflated.data() + 96, sizeof entries_off);  // entries_off
    ASSERT_GT(entries, 10u);
    ASSERT_LE(entries_off + entries * 16, inflated.size());
    for (uint64_t i = 0; i < entries; ++i) {  // EntryRec: id, pad, then the score
      double score;
      std::memcpy(&score, inflated.data() + entries_off + i * 16 + 8, sizeof score);
      score *= 1e6;
      std::memcpy(inflated.data() + entries_off + i * 16 + 8, &score, sizeof score);
    }
    memory::testing::ReplaceFile(path, inflated);
    std::unique_ptr<IntentSnapshot> snap;
    ASSERT_TRUE(IntentSnapshot::Open(path, &snap).ok());
    for (size_t i = 3; i < stream.size(); i += 97) {
      Context ctx;
      ctx.history = std::span<const CommandId>(stream.data() + i - 3, 3);
      snap->Predict(ctx, 5, &out, &orders);
      for (const Prediction& p : out) EXPECT_TRUE(p.prob >= 0 && p.prob <= 1 + 1e-9) << p.prob;
    }
  }

  // A crafted row count whose table size wraps around 2^64 (+2^61 rows of 40 bytes) leaves every
  // offset in the header consistent: Open must still see that the table cannot fit the file.
  std::string crafted = good;
  constexpr size_t kNumRowsAt = 56;  // magic, endian, order, 3 doubles, 4 int32 fields before it
  uint64_t rows = 0;
  std::memcpy(&rows, crafted.data() + kNumRowsAt, sizeof rows);
  ASSERT_GT(rows, 1u);
  ASSERT_LT(rows, good.size() / 40);
  rows += uint64_t(1) << 61;
  std::memcpy(crafted.data() + kNumRowsAt, &rows, sizeof rows);
  memory::testing::ReplaceFile(path, crafted);
  std::unique_ptr<IntentSnapshot> snap;
  Status s = IntentSnapshot::Open(path, &snap);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace memory::learner
