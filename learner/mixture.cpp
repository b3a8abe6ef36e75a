// "mixture": combines member models' distributions, P(c) = sum_m w_m P_m(c), with weights
// learned online (exponentiated updates on each member's probability of the true command, plus a
// fixed share towards uniform so it follows whichever member is best lately). Weights are kept
// per previous command and globally; a context uses its own weights once it has been seen a few
// times. Like Bayesian model averaging, its log loss stays within log(M)/rate of the best member.
#include <algorithm>
#include <cmath>

#include "learner/builtin_models.h"
#include "learner/ranked_list.h"

namespace memory::learner {
namespace {

constexpr size_t kMemberList = 10;   // predictions taken from each member
constexpr double kFloor = 1e-4;      // probability of a command a member did not list
constexpr int kContextWarmup = 8;    // observations before per-context weights are used

class MixtureModel final : public NextCommandModel {
 public:
  MixtureModel(std::vector<std::unique_ptr<NextCommandModel>> members, const MixtureOptions& o)
      : o_(o), members_(std::move(members)), global_(members_.size(), 1.0 / members_.size()),
        global_acc_(members_.size() + 1, 0.0), lists_(members_.size()) {}

  MixtureModel(const MixtureModel& other)
      : o_(other.o_), global_(other.global_), global_acc_(other.global_acc_), ctx_slot_(other.ctx_slot_),
        ctx_weights_(other.ctx_weights_), ctx_acc_(other.ctx_acc_), ctx_seen_(other.ctx_seen_),
        lists_(other.members_.size()) {
    for (const auto& m : other.members_) members_.push_back(m->Clone());
  }

  void Predict(const Context& ctx, size_t k, std::vector<Prediction>* out) override {
    MemberPredictions(ctx);
    Combine(ctx, k + 1);  // one more: the selected first prediction may repeat one of them
    predicted_for_ = ctx.history.size();
    predicted_prev_ = ctx.prev();
    out->clear();
    // select > 0: lead with the first choice of whichever source (a member or the combination)
    // has had the best recent top-1 accuracy here, so top-1 tracks the best member.
    if (o_.select > 0) {
      const double* acc = Accuracy(ctx);
      size_t best = members_.size();
      // A member leads only once it has won `margin` more decayed top-1 hits than the combination
      // (hysteresis: a member as good as the combination does not displace it).
      double bar = acc[best] + o_.margin;
      for (size_t m = 0; m < members_.size(); ++m)
        if (acc[m] > bar && !lists_[m].empty()) best = m, bar = acc[m];
      if (best < members_.size()) out->push_back(lists_[best][0]);
    }
    for (const Prediction& p : scored_) {
      if (out->size() >= k) break;
      if (!out->empty() && out->front().command == p.command) {
        out->front().prob = p.prob;  // report the combined probability
        continue;
      }
      out->push_back(p);
    }
  }

