// wtinylfu_rows: runs cache::Simulate in-process over the 45 rows of bench/results/cache.md's
// hit-ratio table (every trace in ../shared/cache-traces at the README's sizes) for ARC and for
// each policy spec given on the command line, and prints per spec: rows >= ARC (to two
// decimals), mean hit ratio, the sum of points below ARC and the rows below ARC. A fast way to
// measure a W-TinyLFU change on all rows (the published table uses hit_ratio_table.sh).
// --speed also prints each spec's accesses per second per row (SimulationResult::accesses_per_s,
// what `memory eval cache` reports: the access loop's wall time, without building the policy;
// the median of --repeat N runs, default 1; use --threads 1; with --cpu, the thread's CPU time
// of the whole Simulate call instead, less disturbed by other processes on a loaded machine,
// and including building the policy) and the slowest row; every run prints an FNV hash of the exact
// hit counts of all rows per spec, so two builds can be compared for identical results.
// --row NAME@SIZE (repeatable) runs only those rows (for profiling; the summary then covers them).
// A SPEC of the form POLICY+PREFETCH (e.g. wtinylfu+markov) runs with that prefetcher; the
// summary also gives the hits summed over the rows.
// Usage: wtinylfu_rows [--dir DIR] [--threads N] [--matrix] [--speed] [--cpu] [--repeat N]
//                      [--row R]... SPEC...
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "cache/simulator.h"
#include "env/cache_trace.h"

using namespace memory;

namespace {
struct Trace {
  std::string name, rel, format;
  std::vector<size_t> sizes;
  std::vector<uint64_t> keys;
};
struct Row {
  int trace;
  size_t size;
};
}  // namespace

