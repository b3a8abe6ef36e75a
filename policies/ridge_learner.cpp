#include <cmath>
#include <cstring>

#include "policies/learners.h"
#include "policies/spec.h"

namespace memory::policies {

std::string RidgeLearner::Spec() const {
  return "ridge(lambda=" + FormatNumber(o_.lambda) + ",standardize=" + std::to_string(o_.standardize ? 1 : 0) +
         ",iw=" + std::to_string(o_.importance ? 1 : 0) + ",init=" + FormatNumber(o_.init) + ",quadratic=" + std::to_string(o_.quadratic ? 1 : 0) + ")";
}

void RidgeLearner::Prepare(const Example& ex) {
  if (dim_ < 0) {
    uint32_t max_index = 0;
    for (const Feature& f : ex.context)
      if (f.index < OnlineStandardizer::kMaxDense) max_index = std::max(max_index, f.index + 1);
    inputs_ = static_cast<int>(max_index);
    dim_ = inputs_ + (o_.quadratic ? inputs_ * (inputs_ + 1) / 2 : 0) + 1;  // + intercept
  }
  const std::vector<Feature>* feats = &tmp_;
  if (o_.standardize) {
    standardizer_.UpdateAndTransform(ex.context, &tmp_);
  } else {
    tmp_.assign(ex.context.begin(), ex.context.end());
  }
  x_.setZero(dim_);
  x_[dim_ - 1] = 1.0;
  for (const Feature& f : *feats)
    if (f.index < static_cast<uint32_t>(inputs_)) x_[f.index] += f.value;
  if (o_.quadratic) {
    int k = inputs_;
    for (int i = 0; i < inputs_; ++i)
      for (int j = i; j < inputs_; ++j) x_[k++] = x_[i] * x_[j];
  }
  cached_ = ContextKey::Of(ex.context);
  cache_valid_ = true;
}

RidgeLearner::Model& RidgeLearner::ModelFor(const Example& ex, int a) {
  auto fresh = [&](Model* m) {
    if (m->theta.size() == dim_) return;
    m->ainv = Eigen::MatrixXd::Identity(dim_, dim_) / o_.lambda;
    m->b = Eigen::VectorXd::Zero(dim_);
    m->theta = Eigen::VectorXd::Zero(dim_);
  };
  if (ex.action_features.empty()) {
    if (static_cast<size_t>(a) >= by_id_.size()) {
      size_t old = by_id_.size(), n = std::max<size_t>(a + 1, old * 2);
      by_id_.resize(n);
      ainv_by_id_.conservativeResize(dim_, static_cast<Eigen::Index>(n) * dim_);
      for (size_t i = old; i < n; ++i) {
        by_id_[i].b = Eigen::VectorXd::Zero(dim_);
        by_id_[i].theta = Eigen::VectorXd::Zero(dim_);
        IdInverse(static_cast<int>(i)) = Eigen::MatrixXd::Identity(dim_, dim_) / o_.lambda;
      }
    }
    return by_id_[a];
  }
  uint64_t key = 1469598103934665603ull;
  for (const Feature& f : ex.action_features[a]) {
    uint32_t bits;
    std::memcpy(&bits, &f.value, sizeof bits);
    key = (key ^ f.index) * 1099511628211ull;
    key = (key ^ bits) * 1099511628211ull;
  }
  for (auto& [k, m] : by_key_)
    if (k == key) return m;
  by_key_.emplace_back(key, Model());
  fresh(&by_key_.back().second);
  return by_key_.back().second;
}

void RidgeLearner::Predict(const Example& ex, std::vector<double>* costs) {
  Prepare(ex);
  costs->resize(ex.num_actions);
  for (int a = 0; a < ex.num_actions; ++a) (*costs)[a] = o_.init + ModelFor(ex, a).theta.dot(x_);
}

bool RidgeLearner::Widths(const Example& ex, std::vector<double>* widths) {
  if (!cache_valid_ || !(cached_ == ContextKey::Of(ex.context))) Prepare(ex);
  widths->resize(ex.num_actions);
  if (ex.action_features.empty()) {
    // One matrix-vector product for all actions (each inverse is symmetric).
    ModelFor(ex, ex.num_actions - 1);
    auto block = ainv_by_id_.leftCols(static_cast<Eigen::Index>(ex.num_actions) * dim_);
    all_ax_.noalias() = block.transpose() * x_;
    for (int a = 0; a < ex.num_actions; ++a)
      (*widths)[a] = std::sqrt(std::max(0.0, x_.dot(all_ax_.segment(a * dim_, dim_))));
    return true;
  }
  for (int a = 0; a < ex.num_actions; ++a) {
    Model& m = ModelFor(ex, a);
    ax_.noalias() = m.ainv * x_;
    (*widths)[a] = std::sqrt(std::max(0.0, x_.dot(ax_)));
  }
  return true;
}

bool RidgeLearner::SampleCosts(const Example& ex, Rng& rng, std::vector<double>* costs) {
  std::vector<double> widths;
  Predict(ex, costs);
  Widths(ex, &widths);
  for (int a = 0; a < ex.num_actions; ++a) (*costs)[a] += widths[a] * rng.Normal();
  return true;
}

void RidgeLearner::Learn(const Example& ex, int action, double cost, double weight) {
  if (!cache_valid_ || !(cached_ == ContextKey::Of(ex.context))) Prepare(ex);
  if (!o_.importance) weight = 1.0;
  if (!(weight > 0)) return;
  Model& m = ModelFor(ex, action);
  // Recursive least squares: Sherman-Morrison on the inverse, O(D) update of theta.
  auto update = [&](auto&& ainv) {
    ax_.noalias() = ainv * x_;
    double denom = 1.0 + weight * x_.dot(ax_);
    double error = (cost - o_.init) - m.theta.dot(x_);
    m.theta += (weight * error / denom) * ax_;
    ainv.noalias() -= (weight / denom) * ax_ * ax_.transpose();
  };
  if (ex.action_features.empty()) {
    update(IdInverse(action));
  } else {
    update(m.ainv);
  }
  m.b += weight * (cost - o_.init) * x_;
}

}  // namespace memory::policies
