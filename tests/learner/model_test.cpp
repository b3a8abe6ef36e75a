#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>

#include "learner/builtin_models.h"
#include "learner/ranked_list.h"

#include "learner/model.h"
#include "test_util.h"

namespace memory::learner {
namespace {

using testing::SyntheticStream;

// Runs predict-then-learn over `stream` and returns every prediction list, flattened.
std::vector<Prediction> Trace(NextCommandModel* m, const std::vector<CommandId>& stream, size_t k = 5) {
  std::vector<Prediction> all, preds;
  for (size_t i = 0; i < stream.size(); ++i) {
    Context ctx;
    ctx.history = std::span<const CommandId>(stream.data(), i);
    m->Predict(ctx, k, &preds);
    all.insert(all.end(), preds.begin(), preds.end());
    all.push_back({kNoCommand, -1});
    m->Learn(ctx, stream[i]);
  }
  return all;
}

void ExpectSameTrace(const std::vector<Prediction>& a, const std::vector<Prediction>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].command, b[i].command) << "at " << i;
    ASSERT_DOUBLE_EQ(a[i].prob, b[i].prob) << "at " << i;
  }
}

const char* kSpecs[] = {
    "mfu", "mfc", "mru", "markov", "markov(order=1)", "markov(order=3)", "ipam", "ipam(alpha=0.85)",
    "ppm", "ppm(order=2,decay=0.8)", "ppm(order=0)", "ppm(order=4,escape=0.5,base_decay=1,candidates=30,skip=1)",
    "mixture(mfu,ipam(alpha=0.8))", "mixture( ppm(order=2) , markov , rate=0.5, share=0, per_context=0 )",
    "mixture(mixture(mfu,mru),ipam)", "mixture(ppm,markov,eg=1,rate=0.2)", "mixture(ppm,ipam,select=0.99)",
    "mixture(ppm,ipam,share=0.01,select=0.9,margin=2.5)", "best",
};

TEST(ModelFactoryTest, EverySpecRoundTripsThroughName) {
  auto stream = SyntheticStream(600, 40, 7);
  for (const char* spec : kSpecs) {
    SCOPED_TRACE(spec);
    std::unique_ptr<NextCommandModel> a, b;
    ASSERT_TRUE(NewModel(spec, &a).ok());
    std::string name = a->Name();
    Status st = NewModel(name, &b);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(b->Name(), name);
    ExpectSameTrace(Trace(a.get(), stream), Trace(b.get(), stream));
  }
}

TEST(ModelFactoryTest, CanonicalNames) {
  std::unique_ptr<NextCommandModel> m;
  ASSERT_TRUE(NewModel("mfc", &m).ok());
  EXPECT_EQ(m->Name(), "mfu");
  ASSERT_TRUE(NewModel("markov", &m).ok());
  EXPECT_EQ(m->Name(), "markov(order=1)");
  ASSERT_TRUE(NewModel("ipam", &m).ok());
  EXPECT_EQ(m->Name(), "ipam(alpha=0.8)");
  ASSERT_TRUE(NewModel("best", &m).ok());
  std::unique_ptr<NextCommandModel> best;
  ASSERT_TRUE(NewModel(BestModelSpec(), &best).ok());
  EXPECT_EQ(m->Name(), best->Name());
}

TEST(ModelFactoryTest, BadSpecsAreClearErrors) {
  const char* bad[] = {"", "   ", "foo", "markov(order=0)", "markov(order=x)", "markov(order=1",
                       "ipam(alpha=2)", "ipam(alpha=nan)", "ppm(bogus=1)", "ppm(order=)", "mixture()",
                       "mixture(", "mfu(mru)", "mixture(mfu,nope)", "markov)", "best(order=1)",
                       "mixture(mfu,rate=-1)", "ppm(order=3,order=4)"};
  for (const char* spec : bad) {
    SCOPED_TRACE(spec);
    std::unique_ptr<NextCommandModel> m;
    Status st = NewModel(spec, &m);
    EXPECT_FALSE(st.ok());
    EXPECT_FALSE(st.message().empty());
  }
  std::unique_ptr<NextCommandModel> m;
  Status st = NewModel("foo", &m);
  EXPECT_EQ(st.code(), Status::Code::kUnsupported);
  EXPECT_NE(st.message().find("ipam"), std::string::npos) << "lists the known models";
}

