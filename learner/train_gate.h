// The champion/challenger gate of `memory train`: a paired bootstrap over clusters.
//
// Outcomes within one session (or one user's run of decisions) are correlated, so resampling
// single events gives intervals that are too narrow. Each cluster carries the number of its
// evaluation units and the sum over them of (challenger metric − champion metric); a resample
// draws whole clusters with replacement and computes Σ diff / Σ n. The challenger passes when the
// whole interval lies above 0.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "learner/registry.h"

namespace memory::learner {

// Fewer clusters than this and a cluster bootstrap says little (one session resamples to
// itself: a zero-width interval); callers then resample single units instead and say so.
inline constexpr int64_t kMinGateClusters = 10;

struct PairedCluster {
  int64_t n = 0;          // evaluation units (events, decisions) in the cluster
  double diff_sum = 0;    // Σ over them of challenger − champion (e.g. hit@1 difference)
};

struct GateInterval {
  double diff = 0;        // point estimate Σ diff / Σ n over all clusters
  double lo = 0, hi = 0;  // percentile bootstrap interval
  int64_t units = 0;
  int64_t clusters = 0;
  bool Passes() const { return lo > 0; }
};

// Deterministic for a given seed. resamples >= 1; confidence in (0, 1). Empty input (or clusters
// with n == 0 only) gives all zeros, which does not pass.
GateInterval ClusterBootstrap(std::span<const PairedCluster> clusters, int resamples = 2000, double confidence = 0.95,
                              uint64_t seed = 20261124);

// Off-policy gate for bandits: per cluster of logged decisions, the SNIPS sums of two target
// policies (w = π(a|x) / p, r = reward). The difference of their self-normalised values
// Σ w_b r / Σ w_b − Σ w_a r / Σ w_a (b = challenger, a = champion) is bootstrapped over clusters.
struct SnipsCluster {
  int64_t n = 0;
  double w_a = 0, wr_a = 0;  // champion
  double w_b = 0, wr_b = 0;  // challenger
};

struct SnipsGate {
  double value_a = 0, value_b = 0;  // SNIPS estimates of the mean reward
  GateInterval difference;          // of value_b - value_a
};

// Same resampling as ClusterBootstrap. A resample in which a policy puts no weight on the logged
// actions has no estimate and is skipped.
SnipsGate SnipsBootstrap(std::span<const SnipsCluster> clusters, int resamples = 2000, double confidence = 0.95,
                         uint64_t seed = 20261124);

// What one `memory train` run did for one model kind (the JSON report's entry).
struct TrainOutcome {
  std::string kind;
  std::string decision;   // first | promoted | rejected | forced | kept | skipped | replaced ...
  std::string reason;
  std::string version;    // the new version ("" when nothing was trained)
  std::string previous;   // the champion before this run
  ModelVersionInfo info;
  double diff = 0, lo = 0, hi = 0, seconds = 0;
  int64_t clusters = 0;   // sessions the gate resampled
  // intent: the other candidates of the same run (each its own registry version, e.g. the GRU
  // challenger beside the count model), and notes such as "GRU challenger skipped: ...".
  std::vector<TrainOutcome> others;
  std::vector<std::string> notes;
};

}  // namespace memory::learner