int main(int argc, char** argv) {
  std::string dir = std::string(MEMORY_SHARED_DIR) + "/cache-traces";
  int threads = 2;
  bool matrix = false, speed = false;
  int repeat = 1;
  bool cpu = false;
  std::vector<std::string> only;
  std::vector<std::string> specs = {"arc"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--threads" && i + 1 < argc) threads = std::max(1, std::atoi(argv[++i]));
    else if (a == "--matrix") matrix = true;
    else if (a == "--speed") speed = true;
    else if (a == "--cpu") speed = cpu = true;
    else if (a == "--repeat" && i + 1 < argc) repeat = std::max(1, std::atoi(argv[++i]));
    else if (a == "--row" && i + 1 < argc) only.push_back(argv[++i]);
    else specs.push_back(a);
  }
  if (specs.size() < 2) {
    std::fprintf(stderr,
                 "usage: wtinylfu_rows [--dir DIR] [--threads N] [--matrix] [--speed] [--cpu] [--repeat N]\n"
                 "                     [--row R]... SPEC...\n");
    return 2;
  }
  std::vector<Trace> ts = {
      {"gli", "lirs/gli.trace.gz", "lirs", {250, 1000, 2000}, {}},
      {"cpp", "lirs/cpp.trace.gz", "lirs", {100, 300, 600}, {}},
      {"cs", "lirs/cs.trace.gz", "lirs", {100, 300, 600}, {}},
      {"sprite", "lirs/sprite.trace.gz", "lirs", {100, 500, 1000}, {}},
      {"multi1", "lirs/multi1.trace.gz", "lirs", {200, 800, 1600}, {}},
      {"multi3", "lirs/multi3.trace.gz", "lirs", {400, 1600, 3200}, {}},
      {"2_pools", "lirs/2_pools.trace.gz", "lirs", {100, 450, 1000}, {}},
      {"loop", "lirs/loop.trace.gz", "lirs", {256, 512, 1000}, {}},
      {"zigzag", "lirs/zigzag.trace.gz", "lirs", {500, 1000, 1500}, {}},
      {"scan", "lirs/scan.trace.gz", "lirs", {500, 1000, 1500}, {}},
      {"web07", "cache2k/web07.trace.xz", "cache2k", {1000, 5000, 20000}, {}},
      {"orm-busy", "cache2k/orm-busy.trace.xz", "cache2k", {1000, 5000, 20000}, {}},
      {"orm-night", "cache2k/orm-night.trace.xz", "cache2k", {1000, 5000, 20000}, {}},
      {"corda", "corda/trace_vaultservice.gz", "corda", {256, 512, 1024}, {}},
      {"scarab-recs", "scarab/scarab-recs.trace.xz", "scarab", {25000, 50000, 100000}, {}}};
  for (auto& t : ts) {
    env::TraceFormat f;
    Status s = env::ParseTraceFormat(t.format, &f);
    if (s.ok()) s = env::ReadCacheTrace(dir + "/" + t.rel, f, &t.keys);
    if (!s.ok()) {
      std::fprintf(stderr, "wtinylfu_rows: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  std::vector<Row> rows;
  for (int i = 0; i < int(ts.size()); ++i)
    for (size_t s : ts[i].sizes)
      if (only.empty() || std::find(only.begin(), only.end(),
                                    ts[i].name + "@" + std::to_string(s)) != only.end())
        rows.push_back({i, s});
  if (rows.empty()) {
    std::fprintf(stderr, "wtinylfu_rows: no row matches --row\n");
    return 2;
  }
  std::vector<std::vector<double>> res(specs.size(), std::vector<double>(rows.size()));
  std::vector<std::vector<double>> rate(specs.size(), std::vector<double>(rows.size()));
  std::vector<std::vector<uint64_t>> hits(specs.size(), std::vector<uint64_t>(rows.size()));
  std::vector<std::pair<int, int>> jobs;
  for (int s = 0; s < int(specs.size()); ++s)
    for (int r = 0; r < int(rows.size()); ++r) jobs.push_back({s, r});
  std::stable_sort(jobs.begin(), jobs.end(), [&](auto a, auto b) {  // long traces first
    return ts[rows[a.second].trace].keys.size() > ts[rows[b.second].trace].keys.size();
  });
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    for (size_t j; (j = next++) < jobs.size();) {
      auto [s, r] = jobs[j];
      cache::SimulationOptions o;
      const size_t plus = specs[s].find('+');
      o.policy = specs[s].substr(0, plus);
      if (plus != std::string::npos) o.prefetch = specs[s].substr(plus + 1);
      o.capacity = rows[r].size;
      cache::SimulationResult out;
      std::vector<double> rates;
      Status st;
      for (int k = 0; k < (speed ? repeat : 1) && st.ok(); ++k) {
        timespec t0, t1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
        st = cache::Simulate(ts[rows[r].trace].keys, o, &out);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
        double sec = double(t1.tv_sec - t0.tv_sec) + 1e-9 * double(t1.tv_nsec - t0.tv_nsec);
        rates.push_back(cpu ? double(ts[rows[r].trace].keys.size()) / std::max(sec, 1e-9)
                            : out.accesses_per_s);
      }
      std::sort(rates.begin(), rates.end());
      rate[s][r] = rates[rates.size() / 2];
      hits[s][r] = out.total.hits;
      if (!st.ok()) {
        std::fprintf(stderr, "wtinylfu_rows: %s\n", st.ToString().c_str());
        failed = true;
        return;
      }
      // 100·hits/requests, the reference's order of operations (see cache.md).
      res[s][r] = 100.0 * double(out.total.hits) / double(out.total.requests());
    }
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (failed) return 1;
  auto round2 = [](double x) { return std::round(x * 100.0) / 100.0; };
  if (speed) {
    std::printf("accesses per second (M/s, %s)\n%-18s", cpu ? "CPU time" : "accesses_per_s", "row");
    for (auto& s : specs) std::printf(" %10.10s", s.c_str());
    std::printf("\n");
    for (size_t r = 0; r < rows.size(); ++r) {
      char b[64];
      std::snprintf(b, sizeof b, "%s@%zu", ts[rows[r].trace].name.c_str(), rows[r].size);
      std::printf("%-18s", b);
      for (size_t s = 0; s < specs.size(); ++s) std::printf(" %10.2f", rate[s][r] / 1e6);
      std::printf("\n");
    }
  }
  if (matrix) {
    std::printf("%-18s", "row");
    for (auto& s : specs) std::printf(" %10.10s", s.c_str());
    std::printf("\n");
    for (size_t r = 0; r < rows.size(); ++r) {
      char b[64];
      std::snprintf(b, sizeof b, "%s@%zu", ts[rows[r].trace].name.c_str(), rows[r].size);
      std::printf("%-18s", b);
      for (size_t s = 0; s < specs.size(); ++s) std::printf(" %10.2f", res[s][r]);
      std::printf("\n");
    }
  }
  for (size_t s = 1; s < specs.size(); ++s) {
    int ge = 0;
    double below = 0, total = 0;
    std::string misses;
    for (size_t r = 0; r < rows.size(); ++r) {
      double d = round2(res[s][r]) - round2(res[0][r]);
      total += res[s][r];
      if (d > -0.005) {
        ++ge;
        continue;
      }
      below += d;
      char b[100];
      std::snprintf(b, sizeof b, " %s@%zu %+.2f", ts[rows[r].trace].name.c_str(), rows[r].size, d);
      misses += b;
    }
    uint64_t fnv = 1469598103934665603ULL, hit_sum = 0;
    size_t slowest = 0;
    for (size_t r = 0; r < rows.size(); ++r) {
      fnv = (fnv ^ hits[s][r]) * 1099511628211ULL;
      hit_sum += hits[s][r];
      if (rate[s][r] < rate[s][slowest]) slowest = r;
    }
    std::printf("%s: ge=%d/%zu mean=%.3f below=%.2f |%s\n", specs[s].c_str(), ge, rows.size(),
                total / double(rows.size()), below, misses.c_str());
    std::printf("  hits=%llu hits_fnv=%016llx slowest=%s@%zu %.2f M/s\n", (unsigned long long)hit_sum,
                (unsigned long long)fnv, ts[rows[slowest].trace].name.c_str(), rows[slowest].size,
                rate[s][slowest] / 1e6);
    std::fflush(stdout);
  }
  return 0;
}
