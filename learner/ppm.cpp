// "ppm": a variable-order blend of decayed counts (in the spirit of PPM / Witten-Bell
// interpolation, with IPAM's recency). For a context of the last j commands (j = 1..order) a row
// keeps decayed scores of what followed it, the number n of times it was seen and the number d of
// distinct followers. The distribution starts from the decayed frequency of every command
// (order 0) and each longer context that has a row is blended in:
//   P_j(c) = lambda_j * score_j(c) / sum_j + (1 - lambda_j) * P_{j-1}(c),
//   lambda_j = n_j / (n_j + escape * d_j).
#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>

#include "learner/builtin_models.h"
#include "learner/ranked_list.h"

namespace memory::learner {

class PpmModel final : public NextCommandModel {
 public:
  static constexpr int kMaxOrder = 8;  // the factory's limit
  // Slot of the skip context (the command two back, alone) after the orders 0..order.
  // Slots order+2 and order+3: the context features (working directory; previous command and
  // whether it failed).
  // Slot order+4 (features=2): how sessions start and agents proceed (see SessionKey).
  explicit PpmModel(const PpmOptions& o)
      : o_(o), index_(o.order + 5), rows_(o.order + 5), last_(o.order + 5, Lookup{FlatMap64::kEmpty, 0}) {}
  PpmModel(const PpmModel& other)
      : o_(other.o_), shared_(other.shared_), index_(other.index_), rows_(other.rows_),
        base_(other.base_), last_(other.last_) {}

  void Predict(const Context& ctx, size_t k, std::vector<Prediction>* out) override {
    out->clear();
    if (base_.size() == 0) return;
    int n = std::min<int>(o_.order, static_cast<int>(ctx.history.size()));
    // Rows of this context, shortest first, with their blend weights.
    active_.clear();
    // Keys first, with their hash slots prefetched, so the lookups' cache misses overlap.
    uint64_t keys[kMaxOrder + 1];
    uint64_t key = kContextKeySeed;
    for (int j = 1; j <= n; ++j) {
      key = keys[j] = NextContextKey(key, ctx.prev(j));
      index_[j].Prefetch(key);
    }
    // The session row: an agent's step first (broad), a session start last (most specific then).
    const uint64_t session_key = o_.features >= 2 ? SessionKey(ctx) : 0;
    const bool session_first = session_key != 0 && !IsSessionStart(ctx);
    if (session_first) AddActive(SessionSlot(), session_key);
    if (o_.features && ctx.cwd != 0) AddActive(CwdSlot(), CwdKey(ctx));
    for (int j = 1; j <= n; ++j) {
      if (j == 2 && o_.skip) AddActive(SkipSlot(), SkipKey(ctx));
      AddActive(j, keys[j]);
      if (j == 1 && o_.features && ctx.has_last_exit) AddActive(ExitSlot(), ExitKey(ctx));
    }
    if (n == 1 && o_.skip && ctx.history.size() >= 2) AddActive(SkipSlot(), SkipKey(ctx));
    if (session_key != 0 && !session_first) AddActive(SessionSlot(), session_key);
    // Candidates: the best `candidates` entries of each row, longest context first.
    cands_.clear();
    if (++stamp_ == 0) {  // wrapped: forget old stamps
      std::fill(seen_.begin(), seen_.end(), Seen{0, 0});
      stamp_ = 1;
    }
    auto take = [&](const DecayRow& row) {
      int taken = 0;
      for (const auto& e : row.ranked().entries()) {
        if (taken++ >= o_.candidates) break;
        if (e.id >= seen_.size()) seen_.resize(std::max<size_t>(e.id + 1, seen_.size() * 2), Seen{0, 0});
        if (seen_[e.id].stamp == stamp_) continue;
        seen_[e.id] = {stamp_, static_cast<uint32_t>(cands_.size())};
        cands_.push_back(e.id);
      }
    };
    for (size_t a = active_.size(); a-- > 0;) take(*active_[a].row);
    take(base_);
    // Blend, one row at a time over all candidates: p = lambda * score * inv_sum + (1 - lambda) * p.
    // A row shorter than the candidate list is scanned (a candidate it lacks has score 0, whose
    // term is exactly 0); a longer one is looked up per candidate. Same arithmetic as the nested
    // form, so results are bit-identical to it (and to IntentSnapshot::Predict).
    const size_t nc = cands_.size();
    probs_.resize(nc);
    const double base_inv = 1.0 / base_.Sum();
    for (size_t i = 0; i < nc; ++i) probs_[i] = base_.Score(cands_[i]) * base_inv;
    for (const Active& a : active_) {
      const double keep = 1 - a.lambda;
      const double scale = a.row->scale();
      const auto& entries = a.row->ranked().entries();
      if (entries.size() <= 2 * nc) {
        for (size_t i = 0; i < nc; ++i) probs_[i] = keep * probs_[i];
        for (const auto& e : entries) {
          if (e.id >= seen_.size() || seen_[e.id].stamp != stamp_) continue;
          double& p = probs_[seen_[e.id].index];
          p = a.lambda * (e.val * scale) * a.inv_sum + p;
        }
      } else {
        for (size_t i = 0; i < nc; ++i)
          probs_[i] = a.lambda * a.row->Score(cands_[i]) * a.inv_sum + keep * probs_[i];
      }
    }
    scored_.resize(nc);
    for (size_t i = 0; i < nc; ++i) scored_[i] = {cands_[i], probs_[i]};
    size_t m = std::min(k, scored_.size());
    std::partial_sort(scored_.begin(), scored_.begin() + m, scored_.end(),
                      [](const Prediction& a, const Prediction& b) { return a.prob > b.prob; });
    out->assign(scored_.begin(), scored_.begin() + m);
  }

