#include <algorithm>
#include <cmath>

#include "policies/learners.h"
#include "policies/spec.h"

namespace memory::policies {
namespace {
inline uint32_t Mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}
constexpr uint32_t kConstantHash = 0x1234567u;
inline uint32_t ActionHash(uint32_t index) { return Mix(index ^ 0xA5A5A5A5u) * 2654435761u + 1013904223u; }
inline uint32_t Cross(uint32_t ctx_hash, uint32_t action_hash) { return Mix(ctx_hash * 0x9E3779B1u ^ action_hash); }
inline uint32_t IdBase(uint32_t ctx_hash) { return Mix(ctx_hash ^ 0x5BD1E995u); }
}  // namespace

ContextKey ContextKey::Of(std::span<const Feature> c) {
  ContextKey k;
  k.ptr = c.data();
  k.size = c.size();
  for (const Feature& f : c) k.checksum += (f.index + 1.0) * f.value;
  return k;
}

void OnlineStandardizer::UpdateAndTransform(std::span<const Feature> in, std::vector<Feature>* out) {
  for (const Feature& f : in) {
    if (f.index >= kMaxDense) continue;
    if (f.index >= mean_.size()) {
      mean_.resize(f.index + 1, 0.0);
      m2_.resize(f.index + 1, 0.0);
      count_.resize(f.index + 1, 0);
    }
    uint64_t n = ++count_[f.index];
    double d = f.value - mean_[f.index];
    mean_[f.index] += d / n;
    m2_[f.index] += d * (f.value - mean_[f.index]);
  }
  Transform(in, out);
}

void OnlineStandardizer::Transform(std::span<const Feature> in, std::vector<Feature>* out) const {
  out->resize(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const Feature& f = in[i];
    Feature& o = (*out)[i];
    o.index = f.index;
    if (f.index >= kMaxDense || f.index >= mean_.size() || count_[f.index] < 2) {
      o.value = f.index >= kMaxDense ? f.value : 0.0f;
      continue;
    }
    double var = m2_[f.index] / count_[f.index];
    o.value = var > 1e-12 ? static_cast<float>((f.value - mean_[f.index]) / std::sqrt(var)) : 0.0f;
  }
}

LinearLearner::LinearLearner(const LinearOptions& o)
    : o_(o), mask_((1u << o.bits) - 1), w_(size_t{1} << o.bits, 0.0f), state_(size_t{1} << o.bits) {}

std::string LinearLearner::Spec() const {
  return "linear(bits=" + std::to_string(o_.bits) + ",lr=" + FormatNumber(o_.lr) +
         ",interact=" + std::to_string(o_.interact ? 1 : 0) + ",standardize=" + std::to_string(o_.standardize ? 1 : 0) +
         ",iw=" + std::to_string(o_.importance ? 1 : 0) + ",init=" + FormatNumber(o_.init) + ",width_scale=" + FormatNumber(o_.width_scale) + ")";
}

void LinearLearner::Prepare(const Example& ex) {
  if (o_.standardize) {
    standardizer_.UpdateAndTransform(ex.context, &ctx_);
  } else {
    ctx_.assign(ex.context.begin(), ex.context.end());
  }
  ctx_hash_.resize(ctx_.size());
  double s = w_[kConstantHash & mask_];
  for (size_t i = 0; i < ctx_.size(); ++i) {
    ctx_hash_[i] = Mix(ctx_[i].index);
    s += w_[ctx_hash_[i] & mask_] * ctx_[i].value;
  }
  ctx_score_ = s;
  cached_ = ContextKey::Of(ex.context);
  cache_valid_ = true;
}

void LinearLearner::ActionSlots(const Example& ex, int a) {
  slots_.clear();
  auto add_action_feature = [&](uint32_t index, float value) {
    uint32_t ah = ActionHash(index);
    slots_.emplace_back(ah & mask_, value);
    if (!o_.interact) return;
    for (size_t i = 0; i < ctx_.size(); ++i)
      if (ctx_[i].value != 0) slots_.emplace_back(Cross(ctx_hash_[i], ah) & mask_, ctx_[i].value * value);
  };
  if (ex.action_features.empty()) {
    // Action ids: the weights of one context feature for all actions are adjacent (the
    // interaction slot is the feature's base slot + the action id), so prediction is a scan.
    slots_.emplace_back(ActionHash(static_cast<uint32_t>(a)) & mask_, 1.0f);
    if (!o_.interact) return;
    for (size_t i = 0; i < ctx_.size(); ++i)
      if (ctx_[i].value != 0) slots_.emplace_back((IdBase(ctx_hash_[i]) + a) & mask_, ctx_[i].value);
  } else {
    for (const Feature& f : ex.action_features[a]) add_action_feature(f.index, f.value);
  }
}

