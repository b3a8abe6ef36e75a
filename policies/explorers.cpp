#include "policies/explorers.h"

#include <algorithm>
#include <cmath>

#include "policies/spec.h"

namespace memory::policies {

void GreedyDistribution(const std::vector<double>& costs, std::vector<double>* probs) {
  size_t k = costs.size();
  probs->assign(k, 0.0);
  if (k == 0) return;
  double best = *std::min_element(costs.begin(), costs.end());
  int ties = 0;
  for (size_t a = 0; a < k; ++a) ties += costs[a] == best;
  for (size_t a = 0; a < k; ++a)
    if (costs[a] == best) (*probs)[a] = 1.0 / ties;
}

namespace {
// Puts the best action's greedy mass of `probs` at `min_prob` floor for every action.
void Floor(double min_prob, std::vector<double>* probs) {
  size_t k = probs->size();
  double scale = 1.0 - min_prob * k;
  for (double& p : *probs) p = min_prob + scale * p;
}
}  // namespace

// ---- score explorers ----------------------------------------------------------------------
void ScoreExplorer::Distribution(const Example& ex, Learner& learner, Rng& rng, std::vector<double>* probs) {
  learner.Predict(ex, &costs_);
  FromCosts(costs_, probs);
}

void ScoreExplorer::Learn(const Example& ex, Learner& learner, int action, double cost, double probability, Rng&) {
  ++rounds_;
  learner.Learn(ex, action, cost, 1.0 / probability);
}

std::string EpsilonGreedyExplorer::Spec() const { return "egreedy(epsilon=" + FormatNumber(epsilon_) + ")"; }
void EpsilonGreedyExplorer::FromCosts(const std::vector<double>& c, std::vector<double>* p) {
  GreedyDistribution(c, p);
  Floor(epsilon_ / c.size(), p);
}

std::string EpsilonFirstExplorer::Spec() const { return "efirst(n=" + std::to_string(n_) + ")"; }
void EpsilonFirstExplorer::FromCosts(const std::vector<double>& c, std::vector<double>* p) {
  if (rounds_ < static_cast<uint64_t>(n_)) {
    p->assign(c.size(), 1.0 / c.size());
  } else {
    GreedyDistribution(c, p);
  }
}

std::string SoftmaxExplorer::Spec() const { return "softmax(lambda=" + FormatNumber(lambda_) + ")"; }
void SoftmaxExplorer::FromCosts(const std::vector<double>& c, std::vector<double>* p) {
  double best = *std::min_element(c.begin(), c.end());
  p->resize(c.size());
  double sum = 0;
  for (size_t a = 0; a < c.size(); ++a) sum += (*p)[a] = std::exp(-lambda_ * (c[a] - best));
  for (double& x : *p) x /= sum;
}

std::string SquareCbExplorer::Spec() const { return "squarecb(gamma=" + FormatNumber(gamma_) + ")"; }
void SquareCbExplorer::FromCosts(const std::vector<double>& c, std::vector<double>* p) {
  size_t k = c.size();
  double gamma = gamma_ * std::sqrt(static_cast<double>(rounds_ + 1));
  size_t best = std::min_element(c.begin(), c.end()) - c.begin();
  p->assign(k, 0.0);
  double rest = 0;
  for (size_t a = 0; a < k; ++a) {
    if (a == best) continue;
    (*p)[a] = 1.0 / (k + gamma * (c[a] - c[best]));
    rest += (*p)[a];
  }
  (*p)[best] = 1.0 - rest;
}

// ---- LinUCB -------------------------------------------------------------------------------
std::string LinUcbExplorer::Spec() const { return "linucb(alpha=" + FormatNumber(alpha_) + ")"; }
void LinUcbExplorer::Distribution(const Example& ex, Learner& learner, Rng&, std::vector<double>* probs) {
  learner.Predict(ex, &costs_);
  learner.Widths(ex, &widths_);
  for (size_t a = 0; a < costs_.size(); ++a) costs_[a] -= alpha_ * widths_[a];
  GreedyDistribution(costs_, probs);
}
void LinUcbExplorer::Learn(const Example& ex, Learner& learner, int action, double cost, double probability, Rng&) {
  learner.Learn(ex, action, cost, 1.0 / probability);
}

// ---- Thompson sampling --------------------------------------------------------------------
std::string ThompsonExplorer::Spec() const {
  return "thompson(scale=" + FormatNumber(scale_) + ",draws=" + std::to_string(draws_) + ")";
}
void ThompsonExplorer::Distribution(const Example& ex, Learner& learner, Rng& rng, std::vector<double>* probs) {
  learner.Predict(ex, &costs_);
  learner.Widths(ex, &widths_);
  size_t k = costs_.size();
  probs->assign(k, 0.0);
  sample_.resize(k);
  for (long d = 0; d < draws_; ++d) {
    for (size_t a = 0; a < k; ++a) sample_[a] = costs_[a] + scale_ * widths_[a] * rng.Normal();
    (*probs)[std::min_element(sample_.begin(), sample_.end()) - sample_.begin()] += 1.0 / draws_;
  }
}
void ThompsonExplorer::Learn(const Example& ex, Learner& learner, int action, double cost, double probability, Rng&) {
  learner.Learn(ex, action, cost, 1.0 / probability);
}

// ---- bagging ------------------------------------------------------------------------------
std::string BagExplorer::Spec() const { return "bag(n=" + std::to_string(n_) + ")"; }
void BagExplorer::EnsureBag(const Learner& learner) {
  while (static_cast<long>(extra_.size()) < n_ - 1) extra_.push_back(learner.CloneFresh());
}
void BagExplorer::Distribution(const Example& ex, Learner& learner, Rng&, std::vector<double>* probs) {
  EnsureBag(learner);
  probs->assign(ex.num_actions, 0.0);
  for (long i = 0; i < n_; ++i) {
    Learner& l = i == 0 ? learner : *extra_[i - 1];
    l.Predict(ex, &costs_);
    GreedyDistribution(costs_, &greedy_);
    for (int a = 0; a < ex.num_actions; ++a) (*probs)[a] += greedy_[a] / n_;
  }
}
void BagExplorer::Learn(const Example& ex, Learner& learner, int action, double cost, double probability, Rng& rng) {
  EnsureBag(learner);
  for (long i = 0; i < n_; ++i) {
    Learner& l = i == 0 ? learner : *extra_[i - 1];
    // The first learner always learns (VW's greedify); the others see a bootstrap weight.
    int w = i == 0 ? 1 : rng.Poisson1();
    if (w > 0) l.Learn(ex, action, cost, w / probability);
  }
}

// ---- cover --------------------------------------------------------------------------------
std::string CoverExplorer::Spec() const {
  return "cover(n=" + std::to_string(n_) + ",psi=" + FormatNumber(psi_) + ",epsilon=" + FormatNumber(epsilon_) + ")";
}
double CoverExplorer::MinProbability(int k) const {
  double t = static_cast<double>(rounds_ + 1);
  return epsilon_ * std::min(1.0 / k, 1.0 / std::sqrt(t * k));
}
void CoverExplorer::Distribution(const Example& ex, Learner& learner, Rng&, std::vector<double>* probs) {
  while (static_cast<long>(cover_.size()) < n_) cover_.push_back(learner.CloneFresh());
  int k = ex.num_actions;
  probs->assign(k, 0.0);
  cached_greedy_.resize(n_ + 1);
  for (long i = 0; i <= n_; ++i) {
    Learner& l = i == 0 ? learner : *cover_[i - 1];
    l.Predict(ex, &costs_);
    if (i == 0) cached_costs_ = costs_;
    GreedyDistribution(costs_, &cached_greedy_[i]);
    for (int a = 0; a < k; ++a) (*probs)[a] += cached_greedy_[i][a] / (n_ + 1);
  }
  cached_context_ = ex.context.data();
  cached_actions_ = k;
  Floor(MinProbability(k), probs);
}
void CoverExplorer::Learn(const Example& ex, Learner& learner, int action, double cost, double probability, Rng& rng) {
  int k = ex.num_actions;
  // Predictions from the Distribution call that chose this action (recomputed when Learn is
  // called on another example, e.g. when learning from a log).
  if (cached_context_ != ex.context.data() || cached_actions_ != k || cached_greedy_.size() != static_cast<size_t>(n_ + 1)) {
    std::vector<double> unused;
    Distribution(ex, learner, rng, &unused);
  }
  cached_context_ = nullptr;
  double mu = MinProbability(k);
  // Doubly robust cost estimates for every action from the main learner.
  std::vector<double>& dr = cached_costs_;
  dr[action] += (cost - dr[action]) / probability;
  learner.Learn(ex, action, cost, 1.0 / probability);
  // Each cover learner regresses on DR costs minus a bonus for actions the earlier ones rarely
  // choose, which keeps the cover diverse.
  mix_ = cached_greedy_[0];
  for (long i = 0; i < n_; ++i) {
    Learner& l = *cover_[i];
    for (int a = 0; a < k; ++a) {
      double q = mix_[a] / (i + 1);
      l.Learn(ex, a, dr[a] - psi_ * mu / (q + mu), 1.0);
    }
    for (int a = 0; a < k; ++a) mix_[a] += cached_greedy_[i + 1][a];
  }
  ++rounds_;
}

}  // namespace memory::policies