  void Learn(const Context& ctx, CommandId actual) override {
    int n = std::min<int>(o_.order, static_cast<int>(ctx.history.size()));
    uint64_t key = kContextKeySeed;
    for (int j = 1; j <= n; ++j) {
      key = NextContextKey(key, ctx.prev(j));
      LearnRow(j, key, actual);
    }
    if (o_.skip && ctx.history.size() >= 2) LearnRow(SkipSlot(), SkipKey(ctx), actual);
    if (o_.features && ctx.cwd != 0) LearnRow(CwdSlot(), CwdKey(ctx), actual);
    if (o_.features && ctx.has_last_exit && n >= 1) LearnRow(ExitSlot(), ExitKey(ctx), actual);
    if (o_.features >= 2)
      if (uint64_t sk = SessionKey(ctx)) LearnRow(SessionSlot(), sk, actual);
    base_.DecayAndAdd(actual, o_.base_decay);
  }

  std::string Name() const override {
    return "ppm(order=" + std::to_string(o_.order) + ",decay=" + FormatNumber(o_.decay) +
           ",escape=" + FormatNumber(o_.escape) + ",base_decay=" + FormatNumber(o_.base_decay) +
           ",candidates=" + std::to_string(o_.candidates) + ",skip=" + std::to_string(o_.skip) + ",features=" + std::to_string(o_.features) + ")";
  }
  // Cheap: the rows learned so far are frozen into a block shared read-only with the clone; each
  // model then copies a shared row into its own rows before changing it (copy on write).
  std::unique_ptr<NextCommandModel> Clone() const override {
    std::lock_guard<std::mutex> lock(freeze_mu_);
    Freeze();
    return std::make_unique<PpmModel>(*this);
  }

  const PpmOptions& options() const { return o_; }
  void ForEachRow(const std::function<void(const PpmRowView&)>& fn) const {
    fn({0, 0, &base_, 0});
    for (int slot = 1; slot < static_cast<int>(rows_.size()); ++slot) {
      index_[slot].ForEach([&](uint64_t key, uint32_t r) {
        fn({slot, key, &rows_[slot][r].scores, rows_[slot][r].n});
      });
      if (shared_)  // shared rows this model has not overridden
        shared_->index[slot].ForEach([&](uint64_t key, uint32_t r) {
          if (index_[slot].Get(key) != FlatMap64::kMissing) return;
          fn({slot, key, &shared_->rows[slot][r].scores, shared_->rows[slot][r].n});
        });
    }
  }