  void Learn(const Context& ctx, CommandId actual) override {
    if (predicted_for_ != ctx.history.size() || predicted_prev_ != ctx.prev()) {
      MemberPredictions(ctx);
      if (o_.select > 0) Combine(ctx, 1);
    }
    predicted_for_ = SIZE_MAX;
    if (o_.select > 0) {
      hits_.assign(members_.size() + 1, 0.0);
      for (size_t m = 0; m < members_.size(); ++m) hits_[m] = !lists_[m].empty() && lists_[m][0].command == actual;
      hits_[members_.size()] = !scored_.empty() && scored_[0].command == actual;
      TrackAccuracy(global_acc_.data());
    }
    // Probability each member gave the true command.
    probs_.assign(members_.size(), kFloor);
    for (size_t m = 0; m < members_.size(); ++m)
      for (const Prediction& p : lists_[m])
        if (p.command == actual) { probs_[m] = std::max(kFloor, p.prob); break; }
    if (!o_.eg) {
      if (floor_pow_rate_ != o_.rate) floor_pow_ = std::pow(kFloor, o_.rate), floor_pow_rate_ = o_.rate;
      for (size_t m = 0; m < members_.size(); ++m)  // a member that missed: the same pow, kept
        probs_[m] = probs_[m] == kFloor ? floor_pow_ : std::pow(probs_[m], o_.rate);
    }
    Update(global_.data());
    if (o_.per_context && ctx.prev() != kNoCommand) {
      CommandId prev = ctx.prev();
      if (prev >= ctx_slot_.size()) ctx_slot_.resize(std::max<size_t>(prev + 1, ctx_slot_.size() * 2), FlatMap64::kMissing);
      uint32_t& r = ctx_slot_[prev];
      if (r == FlatMap64::kMissing) {
        r = static_cast<uint32_t>(ctx_seen_.size());
        ctx_seen_.push_back(0);
        ctx_weights_.insert(ctx_weights_.end(), global_.begin(), global_.end());
      }
      ++ctx_seen_[r];
      Update(&ctx_weights_[r * members_.size()]);
      if (o_.select > 0) {
        if (ctx_acc_.size() < ctx_seen_.size() * (members_.size() + 1)) ctx_acc_.resize(ctx_seen_.size() * (members_.size() + 1), 0.0);
        TrackAccuracy(&ctx_acc_[r * (members_.size() + 1)]);
      }
    }
    for (auto& m : members_) m->Learn(ctx, actual);
  }

  std::string Name() const override {
    std::string s = "mixture(";
    for (const auto& m : members_) s += m->Name() + ",";
    s += "rate=" + FormatNumber(o_.rate) + ",share=" + FormatNumber(o_.share) +
         ",per_context=" + (o_.per_context ? "1" : "0") + ",eg=" + (o_.eg ? "1" : "0") + ",select=" + FormatNumber(o_.select) + ",margin=" + FormatNumber(o_.margin) + ")";
    return s;
  }
  std::unique_ptr<NextCommandModel> Clone() const override { return std::make_unique<MixtureModel>(*this); }
  void SetVocabulary(const Vocabulary* vocab) override {
    for (auto& m : members_) m->SetVocabulary(vocab);
  }

