// What `memory model prune` and `memory train` share about pruning the model registry
// (learner/registry.h, ModelRegistry::Prune): the kinds, the config defaults, the summary line.
#pragma once

#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/train_prefetch.h"
#include "learner/registry.h"
#include "policies/suggest_train.h"
#include "store/config.h"

namespace memory::cli {

// Every kind of model the registry holds, in `memory train --model all` order.
inline std::vector<std::string> ModelKinds() { return {"intent", policies::kBanditKind, kPrefetchKind}; }

// config models.keep / models.keep_rollback.
inline learner::PruneOptions PruneOptionsFrom(const Config& config) {
  learner::PruneOptions o;
  o.keep = config.models_keep;
  o.keep_rollback = config.models_keep_rollback;
  return o;
}

// "intent: removed 2 of 9 versions (7.0 MiB)", "... would remove ...", "... nothing to remove (3 versions)".
inline std::string PruneSummary(const learner::PruneResult& r, bool dry_run) {
  const size_t total = r.kept.size() + r.removed.size();
  if (r.removed.empty()) return r.kind + ": nothing to remove (" + std::to_string(total) + " versions)";
  return r.kind + ": " + (dry_run ? "would remove " : "removed ") + std::to_string(r.removed.size()) + " of " +
         std::to_string(total) + " versions (" + FormatBytes(r.bytes_removed) + ")";
}

}  // namespace memory::cli
