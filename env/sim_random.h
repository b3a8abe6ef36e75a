// Seeded random numbers for the simulator. std::mt19937_64's output is fixed by the standard,
// but std:: distributions are not, so every distribution here is our own: the same seed gives
// the same events with any standard library.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string_view>

namespace memory::env::sim {

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}

  uint64_t Bits() { return gen_(); }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform integer in [0, n); n > 0. Multiply-shift (bias below 2^-64 * n, irrelevant here).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(gen_()) * n) >> 64);
  }
  // Uniform integer in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  bool Chance(double p) { return Uniform() < p; }
  double Exponential(double mean) { return -mean * std::log1p(-Uniform()); }
  // Standard normal by Box-Muller (one value per call; simple beats fast here).
  double Normal() {
    double u1 = 1.0 - Uniform();  // (0, 1]
    double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Log-normal with the given median and spread (sigma of the log).
  double LogNormal(double median, double sigma) { return median * std::exp(sigma * Normal()); }
  // Number of failures before the first success, success probability p in (0, 1].
  int Geometric(double p) {
    int k = 0;
    while (k < 1000 && !Chance(p)) ++k;
    return k;
  }
  // Index drawn with probability proportional to weights[i] (weights not all zero).
  size_t Categorical(std::span<const double> weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Uniform() * total;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }
  // Index in [0, n) with probability proportional to 1 / (i + 1)^1.1 (a few items dominate).
  size_t Zipf(size_t n) {
    static const std::array<double, kZipfMax + 1> kCumulative = [] {
      std::array<double, kZipfMax + 1> c{};
      for (size_t i = 0; i < kZipfMax; ++i) c[i + 1] = c[i] + std::pow(static_cast<double>(i + 1), -1.1);
      return c;
    }();
    if (n > kZipfMax) n = kZipfMax;
    double x = Uniform() * kCumulative[n];
    size_t i = 0;
    while (i + 1 < n && x >= kCumulative[i + 1]) ++i;
    return i;
  }
  static constexpr size_t kZipfMax = 64;

  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[Below(items.size())];
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace memory::env::sim
