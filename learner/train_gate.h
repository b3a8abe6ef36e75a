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

namespace memory::learner {

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

}  // namespace memory::learner
