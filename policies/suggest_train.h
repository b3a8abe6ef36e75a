// `memory train --model bandit`: trains the tool-suggestion policy (SuggestModel) from a store,
// evaluates it against the registry's champion off-policy on the newest logged suggestion
// decisions, and commits it as a registry version of kind "bandit" (policy.bin + suggest.json).
//
// Split: the challenger learns every event before the evaluation slice; the slice is the newest
// logged `memory suggest` decisions (at least min_decisions, else the holdout share) that neither
// model learned from. Their rewards are computed as suggest computes them (explicit
// `memory reward`, else the suggested tool run in the same directory within the window: 1, 0.5
// when it failed, 0 when not run); decisions whose window is still open without a reward are left
// out. Both frozen policies give their distribution over each decision's logged action set;
// SNIPS values with a paired bootstrap over sessions (learner/train_gate.h). Promotion when the
// 95 % interval of (challenger − champion) lies above 0. With fewer fresh decisions than
// min_decisions the champion is kept (and says so), unless there is no champion yet or it is
// stale or unloadable; `force` promotes regardless.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "learner/registry.h"
#include "learner/train_gate.h"
#include "policies/suggest.h"
#include "store/status.h"
#include "store/store.h"

namespace memory::policies {

inline constexpr const char* kBanditKind = "bandit";

struct BanditTrainOptions {
  int64_t since_us = 0;        // train on events from here (0 = all)
  double holdout = 0.1;        // share of the logged decisions held out (at least min_decisions)
  int64_t min_decisions = 30;  // fewest fresh logged decisions that make a comparison
  bool force = false;
  SuggestOptions suggest;      // policy spec, tool limit, reward window
  std::string code_version;
};

// Progress callback: (stage, events done so far).
using TrainProgress = std::function<void(const char* stage, size_t done)>;

// Loads the model in a registry version directory (what suggest serves, and the promote check).
Status ValidateBanditVersion(const std::string& dir);

// IOError / Corruption from the store or registry; everything else (too little data, gate
// failed) is an outcome, not an error.
Status TrainBandit(Store& store, learner::ModelRegistry& registry, const BanditTrainOptions& options,
                   const TrainProgress& progress, learner::TrainOutcome* outcome);

}  // namespace memory::policies
