// The "ppm" model's fast paths (rows found through links from the previous step's rows instead of
// hashing, candidate indices kept while gathering, top-k by insertion with a partial-sort fallback
// on ties) against a straightforward implementation of the same definition written here: rows in
// a std::map keyed by the context's commands, every candidate's probability computed by the
// nested blend formula, all candidates sorted. Probabilities must agree bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "learner/builtin_models.h"
#include "learner/model.h"
#include "learner/ranked_list.h"

namespace memory::learner {
namespace {

// ppm(order, decay, escape, base_decay, candidates, skip=0, features=0) as ppm.cpp defines it.
class ReferencePpm {
 public:
  ReferencePpm(int order, double decay, double escape, double base_decay, int candidates)
      : order_(order), decay_(decay), escape_(escape), base_decay_(base_decay), candidates_(candidates) {}

  // Every candidate with its probability, best first (ties: by id, so callers compare per value).
  std::vector<Prediction> Predict(const std::vector<CommandId>& history) const {
    std::vector<Prediction> out;
    if (base_.size() == 0) return out;
    std::vector<const Row*> active;  // shortest context first
    for (int j = 1; j <= std::min<int>(order_, static_cast<int>(history.size())); ++j) {
      auto it = rows_.find(Key(history, j));
      if (it != rows_.end()) active.push_back(&it->second);
    }
    std::vector<CommandId> cands;
    auto take = [&](const DecayRow& row) {
      int taken = 0;
      for (const auto& e : row.ranked().entries()) {
        if (taken++ >= candidates_) break;
        if (std::find(cands.begin(), cands.end(), e.id) == cands.end()) cands.push_back(e.id);
      }
    };
    for (size_t a = active.size(); a-- > 0;) take(active[a]->scores);
    take(base_);
    for (CommandId c : cands) {
      double p = base_.Score(c) * (1.0 / base_.Sum());
      for (const Row* r : active) {
        double lambda = r->n / (r->n + escape_ * static_cast<double>(r->scores.size()));
        p = lambda * r->scores.Score(c) * (1.0 / r->scores.Sum()) + (1 - lambda) * p;
      }
      out.push_back({c, p});
    }
    std::sort(out.begin(), out.end(), [](const Prediction& a, const Prediction& b) {
      return a.prob != b.prob ? a.prob > b.prob : a.command < b.command;
    });
    return out;
  }

  void Learn(const std::vector<CommandId>& history, CommandId actual) {
    for (int j = 1; j <= std::min<int>(order_, static_cast<int>(history.size())); ++j) {
      Row& r = rows_[Key(history, j)];
      r.scores.DecayAndAdd(actual, decay_);
      r.n += 1;
    }
    base_.DecayAndAdd(actual, base_decay_);
  }

 private:
  struct Row {
    DecayRow scores;
    double n = 0;
  };
  static std::vector<CommandId> Key(const std::vector<CommandId>& history, int j) {
    return std::vector<CommandId>(history.end() - j, history.end());
  }
  int order_;
  double decay_, escape_, base_decay_;
  int candidates_;
  std::map<std::vector<CommandId>, Row> rows_;
  DecayRow base_;
};

// A stream with repeated phrases (long contexts recur), noise and a growing vocabulary.
std::vector<CommandId> Stream(int n, uint64_t seed) {
  uint64_t x = seed;
  auto next = [&] { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; };
  const std::vector<std::vector<CommandId>> phrases = {{1, 2, 3, 4}, {1, 2, 5}, {6, 7, 6, 7, 8}, {9, 1, 2}};
  std::vector<CommandId> s;
  while (static_cast<int>(s.size()) < n) {
    if (next() % 3 == 0) {
      s.push_back(static_cast<CommandId>(10 + next() % (20 + s.size() / 50)));
    } else {
      for (CommandId c : phrases[next() % phrases.size()]) s.push_back(c);
    }
  }
  s.resize(n);
  return s;
}

// Compares lists best first: the same probabilities in the same order, and for every run of equal
// probabilities the same commands (their order within a tie is the model's own choice).
void ExpectSameRanking(const std::vector<Prediction>& got, const std::vector<Prediction>& want, size_t k, int step) {
  ASSERT_EQ(got.size(), std::min(k, want.size())) << "step " << step;
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].prob, want[i].prob) << "step " << step << " rank " << i;
  for (size_t i = 0; i < got.size();) {
    size_t end = i;
    while (end < want.size() && want[end].prob == want[i].prob) ++end;
    std::vector<CommandId> g, w;
    for (size_t x = i; x < std::min(end, got.size()); ++x) g.push_back(got[x].command);
    for (size_t x = i; x < end; ++x) w.push_back(want[x].command);
    for (CommandId c : g) ASSERT_NE(std::find(w.begin(), w.end(), c), w.end()) << "step " << step << " rank " << i;
    if (end <= got.size()) {  // a whole tie group listed: the same set
      std::sort(g.begin(), g.end());
      std::sort(w.begin(), w.end());
      ASSERT_EQ(g, w) << "step " << step;
    }
    i = end;
  }
}