 private:
  int SkipSlot() const { return o_.order + 1; }
  int CwdSlot() const { return o_.order + 2; }
  int ExitSlot() const { return o_.order + 3; }
  int SessionSlot() const { return o_.order + 4; }
  static uint64_t SkipKey(const Context& ctx) { return ctx.prev(2) * 0x9E3779B97F4A7C15ULL + 7; }
  void AddActive(int slot, uint64_t key) {
    uint32_t r = index_[slot].Get(key);
    last_[slot] = {key, r};
    const Row* found = r != FlatMap64::kMissing ? &rows_[slot][r] : SharedRow(slot, key);
    if (found == nullptr) return;
    const Row& row = *found;
    double lambda = row.n / (row.n + o_.escape * static_cast<double>(row.scores.size()));
    active_.push_back({&row.scores, lambda, 1.0 / row.scores.Sum()});
  }
  void LearnRow(int slot, uint64_t key, CommandId actual) {
    // Predict looked this key up just before (the usual case): a row found then is still the
    // key's row (rows are never removed), so the hash probe is not repeated.
    uint32_t r = last_[slot].row;
    if (last_[slot].key != key || r == FlatMap64::kMissing) {
      uint32_t& at = index_[slot].At(key, static_cast<uint32_t>(rows_[slot].size()));
      if (at == rows_[slot].size()) {
        const Row* shared = SharedRow(slot, key);
        if (shared != nullptr) {
          rows_[slot].push_back(*shared);  // copy on write (exact: scale included)
        } else {
          rows_[slot].emplace_back();
        }
      }
      r = at;
      last_[slot] = {key, r};
    }
    Row& row = rows_[slot][r];
    row.scores.DecayAndAdd(actual, o_.decay);
    row.n += 1;
  }
  struct Row {
    DecayRow scores;
    double n = 0;
  };
  struct Active {
    const DecayRow* row;
    double lambda;
    double inv_sum;
  };
  PpmOptions o_;
  struct Frozen {
    std::vector<FlatMap64> index;
    std::vector<std::vector<Row>> rows;
  };
  const Row* SharedRow(int slot, uint64_t key) const {
    if (!shared_) return nullptr;
    uint32_t r = shared_->index[slot].Get(key);
    return r == FlatMap64::kMissing ? nullptr : &shared_->rows[slot][r];
  }
  // Moves the own rows into a new shared block (merged with the current one, if any). Changes the
  // representation only, not what the model predicts.
  void Freeze() const {
    bool any = false;
    for (const auto& rows : rows_) any |= !rows.empty();
    if (!any) return;
    auto frozen = std::make_shared<Frozen>();
    if (shared_) {
      *frozen = *shared_;
    } else {
      frozen->index.resize(rows_.size());
      frozen->rows.resize(rows_.size());
    }
    for (size_t slot = 0; slot < rows_.size(); ++slot) {
      index_[slot].ForEach([&](uint64_t key, uint32_t r) {
        uint32_t& dst = frozen->index[slot].At(key, static_cast<uint32_t>(frozen->rows[slot].size()));
        if (dst == frozen->rows[slot].size()) {
          frozen->rows[slot].push_back(std::move(rows_[slot][r]));
        } else {
          frozen->rows[slot][dst] = std::move(rows_[slot][r]);
        }
      });
      index_[slot] = FlatMap64();
      rows_[slot].clear();
    }
    std::fill(last_.begin(), last_.end(), Lookup{FlatMap64::kEmpty, 0});
    shared_ = std::move(frozen);
  }

  mutable std::mutex freeze_mu_;                 // Clone() may run on several threads at once
  mutable std::shared_ptr<const Frozen> shared_;  // rows shared with clones (read-only)
  mutable std::vector<FlatMap64> index_;          // per order: context key -> own row
  mutable std::vector<std::vector<Row>> rows_;    // per order: own rows (override shared_'s)
  DecayRow base_;
  struct Lookup {
    uint64_t key;
    uint32_t row;  // FlatMap64::kMissing when the key had no row
  };
  mutable std::vector<Lookup> last_;  // per slot: the last key looked up and its own row
  // Scratch buffers reused by Predict (no allocation once warm).
  struct Seen {
    uint32_t stamp;  // the Predict call that listed this command as a candidate
    uint32_t index;  // its position in cands_
  };
  std::vector<Active> active_;
  std::vector<CommandId> cands_;
  std::vector<double> probs_;
  std::vector<Seen> seen_;  // per command id
  uint32_t stamp_ = 0;
  std::vector<Prediction> scored_;
};

std::unique_ptr<NextCommandModel> NewPpmModel(const PpmOptions& o) { return std::make_unique<PpmModel>(o); }

bool ForEachPpmRow(const NextCommandModel& m, const std::function<void(const PpmRowView&)>& fn,
                   PpmOptions* options) {
  const auto* p = dynamic_cast<const PpmModel*>(&m);
  if (p == nullptr) return false;
  if (options) *options = p->options();
  p->ForEachRow(fn);
  return true;
}

}  // namespace memory::learner
