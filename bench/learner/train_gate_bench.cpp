// Cost of `memory train`'s gates: the session bootstrap (intent) and the SNIPS bootstrap
// (bandit), 2,000 resamples, at the sizes of a 1M-event store's evaluation slice.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "learner/train_gate.h"

namespace memory::learner {
namespace {

void BM_SessionBootstrap(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::vector<PairedCluster> c(static_cast<size_t>(state.range(0)));
  for (auto& x : c) {
    x.n = 1 + static_cast<int64_t>(rng() % 60);
    x.diff_sum = static_cast<double>(static_cast<int64_t>(rng() % 7) - 3);
  }
  for (auto _ : state) benchmark::DoNotOptimize(ClusterBootstrap(c));
  state.SetItemsProcessed(state.iterations() * state.range(0) * 2000);
}
// 3,584 sessions = the 100,000-event slice of the simulated 1M store.
BENCHMARK(BM_SessionBootstrap)->Arg(100)->Arg(3584)->Arg(20000)->Unit(benchmark::kMillisecond);

void BM_SnipsBootstrap(benchmark::State& state) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<SnipsCluster> c(static_cast<size_t>(state.range(0)));
  for (auto& x : c) {
    x.n = 4;
    x.w_a = 4 * u(rng), x.wr_a = x.w_a * u(rng), x.w_b = 4 * u(rng), x.wr_b = x.w_b * u(rng);
  }
  for (auto _ : state) benchmark::DoNotOptimize(SnipsBootstrap(c));
  state.SetItemsProcessed(state.iterations() * state.range(0) * 2000);
}
BENCHMARK(BM_SnipsBootstrap)->Arg(25)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace memory::learner
