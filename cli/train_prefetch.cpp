#define SPDLOG_FMT_EXTERNAL
#include "cli/train_prefetch.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "cache/cache.h"
#include "cache/prefetch.h"
#include "cli/common.h"
#include "learner/intent_snapshot.h"
#include "learner/registry.h"
#include "learner/template.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

struct Access {
  int64_t ts_us;
  uint32_t session;
  cache::Key key;
};

// A fresh cache with the given prefetcher spec.
Status NewCache(const std::string& spec, size_t capacity, std::unique_ptr<cache::PrefetchingCache>* out) {
  std::unique_ptr<cache::Predictor> predictor;
  MEMORY_RETURN_IF_ERROR(cache::NewPredictor(spec, &predictor));
  return cache::PrefetchingCache::Create(kPrefetchPolicy, capacity, std::move(predictor), kPrefetchArea, out);
}

std::string CanonicalSpec(const std::string& spec) {
  std::unique_ptr<cache::Predictor> p;
  if (!cache::NewPredictor(spec, &p).ok() || !p) return spec;
  return p->Name();
}

// Hit ratio of a cold replay of accesses [0, end).
Status ColdHitRatio(const std::vector<Access>& a, size_t end, const std::string& spec, size_t capacity, double* ratio) {
  std::unique_ptr<cache::PrefetchingCache> c;
  MEMORY_RETURN_IF_ERROR(NewCache(spec, capacity, &c));
  int64_t hits = 0;
  for (size_t i = 0; i < end; ++i) hits += c->Access(a[i].key);
  *ratio = end ? static_cast<double>(hits) / static_cast<double>(end) : 0.0;
  return Status::OK();
}

// Warm replay of the whole stream; hit (0/1) of each access from `from` on.
Status SliceHits(const std::vector<Access>& a, size_t from, const std::string& spec, size_t capacity,
                 std::vector<uint8_t>* hits) {
  std::unique_ptr<cache::PrefetchingCache> c;
  MEMORY_RETURN_IF_ERROR(NewCache(spec, capacity, &c));
  hits->clear();
  for (size_t i = 0; i < a.size(); ++i) {
    const bool h = c->Access(a[i].key);
    if (i >= from) hits->push_back(h);
  }
  return Status::OK();
}

double Ratio(const std::vector<uint8_t>& h) {
  int64_t s = 0;
  for (uint8_t x : h) s += x;
  return h.empty() ? 0.0 : static_cast<double>(s) / static_cast<double>(h.size());
}

struct PrefetchConfig {
  std::string spec;
  std::string policy;
  size_t capacity = 0;
  double area_fraction = 0;
};

Status ReadPrefetchConfig(const std::string& dir, PrefetchConfig* cfg) {
  const std::string path = dir + "/" + kPrefetchFile;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption(path + ": not a JSON object");
  if (!j.contains("format") || !j["format"].is_number_integer() || j["format"].get<int>() != 1)
    return Status::Corruption(path + ": missing or unsupported \"format\" (expected 1)");
  if (!j.contains("spec") || !j["spec"].is_string()) return Status::Corruption(path + ": \"spec\" must be a string");
  if (!j.contains("policy") || !j["policy"].is_string()) return Status::Corruption(path + ": \"policy\" must be a string");
  if (!j.contains("capacity") || !j["capacity"].is_number_unsigned() || j["capacity"].get<uint64_t>() < 2)
    return Status::Corruption(path + ": \"capacity\" must be an integer >= 2");
  if (!j.contains("area_fraction") || !j["area_fraction"].is_number() || !(j["area_fraction"].get<double>() > 0) ||
      !(j["area_fraction"].get<double>() < 1))
    return Status::Corruption(path + ": \"area_fraction\" must be a number in (0, 1)");
  cfg->spec = j["spec"].get<std::string>();
  cfg->policy = j["policy"].get<std::string>();
  cfg->capacity = j["capacity"].get<uint64_t>();
  cfg->area_fraction = j["area_fraction"].get<double>();
  std::unique_ptr<cache::Predictor> p;
  if (Status s = cache::NewPredictor(cfg->spec, &p); !s.ok()) return Status::Corruption(path + ": spec: " + s.message());
  std::unique_ptr<cache::PrefetchingCache> c;
  if (Status s = cache::PrefetchingCache::Create(cfg->policy, cfg->capacity, std::move(p), cfg->area_fraction, &c); !s.ok())
    return Status::Corruption(path + ": " + s.message());
  return Status::OK();
}

}  // namespace

std::vector<std::string> PrefetchCandidates() {
  std::vector<std::string> c = {"none", "successor"};
  for (int order = 1; order <= 3; ++order)
    for (const char* t : {"0.2", "0.4"})
      c.push_back("markov(order=" + std::to_string(order) + ",threshold=" + t + ")");
  return c;
}

Status ValidatePrefetchVersion(const std::string& dir) {
  PrefetchConfig cfg;
  return ReadPrefetchConfig(dir, &cfg);
}

