#include "learner/train_gate.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace memory::learner {

GateInterval ClusterBootstrap(std::span<const PairedCluster> clusters, int resamples, double confidence,
                              uint64_t seed) {
  GateInterval g;
  std::vector<PairedCluster> used;
  used.reserve(clusters.size());
  double total = 0;
  for (const PairedCluster& c : clusters)
    if (c.n > 0) {
      used.push_back(c);
      g.units += c.n;
      total += c.diff_sum;
    }
  g.clusters = static_cast<int64_t>(used.size());
  if (used.empty() || resamples < 1) return g;
  g.diff = total / static_cast<double>(g.units);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, used.size() - 1);
  std::vector<double> diffs(static_cast<size_t>(resamples));
  for (double& d : diffs) {
    int64_t n = 0;
    double sum = 0;
    for (size_t i = 0; i < used.size(); ++i) {
      const PairedCluster& c = used[pick(rng)];
      n += c.n;
      sum += c.diff_sum;
    }
    d = sum / static_cast<double>(n);
  }
  std::sort(diffs.begin(), diffs.end());
  const double tail = (1 - confidence) / 2;
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(std::floor(q * (diffs.size() - 1) + 0.5));
    return diffs[std::min(i, diffs.size() - 1)];
  };
  g.lo = at(tail);
  g.hi = at(1 - tail);
  return g;
}

}  // namespace memory::learner
