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
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "learner/builtin_models.h"
#include "learner/ranked_list.h"

namespace memory::learner {

class PpmModel final : public NextCommandModel {
  struct Row;

 public:
  static constexpr int kMaxOrder = 8;  // the factory's limit
  static constexpr size_t kSpare = 1;  // entries per row beyond k tried first (see Predict)
  // Slot of the skip context (the command two back, alone) after the orders 0..order.
  // Slots order+2 and order+3: the context features (working directory; previous command and
  // whether it failed).
  // Slot order+4 (features=2): how sessions start and agents proceed (see SessionKey).
  explicit PpmModel(const PpmOptions& o)
      : o_(o), index_(o.order + 5), rows_(o.order + 5), last_(o.order + 5, Lookup{FlatMap64::kEmpty, 0}) {}
  PpmModel(const PpmModel& other)
      : o_(other.o_), shared_(other.shared_), index_(other.index_), rows_(other.rows_),
        base_(other.base_), last_(other.last_), learned_(other.learned_), next_(other.next_),
        id_limit_(other.id_limit_) {}

  void Predict(const Context& ctx, size_t k, std::vector<Prediction>* out) override {
    out->clear();
    if (base_.size() == 0) return;
    int n = std::min<int>(o_.order, static_cast<int>(ctx.history.size()));
    // Rows of this context, shortest first, with their blend weights.
    active_.clear();
    // Keys first, with their hash slots prefetched, so the lookups' cache misses overlap. When
    // this context continues the one learned last, the rows linked from it need no lookup.
    const bool linked = Continues(ctx, n);
    const CommandId* const end = ctx.history.data() + ctx.history.size();  // end[-j] = prev(j), j <= n
    uint64_t keys[kMaxOrder + 1];
    uint64_t key = kContextKeySeed;
    for (int j = 1; j <= n; ++j) {
      key = keys[j] = NextContextKey(key, end[-j]);
      if (!linked || next_.rows[j] == RankedList::kNoLink) index_[j].Prefetch(key);
    }
    if (seen_.size() < id_limit_) seen_.resize(id_limit_, Seen{0, 0});
    // The session row: an agent's step first (broad), a session start last (most specific then).
    const uint64_t session_key = o_.features >= 2 ? SessionKey(ctx) : 0;
    const bool session_first = session_key != 0 && !IsSessionStart(ctx);
    if (session_first) AddActive(SessionSlot(), session_key);
    if (o_.features && ctx.cwd != 0) AddActive(CwdSlot(), CwdKey(ctx));
    for (int j = 1; j <= n; ++j) {
      if (j == 2 && o_.skip) AddActive(SkipSlot(), SkipKey(ctx));
      if (linked && next_.rows[j] != RankedList::kNoLink) {
        last_[j] = {keys[j], next_.rows[j]};
        AddActiveRow(*next_.ptr[j]);
      } else {
        AddActive(j, keys[j]);
      }
      if (j == 1 && o_.features && ctx.has_last_exit) AddActive(ExitSlot(), ExitKey(ctx));
    }
    if (n == 1 && o_.skip && ctx.history.size() >= 2) AddActive(SkipSlot(), SkipKey(ctx));
    if (session_key != 0 && !session_first) AddActive(SessionSlot(), session_key);
    const size_t per_row = static_cast<size_t>(std::max(o_.candidates, 0));
    // First from fewer entries per row (k + kSpare): when the k-th best probability found is above
    // what any command outside those entries can reach (Bound), the top k are those of the full
    // candidate set, with the same probabilities (a candidate's probability does not depend on
    // which others are listed). Otherwise, or on a tie, the full computation below decides.
    // Tried only when it at least halves the entries per row (for k = 10 with 12 candidates per
    // row, as the mixture asks, it saved nothing: best ~ -4 % CPU without it).
    const size_t first = std::min(per_row, k + kSpare);
    if (k > 0 && 2 * first <= per_row) {
      const size_t nc = Score(first);
      if (nc >= k && TopByInsertion(nc, k, out) && out->back().prob > Bound(first)) return;
    }
    const size_t nc = Score(per_row);
    const size_t m = std::min<size_t>(k, nc);
    if (TopByInsertion(nc, m, out)) return;
    // Two probabilities were equal: std::partial_sort's order of ties is what the served snapshot
    // reproduces, so use it.
    const CommandId* cands = cands_.data();
    const double* probs = probs_.data();
    scored_.resize(nc);
    for (size_t i = 0; i < nc; ++i) scored_[i] = {cands[i], probs[i]};
    std::partial_sort(scored_.begin(), scored_.begin() + m, scored_.end(),
                      [](const Prediction& a, const Prediction& b) { return a.prob > b.prob; });
    out->assign(scored_.begin(), scored_.begin() + m);
  }

