// `memory train --model prefetch`: chooses the configuration of the cache's next-access
// prefetcher (cache/prefetch.h) on the store's own access stream, gated like the other kinds.
//
// The access stream: every recorded command in time order, its TEMPLATE
// (learner::CommandTemplate; a tool call's tool name) one key (cache::KeyOfString). The cache is
// a small L1 of recent commands: kPrefetchPolicy with kPrefetchCapacity keys (--prefetch-capacity),
// kPrefetchArea of it a prefetch area. The predictors keep no saved state (they learn online),
// so a version is its choice: prefetch.json = {"format":1, "spec", "policy", "capacity",
// "area_fraction"}, and its metrics.
//
// Training: each candidate of PrefetchCandidates() replays the training part (everything before
// the recent slice; the slice split as for intent) from a cold cache; the best hit ratio is the
// challenger (ties: the earlier, simpler spec). Gate: champion and challenger each replay the
// whole stream (warm), only the slice's accesses count; per session the hit-count difference;
// paired bootstrap over sessions (learner::ClusterBootstrap; over single accesses when there are
// fewer than kMinGateClusters sessions). Promoted only when the 95 % interval lies above 0;
// first model promoted; --force promotes anyway.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/command.h"
#include "learner/train_gate.h"
#include "store/status.h"

namespace spdlog { class logger; }

namespace memory::cli {

inline constexpr char kPrefetchKind[] = "prefetch";
inline constexpr char kPrefetchFile[] = "prefetch.json";
inline constexpr char kPrefetchPolicy[] = "wtinylfu";
inline constexpr size_t kPrefetchCapacity = 64;
inline constexpr double kPrefetchArea = 0.125;  // 8 of 64 keys

struct PrefetchTrainOptions {
  int64_t since_us = 0;     // 0 = all history
  double holdout = 0.1;     // share of the newest accesses in the slice
  int64_t min_eval = 200;   // fewest slice accesses that make a comparison
  bool force = false;
  size_t capacity = kPrefetchCapacity;
};

// The candidate specs, simplest first: none, successor, markov(order=1..3) x threshold 0.2/0.4.
std::vector<std::string> PrefetchCandidates();

// Trains, gates and registers one prefetch version (rep->decision "skipped" / "kept" when there
// is too little (new) data; nothing is registered then).
Status TrainPrefetch(const PrefetchTrainOptions& o, const Globals& g, spdlog::logger& log, learner::TrainOutcome* rep);

// OK when <dir>/prefetch.json parses and its spec and policy build a cache; else Corruption /
// InvalidArgument naming the file.
Status ValidatePrefetchVersion(const std::string& dir);

}  // namespace memory::cli
