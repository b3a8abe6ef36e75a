// The classic baselines, ranked exactly as shared/reference/next_command_baselines.py ranks them:
// most frequent (mfu), most recent (mru), Markov-1 with frequency fill, IPAM.
#include <algorithm>
#include <memory>
#include <mutex>

#include "learner/builtin_models.h"
#include "learner/ranked_list.h"

namespace memory::learner {

namespace {

// The commands already in a prediction list (one stamp per command id, so a check is O(1)).
class ListedIds {
 public:
  void Clear() {
    if (++stamp_ == 0) {  // wrapped: forget old stamps
      std::fill(marks_.begin(), marks_.end(), 0u);
      stamp_ = 1;
    }
  }
  // Marks `id`; false when it was already marked since Clear().
  bool Insert(CommandId id) {
    if (id >= marks_.size()) marks_.resize(std::max<size_t>(id + 1, marks_.size() * 2), 0u);
    if (marks_[id] == stamp_) return false;
    marks_[id] = stamp_;
    return true;
  }

 private:
  std::vector<uint32_t> marks_;
  uint32_t stamp_ = 0;
};

// Appends `entries` (best first) with probabilities val * scale / sum * mass until *out holds k,
// skipping commands already listed: `listed` holds exactly the commands of *out, or is null to
// search *out (faster for short lists).
[[gnu::always_inline]] inline void AppendEntries(std::span<const RankedList::Entry> entries, double sum, double scale, size_t k, double mass,
                   std::vector<Prediction>* out, ListedIds* listed) {
  for (const auto& e : entries) {
    if (out->size() >= k) break;
    if (listed != nullptr) {
      if (!listed->Insert(e.id)) continue;
    } else {
      bool seen = false;
      for (const Prediction& p : *out)
        if (p.command == e.id) { seen = true; break; }
      if (seen) continue;
    }
    out->push_back({e.id, sum > 0 ? mass * e.val * scale / sum : 0.0});
  }
}

// Appends up to k entries of `row`, best first (see AppendEntries).
void AppendRow(const DecayRow& row, size_t k, double mass, std::vector<Prediction>* out, ListedIds* listed) {
  const RankedList& ranked = row.ranked();
  AppendEntries(ranked.entries().first(ranked.ranked_size()), row.Sum(), row.scale(), k, mass, out, listed);
  if (out->size() < k && ranked.ranked_size() < ranked.size())  // rare: k beyond the ranked head
    AppendEntries(SortedTail(ranked), row.Sum(), row.scale(), k, mass, out, listed);
}

// What a Predict(k) dedups its list with: stamps for long lists, a search of the list for short.
ListedIds* ListedFor(size_t k, ListedIds* ids) {
  if (k <= 8) return nullptr;
  ids->Clear();
  return ids;
}

class MfuModel final : public NextCommandModel {
 public:
  void Predict(const Context&, size_t k, std::vector<Prediction>* out) override {
    out->clear();
    AppendRow(counts_, k, 1.0, out, nullptr);  // one list: nothing to dedup
  }
  void Learn(const Context&, CommandId actual) override { counts_.DecayAndAdd(actual, 1.0); }
  std::string Name() const override { return "mfu"; }
  std::unique_ptr<NextCommandModel> Clone() const override { return std::make_unique<MfuModel>(*this); }

 private:
  DecayRow counts_;
};

class MruModel final : public NextCommandModel {
 public:
  void Predict(const Context&, size_t k, std::vector<Prediction>* out) override {
    out->clear();
    // Probability: share of the last 64 distinct commands, weighted 1/rank (a rough calibration).
    double norm = 0;
    for (size_t i = 0; i < recent_.size(); ++i) norm += 1.0 / (i + 1);
    for (size_t i = 0; i < recent_.size() && i < k; ++i) out->push_back({recent_[i], 1.0 / (i + 1) / norm});
  }
  void Learn(const Context&, CommandId actual) override {
    auto it = std::find(recent_.begin(), recent_.end(), actual);
    if (it != recent_.end()) recent_.erase(it);
    recent_.insert(recent_.begin(), actual);
    if (recent_.size() > 64) recent_.resize(64);
  }
  std::string Name() const override { return "mru"; }
  std::unique_ptr<NextCommandModel> Clone() const override { return std::make_unique<MruModel>(*this); }

