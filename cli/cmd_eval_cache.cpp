// `memory eval cache`: replays a key-access trace through a cache policy (optionally with a
// learned prefetcher) and prints hit ratio, prefetch accuracy and simulation speed.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cache/prefetch.h"
#include "cache/simulator.h"
#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/intent_prefetch.h"
#include "env/cache_trace.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

struct EvalCacheOptions {
  std::string trace;
  std::string format = "auto";
  std::string capacity;
  std::string policy = "lru";
  std::string prefetch = "none";
  double area = 0.01;
  bool json = false;
};

Status ParseCapacity(const std::string& s, size_t* out) {
  size_t v = 0;
  if (s.empty()) return Status::InvalidArgument("--capacity is required (a number of entries)");
  for (char c : s) {
    if (c < '0' || c > '9' || v > (size_t(1) << 40))
      return Status::InvalidArgument("--capacity must be a positive whole number of entries, not '" +
                                     s + "'");
    v = v * 10 + size_t(c - '0');
  }
  if (v == 0) return Status::InvalidArgument("--capacity must be at least 1 entry");
  *out = v;
  return Status::OK();
}

nlohmann::json StatsJson(const char* name, size_t capacity, const cache::CacheStats& s) {
  return {{"name", name},
          {"capacity", capacity},
          {"hits", s.hits},
          {"misses", s.misses},
          {"hit_ratio", s.hit_ratio()},
          {"evictions", s.evictions},
          {"prefetches_issued", s.prefetches_issued},
          {"prefetches_used", s.prefetches_used}};
}

int RunEvalCache(const EvalCacheOptions& o, const Globals& g) {
  size_t capacity = 0;
  Status s = ParseCapacity(o.capacity, &capacity);
  if (!s.ok()) return Fail(s);
  env::TraceFormat format;
  s = o.format == "auto" ? env::GuessTraceFormat(o.trace, &format)
                         : env::ParseTraceFormat(o.format, &format);
  if (!s.ok()) return Fail(s);
  if (!(o.area > 0 && o.area < 1))
    return Fail(Status::InvalidArgument("--area must lie in (0, 1)"));
  // Validate the specs (and load model files) before reading a possibly large trace.
  RegisterIntentPredictors();
  {
    std::unique_ptr<cache::Policy> p;
    s = cache::NewPolicy(o.policy, capacity, &p);
    if (!s.ok()) return Fail(s);
    std::unique_ptr<cache::Predictor> m;
    s = cache::NewPredictor(o.prefetch, &m);
    if (!s.ok()) return Fail(s);
  }
  bool progress = !g.quiet && StderrIsTerminal();
  if (progress) std::fprintf(stderr, "reading %s ...\r", o.trace.c_str());
  std::vector<uint64_t> keys;
  s = env::ReadCacheTrace(o.trace, format, &keys);
  if (!s.ok()) return Fail(s);
  if (progress) std::fprintf(stderr, "simulating %zu accesses ...\r", keys.size());

  cache::SimulationOptions so;
  so.policy = o.policy;
  so.capacity = capacity;
  so.prefetch = o.prefetch;
  so.area_fraction = o.area;
  cache::SimulationResult r;
  s = cache::Simulate(keys, so, &r);
  if (progress) std::fprintf(stderr, "\033[K");
  if (!s.ok()) return Fail(s);
  size_t unique = cache::CountUnique(keys);
  // A neural model only predicts keys it has a token for: say how many of the trace's it lacks.
  bool network = false;
  size_t unknown_keys = 0, network_vocab = 0;
  s = CountUnknownKeys(o.prefetch, keys, &network, &unknown_keys, &network_vocab);
  if (!s.ok()) return Fail(s);

  const cache::CacheStats& t = r.total;
  if (o.json) {
    nlohmann::json j = {
        {"trace", o.trace},
        {"format", std::string(env::TraceFormatName(format))},
        {"requests", t.requests()},
        {"unique", unique},
        {"capacity", r.capacity},
        {"policy", r.policy},
        {"prefetch", r.prefetch},
        {"hits", t.hits},
        {"misses", t.misses},
        {"hit_ratio", t.hit_ratio()},
        {"prefetch_issued", t.prefetches_issued},
        {"prefetch_used", t.prefetches_used},
        {"prefetch_accuracy", t.prefetch_accuracy()},
        {"prefetch_coverage", r.coverage},
        {"victim_hits", t.victim_hits},
        {"area_switches", r.area_switches},
        {"area_holds", r.area_capacity == 0 ? "none" : r.area_prefetches ? "guesses" : "victims"},
        {"seconds", r.seconds},
        {"accesses_per_s", r.accesses_per_s},
    };
    if (network) {
      j["unknown_keys"] = unknown_keys;  // distinct trace keys the network never predicts
      j["network_vocab"] = network_vocab;
    }
    j["levels"] = nlohmann::json::array({StatsJson("main", r.main_capacity, r.main)});
    if (r.area_capacity) j["levels"].push_back(StatsJson("prefetch_area", r.area_capacity, r.area));
    std::printf("%s\n", JsonText(j, 2).c_str());
    return 0;
  }
  std::printf("trace      %s (%s, %zu requests, %zu unique keys)\n", o.trace.c_str(),
              std::string(env::TraceFormatName(format)).c_str(), size_t(t.requests()), unique);
  std::printf("policy     %s, capacity %zu", r.policy.c_str(), r.capacity);
  if (r.area_capacity) std::printf(" (main %zu + prefetch area %zu)", r.main_capacity, r.area_capacity);
  std::printf("\nhit ratio  %.2f %%  (%llu hits, %llu misses, %llu evictions)\n",
              100.0 * double(t.hits) / double(t.requests()), (unsigned long long)t.hits, (unsigned long long)t.misses,
              (unsigned long long)r.main.evictions);
  if (r.prefetch == "none") {
    std::printf("prefetch   none\n");
  } else {
    std::printf("prefetch   %s: %llu issued, %llu used (accuracy %.1f %%, coverage %.1f %%)\n",
                r.prefetch.c_str(), (unsigned long long)t.prefetches_issued,
                (unsigned long long)t.prefetches_used, 100.0 * t.prefetch_accuracy(),
                100.0 * r.coverage);
    std::printf("area       holds %s at the end (%llu change%s of use); %llu hits on the main's victims\n",
                r.area_prefetches ? "guesses" : "the main's victims", (unsigned long long)r.area_switches,
                r.area_switches == 1 ? "" : "s", (unsigned long long)t.victim_hits);
  }
  if (network)
    std::printf("network    %zu keys known; %zu of the trace's %zu unique keys unknown (never "
                "predicted)\n", network_vocab, unknown_keys, unique);
  std::printf("speed      %.3g M accesses/s (%.3f s)\n", r.accesses_per_s / 1e6, r.seconds);
  return 0;
}

