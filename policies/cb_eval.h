// The supervised-to-bandit protocol of the Contextual Bandit Bake-off (Bietti, Agarwal,
// Langford 2021), as `memory eval bandit` runs it: one online pass in file order; per row the
// policy picks an action a with probability p, sees cost 0 if a is the label else 1, and learns
// from (a, cost, p) only. Progressive-validation loss = mean cost of the chosen actions.
#pragma once

#include <cstdint>
#include <string>

#include "env/cb_data.h"
#include "store/status.h"

namespace memory::policies {

struct CbEvalOptions {
  std::string policy;          // factory string; "" = DefaultPolicySpec()
  uint64_t seed = 1;
  bool supervised = true;      // also run the full-information reference pass
};

struct CbEvalResult {
  std::string policy;          // canonical spec that ran
  size_t examples = 0;
  int actions = 0;
  double pv_loss = 0;          // mean cost of chosen actions
  double seconds = 0;          // the bandit loop only (data loading excluded)
  double examples_per_s = 0;
  double supervised_loss = -1; // online greedy loss of the same learner when it sees every cost
  double mean_probability = 0; // mean p of the chosen actions
};

// Bad policy strings are InvalidArgument.
Status RunCbEval(const env::CbDataset& data, const CbEvalOptions& options, CbEvalResult* result);

}  // namespace memory::policies