void LinearLearner::Predict(const Example& ex, std::vector<double>* costs) {
  Prepare(ex);
  costs->resize(ex.num_actions);
  if (ex.action_features.empty()) {
    // Fast path: action k has the single feature {k, 1}.
    const int k = ex.num_actions;
    scores_.assign(k, o_.init + ctx_score_);
    double* sc = scores_.data();
    for (int a = 0; a < k; ++a) sc[a] += w_[ActionHash(static_cast<uint32_t>(a)) & mask_];
    if (o_.interact) {
      const float* w = w_.data();
      for (size_t i = 0; i < ctx_.size(); ++i) {
        const double v = ctx_[i].value;
        if (v == 0) continue;
        const uint32_t base = IdBase(ctx_hash_[i]) & mask_;
        if (base + k <= mask_ + 1) {
          const float* wb = w + base;
          for (int a = 0; a < k; ++a) sc[a] += wb[a] * v;
        } else {
          for (int a = 0; a < k; ++a) sc[a] += w[(base + a) & mask_] * v;
        }
      }
    }
    costs->assign(scores_.begin(), scores_.end());
    return;
  }
  for (int a = 0; a < ex.num_actions; ++a) {
    ActionSlots(ex, a);
    double s = ctx_score_;
    for (auto& [slot, v] : slots_) s += w_[slot] * v;
    (*costs)[a] = o_.init + s;
  }
}

void LinearLearner::Learn(const Example& ex, int action, double cost, double weight) {
  if (!cache_valid_ || !(cached_ == ContextKey::Of(ex.context))) Prepare(ex);
  if (!o_.importance) weight = 1.0;
  if (!(weight > 0)) return;
  ActionSlots(ex, action);
  // Full slot list: constant, context, then action + interactions.
  slots_.emplace_back(kConstantHash & mask_, 1.0f);
  for (size_t i = 0; i < ctx_.size(); ++i)
    if (ctx_[i].value != 0) slots_.emplace_back(ctx_hash_[i] & mask_, ctx_[i].value);

  double pred = o_.init;
  double norm_x = 0;
  for (auto& [slot, v] : slots_) {
    SlotState& st = state_[slot];
    pred += w_[slot] * v;
    float av = std::fabs(v);
    if (av > st.scale) {
      // Rescale the weight so the prediction is unchanged in expectation (VW's normalized update).
      if (st.scale > 0) w_[slot] *= (st.scale / av) * (st.scale / av);
      st.scale = av;
    }
    float nx = v / st.scale;
    norm_x += nx * nx;
    st.seen += v * v;
  }
  norm_sum_ += weight * norm_x;
  norm_count_ += weight;
  double g = pred - cost;
  if (g == 0) return;
  const double global = o_.lr * std::sqrt(norm_count_ / std::max(norm_sum_, 1e-12));
  // Rates per slot and the total change of the prediction they would cause.
  rates_.resize(slots_.size());
  double change = 0;
  for (size_t j = 0; j < slots_.size(); ++j) {
    auto [slot, v] = slots_[j];
    SlotState& st = state_[slot];
    float gv = static_cast<float>(g * v);
    st.g2 += gv * gv;
    double rate = global / (st.scale * std::sqrt(st.g2 + 1e-12f));
    rates_[j] = rate;
    change += rate * v * v;
  }
  double step = weight * change;
  double shrink = step > 1.0 ? 1.0 / step : 1.0;  // safe: never overshoot the target
  double common = shrink * weight * g;
  for (size_t j = 0; j < slots_.size(); ++j) {
    auto [slot, v] = slots_[j];
    w_[slot] -= static_cast<float>(common * rates_[j] * v);
  }
}

bool LinearLearner::Widths(const Example& ex, std::vector<double>* widths) {
  if (!cache_valid_ || !(cached_ == ContextKey::Of(ex.context))) Prepare(ex);
  widths->resize(ex.num_actions);
  for (int a = 0; a < ex.num_actions; ++a) {
    ActionSlots(ex, a);
    double s = 0;
    for (auto& [slot, v] : slots_) s += v * v / (1.0 + state_[slot].seen);
    (*widths)[a] = o_.width_scale * std::sqrt(s);
  }
  return true;
}

bool LinearLearner::SampleCosts(const Example& ex, Rng& rng, std::vector<double>* costs) {
  std::vector<double> widths;
  Predict(ex, costs);
  Widths(ex, &widths);
  for (int a = 0; a < ex.num_actions; ++a) (*costs)[a] += widths[a] * rng.Normal();
  return true;
}

std::string AutoLearner::Spec() const {
  return "auto(dense=" + std::to_string(max_dense_) + ",quad=" + std::to_string(max_quadratic_) + ")";
}

Learner& AutoLearner::Pick(const Example& ex) {
  if (chosen_) return *chosen_;
  bool dense = true;
  uint32_t d = 0;
  for (const Feature& f : ex.context) {
    if (f.index >= static_cast<uint32_t>(max_dense_)) dense = false;
    d = std::max(d, f.index + 1);
  }
  if (dense) {
    RidgeOptions r = ridge_;
    r.quadratic = d <= static_cast<uint32_t>(max_quadratic_);
    chosen_ = std::make_unique<RidgeLearner>(r);
  } else {
    chosen_ = std::make_unique<LinearLearner>(linear_);
  }
  return *chosen_;
}

}  // namespace memory::policies
