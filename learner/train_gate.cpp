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

SnipsGate SnipsBootstrap(std::span<const SnipsCluster> clusters, int resamples, double confidence, uint64_t seed) {
  SnipsGate g;
  std::vector<SnipsCluster> used;
  SnipsCluster total;
  for (const SnipsCluster& c : clusters)
    if (c.n > 0) {
      used.push_back(c);
      total.n += c.n;
      total.w_a += c.w_a, total.wr_a += c.wr_a, total.w_b += c.w_b, total.wr_b += c.wr_b;
    }
  g.difference.units = total.n;
  g.difference.clusters = static_cast<int64_t>(used.size());
  if (used.empty() || total.w_a <= 0 || total.w_b <= 0 || resamples < 1) return g;
  g.value_a = total.wr_a / total.w_a;
  g.value_b = total.wr_b / total.w_b;
  g.difference.diff = g.value_b - g.value_a;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, used.size() - 1);
  std::vector<double> diffs;
  diffs.reserve(static_cast<size_t>(resamples));
  for (int r = 0; r < resamples; ++r) {
    SnipsCluster s;
    for (size_t i = 0; i < used.size(); ++i) {
      const SnipsCluster& c = used[pick(rng)];
      s.w_a += c.w_a, s.wr_a += c.wr_a, s.w_b += c.w_b, s.wr_b += c.wr_b;
    }
    if (s.w_a > 0 && s.w_b > 0) diffs.push_back(s.wr_b / s.w_b - s.wr_a / s.w_a);
  }
  if (diffs.empty()) return g;
  std::sort(diffs.begin(), diffs.end());
  const double tail = (1 - confidence) / 2;
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(std::floor(q * (diffs.size() - 1) + 0.5));
    return diffs[std::min(i, diffs.size() - 1)];
  };
  g.difference.lo = at(tail);
  g.difference.hi = at(1 - tail);
  return g;
}

}  // namespace memory::learner
