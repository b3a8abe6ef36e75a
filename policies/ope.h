// Off-policy evaluation: the expected cost a candidate policy would have had on logged bandit
// decisions (context, action, propensity, cost), without running it. Estimators:
//   IPS    mean of  π(a|x)/p · c                                   unbiased when p > 0 wherever π > 0
//   SNIPS  Σ w c / Σ w  (w = π(a|x)/p)                               biased, consistent, lower variance
//   DM     mean of  Σ_b π(b|x) ĉ(x,b)                                biased unless ĉ is right
//   DR     DM + w (c − ĉ(x,a))                                       unbiased if either p or ĉ is right
// ĉ is a learner fit progressively along the log (decision i is predicted by a model that saw
// only decisions before i), so DR stays unbiased whatever the model. Intervals: percentile
// bootstrap over decisions.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "policies/policy.h"
#include "store/status.h"

namespace memory::policies {

struct LoggedDecision {
  std::vector<Feature> context;
  int num_actions = 0;
  std::vector<std::vector<Feature>> action_features;  // empty: action k is {k, 1}
  int action = 0;
  double probability = 1;  // the logging policy's probability of `action`
  double cost = 0;
};

struct OpeOptions {
  std::string model = "auto";  // learner for ĉ (DM, DR)
  int bootstrap = 500;         // resamples for the intervals (0 = none)
  double confidence = 0.95;
  uint64_t seed = 1;
};

struct Estimate {
  double value = 0;  // estimated expected cost per decision
  double lo = 0, hi = 0;
};

struct OpeResult {
  size_t decisions = 0;
  Estimate logged;             // the logging policy's own mean cost
  Estimate ips, snips, dm, dr;
  double effective_sample_size = 0;  // (Σw)² / Σw²
};

// The candidate's distribution over the actions of a decision (it may learn as it goes: it is
// called once per decision, in log order, before `learn` sees that decision).
using TargetFn = std::function<void(const Example& ex, std::vector<double>* probs)>;
using LearnFn = std::function<void(const Example& ex, const LoggedDecision& d)>;

// InvalidArgument for an empty log, a probability outside (0, 1], an action out of range, or a
// target distribution of the wrong size.
Status EvaluateOffPolicy(std::span<const LoggedDecision> log, const TargetFn& target, const OpeOptions& options,
                         OpeResult* result, const LearnFn& learn = nullptr);

// Convenience: evaluates the policy built from `spec`; with `progressive` it also learns from
// every logged decision after being evaluated on it (IPS-weighted, as it would online).
Status EvaluatePolicySpec(std::span<const LoggedDecision> log, const std::string& spec, bool progressive,
                          const OpeOptions& options, OpeResult* result);

}  // namespace memory::policies
