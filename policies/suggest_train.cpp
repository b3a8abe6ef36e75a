#include "policies/suggest_train.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "policies/decision_log.h"

namespace memory::policies {
namespace {

bool HasTag(const Event& e, const char* tag) { return std::find(e.tags.begin(), e.tags.end(), tag) != e.tags.end(); }

// One logged suggestion of the evaluation slice.
struct EvalDecision {
  std::string id, task, cwd, session, action;
  std::vector<std::string> actions;
  double probability = 1;
  int64_t ts_us = 0;
  bool seen_run = false, seen_success = false;
};

std::string Fmt(const char* f, double a, double b, double c, double d, double e, long long n, long long s) {
  char buf[320];
  std::snprintf(buf, sizeof buf, f, a, b, c, d, e, n, s);
  return buf;
}

}  // namespace

Status ValidateBanditVersion(const std::string& dir) {
  std::unique_ptr<SuggestModel> m;
  return SuggestModel::Load(dir, SuggestOptions(), &m);
}

Status TrainBandit(Store& store, learner::ModelRegistry& reg, const BanditTrainOptions& o,
                   const TrainProgress& progress, learner::TrainOutcome* rep) {
  const auto t0 = std::chrono::steady_clock::now();
  *rep = learner::TrainOutcome();
  rep->kind = kBanditKind;
  MEMORY_RETURN_IF_ERROR(reg.Clean(kBanditKind));
  auto tick = [&](const char* stage, size_t n) {
    if (progress && n % 4096 == 0) progress(stage, n);
  };

  // Pass 1: the end of this run's data, and the logged suggestion decisions.
  ScanOptions so;
  so.newest_first = false;
  so.since_us = o.since_us;
  int64_t end_us = -1;
  size_t n_events = 0;
  std::vector<EvalDecision> logged;
  std::map<std::string, double> explicit_reward;
  MEMORY_RETURN_IF_ERROR(store.Scan(so, [&](const Event& e) {
    end_us = std::max(end_us, e.ts_us);
    if (e.decision && HasTag(e, kRewardTag) && e.decision->reward)
      explicit_reward[e.decision->decision_id] = *e.decision->reward;
    if (e.decision && HasTag(e, kSuggestTag)) {
      EvalDecision d;
      auto j = nlohmann::json::parse(e.params_json, nullptr, false);
      if (j.is_object() && j.contains("task") && j["task"].is_string()) d.task = j["task"].get<std::string>();
      d.id = e.decision->decision_id;
      d.cwd = e.cwd;
      d.session = e.session.empty() ? e.cwd : e.session;
      d.action = e.decision->action;
      d.actions = e.decision->action_set;
      d.probability = e.decision->probability;
      d.ts_us = e.ts_us;
      if (!d.task.empty() && d.probability > 0 && d.probability <= 1 &&
          std::find(d.actions.begin(), d.actions.end(), d.action) != d.actions.end())
        logged.push_back(std::move(d));
    }
    tick("reading events", ++n_events);
    return true;
  }));
  if (n_events == 0) {
    rep->decision = "skipped";
    rep->reason = "no events in range";
    return Status::OK();
  }
  so.until_us = end_us + 1;

  // The champion, if it loads.
  std::unique_ptr<SuggestModel> champ;
  learner::ModelVersionInfo champ_info;
  std::string champion;
  if (reg.Champion(kBanditKind, &champion).ok()) {
    rep->previous = champion;
    Status s = reg.Get(kBanditKind, champion, &champ_info);
    if (s.ok()) s = SuggestModel::Load(reg.VersionDir(kBanditKind, champion), o.suggest, &champ);
    if (!s.ok()) {
      rep->reason = champ_info.stale ? "champion " + champion + " was trained on removed data; "
                                     : "champion " + champion + " cannot be loaded (" + s.ToString() + "); ";
      champ.reset();
    }
  }
  const bool champ_usable = champ && !champ_info.stale;
  if (champ_usable && !o.force && end_us <= champ_info.eval_to_us) {
    rep->decision = "kept";
    rep->reason = "no events newer than what champion " + champion + " was trained and evaluated on";
    return Status::OK();
  }

  // The evaluation slice: the newest logged decisions no model learned from.
  const int64_t champ_to = champ ? champ_info.data_to_us : -1;
  std::vector<size_t> fresh;
  for (size_t i = 0; i < logged.size(); ++i)
    if (logged[i].ts_us > champ_to) fresh.push_back(i);
  const int64_t want = std::max<int64_t>(o.min_decisions, std::llround(o.holdout * static_cast<double>(logged.size())));
  const int64_t n_eval = std::min<int64_t>(want, static_cast<int64_t>(fresh.size()));
  // Keep at least as many decisions for training as are evaluated when there is no champion.
  const bool enough = n_eval >= o.min_decisions && (champ || static_cast<int64_t>(logged.size()) >= 2 * n_eval);
  if (champ_usable && !enough && !o.force) {
    rep->decision = "kept";
    rep->reason = "too few logged suggestion decisions to compare (" + std::to_string(fresh.size()) + " since champion " +
                  champion + " was trained, need " + std::to_string(o.min_decisions) + "); champion kept";
    return Status::OK();
  }
  int64_t eval_from = end_us + 1;  // no slice: train on everything
  if (enough) eval_from = logged[fresh[fresh.size() - static_cast<size_t>(n_eval)]].ts_us;
  std::vector<EvalDecision> slice;
  for (auto& d : logged)
    if (d.ts_us >= eval_from) slice.push_back(d);

  // Pass 2: tool counts of the training part. Pass 3: learn it; watch the slice for rewards.
  std::unique_ptr<SuggestModel> chal;
  MEMORY_RETURN_IF_ERROR(SuggestModel::Create(o.suggest, &chal));
  size_t done = 0;
  ScanOptions train_so = so;
  train_so.until_us = eval_from;
  MEMORY_RETURN_IF_ERROR(store.Scan(train_so, [&](const Event& e) {
    chal->Count(e);
    tick("counting tools", ++done);
    return true;
  }));
  done = 0;
  size_t active = 0;  // slice decisions whose window may still see their tool run
  learner::ModelVersionInfo& info = rep->info;
  MEMORY_RETURN_IF_ERROR(store.Scan(so, [&](const Event& e) {
    if (e.ts_us < eval_from) {
      if (info.events == 0) info.data_from_us = e.ts_us;
      chal->Learn(e);
      ++info.events;
    } else if (!e.decision && e.kind == EventKind::kShell) {
      const std::string tool = ToolOf(e.command);
      while (active < slice.size() && e.ts_us - slice[active].ts_us > o.suggest.window_us) ++active;
      for (size_t i = active; i < slice.size() && slice[i].ts_us <= e.ts_us; ++i)
        if (slice[i].cwd == e.cwd && slice[i].action == tool) {
          slice[i].seen_run = true;
          if (!e.failed()) slice[i].seen_success = true;
        }
    }
    tick("training", ++done);
    return true;
  }));
  chal->Finish(std::min(eval_from, end_us + 1), /*eager=*/false);
  info.kind = kBanditKind;
  info.config = chal->spec();
  info.code_version = o.code_version;
  info.data_to_us = chal->commands_to_us();
  info.eval_from_us = eval_from;
  info.eval_to_us = end_us;

  // Off-policy comparison on the slice.
  std::unordered_map<std::string, size_t> cluster_of;
  std::vector<learner::SnipsCluster> clusters, singles;  // by session; one per decision
  std::vector<double> pb, pa;
  int64_t used = 0, unknown = 0;
  double logged_reward = 0;
  for (const EvalDecision& d : slice) {
    double reward;
    auto it = explicit_reward.find(d.id);
    if (it != explicit_reward.end()) reward = it->second;
    else if (d.seen_run) reward = d.seen_success ? 1.0 : 0.5;
    else if (end_us - d.ts_us > o.suggest.window_us) reward = 0;
    else {
      ++unknown;  // window still open, no reward yet
      continue;
    }
    const size_t a = std::find(d.actions.begin(), d.actions.end(), d.action) - d.actions.begin();
    chal->Distribution(d.task, d.cwd, d.actions, &pb);
    learner::SnipsCluster one;
    one.n = 1;
    one.w_b = pb[a] / d.probability;
    one.wr_b = one.w_b * reward;
    if (champ) {
      champ->Distribution(d.task, d.cwd, d.actions, &pa);
      one.w_a = pa[a] / d.probability;
      one.wr_a = one.w_a * reward;
    } else {
      one.w_a = 1, one.wr_a = reward;  // no champion: compare with the logging policy
    }
    singles.push_back(one);
    auto [ci, is_new] = cluster_of.try_emplace(d.session, clusters.size());
    if (is_new) clusters.emplace_back();
    learner::SnipsCluster& c = clusters[ci->second];
    c.n += 1, c.w_a += one.w_a, c.wr_a += one.wr_a, c.w_b += one.w_b, c.wr_b += one.wr_b;
    logged_reward += reward;
    ++used;
  }
  // Whole sessions are resampled when there are enough of them; else single decisions.
  const bool by_session = static_cast<int64_t>(clusters.size()) >= learner::kMinGateClusters;
  const learner::SnipsGate gate = learner::SnipsBootstrap(by_session ? clusters : singles);
  info.eval_events = used;
  info.metrics = {{"decisions", static_cast<double>(used)},
                  {"value_snips", gate.value_b},
                  {"events", static_cast<double>(info.events)},
                  {"learned_commands", static_cast<double>(chal->learned_commands())},
                  {"learned_suggestions", static_cast<double>(chal->learned_suggestions())}};
  if (used > 0) info.metrics["logged_value"] = logged_reward / static_cast<double>(used);
  if (champ && used > 0) info.champion_metrics = {{"value_snips", gate.value_a}, {"decisions", static_cast<double>(used)}};
  rep->diff = gate.difference.diff;
  rep->lo = gate.difference.lo;
  rep->hi = gate.difference.hi;
  rep->clusters = static_cast<int64_t>(clusters.size());
  const std::string why =
      used == 0 ? "no logged suggestion decisions with a known reward to evaluate on"
                : Fmt(by_session ? "SNIPS value %.4f vs %.4f: difference %+.4f, 95%% CI [%+.4f, %+.4f] on %lld "
                                   "decisions in %lld sessions (bootstrap over sessions)"
                                 : "SNIPS value %.4f vs %.4f: difference %+.4f, 95%% CI [%+.4f, %+.4f] on %lld "
                                   "decisions (bootstrap over decisions: only %lld sessions)",
                      gate.value_b, gate.value_a, gate.difference.diff, gate.difference.lo, gate.difference.hi,
                      static_cast<long long>(used), static_cast<long long>(clusters.size())) +
                    (champ ? "" : " against the logging policy");
  bool promote;
  if (!champ) {
    promote = true;
    rep->decision = rep->previous.empty() ? "first"
                    : champ_info.stale    ? "replaced stale champion"
                                          : "replaced unloadable champion";
    rep->reason += "no champion to compare with; " + why;
  } else if (champ_info.stale) {
    promote = true;
    rep->decision = "replaced stale champion";
    rep->reason = why + " (champion " + rep->previous + " was trained on removed data)";
  } else if (used > 0 && gate.difference.Passes()) {
    promote = true;
    rep->decision = "promoted";
    rep->reason = why;
  } else {
    promote = o.force;
    rep->decision = o.force ? "forced" : "rejected";
    rep->reason = why + (used == 0 ? "" : (rep->hi < 0 ? " (worse)" : " (not better beyond noise)"));
  }
  if (unknown > 0) rep->reason += "; " + std::to_string(unknown) + " decisions still waiting for their reward left out";

  std::string staging;
  MEMORY_RETURN_IF_ERROR(reg.Stage(kBanditKind, &staging));
  MEMORY_RETURN_IF_ERROR(chal->Save(staging));
  info.status = "rejected";
  info.decision = rep->decision;
  info.reason = rep->reason;
  MEMORY_RETURN_IF_ERROR(reg.Commit(staging, &info));
  rep->version = info.version;
  if (promote) {
    MEMORY_RETURN_IF_ERROR(reg.Promote(kBanditKind, info.version, rep->decision, rep->reason, ValidateBanditVersion));
    info.status = "champion";
  }
  rep->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Status::OK();
}

}  // namespace memory::policies