  void Learn(const Context& ctx, CommandId actual) override {
    int n = std::min<int>(o_.order, static_cast<int>(ctx.history.size()));
    // When ctx continues the context learned last, the row of each order j here is the one linked
    // from the entry `prev(1)` in last time's row of order j - 1 (base_ for j = 1): fill in links
    // that are missing. Rows are visited longest first, so a parent row is linked into before it
    // is updated itself (its entries' positions are still those recorded).
    const bool linked = Continues(ctx, n);
    const CommandId* const end = ctx.history.data() + ctx.history.size();  // end[-j] = prev(j), j <= n
    uint64_t keys[kMaxOrder + 1];
    uint64_t key = kContextKeySeed;
    bool need_keys = !linked;  // only rows not linked are looked up by key
    for (int j = 1; j <= n && !need_keys; ++j) need_keys = next_.rows[j] == RankedList::kNoLink;
    if (need_keys)
      for (int j = 1; j <= n; ++j) keys[j] = key = NextContextKey(key, end[-j]);
    Learned now;
    for (int j = n; j >= 1; --j) {
      uint32_t r = linked ? next_.rows[j] : RankedList::kNoLink;
      Row* rp;
      if (r == RankedList::kNoLink) {
        r = OwnRow(j, keys[j]);
        if (linked) {
          DecayRow& parent = j == 1 ? base_ : learned_.row[j - 1]->scores;
          parent.set_link(learned_.pos[j - 1], r);
        }
        rp = &rows_[j][r];
      } else {
        rp = next_.ptr[j];
      }
      Row& row = *rp;
      now.row[j] = rp;
      now.pos[j] = row.scores.DecayAndAdd(actual, o_.decay);
      row.n += 1;
    }
    if (o_.skip && ctx.history.size() >= 2) LearnRow(SkipSlot(), SkipKey(ctx), actual);
    if (o_.features && ctx.cwd != 0) LearnRow(CwdSlot(), CwdKey(ctx), actual);
    if (o_.features && ctx.has_last_exit && n >= 1) LearnRow(ExitSlot(), ExitKey(ctx), actual);
    if (o_.features >= 2)
      if (uint64_t sk = SessionKey(ctx)) LearnRow(SessionSlot(), sk, actual);
    now.pos[0] = base_.DecayAndAdd(actual, o_.base_decay);
    if (actual >= id_limit_) id_limit_ = actual + 1;
    // The context that follows: `actual`, then the last order - 1 commands of ctx.
    learned_ = now;
    next_.valid = true;
    next_.n = std::min<int>(o_.order, n + 1);
    next_.ids[0] = actual;
    for (int j = 1; j < next_.n; ++j) next_.ids[j] = end[-j];  // next_.n - 1 <= n
    next_.rows[1] = base_.link(now.pos[0]);
    for (int j = 2; j <= next_.n; ++j) next_.rows[j] = now.row[j - 1]->scores.link(now.pos[j - 1]);
    for (int j = 1; j <= next_.n; ++j)
      if (next_.rows[j] != RankedList::kNoLink) __builtin_prefetch(next_.ptr[j] = &rows_[j][next_.rows[j]]);
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
  // Candidates: the best `per_row` entries of each active row and of base_ (cands_[0..nc), in
  // order of first listing, longest context first), and their blended probabilities (probs_).
  // Returns nc.
  size_t Score(size_t per_row) {
    // cand_of_ keeps, per active row, the candidate index of each entry taken from it.
    if (++stamp_ == 0) {  // wrapped: forget old stamps
      std::fill(seen_.begin(), seen_.end(), Seen{0, 0});
      stamp_ = 1;
    }
    const uint32_t stamp = stamp_;  // a local: stores through seen[] cannot change it
    const size_t na = active_.size();
    if (cands_.size() < (na + 1) * per_row) cands_.resize((na + 1) * per_row);
    if (cand_of_.size() < na * per_row) cand_of_.resize(na * per_row);
    Seen* const seen = seen_.data();  // sized to every learned id above
    CommandId* const cands = cands_.data();
    uint32_t nc = 0;
    auto take = [&](const DecayRow& row, uint32_t* cand_of) {
      const auto entries = row.ranked().entries();
      const size_t m = std::min(entries.size(), per_row);
      for (size_t i = 0; i < m; ++i) {
        const CommandId id = entries[i].id;
        Seen& sn = seen[id];
        if (sn.stamp != stamp) {
          sn = {stamp, nc};
          cands[nc++] = id;
        }
        cand_of[i] = sn.index;
      }
    };
    for (size_t a = na; a-- > 0;) take(*active_[a].row, &cand_of_[a * per_row]);
    if (base_cand_of_.size() < per_row) base_cand_of_.resize(per_row);
    take(base_, base_cand_of_.data());
    // Blend, one row at a time over all candidates: p = lambda * score * inv_sum + (1 - lambda) * p.
    // A row shorter than the candidate list is scanned (a candidate it lacks has score 0, whose
    // term is exactly 0); a longer one is looked up per candidate. Same arithmetic as the nested
    // form, so results are bit-identical to it (and to IntentSnapshot::Predict).
    if (probs_.size() < nc + 4) probs_.resize(nc + 4);
    double* const probs = probs_.data();
    probs[nc] = probs[nc + 1] = probs[nc + 2] = 0;  // padding: the keep loop goes by fours
    // Order 0: base_.Score(c) * base_inv; the entries taken from base_ have their score at hand
    // (the others are found; -1 marks them, probabilities being >= 0).
    const double base_inv = 1.0 / base_.Sum();
    const double base_scale = base_.scale();
    for (size_t i = 0; i < nc; ++i) probs[i] = -1;
    const auto base_entries = base_.ranked().entries();
    for (size_t i = 0, m = std::min(base_entries.size(), per_row); i < m; ++i)
      probs[base_cand_of_[i]] = (base_entries[i].val * base_scale) * base_inv;
    for (size_t i = 0; i < nc; ++i)
      if (probs[i] < 0) probs[i] = base_.Score(cands[i]) * base_inv;
    for (size_t a = 0; a < na; ++a) {
      const Active& act = active_[a];
      const double lambda = act.lambda, inv_sum = act.inv_sum;  // locals: stores to probs cannot change them
      const double keep = 1 - lambda;
      const double scale = act.row->scale();
      const auto entries = act.row->ranked().entries();
      if (entries.size() <= 2 * nc) {
#if defined(__SSE2__)
        const __m128d keep2 = _mm_set1_pd(keep);  // the same IEEE products, two at a time
        for (size_t i = 0; i < nc; i += 4) {
          _mm_storeu_pd(probs + i, _mm_mul_pd(keep2, _mm_loadu_pd(probs + i)));
          _mm_storeu_pd(probs + i + 2, _mm_mul_pd(keep2, _mm_loadu_pd(probs + i + 2)));
        }
#else
        for (size_t i = 0; i < nc; ++i) probs[i] = keep * probs[i];
#endif
        // The taken entries are candidates (their indices are known); later ones may be.
        const size_t taken = std::min(entries.size(), per_row);
        const uint32_t* cand_of = &cand_of_[a * per_row];
        for (size_t i = 0; i < taken; ++i) {
          double& p = probs[cand_of[i]];
          p = lambda * (entries[i].val * scale) * inv_sum + p;
        }
        for (size_t i = taken; i < entries.size(); ++i) {
          const Seen& sn = seen[entries[i].id];
          if (sn.stamp != stamp) continue;
          double& p = probs[sn.index];
          p = lambda * (entries[i].val * scale) * inv_sum + p;
        }
      } else {
        for (size_t i = 0; i < nc; ++i)
          probs[i] = lambda * act.row->Score(cands[i]) * inv_sum + keep * probs[i];
      }
    }
    return nc;
  }
  // An upper bound of the probability Score(per_row) would give any command outside the first
  // per_row entries of every row: the same blend over each row's next entry (rounding is
  // monotone, so the bound holds for the computed values too).
  double Bound(size_t per_row) const {
    const auto base_entries = base_.ranked().entries();
    double u = base_entries.size() > per_row ? (base_entries[per_row].val * base_.scale()) * (1.0 / base_.Sum()) : 0.0;
    for (const Active& act : active_) {
      const auto entries = act.row->ranked().entries();
      const double keep = 1 - act.lambda;
      if (entries.size() > per_row) {
        u = act.lambda * (entries[per_row].val * act.row->scale()) * act.inv_sum + keep * u;
      } else {
        u = keep * u;
      }
    }
    return u;
  }
  int SkipSlot() const { return o_.order + 1; }
  int CwdSlot() const { return o_.order + 2; }
  int ExitSlot() const { return o_.order + 3; }
  int SessionSlot() const { return o_.order + 4; }
  static uint64_t SkipKey(const Context& ctx) { return ctx.prev(2) * 0x9E3779B97F4A7C15ULL + 7; }
  void AddActive(int slot, uint64_t key) {
    uint32_t r = index_[slot].Get(key);
    last_[slot] = {key, r};
    const Row* found = r != FlatMap64::kMissing ? &rows_[slot][r] : SharedRow(slot, key);
    if (found != nullptr) AddActiveRow(*found);
  }
  void AddActiveRow(const Row& row) {
    double lambda = row.n / (row.n + o_.escape * static_cast<double>(row.scores.size()));
    active_.push_back({&row.scores, lambda, 1.0 / row.scores.Sum()});
  }
  // True when ctx's last n commands (n = min(order, history)) are those of the context that
  // follows the last Learn, so next_.rows apply.
  bool Continues(const Context& ctx, int n) const {
    if (!next_.valid || next_.n != n) return false;
    const CommandId* const end = ctx.history.data() + ctx.history.size();  // n <= history size
    for (int j = 0; j < n; ++j)
      if (end[-1 - j] != next_.ids[j]) return false;
    return true;
  }
  // Index of the own row of `key` in `slot`, created (or copied from the shared rows) if missing.
  uint32_t OwnRow(int slot, uint64_t key) {
    // Predict looked this key up just before (the usual case): a row found then is still the
    // key's row (rows are never removed), so the hash probe is not repeated.
    uint32_t r = last_[slot].row;
    if (last_[slot].key == key && r != FlatMap64::kMissing) return r;
    uint32_t& at = index_[slot].At(key, static_cast<uint32_t>(rows_[slot].size()));
    if (at == rows_[slot].size()) {
      const Row* shared = SharedRow(slot, key);
      if (shared != nullptr) {
        rows_[slot].push_back(*shared).scores.ClearLinks();  // copy on write (exact: scale
                                                             // included); links name own rows only
      } else {
        rows_[slot].emplace_back();
      }
    }
    r = at;
    last_[slot] = {key, r};
    return r;
  }
  void LearnRow(int slot, uint64_t key, CommandId actual) {
    Row& row = rows_[slot][OwnRow(slot, key)];
    row.scores.DecayAndAdd(actual, o_.decay);
    row.n += 1;
  }
  // *out <- the m most probable of the first nc candidates, best first, chosen by insertion. False when two
  // probabilities compared equal (then the order of ties would be the caller's to decide).
  bool TopByInsertion(size_t nc, size_t m, std::vector<Prediction>* out) const {
    out->clear();
    if (m == 0) return true;
    out->resize(m);
    Prediction* top = out->data();
    const double* probs = probs_.data();
    const CommandId* cands = cands_.data();
    size_t size = 0;
    for (size_t i = 0; i < nc; ++i) {
      const double p = probs[i];
      if (!(p == p)) return false;  // NaN: no order
      size_t j;
      if (size == m) {
        if (p < top[m - 1].prob) continue;
        if (p == top[m - 1].prob) return false;
        j = m - 1;
      } else {
        j = size++;
      }
      while (j > 0 && top[j - 1].prob < p) {
        top[j] = top[j - 1];
        --j;
      }
      if (j > 0 && top[j - 1].prob == p) return false;
      top[j] = {cands[i], p};
    }
    return true;
  }
  struct Row {
    DecayRow scores;
    double n = 0;
  };
  // The own rows of one slot, in chunks of kChunk rows reserved up front: rows never move as the
  // store grows (a doubling vector copied megabytes of rows per user: 8-19 % of the loop's time).
  class RowStore {
   public:
    Row& operator[](uint32_t r) { return chunks_[r / kChunk][r % kChunk]; }
    const Row& operator[](uint32_t r) const { return chunks_[r / kChunk][r % kChunk]; }
    uint32_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    Row& emplace_back() { return Append(Row()); }
    Row& push_back(const Row& row) { return Append(Row(row)); }
    void clear() { chunks_.clear(), size_ = 0; }

   private:
    static constexpr uint32_t kChunk = 256;
    Row& Append(Row&& row) {
      if (size_ % kChunk == 0) {
        chunks_.emplace_back();
        chunks_.back().reserve(kChunk);
      }
      ++size_;
      return chunks_.back().emplace_back(std::move(row));
    }
    std::vector<std::vector<Row>> chunks_;  // every chunk but the last holds kChunk rows
    uint32_t size_ = 0;
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
    base_.ClearLinks();  // they named own rows, now moved
    next_.valid = false;
    shared_ = std::move(frozen);
  }

  mutable std::mutex freeze_mu_;                 // Clone() may run on several threads at once
  mutable std::shared_ptr<const Frozen> shared_;  // rows shared with clones (read-only)
  mutable std::vector<FlatMap64> index_;          // per order: context key -> own row
  mutable std::vector<RowStore> rows_;            // per order: own rows (override shared_'s)
  mutable DecayRow base_;  // the order-0 row (its links: to the own rows of order 1)
  struct Lookup {
    uint64_t key;
    uint32_t row;  // FlatMap64::kMissing when the key had no row
  };
  mutable std::vector<Lookup> last_;  // per slot: the last key looked up and its own row
  // What the last Learn updated: per order j its own row and the position of the learned command
  // in it (order 0: in base_); the next Learn links that entry to the row of the extended context.
  struct Learned {
    Row* row[kMaxOrder + 1];  // own rows never move (RowStore)
    uint32_t pos[kMaxOrder + 1];
  };
  Learned learned_{};
  // The context after the last Learn (its last n commands, newest first) and its own rows of
  // orders 1..n where the links already name them (else RankedList::kNoLink).
  struct Next {
    bool valid = false;
    int n = 0;
    CommandId ids[kMaxOrder];
    uint32_t rows[kMaxOrder + 1];
    Row* ptr[kMaxOrder + 1];  // &rows_[j][rows[j]] where rows[j] is a row
  };
  mutable Next next_;
  CommandId id_limit_ = 0;  // 1 + the largest command id learned (bounds seen_)
  // Scratch buffers reused by Predict (no allocation once warm).
  struct Seen {
    uint32_t stamp;  // the Predict call that listed this command as a candidate
    uint32_t index;  // its position in cands_
  };
  std::vector<Active> active_;
  std::vector<CommandId> cands_;     // the first nc entries are this call's candidates
  std::vector<uint32_t> cand_of_;    // per active row and taken entry: its candidate index
  std::vector<uint32_t> base_cand_of_;  // the same for base_
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