 private:
  std::vector<CommandId> recent_;
};

// Markov of order n: counts of the next command given the last j commands for j = n..1; the list
// comes from the longest context that has a row, filled from shorter ones and finally from mfu.
// Clone() shares the rows learned so far and copies a row when the clone changes it (as IPAM).
class MarkovModel final : public NextCommandModel {
 public:
  explicit MarkovModel(int order) : order_(order) {}
  MarkovModel(const MarkovModel& other)
      : order_(other.order_), shared_(other.shared_), index_(other.index_), rows_(other.rows_), mfu_(other.mfu_) {}
  void Predict(const Context& ctx, size_t k, std::vector<Prediction>* out) override {
    out->clear();
    ListedIds* listed = ListedFor(k, &listed_);
    double mass = 1.0;
    int n = std::min<int>(order_, static_cast<int>(ctx.history.size()));
    for (int j = n; j >= 1 && out->size() < k; --j) {
      const DecayRow* found = Row(ContextKey(ctx, j));
      if (found == nullptr) continue;
      const DecayRow& row = *found;
      double seen = row.Sum();
      double here = mass * seen / (seen + 1.0);  // leave some mass for what the row has not seen
      AppendRow(row, k, here, out, listed);
      mass -= here;
    }
    AppendRow(mfu_, k, mass, out, listed);
  }
  void Learn(const Context& ctx, CommandId actual) override {
    int n = std::min<int>(order_, static_cast<int>(ctx.history.size()));
    for (int j = 1; j <= n; ++j) {
      uint64_t key = ContextKey(ctx, j);
      uint32_t& r = index_.At(key, static_cast<uint32_t>(rows_.size()));
      if (r == rows_.size()) {
        const DecayRow* shared = SharedRow(key);
        if (shared != nullptr) {
          rows_.push_back(*shared);
        } else {
          rows_.emplace_back();
        }
      }
      rows_[r].DecayAndAdd(actual, 1.0);
    }
    mfu_.DecayAndAdd(actual, 1.0);
  }
  std::string Name() const override { return "markov(order=" + std::to_string(order_) + ")"; }
  std::unique_ptr<NextCommandModel> Clone() const override {
    std::lock_guard<std::mutex> lock(freeze_mu_);
    Freeze();
    return std::make_unique<MarkovModel>(*this);
  }

 private:
  struct Frozen {
    FlatMap64 index;
    std::vector<DecayRow> rows;
  };
  const DecayRow* SharedRow(uint64_t key) const {
    if (!shared_) return nullptr;
    uint32_t r = shared_->index.Get(key);
    return r == FlatMap64::kMissing ? nullptr : &shared_->rows[r];
  }
  const DecayRow* Row(uint64_t key) const {
    uint32_t r = index_.Get(key);
    return r != FlatMap64::kMissing ? &rows_[r] : SharedRow(key);
  }
  // Moves the own rows into a new shared block (merged with the current one, if any).
  void Freeze() const {
    if (rows_.empty()) return;
    auto frozen = std::make_shared<Frozen>();
    if (shared_) *frozen = *shared_;
    index_.ForEach([&](uint64_t key, uint32_t r) {
      uint32_t& dst = frozen->index.At(key, static_cast<uint32_t>(frozen->rows.size()));
      if (dst == frozen->rows.size()) {
        frozen->rows.push_back(std::move(rows_[r]));
      } else {
        frozen->rows[dst] = std::move(rows_[r]);
      }
    });
    index_ = FlatMap64();
    rows_.clear();
    shared_ = std::move(frozen);
  }

  int order_;
  mutable std::mutex freeze_mu_;                  // Clone() may run on several threads at once
  mutable std::shared_ptr<const Frozen> shared_;  // rows shared with clones (read-only)
  mutable FlatMap64 index_;                       // context key -> own row
  mutable std::vector<DecayRow> rows_;            // own rows (override shared_'s)
  DecayRow mfu_;
  ListedIds listed_;  // scratch of Predict
};

// IPAM (Davison & Hirsh 1998): per previous command a row of decayed scores; a default row gets
// every update; a new row starts as a copy of the default row; lists are filled from it.
//
// A new row copies only the default row's best `copy_limit` entries (kIpamRowCopy): a full copy
// costs time and memory in the number of distinct commands, per new row — quadratic over a
// history with thousands of distinct command lines (two simulated 100k-event histories: 17 s and
// 1.6 GB; limited: 6.8 s, 141 MB). The scores left out are below the copied ones and decay with
// them, so they cannot enter a list of at most copy_limit predictions except through near-ties;
// a command among them that comes again is re-entered lower by its old, decayed score (the
// probability it is listed with differs by that, ~1e-8). Purdue and Schonlau figures are
// identical to the sixth digit (tests/learner/baseline_reference_test.cpp; model_test.cpp
// compares full and limited copies on a large vocabulary).
//
// Clone() is cheap (a population model is cloned for every user or session): the rows learned so
// far are frozen into a block shared, read-only, by the model and its clones; each then keeps its
// own copies of the rows it updates afterwards (copy on write), so a clone costs the default row.
class IpamModel final : public NextCommandModel {
 public:
  IpamModel(double alpha, size_t copy_limit) : alpha_(alpha), copy_limit_(copy_limit) {}
  IpamModel(const IpamModel& other)
      : alpha_(other.alpha_), copy_limit_(other.copy_limit_), base_(other.base_), row_of_(other.row_of_), rows_(other.rows_),
        default_(other.default_) {}