void CheckAgainstReference(int order, double decay, double escape, double base_decay, int candidates, uint64_t seed) {
  std::unique_ptr<NextCommandModel> model;
  ASSERT_TRUE(NewModel("ppm(order=" + std::to_string(order) + ",decay=" + FormatNumber(decay) +
                           ",escape=" + FormatNumber(escape) + ",base_decay=" +
                           FormatNumber(base_decay) + ",candidates=" + std::to_string(candidates) + ")",
                       &model)
                  .ok());
  ReferencePpm ref(order, decay, escape, base_decay, candidates);
  const std::vector<CommandId> stream = Stream(3000, seed);
  std::vector<CommandId> history;
  std::vector<Prediction> got;
  Context ctx;
  for (size_t i = 0; i < stream.size(); ++i) {
    ctx.history = history;
    ctx.position = static_cast<uint32_t>(i);
    const std::vector<Prediction> want = ref.Predict(history);
    // k below the candidates per row: first from k + 1 entries per row, kept when a bound shows the
    // rest cannot enter the top k; 1000: every candidate.
    for (size_t k : {size_t{1}, size_t{3}, size_t{5}, size_t{1000}}) {
      model->Predict(ctx, k, &got);
      ExpectSameRanking(got, want, k, static_cast<int>(i));
      if (::testing::Test::HasFatalFailure()) return;
    }
    model->Learn(ctx, stream[i]);
    ref.Learn(history, stream[i]);
    history.push_back(stream[i]);
  }
}

TEST(PpmFastPathTest, DecayedRowsMatchTheStraightforwardBlend) {
  CheckAgainstReference(8, 0.9, 8, 0.9, 12, 7);
}

TEST(PpmFastPathTest, PlainCountsWithManyTiesMatch) {  // decay 1: equal counts, so equal probabilities
  CheckAgainstReference(3, 1.0, 2, 1.0, 4, 11);
}

TEST(PpmFastPathTest, TiesWithManyCandidatesPerRowMatch) {  // the first, partial pass meets ties
  CheckAgainstReference(4, 1.0, 2, 1.0, 12, 13);
}

TEST(PpmFastPathTest, LinksSurviveClonesAndBrokenSequences) {
  // Two sessions interleaved at random, so a step continues the previous one (rows through links)
  // or not (rows looked up). Model a just follows; model b is cloned every 50 steps (links
  // dropped, rows shared and copied on write) and predicts unrelated contexts in between (which
  // must change nothing). Both must keep predicting the same.
  std::unique_ptr<NextCommandModel> a, b;
  const char* spec = "ppm(order=5,decay=0.9,escape=8,base_decay=0.9)";
  ASSERT_TRUE(NewModel(spec, &a).ok());
  ASSERT_TRUE(NewModel(spec, &b).ok());
  const std::vector<CommandId> stream = Stream(2000, 3);
  std::vector<CommandId> histories[2];
  std::vector<Prediction> pa, pb, scratch;
  Context ctx, other;
  const std::vector<CommandId> unrelated = {6, 7, 6};
  other.history = unrelated;
  uint64_t x = 5;
  for (size_t i = 0; i < stream.size(); ++i) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    std::vector<CommandId>& history = histories[x % 4 == 0];  // mostly session 0, runs of it
    ctx.history = history;
    a->Predict(ctx, 10, &pa);
    if (i % 7 == 3) b->Predict(other, 5, &scratch);
    b->Predict(ctx, 10, &pb);
    ASSERT_EQ(pa.size(), pb.size()) << i;
    for (size_t r = 0; r < pa.size(); ++r) {
      ASSERT_EQ(pa[r].command, pb[r].command) << i;
      ASSERT_EQ(pa[r].prob, pb[r].prob) << i;
    }
    a->Learn(ctx, stream[i]);
    if (i % 11 == 5) b->Predict(other, 3, &scratch);
    b->Learn(ctx, stream[i]);
    history.push_back(stream[i]);
    if (i % 50 == 49) b = b->Clone();
  }
}

}  // namespace
}  // namespace memory::learner
