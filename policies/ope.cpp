#include "policies/ope.h"

#include <algorithm>
#include <cmath>
#include <memory>

namespace memory::policies {
namespace {
Example ExampleOf(const LoggedDecision& d) {
  Example ex;
  ex.context = d.context;
  ex.num_actions = d.num_actions;
  if (!d.action_features.empty()) ex.action_features = d.action_features;
  return ex;
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / v.size();
}

// Percentile bootstrap of a statistic of resampled indices.
template <typename Stat>
void Bootstrap(size_t n, const OpeOptions& o, Rng& rng, Stat stat, Estimate* e) {
  e->lo = e->hi = e->value;
  if (o.bootstrap <= 0 || n == 0) return;
  std::vector<double> stats;
  stats.reserve(o.bootstrap);
  std::vector<size_t> idx(n);
  for (int b = 0; b < o.bootstrap; ++b) {
    for (size_t i = 0; i < n; ++i) idx[i] = static_cast<size_t>(rng.Uniform() * n);
    stats.push_back(stat(idx));
  }
  std::sort(stats.begin(), stats.end());
  double alpha = (1 - o.confidence) / 2;
  auto at = [&](double q) {
    size_t k = static_cast<size_t>(std::floor(q * (stats.size() - 1) + 0.5));
    return stats[std::min(k, stats.size() - 1)];
  };
  e->lo = at(alpha);
  e->hi = at(1 - alpha);
}
}  // namespace

Status EvaluateOffPolicy(std::span<const LoggedDecision> log, const TargetFn& target, const OpeOptions& options,
                         OpeResult* result, const LearnFn& learn) {
  *result = OpeResult();
  if (log.empty()) return Status::InvalidArgument("off-policy evaluation: no logged decisions");
  if (!(options.confidence > 0 && options.confidence < 1))
    return Status::InvalidArgument("off-policy evaluation: confidence must be in (0, 1)");
  std::unique_ptr<Learner> model;
  MEMORY_RETURN_IF_ERROR(MakeLearner(options.model, &model));
  size_t n = log.size();
  std::vector<double> cost(n), w(n), dm(n), dr(n);
  std::vector<double> probs, predicted;
  for (size_t i = 0; i < n; ++i) {
    const LoggedDecision& d = log[i];
    std::string where = "logged decision " + std::to_string(i + 1) + ": ";
    if (d.num_actions < 1 || d.action < 0 || d.action >= d.num_actions)
      return Status::InvalidArgument(where + "action out of range");
    if (!(d.probability > 0 && d.probability <= 1))
      return Status::InvalidArgument(where + "probability must be in (0, 1]");
    if (!d.action_features.empty() && static_cast<int>(d.action_features.size()) != d.num_actions)
      return Status::InvalidArgument(where + "action features do not match the number of actions");
    Example ex = ExampleOf(d);
    target(ex, &probs);
    if (static_cast<int>(probs.size()) != d.num_actions)
      return Status::InvalidArgument(where + "target distribution has the wrong size");
    model->Predict(ex, &predicted);
    cost[i] = d.cost;
    w[i] = probs[d.action] / d.probability;
    double direct = 0;
    for (int a = 0; a < d.num_actions; ++a) direct += probs[a] * predicted[a];
    dm[i] = direct;
    dr[i] = direct + w[i] * (d.cost - predicted[d.action]);
    model->Learn(ex, d.action, d.cost, 1.0 / d.probability);
    if (learn) learn(ex, d);
  }
  result->decisions = n;
  std::vector<double> ips(n);
  double sw = 0, sw2 = 0, swc = 0;
  for (size_t i = 0; i < n; ++i) {
    ips[i] = w[i] * cost[i];
    sw += w[i];
    sw2 += w[i] * w[i];
    swc += w[i] * cost[i];
  }
  result->effective_sample_size = sw2 > 0 ? sw * sw / sw2 : 0;
  result->logged.value = Mean(cost);
  result->ips.value = Mean(ips);
  result->snips.value = sw > 0 ? swc / sw : 0;
  result->dm.value = Mean(dm);
  result->dr.value = Mean(dr);

  Rng rng(options.seed);
  auto mean_of = [](const std::vector<double>& v) {
    return [&v](const std::vector<size_t>& idx) {
      double s = 0;
      for (size_t i : idx) s += v[i];
      return s / idx.size();
    };
  };
  Bootstrap(n, options, rng, mean_of(cost), &result->logged);
  Bootstrap(n, options, rng, mean_of(ips), &result->ips);
  Bootstrap(n, options, rng, mean_of(dm), &result->dm);
  Bootstrap(n, options, rng, mean_of(dr), &result->dr);
  Bootstrap(n, options, rng,
            [&](const std::vector<size_t>& idx) {
              double a = 0, b = 0;
              for (size_t i : idx) {
                a += w[i] * cost[i];
                b += w[i];
              }
              return b > 0 ? a / b : 0.0;
            },
            &result->snips);
  return Status::OK();
}

Status EvaluatePolicySpec(std::span<const LoggedDecision> log, const std::string& spec, bool progressive,
                          const OpeOptions& options, OpeResult* result) {
  std::unique_ptr<Policy> policy;
  MEMORY_RETURN_IF_ERROR(MakePolicy(spec, options.seed, &policy));
  Policy* p = policy.get();
  TargetFn target = [p](const Example& ex, std::vector<double>* probs) { p->Distribution(ex, probs); };
  LearnFn learn = nullptr;
  if (progressive)
    learn = [p](const Example& ex, const LoggedDecision& d) { p->Learn(ex, d.action, d.cost, d.probability); };
  return EvaluateOffPolicy(log, target, options, result, learn);
}

}  // namespace memory::policies