 private:
  // scored_ <- the weighted combination of the members' lists, its best `keep` first (ties: the
  // order in which commands were first listed, member by member, as a stable sort gives).
  void Combine(const Context& ctx, size_t keep) {
    const double* w = Weights(ctx);
    if (++stamp_ == 0) {
      std::fill(slot_.begin(), slot_.end(), Slot{0, 0});
      stamp_ = 1;
    }
    const uint32_t stamp = stamp_;  // a local: stores through slots cannot change it
    size_t listed = 0;
    for (const auto& list : lists_) listed += list.size();
    if (items_.size() < listed) items_.resize(listed);
    // Raw pointers: the loops below only write through them (no vector bookkeeping per item).
    Prediction* items = items_.data();
    uint32_t n_items = 0;
    Slot* slots = slot_.data();
    size_t n_slots = slot_.size();
    for (size_t m = 0; m < members_.size(); ++m) {
      const double wm = w[m];
      for (const Prediction& p : lists_[m]) {
        if (p.command >= n_slots) {
          slot_.resize(std::max<size_t>(p.command + 1, slot_.size() * 2), Slot{0, 0});
          slots = slot_.data();
          n_slots = slot_.size();
        }
        Slot& s = slots[p.command];
        if (s.stamp != stamp) {
          s = {stamp, n_items};
          items[n_items++] = {p.command, 0};
        }
        items[s.index].prob += wm * p.prob;
      }
    }
    // Best `keep` by insertion in listing order: a later item passes only strictly smaller ones.
    scored_.resize(std::min<size_t>(keep, n_items));
    if (keep == 0) return;
    Prediction* top = scored_.data();
    size_t count = 0;
    for (uint32_t x = 0; x < n_items; ++x) {
      const Prediction it = items[x];
      if (count == keep && !(it.prob > top[count - 1].prob)) continue;
      size_t i = count < keep ? count++ : keep - 1;
      while (i > 0 && top[i - 1].prob < it.prob) {
        top[i] = top[i - 1];
        --i;
      }
      top[i] = it;
    }
  }
  const double* Accuracy(const Context& ctx) const {
    if (o_.per_context && ctx.prev() != kNoCommand) {
      uint32_t r = SlotOf(ctx.prev());
      if (r != FlatMap64::kMissing && ctx_seen_[r] >= kContextWarmup &&
          ctx_acc_.size() >= (r + 1) * (members_.size() + 1))
        return &ctx_acc_[r * (members_.size() + 1)];
    }
    return global_acc_.data();
  }
  void TrackAccuracy(double* acc) {
    for (size_t m = 0; m <= members_.size(); ++m) acc[m] = o_.select * acc[m] + hits_[m];
  }
  void MemberPredictions(const Context& ctx) {
    for (size_t m = 0; m < members_.size(); ++m) members_[m]->Predict(ctx, kMemberList, &lists_[m]);
  }
  uint32_t SlotOf(CommandId prev) const { return prev < ctx_slot_.size() ? ctx_slot_[prev] : FlatMap64::kMissing; }
  const double* Weights(const Context& ctx) const {
    if (o_.per_context && ctx.prev() != kNoCommand) {
      uint32_t r = SlotOf(ctx.prev());
      if (r != FlatMap64::kMissing && ctx_seen_[r] >= kContextWarmup) return &ctx_weights_[r * members_.size()];
    }
    return global_.data();
  }
  // probs_: each member's probability of the true command (eg), or that to the power `rate` (Bayes).
  void Update(double* w) {
    double sum = 0;
    if (o_.eg) {  // exponentiated gradient on the mixture's log loss
      double mix = 0;
      for (size_t m = 0; m < members_.size(); ++m) mix += w[m] * probs_[m];
      for (size_t m = 0; m < members_.size(); ++m) {
        w[m] *= std::exp(o_.rate * probs_[m] / mix);
        sum += w[m];
      }
    } else {  // Bayesian update with a learning rate
      for (size_t m = 0; m < members_.size(); ++m) {
        w[m] *= probs_[m];
        sum += w[m];
      }
    }
    double u = 1.0 / members_.size();
    for (size_t m = 0; m < members_.size(); ++m) w[m] = (1 - o_.share) * (w[m] / sum) + o_.share * u;
  }

  MixtureOptions o_;
  std::vector<std::unique_ptr<NextCommandModel>> members_;
  std::vector<double> global_;
  std::vector<double> global_acc_;   // decayed top-1 hits of each member and (last) the combination
  std::vector<uint32_t> ctx_slot_;   // previous command id -> slot (ids are dense)
  std::vector<double> ctx_weights_;  // slot * members
  std::vector<double> ctx_acc_;      // slot * (members + 1)
  std::vector<int> ctx_seen_;
  std::vector<std::vector<Prediction>> lists_;
  std::vector<Prediction> scored_;   // the combination, best first (its head only)
  struct Slot {
    uint32_t stamp;  // the Combine call that listed this command
    uint32_t index;  // its position in items_
  };
  std::vector<Prediction> items_;   // the combination, in order of first listing (scratch, may be longer)
  std::vector<Slot> slot_;           // per command id
  uint32_t stamp_ = 0;
  std::vector<double> probs_;
  std::vector<double> hits_;
  double floor_pow_ = 0, floor_pow_rate_ = -1;  // pow(kFloor, rate), computed once
  size_t predicted_for_ = SIZE_MAX;
  CommandId predicted_prev_ = kNoCommand;
};

}  // namespace

std::unique_ptr<NextCommandModel> NewMixtureModel(std::vector<std::unique_ptr<NextCommandModel>> members,
                                                  const MixtureOptions& o) {
  return std::make_unique<MixtureModel>(std::move(members), o);
}

}  // namespace memory::learner