  void Predict(const Context& ctx, size_t k, std::vector<Prediction>* out) override {
    out->clear();
    ListedIds* listed = ListedFor(k, &listed_);
    const DecayRow* row = Row(ctx.prev());
    if (row == nullptr) {
      AppendRow(default_, k, 1.0, out, listed);
      return;
    }
    AppendRow(*row, k, 1.0, out, listed);
    if (out->size() >= k) return;
    double rest = 0;  // fill entries share what the listed ones leave
    for (const Prediction& p : *out) rest += p.prob;
    AppendRow(default_, k, std::max(0.0, 1.0 - rest), out, listed);
  }
  void Learn(const Context& ctx, CommandId actual) override {
    CommandId prev = ctx.prev();
    if (prev != kNoCommand) {
      if (prev >= row_of_.size()) row_of_.resize(std::max<size_t>(prev + 1, row_of_.size() * 2), FlatMap64::kMissing);
      uint32_t& r = row_of_[prev];
      if (r == FlatMap64::kMissing) {
        r = static_cast<uint32_t>(rows_.size());
        const DecayRow* shared = base_ ? base_->Find(prev) : nullptr;
        if (shared != nullptr) {
          rows_.push_back(*shared);  // exact copy (scale included)
        } else {
          rows_.emplace_back();
          rows_.back().CopyTop(default_, copy_limit_);
        }
      }
      rows_[r].DecayAndAdd(actual, alpha_);
    }
    default_.DecayAndAdd(actual, alpha_);
  }
  std::string Name() const override { return "ipam(alpha=" + FormatNumber(alpha_) + ")"; }
  std::unique_ptr<NextCommandModel> Clone() const override {
    std::lock_guard<std::mutex> lock(freeze_mu_);
    Freeze();
    return std::make_unique<IpamModel>(*this);
  }

 private:
  struct Frozen {
    std::vector<uint32_t> row_of;
    std::vector<DecayRow> rows;
    const DecayRow* Find(CommandId prev) const {
      uint32_t r = prev < row_of.size() ? row_of[prev] : FlatMap64::kMissing;
      return r == FlatMap64::kMissing ? nullptr : &rows[r];
    }
  };
  const DecayRow* Row(CommandId prev) const {
    uint32_t r = prev < row_of_.size() ? row_of_[prev] : FlatMap64::kMissing;
    if (r != FlatMap64::kMissing) return &rows_[r];
    return base_ && prev != kNoCommand ? base_->Find(prev) : nullptr;
  }
  // Moves the own rows into a new shared block (merged with the current one, if any). Changes
  // the representation only, not what the model predicts.
  void Freeze() const {
    if (rows_.empty()) return;
    auto frozen = std::make_shared<Frozen>();
    if (base_) *frozen = *base_;
    if (frozen->row_of.size() < row_of_.size()) frozen->row_of.resize(row_of_.size(), FlatMap64::kMissing);
    for (CommandId prev = 0; prev < row_of_.size(); ++prev) {
      uint32_t r = row_of_[prev];
      if (r == FlatMap64::kMissing) continue;
      uint32_t& dst = frozen->row_of[prev];
      if (dst == FlatMap64::kMissing) {
        dst = static_cast<uint32_t>(frozen->rows.size());
        frozen->rows.push_back(std::move(rows_[r]));
      } else {
        frozen->rows[dst] = std::move(rows_[r]);
      }
    }
    base_ = std::move(frozen);
    rows_.clear();
    row_of_.clear();
  }

  double alpha_;
  size_t copy_limit_;  // entries of the default row a new row starts with
  mutable std::mutex freeze_mu_;          // Clone() may run on several threads at once
  mutable std::shared_ptr<const Frozen> base_;  // rows shared with clones (read-only)
  mutable std::vector<uint32_t> row_of_;  // previous command id -> own row (ids are dense)
  mutable std::vector<DecayRow> rows_;    // own rows: override base_'s
  DecayRow default_;
  ListedIds listed_;  // scratch of Predict
};

}  // namespace

std::unique_ptr<NextCommandModel> NewMfuModel() { return std::make_unique<MfuModel>(); }
std::unique_ptr<NextCommandModel> NewMruModel() { return std::make_unique<MruModel>(); }
std::unique_ptr<NextCommandModel> NewMarkovModel(int order) { return std::make_unique<MarkovModel>(order); }
std::unique_ptr<NextCommandModel> NewIpamModel(double alpha, size_t copy_limit) {
  return std::make_unique<IpamModel>(alpha, copy_limit);
}

}  // namespace memory::learner