// Most frequent: ties go to the command used most recently (the reference's rule).
TEST(BaselineTest, MostFrequentBreaksTiesByRecency) {
  std::unique_ptr<NextCommandModel> m;
  ASSERT_TRUE(NewModel("mfu", &m).ok());
  std::vector<CommandId> s = {0, 1, 2, 1, 0};  // counts: 0 -> 2, 1 -> 2, 2 -> 1
  Context ctx;
  for (CommandId c : s) m->Learn(ctx, c);
  std::vector<Prediction> p;
  m->Predict(ctx, 5, &p);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].command, 0u);  // tied with 1, used later
  EXPECT_EQ(p[1].command, 1u);
  EXPECT_EQ(p[2].command, 2u);
  EXPECT_DOUBLE_EQ(p[0].prob, 2.0 / 5);
}

// Beyond the ranked head of its list (RankedList::kHead), most frequent still lists every command
// once, by descending count: 1,000 commands used 1..5 times, asked for 700.
TEST(BaselineTest, MostFrequentListsBeyondTheRankedHead) {
  std::unique_ptr<NextCommandModel> m;
  ASSERT_TRUE(NewModel("mfu", &m).ok());
  Context ctx;
  std::map<CommandId, int> count;
  for (int round = 0; round < 5; ++round)
    for (CommandId c = 0; c < 1000; ++c)
      if (c % 5 >= static_cast<CommandId>(round)) m->Learn(ctx, c), ++count[c];
  std::vector<Prediction> p;
  m->Predict(ctx, 700, &p);
  ASSERT_EQ(p.size(), 700u);
  std::map<CommandId, int> listed;
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_EQ(++listed[p[i].command], 1) << "listed twice: " << p[i].command;
    EXPECT_DOUBLE_EQ(p[i].prob, count[p[i].command] / 3000.0) << i;
    if (i > 0) {
      EXPECT_GE(p[i - 1].prob, p[i].prob) << i;
    }
  }
  EXPECT_DOUBLE_EQ(p[699].prob, 2 / 3000.0);  // 200 used 5 times, 200 4, 200 3, then 2
}

// Markov-1: the row of the previous command first, then most-frequent fill without repeats.
TEST(BaselineTest, MarkovFillsFromMostFrequent) {
  std::unique_ptr<NextCommandModel> m;
  ASSERT_TRUE(NewModel("markov", &m).ok());
  std::vector<CommandId> s = {5, 6, 7, 7, 7, 5, 6};
  for (size_t i = 0; i < s.size(); ++i) {
    Context ctx;
    ctx.history = std::span<const CommandId>(s.data(), i);
    m->Learn(ctx, s[i]);
  }
  Context ctx;
  ctx.history = std::span<const CommandId>(s.data(), s.size());  // previous = 6, row(6) = {7}
  std::vector<Prediction> p;
  m->Predict(ctx, 3, &p);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].command, 7u);
  EXPECT_EQ(p[1].command, 6u);  // mfu: 7 (3), then 6 and 5 tie at 2, 6 more recent
  EXPECT_EQ(p[2].command, 5u);
}

// IPAM with alpha = 0.5 on "a b": row(a) starts as the default row {a: .5}, becomes {a: .25, b: .5}.
TEST(BaselineTest, IpamRowsStartFromDefaultRow) {
  std::unique_ptr<NextCommandModel> m;
  ASSERT_TRUE(NewModel("ipam(alpha=0.5)", &m).ok());
  std::vector<CommandId> s = {1, 2};
  for (size_t i = 0; i < s.size(); ++i) {
    Context ctx;
    ctx.history = std::span<const CommandId>(s.data(), i);
    m->Learn(ctx, s[i]);
  }
  std::vector<CommandId> h = {1};
  Context ctx;
  ctx.history = h;
  std::vector<Prediction> p;
  m->Predict(ctx, 5, &p);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].command, 2u);
  EXPECT_EQ(p[1].command, 1u);
  EXPECT_NEAR(p[0].prob, 0.5 / 0.75, 1e-12);
}

