// Examples/s of the Bake-off loop (choose + learn per row, data loading excluded) on the
// public cb-data sets, to compare with VW's native speed in ../shared/cb-data/README.md.
// Run: build/bench/policies/bench_policies --benchmark_filter=synth5
#include <sys/stat.h>

#include <map>
#include <string>

#include <benchmark/benchmark.h>

#include "env/cb_data.h"
#include "policies/cb_eval.h"

namespace {
using memory::env::CbDataset;

const CbDataset* Load(const std::string& name) {
  static std::map<std::string, CbDataset> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return &it->second;
  CbDataset d;
  if (!memory::env::ReadCbCsv(std::string(MEMORY_SHARED_DIR) + "/cb-data/" + name, &d).ok()) return nullptr;
  return &cache.emplace(name, std::move(d)).first->second;
}

void BM_Bandit(benchmark::State& state, const std::string& file, const std::string& policy) {
  const CbDataset* d = Load(file);
  if (d == nullptr) {
    state.SkipWithError(("cannot read " + file).c_str());
    return;
  }
  double loss = 0;
  for (auto _ : state) {
    memory::policies::CbEvalOptions o;
    o.policy = policy;
    o.seed = 1;
    o.supervised = false;
    memory::policies::CbEvalResult r;
    if (!memory::policies::RunCbEval(*d, o, &r).ok()) {
      state.SkipWithError("bad policy");
      return;
    }
    loss = r.pv_loss;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * d->rows()));
  state.counters["pv_loss"] = loss;
}

void Register() {
  for (const char* file : {"synth5.csv.gz", "letter26.csv.gz"}) {
    for (const char* policy : {"linucb(alpha=0.3)/auto()", "squarecb(gamma=10)", "egreedy(epsilon=0.05)",
                               "softmax(lambda=10)", "efirst(n=100)", "bag(n=4)", "cover(n=4)", "greedy/ridge"}) {
      std::string name = std::string("Bandit/") + file + "/" + policy;
      benchmark::RegisterBenchmark(name.c_str(), [file, policy](benchmark::State& s) { BM_Bandit(s, file, policy); })
          ->Unit(benchmark::kMillisecond)
          ->MinTime(0.5);
    }
  }
}
const int registered = (Register(), 0);
}  // namespace
