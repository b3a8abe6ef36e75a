#include <algorithm>
#include <cmath>

#include "policies/learners.h"
#include "policies/spec.h"

namespace memory::policies {
namespace {
constexpr uint32_t kDense = OnlineStandardizer::kMaxDense;
constexpr float kBeta1 = 0.9f, kBeta2 = 0.999f, kEps = 1e-8f;
constexpr float kClip = 3.0f;

inline uint32_t Mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}
// Updates one row of parameters with the gradient `scale * g[j]` (Adam, bias-corrected).
inline void AdamRow(float* w, float* m, float* v, const float* g, float scale, int n, float step_size) {
  for (int j = 0; j < n; ++j) {
    float gj = scale * g[j];
    m[j] = kBeta1 * m[j] + (1 - kBeta1) * gj;
    v[j] = kBeta2 * v[j] + (1 - kBeta2) * gj * gj;
    w[j] -= step_size * m[j] / (std::sqrt(v[j]) + kEps);
  }
}
}  // namespace

MlpLearner::MlpLearner(const MlpOptions& o, std::unique_ptr<Learner> base)
    : o_(o), base_(o.base ? std::move(base) : nullptr), mask_((1u << o.bits) - 1) {
  in_.width = o.hidden;
  out_.width = o.hidden + 1;  // + bias
  pre_.resize(o.hidden);
  h_.resize(o.hidden);
  dh_.resize(o.hidden);
}

std::string MlpLearner::Spec() const {
  return "mlp(hidden=" + std::to_string(o_.hidden) + ",lr=" + FormatNumber(o_.lr) + ",seed=" + std::to_string(o_.seed) +
         ",bits=" + std::to_string(o_.bits) + ",iw=" + std::to_string(o_.importance ? 1 : 0) +
         ",init=" + FormatNumber(o_.init) + ",standardize=" + std::to_string(o_.standardize ? 1 : 0) +
         ",tanh=" + std::to_string(o_.tanh ? 1 : 0) + ",width_scale=" + FormatNumber(o_.width_scale) + ",base=" + std::to_string(o_.base ? 1 : 0) + ",text=" + std::to_string(o_.text ? 1 : 0) + ")";
}

bool MlpLearner::BaseOnly(const Example& ex) {
  if (base_only_ < 0) {
    base_only_ = 0;
    if (base_ && !o_.text)
      for (const Feature& f : ex.context)
        if (f.index >= kDense) base_only_ = 1;
  }
  return base_only_ == 1;
}

int MlpLearner::Row(Table& t, uint32_t index, float scale) {
  int* slot = nullptr;
  uint32_t key;
  if (index < kDense) {
    if (index >= t.dense.size()) t.dense.resize(index + 1, -1);
    slot = &t.dense[index];
    key = index;
  } else {
    // Hashed features share 2^bits rows; the constant input (index 0xFFFFFFFF) gets the key
    // just past them, so it never collides.
    key = index == 0xFFFFFFFFu ? kDense + mask_ + 1 : kDense + (Mix32(index) & mask_);
    auto [it, fresh] = t.sparse.try_emplace(key, -1);
    slot = &it->second;
  }
  if (*slot >= 0) return *slot;
  // New row: its initial weights depend only on (seed, table, key), not on arrival order.
  *slot = t.rows++;
  size_t n = static_cast<size_t>(t.rows) * t.width;
  t.w.resize(n, 0.0f);
  t.m.resize(n, 0.0f);
  t.v.resize(n, 0.0f);
  t.seen.resize(n, 0.0f);
  if (scale > 0) {
    Rng rng(o_.seed * 0x9E3779B97F4A7C15ULL ^ (static_cast<uint64_t>(key) << 1) ^ (&t == &in_ ? 0 : 1));
    float* w = t.w.data() + static_cast<size_t>(*slot) * t.width;
    for (int j = 0; j < t.width; ++j) w[j] = static_cast<float>(scale * rng.Normal());
  }
  return *slot;
}

void MlpLearner::Prepare(const Example& ex) {
  if (o_.standardize) {
    standardizer_.UpdateAndTransform(ex.context, &ctx_);
  } else {
    ctx_.assign(ex.context.begin(), ex.context.end());
  }
  size_t nnz = 1;
  for (const Feature& f : ctx_) nnz += f.value != 0;
  // He-style scale for the inputs of this example (standardized inputs have unit variance).
  const float scale = std::sqrt(2.0f / static_cast<float>(nnz));
  in_rows_.clear();
  // The constant input (bias) has its own row, stored past every real feature's key space.
  in_rows_.emplace_back(Row(in_, 0xFFFFFFFFu, scale), 1.0f);
  // Standardized values of rarely non-zero inputs can be huge (a pixel seen lit once): clip them
  // so one example cannot swing the hidden layer.
  for (const Feature& f : ctx_)
    if (f.value != 0 && f.index != 0xFFFFFFFFu)
      in_rows_.emplace_back(Row(in_, f.index, scale), f.index < kDense ? std::clamp(f.value, -kClip, kClip) : f.value);
  cached_ = ContextKey::Of(ex.context);
  cache_valid_ = true;
  forward_version_ = ~0ull;
  base_valid_ = false;
}

void MlpLearner::Forward() {
  const int H = o_.hidden;
  std::fill(pre_.begin(), pre_.end(), 0.0f);
  for (auto [row, v] : in_rows_) {
    const float* w = in_.w.data() + static_cast<size_t>(row) * H;
    for (int j = 0; j < H; ++j) pre_[j] += v * w[j];
  }
  if (o_.tanh) {
    for (int j = 0; j < H; ++j) h_[j] = std::tanh(pre_[j]);
  } else {
    for (int j = 0; j < H; ++j) h_[j] = pre_[j] > 0 ? pre_[j] : 0.0f;
  }
  forward_version_ = version_;
}