// New rows copy only the default row's best kIpamRowCopy entries: on a stream with thousands of
// distinct commands the lists of up to 10 predictions are those of the full copy in the same
// order (measured: all 29,999), the hits are the same, and a probability differs by less than
// 1e-6 (6.4e-8: a command left out of a copy that comes again lacks its old, decayed score).
TEST(BaselineTest, IpamLimitedRowCopyListsWhatTheFullCopyLists) {
  auto stream = SyntheticStream(30000, 4000, 13);
  auto full = NewIpamModel(0.8, SIZE_MAX);
  auto limited = NewIpamModel(0.8);
  std::vector<Prediction> a, b;
  int64_t hits_full[3] = {0, 0, 0}, hits_limited[3] = {0, 0, 0}, same = 0, same_order = 0, n = 0;
  double max_diff = 0;
  for (size_t i = 0; i < stream.size(); ++i) {
    Context ctx;
    ctx.history = std::span<const CommandId>(stream.data(), i);
    if (i > 0) {
      full->Predict(ctx, 10, &a);
      limited->Predict(ctx, 10, &b);
      bool equal = a.size() == b.size();
      bool order = equal;
      for (size_t r = 0; order && r < a.size(); ++r) order = a[r].command == b[r].command;
      for (size_t r = 0; order && r < a.size(); ++r) max_diff = std::max(max_diff, std::abs(a[r].prob - b[r].prob));
      for (size_t r = 0; equal && r < a.size(); ++r) equal = a[r].command == b[r].command && a[r].prob == b[r].prob;
      same += equal;
      same_order += order;
      ++n;
      const int ks[3] = {1, 3, 5};
      for (int j = 0; j < 3; ++j) {
        for (size_t r = 0; r < a.size() && r < size_t(ks[j]); ++r) hits_full[j] += a[r].command == stream[i];
        for (size_t r = 0; r < b.size() && r < size_t(ks[j]); ++r) hits_limited[j] += b[r].command == stream[i];
      }
    }
    full->Learn(ctx, stream[i]);
    limited->Learn(ctx, stream[i]);
  }
  for (int j = 0; j < 3; ++j) EXPECT_EQ(hits_limited[j], hits_full[j]) << j;
  EXPECT_GE(same_order, n * 999 / 1000) << same_order << " of " << n << " lists in the same order (" << same
                                          << " with equal probabilities)";
  EXPECT_LT(max_diff, 1e-6);
}

TEST(ModelTest, PredictionsAreRankedProbabilities) {
  auto stream = SyntheticStream(3000, 60, 3);
  for (const char* spec : kSpecs) {
    SCOPED_TRACE(spec);
    std::unique_ptr<NextCommandModel> m;
    ASSERT_TRUE(NewModel(spec, &m).ok());
    std::vector<Prediction> p;
    for (size_t i = 0; i < stream.size(); ++i) {
      Context ctx;
      ctx.history = std::span<const CommandId>(stream.data(), i);
      m->Predict(ctx, 5, &p);
      ASSERT_LE(p.size(), 5u);
      if (i > 0) {
        ASSERT_FALSE(p.empty());
      }
      double sum = 0;
      for (size_t r = 0; r < p.size(); ++r) {
        ASSERT_GE(p[r].prob, 0.0);
        sum += p[r].prob;
        for (size_t q = 0; q < r; ++q) ASSERT_NE(p[q].command, p[r].command);
      }
      ASSERT_LE(sum, 1.0 + 1e-9);
      m->Learn(ctx, stream[i]);
    }
  }
}

TEST(ModelTest, CloneKeepsWhatWasLearnedAndIsIndependent) {
  auto stream = SyntheticStream(2000, 30, 11);
  auto tail = SyntheticStream(500, 30, 12);
  for (const char* spec : kSpecs) {
    SCOPED_TRACE(spec);
    std::unique_ptr<NextCommandModel> m;
    ASSERT_TRUE(NewModel(spec, &m).ok());
    Trace(m.get(), stream);
    auto c = m->Clone();
    auto c2 = m->Clone();
    ExpectSameTrace(Trace(m.get(), tail), Trace(c.get(), tail));
    // c2 was not touched by the traces above: it still predicts what m predicted before them.
    std::unique_ptr<NextCommandModel> fresh;
    ASSERT_TRUE(NewModel(spec, &fresh).ok());
    Trace(fresh.get(), stream);
    ExpectSameTrace(Trace(fresh.get(), tail), Trace(c2.get(), tail));
  }
}

// Clones share what was learned before them (copy on write): clones of clones, and a model that
// learns after being cloned and is cloned again, still behave exactly like a model trained on the
// same commands from scratch.
TEST(ModelTest, ClonesOfClonesEqualFreshModels) {
  auto a = SyntheticStream(1500, 30, 21), b = SyntheticStream(700, 30, 22), c = SyntheticStream(700, 30, 23);
  auto tail = SyntheticStream(400, 30, 24);
  for (const char* spec : {"ipam", "markov(order=2)", "ppm(order=4,skip=1)", "best"}) {
    SCOPED_TRACE(spec);
    std::unique_ptr<NextCommandModel> pop;
    ASSERT_TRUE(NewModel(spec, &pop).ok());
    Trace(pop.get(), a);
    auto c1 = pop->Clone();
    Trace(c1.get(), b);  // c1's history restarts: as a fresh model trained on a, then b
    auto c2 = c1->Clone();
    Trace(pop.get(), c);
    auto c3 = pop->Clone();
    std::unique_ptr<NextCommandModel> ab, ac;
    ASSERT_TRUE(NewModel(spec, &ab).ok());
    ASSERT_TRUE(NewModel(spec, &ac).ok());
    Trace(ab.get(), a), Trace(ab.get(), b);
    Trace(ac.get(), a), Trace(ac.get(), c);
    auto ab2 = ab->Clone();
    ExpectSameTrace(Trace(ab.get(), tail), Trace(c2.get(), tail));
    ExpectSameTrace(Trace(ab2.get(), tail), Trace(c1.get(), tail));
    ExpectSameTrace(Trace(ac.get(), tail), Trace(c3.get(), tail));
  }
}