void SetupEvalCache(CLI::App& app, Globals& g, Action* action) {
  CLI::App* eval = EvalGroup(app);
  auto* sub = eval->add_subcommand(
      "cache", "Replay a key-access trace through a cache policy, optionally with prefetching");
  auto opts = std::make_shared<EvalCacheOptions>();
  sub->add_option("--trace", opts->trace, "Trace file (gzip, xz or plain)")->required();
  sub->add_option("--format", opts->format,
                  "lirs | cache2k | corda | scarab | lines | auto (from the path; default)");
  sub->add_option("--capacity", opts->capacity, "Cache size in entries")->required();
  sub->add_option("--policy", opts->policy,
                  "lru | arc | wtinylfu | min, optionally with parameters, e.g. "
                  "'wtinylfu(window=0.01,adapt=climb)' (default lru)");
  sub->add_option("--prefetch", opts->prefetch,
                  "none | successor | markov | neural(path=FILE) | intent(MODEL), optionally "
                  "with parameters, e.g. 'markov(order=3,threshold=0.5)', "
                  "'neural(path=gru.bin,threshold=0.3)' (GRU weights of memory-train, keys as "
                  "decimal text), 'intent(ppm(order=3))' (any next-command model; default none)");
  sub->add_option("--area", opts->area,
                  "Share of the capacity kept for prefetched entries, or for the main policy's "
                  "last victims while guesses would serve fewer misses (default 0.01)");
  sub->add_flag("--json", opts->json, "Print JSON");
  sub->callback([opts, &g, action] { *action = [opts, &g] { return RunEvalCache(*opts, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(62, "eval", SetupEvalCache);
}  // namespace memory::cli