Status TrainPrefetch(const PrefetchTrainOptions& o, const Globals& g, spdlog::logger& log, learner::TrainOutcome* rep) {
  const auto t0 = std::chrono::steady_clock::now();
  rep->kind = kPrefetchKind;
  std::unique_ptr<Store> store;
  MEMORY_RETURN_IF_ERROR(OpenStore(g, StoreOptions::Mode::kReadOnly, &store));
  learner::ModelRegistry reg(g.db + "/models");
  MEMORY_RETURN_IF_ERROR(reg.Clean(kPrefetchKind));

  // The access stream, in time order.
  std::vector<Access> acc;
  std::unordered_map<std::string, uint32_t> session_ids;
  ScanOptions so;
  so.newest_first = false;
  so.since_us = o.since_us;
  {
    Progress p(g, "prefetch: reading events");
    MEMORY_RETURN_IF_ERROR(store->Scan(so, [&](const Event& e) {
      if (e.command.empty()) return true;
      const std::string templ = e.kind == EventKind::kToolCall ? e.command : learner::CommandTemplate(e.command);
      auto it = session_ids.try_emplace(learner::SessionKeyOf(e), static_cast<uint32_t>(session_ids.size())).first;
      acc.push_back({e.ts_us, it->second, cache::KeyOfString(templ)});
      if (acc.size() % 4096 == 0) p.Update(acc.size());
      return true;
    }));
  }
  std::stable_sort(acc.begin(), acc.end(), [](const Access& a, const Access& b) { return a.ts_us < b.ts_us; });
  const int64_t n = static_cast<int64_t>(acc.size());
  if (n < 2 * o.min_eval) {
    rep->decision = "skipped";
    rep->reason = TooFewEventsReason(n, 2 * o.min_eval, o.since_us, store.get());
    return Status::OK();
  }
  size_t split = static_cast<size_t>(n * (1 - o.holdout));

  // The champion (its spec and capacity), and a slice new to it.
  std::string champion;
  learner::ModelVersionInfo champ_info;
  PrefetchConfig champ_cfg;
  bool have_champ = false;
  if (reg.Champion(kPrefetchKind, &champion).ok()) {
    rep->previous = champion;
    Status s = reg.Get(kPrefetchKind, champion, &champ_info);
    if (s.ok()) s = ReadPrefetchConfig(reg.VersionDir(kPrefetchKind, champion), &champ_cfg);
    if (!s.ok()) {
      log.warn("prefetch champion {} cannot be loaded, a valid challenger will replace it: {}", champion, s.ToString());
    } else {
      have_champ = true;
      if (!o.force && !champ_info.stale && acc.back().ts_us <= champ_info.eval_to_us) {
        rep->decision = "kept";
        rep->reason = "no events newer than what champion " + champion + " was trained and evaluated on";
        return Status::OK();
      }
      if (champ_info.data_to_us >= acc[split].ts_us) {
        const size_t first_new = static_cast<size_t>(
            std::upper_bound(acc.begin(), acc.end(), champ_info.data_to_us,
                             [](int64_t t, const Access& a) { return t < a.ts_us; }) - acc.begin());
        const int64_t fresh = n - static_cast<int64_t>(first_new);
        if (fresh >= o.min_eval) {
          split = first_new;
        } else if (!o.force && !champ_info.stale) {
          rep->decision = "kept";
          rep->reason = "only " + std::to_string(fresh) + " events since champion " + champion +
                        " was trained (need " + std::to_string(o.min_eval) + " to compare)";
          return Status::OK();
        }
      }
    }
  }

  // Training: the best cold hit ratio on the training part.
  std::string best_spec;
  double best_ratio = -1;
  {
    const auto cands = PrefetchCandidates();
    Progress p(g, "prefetch: replaying candidates", cands.size());
    size_t done = 0;
    for (const std::string& spec : cands) {
      double r = 0;
      MEMORY_RETURN_IF_ERROR(ColdHitRatio(acc, split, spec, o.capacity, &r));
      log.info("prefetch candidate {}: training hit ratio {:.4f}", spec, r);
      if (r > best_ratio) best_ratio = r, best_spec = spec;
      p.Update(++done);
    }
  }
  best_spec = CanonicalSpec(best_spec);

  // Gate on the slice (warm replays of the whole stream).
  std::vector<uint8_t> hc, hp;
  MEMORY_RETURN_IF_ERROR(SliceHits(acc, split, best_spec, o.capacity, &hc));
  if (have_champ) {
    std::unique_ptr<cache::Predictor> pred;
    MEMORY_RETURN_IF_ERROR(cache::NewPredictor(champ_cfg.spec, &pred));
    std::unique_ptr<cache::PrefetchingCache> c;
    MEMORY_RETURN_IF_ERROR(
        cache::PrefetchingCache::Create(champ_cfg.policy, champ_cfg.capacity, std::move(pred), champ_cfg.area_fraction, &c));
    for (size_t i = 0; i < acc.size(); ++i) {
      const bool h = c->Access(acc[i].key);
      if (i >= split) hp.push_back(h);
    }
  }
  const int64_t m = static_cast<int64_t>(hc.size());
  std::vector<learner::PairedCluster> clusters, singles;
  std::unordered_map<uint32_t, size_t> cluster_of;
  if (have_champ) {
    for (size_t i = 0; i < hc.size(); ++i) {
      const double d = static_cast<double>(hc[i]) - static_cast<double>(hp[i]);
      auto [it, fresh] = cluster_of.try_emplace(acc[split + i].session, clusters.size());
      if (fresh) clusters.emplace_back();
      ++clusters[it->second].n;
      clusters[it->second].diff_sum += d;
      singles.push_back({1, d});
    }
  }

  learner::ModelVersionInfo& info = rep->info;
  info.kind = kPrefetchKind;
  info.config = best_spec + " in " + kPrefetchPolicy + "(" + std::to_string(o.capacity) + " keys)";
  info.code_version = MEMORY_VERSION;
  info.data_from_us = acc.front().ts_us;
  info.data_to_us = acc[split - 1].ts_us;
  info.events = static_cast<int64_t>(split);
  info.eval_events = m;
  info.eval_from_us = acc[split].ts_us;
  info.eval_to_us = acc.back().ts_us;
  const double ratio_c = Ratio(hc);
  info.metrics = {{"hit_ratio", ratio_c}, {"train_hit_ratio", best_ratio}, {"events", static_cast<double>(m)}};

  char why[400];
  if (!have_champ) {
    rep->decision = rep->previous.empty() ? "first" : "replaced unloadable champion";
    std::snprintf(why, sizeof why, "%s: hit ratio %.4f on %lld held-out accesses (training %.4f)", best_spec.c_str(),
                  ratio_c, static_cast<long long>(m), best_ratio);
    rep->reason = why;
  } else {
    const double ratio_p = Ratio(hp);
    info.champion_metrics = {{"hit_ratio", ratio_p}, {"events", static_cast<double>(m)}};
    const bool by_session = static_cast<int64_t>(clusters.size()) >= learner::kMinGateClusters;
    const learner::GateInterval gate = learner::ClusterBootstrap(by_session ? clusters : singles);
    rep->diff = gate.diff, rep->lo = gate.lo, rep->hi = gate.hi;
    rep->clusters = static_cast<int64_t>(clusters.size());
    std::snprintf(why, sizeof why,
                  by_session ? "%s: hit ratio %.4f vs champion %s %.4f: difference %+.4f, 95%% CI [%+.4f, %+.4f] on %lld "
                               "accesses in %lld sessions (bootstrap over sessions)"
                             : "%s: hit ratio %.4f vs champion %s %.4f: difference %+.4f, 95%% CI [%+.4f, %+.4f] on %lld "
                               "accesses (bootstrap over accesses: only %lld sessions)",
                  best_spec.c_str(), ratio_c, champ_cfg.spec.c_str(), ratio_p, gate.diff, gate.lo, gate.hi,
                  static_cast<long long>(m), static_cast<long long>(clusters.size()));
    rep->reason = why;
    if (champ_info.stale) {
      rep->decision = "replaced stale champion";
      rep->reason += " (champion " + champion + " was trained on removed data)";
    } else if (gate.Passes()) {
      rep->decision = "promoted";
    } else if (o.force) {
      rep->decision = "forced";
      rep->reason += gate.hi < 0 ? " (worse)" : " (not better beyond noise)";
    } else {
      rep->decision = "rejected";
      rep->reason += gate.hi < 0 ? " (worse)" : " (not better beyond noise)";
    }
  }
  info.status = "rejected";
  info.decision = rep->decision;
  info.reason = rep->reason;

  std::string staging;
  MEMORY_RETURN_IF_ERROR(reg.Stage(kPrefetchKind, &staging));
  const nlohmann::json cfg = {{"format", 1}, {"spec", best_spec}, {"policy", kPrefetchPolicy},
                              {"capacity", o.capacity}, {"area_fraction", kPrefetchArea}};
  MEMORY_RETURN_IF_ERROR(learner::WriteFileAtomically(staging + "/" + kPrefetchFile, JsonText(cfg, 2) + "\n"));
  MEMORY_RETURN_IF_ERROR(reg.Commit(staging, &info));
  rep->version = info.version;
  if (rep->decision != "rejected") {
    MEMORY_RETURN_IF_ERROR(reg.Promote(kPrefetchKind, rep->version, rep->decision, rep->reason, ValidatePrefetchVersion));
    info.status = "champion";
  }
  log.info("prefetch {}: {}: {}", rep->version, rep->decision, rep->reason);
  rep->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Status::OK();
}

}  // namespace memory::cli