// ForEachPpmRow sees the same rows whether they are shared with clones or a model's own.
TEST(ModelTest, PpmRowsOfACloneEqualAFreshModels) {
  auto a = SyntheticStream(1200, 30, 31), b = SyntheticStream(500, 30, 32);
  std::unique_ptr<NextCommandModel> pop, fresh;
  ASSERT_TRUE(NewModel("ppm(order=3,skip=1)", &pop).ok());
  ASSERT_TRUE(NewModel("ppm(order=3,skip=1)", &fresh).ok());
  Trace(pop.get(), a);
  auto clone = pop->Clone();
  Trace(clone.get(), b);
  Trace(fresh.get(), a), Trace(fresh.get(), b);
  using RowKey = std::pair<int, uint64_t>;
  auto collect = [](const NextCommandModel& m) {
    std::map<RowKey, std::vector<double>> rows;
    EXPECT_TRUE(ForEachPpmRow(m, [&](const PpmRowView& v) {
      std::vector<double>& r = rows[{v.slot, v.key}];
      EXPECT_TRUE(r.empty()) << "row visited twice";
      r = {v.n, v.scores->Sum(), static_cast<double>(v.scores->size())};
      for (const auto& e : v.scores->ranked().entries()) r.push_back(e.id), r.push_back(e.val * v.scores->scale());
    }, nullptr));
    return rows;
  };
  auto want = collect(*fresh), got = collect(*clone);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [key, row] : want) {
    auto it = got.find(key);
    ASSERT_NE(it, got.end());
    ASSERT_EQ(it->second.size(), row.size());
    for (size_t i = 0; i < row.size(); ++i) EXPECT_DOUBLE_EQ(it->second[i], row[i]);
  }
}

// features=2: the session row predicts what the previous commands cannot: the first command of a
// person's session (after a pause), and an agent's step that repeats across runs.
TEST(PpmSessionFeatures, SessionStartsAndAgentStepsArePredicted) {
  // 4 of 5 sessions are a person's, in one directory: "login" (0), then random commands 10..12
  // (each more frequent than login). The others are an agent's, each run in its own task
  // directory with its own commands (never seen before: no sequence row knows them), except
  // step 4, always 104. The agent's step row is blended first (it is broad: it only fills in
  // where no longer context is known), the session-start row last.
  auto run = [](const std::string& spec, double* starts, double* steps) {
    std::unique_ptr<NextCommandModel> m;
    ASSERT_TRUE(NewModel(spec, &m).ok());
    uint64_t x = 12345;
    auto rnd = [&] { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; };
    std::vector<CommandId> history;
    int start_hits = 0, start_n = 0, step_hits = 0, step_n = 0;
    std::vector<Prediction> preds;
    for (int session = 0; session < 1000; ++session) {
      const bool agent = session % 5 == 4;
      for (uint32_t pos = 0; pos < 6; ++pos) {
        CommandId actual = agent ? (pos == 4 ? 104 : 5000 + 10 * session + pos) : pos == 0 ? 0 : 10 + rnd() % 3;
        Context ctx;
        ctx.history = history;
        ctx.position = pos;
        ctx.gap_us = pos == 0 ? 2 * kSessionPauseUs : 1000000;
        ctx.agent = agent;
        ctx.cwd = agent ? 1000 + session : 1;
        const bool start = !agent && pos == 0, step = agent && pos == 4;
        if (session >= 200 && (start || step)) {
          m->Predict(ctx, 1, &preds);
          const bool hit = !preds.empty() && preds[0].command == actual;
          (start ? start_hits : step_hits) += hit;
          ++(start ? start_n : step_n);
        }
        m->Learn(ctx, actual);
        history.push_back(actual);
      }
    }
    *starts = double(start_hits) / start_n;
    *steps = double(step_hits) / step_n;
  };
  double starts_with, steps_with, starts_without, steps_without;
  run("ppm(order=3,features=2)", &starts_with, &steps_with);
  run("ppm(order=3,features=1)", &starts_without, &steps_without);
  EXPECT_GT(starts_with, 0.9);
  EXPECT_GT(steps_with, 0.9);
  EXPECT_LT(starts_without, 0.5);
  EXPECT_LT(steps_without, 0.5);
}

}  // namespace
}  // namespace memory::learner
