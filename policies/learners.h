// The learners behind MakeLearner (internal to policies/; use policy.h).
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <Eigen/Dense>

#include "policies/policy.h"

namespace memory::policies {

// Running mean and variance of dense context features (index < kMaxDense), used to centre and
// scale raw, unscaled inputs online (only the features are used, never costs or labels).
// Identifies an example's context cheaply (pointer, size, checksum of the values), so a learner
// prepares a context once per round even when Learn is called several times.
struct ContextKey {
  const Feature* ptr = nullptr;
  size_t size = 0;
  double checksum = 0;
  static ContextKey Of(std::span<const Feature> c);
  bool operator==(const ContextKey&) const = default;
};

class OnlineStandardizer {
 public:
  static constexpr uint32_t kMaxDense = 1u << 16;
  // Updates the statistics with `in` and writes the standardized features to `out`.
  // Features with index >= kMaxDense pass through unchanged.
  void UpdateAndTransform(std::span<const Feature> in, std::vector<Feature>* out);
  // Same transform without updating.
  void Transform(std::span<const Feature> in, std::vector<Feature>* out) const;
  void Save(StateWriter& w) const;
  bool Load(StateReader& r);

 private:
  std::vector<double> mean_, m2_;
  std::vector<uint64_t> count_;
};

struct LinearOptions {
  int bits = 18;
  double lr = 0.5;
  bool interact = true;     // context x action features
  bool standardize = true;
  bool importance = true;   // scale updates by the explorer's importance weight
  double init = 0;          // predicted cost before any data
  double width_scale = 1;   // multiplies the diagonal widths (LinUCB, Thompson)
};

// Hashed linear regression on [context, action, context x action] features with VW-style
// adaptive (per-weight AdaGrad), normalized (per-weight scale) and safe (no overshoot) updates.
class LinearLearner final : public Learner {
 public:
  explicit LinearLearner(const LinearOptions& o);
  void Predict(const Example& ex, std::vector<double>* costs) override;
  void Learn(const Example& ex, int action, double cost, double weight) override;
  // Diagonal approximation of the ridge width: sqrt(sum_j x_j^2 / (1 + n_j)) over the action's
  // own weights (action and context x action), n_j = sum of x_j^2 seen by weight j.
  bool Widths(const Example& ex, std::vector<double>* widths) override;
  bool SampleCosts(const Example& ex, Rng& rng, std::vector<double>* costs) override;
  bool HasUncertainty() const override { return true; }
  std::unique_ptr<Learner> CloneFresh() const override { return std::make_unique<LinearLearner>(o_); }
  std::string Spec() const override;
  Status SaveState(StateWriter& w) const override;
  bool LoadState(StateReader& r) override;

 private:
  // Per-weight update state, kept apart from the weights so prediction reads only weights.
  struct SlotState {
    float g2 = 0;     // sum of squared gradients (AdaGrad)
    float scale = 0;  // largest |x| seen (normalized updates)
    float seen = 0;   // sum of x^2 (widths)
  };
  void Prepare(const Example& ex);  // standardizes and hashes the context (once per example)
  // Collects (slot, value) pairs of action `a`, excluding the context part.
  void ActionSlots(const Example& ex, int a);

