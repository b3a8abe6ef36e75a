// Next-access models: successor (order 1) and higher-order Markov contexts, each context keeping
// one successor with a 2-bit saturating confidence counter (as a branch predictor does).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

#include "cache/flat_map.h"
#include "cache/prefetch.h"

namespace memory::cache {
namespace {

struct Entry {
  Key next;
  uint8_t count;  // 0..3: how often `next` was confirmed lately
};

double Confidence(const Entry& e) { return (e.count + 1) / 4.0; }

class Markov final : public Predictor {
 public:
  Markov(size_t order, double threshold, size_t degree, size_t max_contexts, bool named_successor)
      : Predictor(threshold, degree), order_(order), max_contexts_(max_contexts),
        named_successor_(named_successor),
        history_(order, 0), context_(order + 1, 0), index_(order + 1, FlatMap::kAbsent) {}

  std::string Name() const override {
    char buf[128];
    if (named_successor_)
      std::snprintf(buf, sizeof buf, "successor(threshold=%g,degree=%zu,contexts=%zu)", threshold_,
                    degree_, max_contexts_);
    else
      std::snprintf(buf, sizeof buf, "markov(order=%zu,threshold=%g,degree=%zu,contexts=%zu)",
                    order_, threshold_, degree_, max_contexts_);
    return buf;
  }

  void Observe(Key key) override {
    // Learn: each context of the previous 1..order keys (hashed and looked up when that
    // context was current, see Refresh) was followed by `key`.
    for (size_t j = 1; j <= std::min(order_, seen_); ++j) Learn(j, key);
    if (entries_.size() > max_contexts_) {  // bounded memory: forget everything and relearn
      map_.Clear();
      entries_.clear();
    }
    for (size_t j = order_ - 1; j > 0; --j) history_[j] = history_[j - 1];
    history_[0] = key;
    ++seen_;
    Refresh();
  }

  void Predict(size_t max, std::vector<Prediction>* out) const override {
    out->clear();
    for (size_t j = std::min(order_, seen_); j >= 1 && out->size() < max; --j) {
      uint32_t i = index_[j];
      if (i == FlatMap::kAbsent) continue;
      const Entry& e = entries_[i];
      double c = Confidence(e);
      if (c < threshold_) continue;
      bool dup = false;
      for (auto& p : *out) dup |= p.key == e.next;
      if (!dup) out->push_back({e.next, c});
    }
  }

 private:
  // The context of the last j keys, hashed with its order so orders do not collide.
  Key Context(size_t j) const {
    Key h = 0x9e3779b97f4a7c15ULL * j;
    for (size_t i = 0; i < j; ++i) h = MixKey(h ^ history_[i]) + i;
    return j == 1 ? history_[0] : h;
  }
  // Hashes the current contexts and finds their entries once per access.
  void Refresh() {
    for (size_t j = 1; j <= std::min(order_, seen_); ++j) {
      context_[j] = Context(j);
      index_[j] = map_.Find(context_[j]);
    }
  }
  void Learn(size_t j, Key key) {
    uint32_t i = index_[j];
    if (i == FlatMap::kAbsent) {
      map_.Put(context_[j], static_cast<uint32_t>(entries_.size()));
      entries_.push_back({key, 0});
      return;
    }
    Entry& e = entries_[i];
    if (e.next == key) {
      if (e.count < 3) ++e.count;
    } else if (e.count > 0) {
      --e.count;
    } else {
      e.next = key;
    }
  }

  size_t order_;
  size_t max_contexts_;
  bool named_successor_;
  std::vector<Key> history_;  // history_[0] is the latest key
  std::vector<Key> context_;       // [j]: hash of the current order-j context
  std::vector<uint32_t> index_;    // [j]: its entry, or FlatMap::kAbsent
  size_t seen_ = 0;
  FlatMap map_;
  std::vector<Entry> entries_;
};

Status Number(std::string_view spec, const std::string& k, const std::string& v, double lo,
              double hi, double* out) {
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || errno || end != v.c_str() + v.size() || !(d >= lo && d <= hi))
    return Status::InvalidArgument("prefetch model '" + std::string(spec) + "': parameter " + k +
                                   " must be a number in [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "], not '" + v + "'");
  *out = d;
  return Status::OK();
}

struct Registry {
  std::mutex mu;
  std::map<std::string, PredictorFactory, std::less<>> factories;
};
Registry& Factories() {
  static Registry* r = new Registry;
  return *r;
}

// The model name of a spec: the text before '(' without surrounding blanks.
std::string_view SpecName(std::string_view spec) {
  std::string_view n = spec.substr(0, spec.find('('));
  while (!n.empty() && (n.front() == ' ' || n.front() == '\t')) n.remove_prefix(1);
  while (!n.empty() && (n.back() == ' ' || n.back() == '\t')) n.remove_suffix(1);
  return n;
}

}  // namespace

void RegisterPredictorFactory(const std::string& name, PredictorFactory factory) {
  Registry& r = Factories();
  std::lock_guard<std::mutex> lock(r.mu);
  r.factories[name] = std::move(factory);
}

Status NewPredictor(std::string_view spec, std::unique_ptr<Predictor>* out) {
  out->reset();
  {
    PredictorFactory factory;
    {
      Registry& r = Factories();
      std::lock_guard<std::mutex> lock(r.mu);
      auto it = r.factories.find(SpecName(spec));
      if (it != r.factories.end()) factory = it->second;
    }
    if (factory) return factory(spec, out);
  }
  Spec p;
  MEMORY_RETURN_IF_ERROR(ParseSpec(spec, &p));
  if (p.name == "none") {
    if (!p.params.empty()) return Status::InvalidArgument("prefetch model 'none' takes no parameters");
    return Status::OK();
  }
  if (p.name == "neural")
    return Status::Unsupported(
        "prefetch model 'neural' is not registered in this program (the memory binary registers "
        "neural(path=FILE) and intent(MODEL), see cli/intent_prefetch.h); use successor or markov");
  if (p.name != "successor" && p.name != "markov")
    return Status::InvalidArgument("unknown prefetch model '" + p.name +
                                   "' (expected none, successor, markov, neural(path=FILE) or intent(MODEL))");
  double threshold = 0.25, degree = 1, order = p.name == "markov" ? 3 : 1, contexts = 1 << 22;
  for (auto& [k, v] : p.params) {
    if (k == "threshold") {
      MEMORY_RETURN_IF_ERROR(Number(spec, k, v, 0, 1, &threshold));
    } else if (k == "degree") {
      MEMORY_RETURN_IF_ERROR(Number(spec, k, v, 1, 16, &degree));
    } else if (k == "contexts") {
      MEMORY_RETURN_IF_ERROR(Number(spec, k, v, 16, double(1u << 30), &contexts));
    } else if (k == "order" && p.name == "markov") {
      MEMORY_RETURN_IF_ERROR(Number(spec, k, v, 1, 8, &order));
    } else {
      return Status::InvalidArgument("prefetch model '" + std::string(spec) +
                                     "': unknown parameter '" + k + "'");
    }
  }
  *out = std::make_unique<Markov>(static_cast<size_t>(order), threshold,
                                  static_cast<size_t>(degree), static_cast<size_t>(contexts),
                                  p.name == "successor");
  return Status::OK();
}

}  // namespace memory::cache