void MlpLearner::OutputRows(const Example& ex, int a) {
  out_rows_.clear();
  if (ex.action_features.empty()) {
    out_rows_.emplace_back(Row(out_, static_cast<uint32_t>(a), 0), 1.0f);
  } else {
    for (const Feature& f : ex.action_features[a])
      if (f.value != 0) out_rows_.emplace_back(Row(out_, f.index, 0), f.value);
  }
}

double MlpLearner::Score() const {
  const int H = o_.hidden;
  double s = 0;
  for (auto [row, v] : out_rows_) {
    const float* u = out_.w.data() + static_cast<size_t>(row) * (H + 1);
    float dot = u[H];
    for (int j = 0; j < H; ++j) dot += u[j] * h_[j];
    s += v * dot;
  }
  return s;
}

void MlpLearner::Predict(const Example& ex, std::vector<double>* costs) {
  if (BaseOnly(ex)) return base_->Predict(ex, costs);
  Prepare(ex);
  Forward();
  if (base_) {
    base_->Predict(ex, &base_costs_);
    base_valid_ = true;
  }
  costs->resize(ex.num_actions);
  for (int a = 0; a < ex.num_actions; ++a) {
    OutputRows(ex, a);
    (*costs)[a] = o_.init + Score() + (base_ ? base_costs_[a] : 0.0);
  }
}

void MlpLearner::Learn(const Example& ex, int action, double cost, double weight) {
  if (BaseOnly(ex)) return base_->Learn(ex, action, cost, weight);
  if (!cache_valid_ || !(cached_ == ContextKey::Of(ex.context))) Prepare(ex);
  if (forward_version_ != version_) Forward();
  if (base_) {
    if (!base_valid_) {  // a logged example never predicted: the base's view before learning
      base_->Predict(ex, &base_costs_);
      base_valid_ = true;
    }
    base_->Learn(ex, action, cost, weight);
    cost -= base_costs_[action];  // the network learns the base's residual of this round
  }
  if (!o_.importance) weight = 1.0;
  if (!(weight > 0)) return;
  OutputRows(ex, action);
  const int H = o_.hidden;
  for (auto [row, v] : out_rows_) {  // data seen by each output weight (widths)
    float* seen = &out_.seen[static_cast<size_t>(row) * (H + 1)];
    for (int j = 0; j < H; ++j) seen[j] += v * v * h_[j] * h_[j];
    seen[H] += v * v;
  }
  const double err = o_.init + Score() - cost;
  if (err == 0) return;
  const float g = static_cast<float>(weight * err);  // d loss / d prediction (loss = w/2 err^2)
  ++step_;
  ++version_;
  const double t = static_cast<double>(step_);
  const float step_size = static_cast<float>(o_.lr * std::sqrt(1 - std::pow(kBeta2, t)) / (1 - std::pow(kBeta1, t)));
  // Back-propagate to the hidden layer before the output weights move.
  std::fill(dh_.begin(), dh_.end(), 0.0f);
  for (auto [row, v] : out_rows_) {
    const float* u = out_.w.data() + static_cast<size_t>(row) * (H + 1);
    for (int j = 0; j < H; ++j) dh_[j] += v * u[j];
  }
  for (int j = 0; j < H; ++j) {
    float d = o_.tanh ? 1 - h_[j] * h_[j] : (pre_[j] > 0 ? 1.0f : 0.0f);
    dh_[j] *= g * d;
  }
  // Output rows: gradient g * v * [h, 1].
  h_.push_back(1.0f);
  for (auto [row, v] : out_rows_) {
    size_t off = static_cast<size_t>(row) * (H + 1);
    AdamRow(&out_.w[off], &out_.m[off], &out_.v[off], h_.data(), g * v, H + 1, step_size);
  }
  h_.pop_back();
  // Input rows: gradient x_i * dh.
  for (auto [row, x] : in_rows_) {
    size_t off = static_cast<size_t>(row) * H;
    AdamRow(&in_.w[off], &in_.m[off], &in_.v[off], dh_.data(), x, H, step_size);
  }
}

bool MlpLearner::Widths(const Example& ex, std::vector<double>* widths) {
  if (base_) return base_->Widths(ex, widths);
  if (!cache_valid_ || !(cached_ == ContextKey::Of(ex.context))) Prepare(ex);
  if (forward_version_ != version_) Forward();
  const int H = o_.hidden;
  widths->resize(ex.num_actions);
  for (int a = 0; a < ex.num_actions; ++a) {
    OutputRows(ex, a);
    double s = 0;
    for (auto [row, v] : out_rows_) {
      const float* seen = out_.seen.data() + static_cast<size_t>(row) * (H + 1);
      for (int j = 0; j < H; ++j) s += v * v * h_[j] * h_[j] / (1.0 + seen[j]);
      s += v * v / (1.0 + seen[H]);
    }
    (*widths)[a] = o_.width_scale * std::sqrt(s);
  }
  return true;
}

bool MlpLearner::SampleCosts(const Example& ex, Rng& rng, std::vector<double>* costs) {
  std::vector<double> widths;
  Predict(ex, costs);
  Widths(ex, &widths);
  for (int a = 0; a < ex.num_actions; ++a) (*costs)[a] += widths[a] * rng.Normal();
  return true;
}

}  // namespace memory::policies