  LinearOptions o_;
  uint32_t mask_;
  std::vector<float> w_;
  std::vector<SlotState> state_;
  std::vector<double> rates_;         // scratch for Learn
  OnlineStandardizer standardizer_;
  // Cache for the current example.
  ContextKey cached_;
  bool cache_valid_ = false;
  std::vector<Feature> ctx_;          // standardized context
  std::vector<uint32_t> ctx_hash_;    // hashed context indices (before masking)
  std::vector<double> scores_;        // scratch for the fast path
  double ctx_score_ = 0;              // constant + context part
  std::vector<std::pair<uint32_t, float>> slots_;
  double norm_sum_ = 0;               // running sum of normalized squared inputs (VW's "normalized")
  double norm_count_ = 0;
};

struct RidgeOptions {
  double lambda = 1;
  bool standardize = true;
  bool importance = false;
  double init = 0;
  bool quadratic = false;   // also every product x_i x_j (i <= j) of the dense inputs
};

// One exact ridge regression per action over the dense context (+ intercept), kept as an
// inverse with Sherman-Morrison updates. The dimension is fixed by the first example (largest
// dense index + 1); later features beyond it are ignored. Supports widths and posterior draws.
class RidgeLearner final : public Learner {
 public:
  explicit RidgeLearner(const RidgeOptions& o) : o_(o) {}
  void Predict(const Example& ex, std::vector<double>* costs) override;
  void Learn(const Example& ex, int action, double cost, double weight) override;
  bool Widths(const Example& ex, std::vector<double>* widths) override;
  bool SampleCosts(const Example& ex, Rng& rng, std::vector<double>* costs) override;
  bool HasUncertainty() const override { return true; }
  std::unique_ptr<Learner> CloneFresh() const override { return std::make_unique<RidgeLearner>(o_); }
  std::string Spec() const override;
  Status SaveState(StateWriter& w) const override;
  bool LoadState(StateReader& r) override;

 private:
  struct Model {
    Eigen::MatrixXd ainv;  // only for models keyed by action features
    Eigen::VectorXd b, theta;
  };
  void Prepare(const Example& ex);
  Model& ModelFor(const Example& ex, int a);
  // The inverse of action a's regularized Gram matrix.
  Eigen::Block<Eigen::MatrixXd> IdInverse(int a) { return ainv_by_id_.block(0, a * dim_, dim_, dim_); }

  RidgeOptions o_;
  int dim_ = -1;      // model dimension (inputs, products when quadratic, intercept)
  int inputs_ = 0;    // dense inputs d
  std::vector<Model> by_id_;                    // action id models (no action features)
  Eigen::MatrixXd ainv_by_id_;                  // their inverses side by side: D x (ids * D)
  Eigen::VectorXd all_ax_;                      // scratch: every id model's A^-1 x
  std::vector<std::pair<uint64_t, Model>> by_key_;  // models keyed by action-feature hash
  OnlineStandardizer standardizer_;
  ContextKey cached_;
  bool cache_valid_ = false;
  std::vector<Feature> tmp_;
  Eigen::VectorXd x_;
  Eigen::VectorXd ax_;
};

struct MlpOptions {
  int hidden = 32;
  double lr = 0.003;        // Adam step size
  uint64_t seed = 1;        // initial weights
  int bits = 18;            // hashed rows for context / action features with index >= 65536
  bool importance = false;  // scale updates by the importance weight (unstable with Adam)
  double init = 0;          // predicted cost before any data
  bool standardize = true;
  bool tanh = false;        // hidden activation: tanh, else ReLU
  double width_scale = 1;   // multiplies the diagonal widths (LinUCB, Thompson)
  bool base = false;        // residual: the network corrects a base learner (auto())
  bool text = false;        // with base: also correct hashed (text) contexts, else base only
};

// One-hidden-layer network trained online (policies/mlp_learner.cpp): h = act(W x + b) over the
// standardized context (dense indices < 65536 get their own input rows, larger indices are
// hashed into 2^bits rows, allocated when first seen), and cost(a) = init + sum over a's action
// features f (the id {a, 1} when there are none) of value_f * (u_f . h + c_f). Squared loss on
// the chosen action, Adam steps (lazy on the rows an example touches). Deterministic given the
// seed. Widths: diagonal ridge approximation over the last layer (u_f . h).
// With a base learner (o.base): cost = base cost + network output, the network learning the
// base's residual (cost - the base's prediction of the round); widths are the base's. Unless
// o.text, a first context with hashed indices (>= 65536) makes it the base alone (measured: the
// network did not help on NL2Bash).
class MlpLearner final : public Learner {
 public:
  // `base` is required when o.base is set (and ignored otherwise).
  MlpLearner(const MlpOptions& o, std::unique_ptr<Learner> base);
  void Predict(const Example& ex, std::vector<double>* costs) override;
  void Learn(const Example& ex, int action, double cost, double weight) override;
  bool Widths(const Example& ex, std::vector<double>* widths) override;
  bool SampleCosts(const Example& ex, Rng& rng, std::vector<double>* costs) override;
  bool HasUncertainty() const override { return true; }
  std::unique_ptr<Learner> CloneFresh() const override {
    return std::make_unique<MlpLearner>(o_, base_ ? base_->CloneFresh() : nullptr);
  }
  std::string Spec() const override;
  Status SaveState(StateWriter& w) const override;
  bool LoadState(StateReader& r) override;

  // Rows of `width` parameters with Adam state, looked up by feature index.
  struct Table {
    int width = 0;
    std::vector<float> w, m, v, seen;   // seen: sum of squared inputs per weight (widths)
    std::vector<int> dense;             // feature index -> row, -1 = none yet
    std::unordered_map<uint32_t, int> sparse;  // hashed slot -> row
    int rows = 0;
  };

 private:
  int Row(Table& t, uint32_t index, float scale);
  void Prepare(const Example& ex);   // standardizes the context and finds its input rows
  void Forward();                    // hidden layer from the prepared inputs
  void OutputRows(const Example& ex, int a);  // (row, value) pairs of action a's output
  double Score() const;     // output of the rows in out_rows_

  MlpOptions o_;
  std::unique_ptr<Learner> base_;
  std::vector<double> base_costs_;   // the base's prediction for the cached context
  bool base_valid_ = false;
  int base_only_ = -1;               // -1 undecided, 1 = delegate everything to the base
  bool BaseOnly(const Example& ex);
  uint32_t mask_;
  Table in_, out_;
  OnlineStandardizer standardizer_;
  uint64_t step_ = 0;        // Adam steps taken
  uint64_t version_ = 0;     // bumps with every update (the cached hidden layer is stale)
  uint64_t forward_version_ = ~0ull;
  ContextKey cached_;
  bool cache_valid_ = false;
  std::vector<Feature> ctx_;
  std::vector<std::pair<int, float>> in_rows_;    // (row, value), constant row first
  std::vector<std::pair<int, float>> out_rows_;   // scratch for one action
  std::vector<float> pre_, h_, dh_;
};

// Chooses its model from the first example: exact ridge regression when the context is dense
// and small (every index < max_dense; with pairwise products too when d <= max_quadratic), else
// the hashed linear model (text, large inputs).
class AutoLearner final : public Learner {
 public:
  AutoLearner(int max_dense, int max_quadratic, RidgeOptions ridge, LinearOptions linear)
      : max_dense_(max_dense), max_quadratic_(max_quadratic), ridge_(ridge), linear_(linear) {}
  void Predict(const Example& ex, std::vector<double>* costs) override { Pick(ex).Predict(ex, costs); }
  void Learn(const Example& ex, int action, double cost, double weight) override {
    Pick(ex).Learn(ex, action, cost, weight);
  }
  bool Widths(const Example& ex, std::vector<double>* widths) override { return Pick(ex).Widths(ex, widths); }
  bool SampleCosts(const Example& ex, Rng& rng, std::vector<double>* costs) override {
    return Pick(ex).SampleCosts(ex, rng, costs);
  }
  bool HasUncertainty() const override { return true; }
  std::unique_ptr<Learner> CloneFresh() const override {
    return std::make_unique<AutoLearner>(max_dense_, max_quadratic_, ridge_, linear_);
  }
  std::string Spec() const override;
  Status SaveState(StateWriter& w) const override;
  bool LoadState(StateReader& r) override;

 private:
  Learner& Pick(const Example& ex);
  int max_dense_;
  int max_quadratic_;
  RidgeOptions ridge_;
  LinearOptions linear_;
  std::unique_ptr<Learner> chosen_;
};

}  // namespace memory::policies
