// `memory train`: the nightly job. For each model kind (--model intent | bandit | all):
//   intent  trains a challenger intent model on the recorded experience, replays the most recent
//           slice of history (which the challenger did not train on, nor the champion when it is
//           older) through both, and promotes the challenger only when it is better beyond noise:
//           the 95 % paired-bootstrap interval of the top-1 difference, resampling whole sessions
//           of the slice (learner/train_gate.h), lies above 0.
//   bandit  trains the `memory suggest` policy and compares it with the champion off-policy on the
//           newest logged suggestion decisions (policies/suggest_train.h); too few decisions keep
//           the champion.
// Otherwise the challenger is kept as "rejected" with the reason. --force promotes anyway.
//
// Unattended use: one flock on <db>/models/train.lock for all kinds (exit 3 when another
// training runs), a log in <db>/models/train.log, one JSON report (one entry per kind with
// --model all), exit code the worst of the kinds: 0 promoted or kept, 1 failure, 2 bad input.
#define SPDLOG_FMT_EXTERNAL
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <map>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "learner/intent_snapshot.h"
#include "learner/registry.h"
#include "learner/template.h"
#include "learner/train_gate.h"
#include "policies/suggest_train.h"

namespace memory::cli {
namespace {

struct TrainOptions {
  std::string model = "intent";
  int64_t min_decisions = 30;
  std::string since = "90d";
  double holdout = 0.1;
  int64_t min_eval = 200;
  bool force = false;
  bool json = false;
};

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Replays events through a static snapshot (what `memory predict` serves): per session history of
// template ids, hit@1/3/5 per event.
class SnapshotScorer {
 public:
  explicit SnapshotScorer(const learner::IntentSnapshot* snap) : snap_(snap) {}
  // Returns the rank of the true command (5 = not in the top 5).
  int Score(const Event& e, const std::string& templ) {
    auto& st = sessions_[learner::SessionKeyOf(e)];
    learner::Context ctx;
    ctx.history = st.history;
    ctx.cwd = snap_->FindCwd(e.cwd);
    ctx.has_last_exit = st.has_exit;
    ctx.last_exit = st.exit;
    snap_->Predict(ctx, 5, &preds_, nullptr);
    const learner::CommandId actual = snap_->Find(templ);
    int rank = 5;
    for (size_t r = 0; r < preds_.size(); ++r)
      if (actual != learner::kNoCommand && preds_[r].command == actual) { rank = static_cast<int>(r); break; }
    st.history.push_back(actual);
    if (st.history.size() > 16) st.history.erase(st.history.begin(), st.history.begin() + 8);
    st.has_exit = e.exit_code.has_value();
    st.exit = e.exit_code.value_or(0);
    return rank;
  }

 private:
  struct Session {
    std::vector<learner::CommandId> history;
    bool has_exit = false;
    int32_t exit = 0;
  };
  const learner::IntentSnapshot* snap_;
  std::unordered_map<std::string, Session> sessions_;
  std::vector<learner::Prediction> preds_;
};

struct Hits {
  int64_t n = 0, h1 = 0, h3 = 0, h5 = 0;
  void Add(int rank) { ++n, h1 += rank < 1, h3 += rank < 3, h5 += rank < 5; }
  std::map<std::string, double> Metrics() const {
    auto r = [&](int64_t h) { return n ? static_cast<double>(h) / n : 0.0; };
    return {{"top1", r(h1)}, {"top3", r(h3)}, {"top5", r(h5)}, {"events", static_cast<double>(n)}};
  }
};

Status ValidateIntentVersion(const std::string& dir) {
  std::unique_ptr<learner::IntentSnapshot> snap;
  return learner::IntentSnapshot::Open(dir + "/intent.snap", &snap);
}

using TrainReport = learner::TrainOutcome;

Status TrainIntent(const TrainOptions& o, const Globals& g, spdlog::logger& log, TrainReport* rep) {
  const auto t0 = std::chrono::steady_clock::now();
  rep->kind = "intent";
  int64_t since_us = 0;
  if (!o.since.empty() && o.since != "all") {
    int64_t dur = 0;
    if (Status s = ParseDuration(o.since, &dur); !s.ok())
      return Status::InvalidArgument("--since: " + s.message() + " (e.g. 90d, 12h, or all)");
    since_us = NowUs() - dur;
  }
  std::unique_ptr<Store> store;
  MEMORY_RETURN_IF_ERROR(OpenStore(g, StoreOptions::Mode::kReadOnly, &store));
  learner::ModelRegistry reg(g.db + "/models");
  MEMORY_RETURN_IF_ERROR(reg.Clean("intent"));

  // Pass 1: times of the events in range; the newest fixes the end of this run's data, so events
  // recorded meanwhile are left for the next run.
  std::vector<int64_t> ts;
  ScanOptions so;
  so.newest_first = false;
  so.since_us = since_us;
  {
    Progress p(g, "reading events");
    MEMORY_RETURN_IF_ERROR(store->Scan(so, [&](const Event& e) {
      if (!e.command.empty()) ts.push_back(e.ts_us);
      if (ts.size() % 4096 == 0) p.Update(ts.size());
      return true;
    }));
  }
  const int64_t n = static_cast<int64_t>(ts.size());
  if (n < 2 * o.min_eval) {
    rep->decision = "skipped";
    rep->reason = "not enough events to train and evaluate (" + std::to_string(n) + " in range, need " +
                  std::to_string(2 * o.min_eval) + ")";
    return Status::OK();
  }
  std::sort(ts.begin(), ts.end());
  so.until_us = ts.back() + 1;
  int64_t eval_from = ts[static_cast<size_t>(n * (1 - o.holdout))];

  std::string champion;
  learner::ModelVersionInfo champ_info;
  std::unique_ptr<learner::IntentSnapshot> champ_snap;
  if (reg.Champion("intent", &champion).ok()) {
    rep->previous = champion;
    Status s = reg.Get("intent", champion, &champ_info);
    if (s.ok()) s = learner::IntentSnapshot::Open(reg.VersionDir("intent", champion) + "/intent.snap", &champ_snap);
    if (!s.ok()) {
      log.warn("champion {} cannot be loaded, a valid challenger will replace it: {}", champion, s.ToString());
      champ_snap.reset();
    } else if (!o.force && !champ_info.stale && ts.back() <= champ_info.eval_to_us) {
      rep->decision = "kept";
      rep->reason = "no events newer than what champion " + champion + " was trained and evaluated on";
      return Status::OK();
    } else if (champ_info.data_to_us >= eval_from) {
      // The slice must be new to the champion too.
      eval_from = champ_info.data_to_us + 1;
      const int64_t fresh = ts.end() - std::lower_bound(ts.begin(), ts.end(), eval_from);
      if (fresh < o.min_eval && !o.force && !champ_info.stale) {
        rep->decision = "kept";
        rep->reason = "only " + std::to_string(fresh) + " events since champion " + champion +
                      " was trained (need " + std::to_string(o.min_eval) + " to compare)";
        return Status::OK();
      }
      if (fresh < o.min_eval) eval_from = ts[static_cast<size_t>(n * (1 - o.holdout))];
    }
  }

  // Pass 2: train the challenger on [since, eval_from), then replay [eval_from, end] through both.
  std::string staging;
  MEMORY_RETURN_IF_ERROR(reg.Stage("intent", &staging));
  learner::IntentTrainer trainer;
  MEMORY_RETURN_IF_ERROR(trainer.status());
  learner::ModelVersionInfo& info = rep->info;
  info.kind = "intent";
  info.config = learner::PredictModelSpec();
  info.code_version = MEMORY_VERSION;
  info.eval_from_us = eval_from;
  std::vector<Event> slice;
  {
    Progress p(g, "training", static_cast<size_t>(n));
    size_t seen = 0;
    MEMORY_RETURN_IF_ERROR(store->Scan(so, [&](const Event& e) {
      if (e.command.empty()) return true;
      if (e.ts_us < eval_from) {
        if (info.events == 0) info.data_from_us = e.ts_us;
        info.data_to_us = std::max(info.data_to_us, e.ts_us);
        trainer.Add(e);
        ++info.events;
      } else {
        slice.push_back(e);
      }
      if (++seen % 4096 == 0) p.Update(seen);
      return true;
    }));
  }
  log.info("trained challenger on {} events, evaluating on {}", info.events, slice.size());
  MEMORY_RETURN_IF_ERROR(trainer.Write(staging + "/intent.snap"));
  std::unique_ptr<learner::IntentSnapshot> chal_snap;
  MEMORY_RETURN_IF_ERROR(learner::IntentSnapshot::Open(staging + "/intent.snap", &chal_snap));

  SnapshotScorer chal(chal_snap.get());
  std::unique_ptr<SnapshotScorer> champ = champ_snap ? std::make_unique<SnapshotScorer>(champ_snap.get()) : nullptr;
  Hits hc, hp;
  // One cluster per session: the gate resamples whole sessions (events in a session are
  // correlated, so a per-event bootstrap would be too sure of itself).
  std::unordered_map<std::string, size_t> cluster_of;
  std::vector<learner::PairedCluster> clusters;
  std::vector<learner::PairedCluster> singles;  // one per event, when there are too few sessions
  for (const Event& e : slice) {
    const std::string templ = e.kind == EventKind::kToolCall ? e.command : learner::CommandTemplate(e.command);
    int rc = chal.Score(e, templ);
    hc.Add(rc);
    if (champ) {
      int rp = champ->Score(e, templ);
      hp.Add(rp);
      auto [it, fresh] = cluster_of.try_emplace(learner::SessionKeyOf(e), clusters.size());
      if (fresh) clusters.emplace_back();
      learner::PairedCluster& c = clusters[it->second];
      ++c.n;
      c.diff_sum += (rc == 0) - (rp == 0);
      singles.push_back({1, static_cast<double>((rc == 0) - (rp == 0))});
    }
  }
  info.eval_events = static_cast<int64_t>(slice.size());
  info.eval_to_us = ts.back();
  info.metrics = hc.Metrics();
  if (champ) info.champion_metrics = hp.Metrics();
  const int64_t m = static_cast<int64_t>(slice.size());
  const bool by_session = static_cast<int64_t>(clusters.size()) >= learner::kMinGateClusters;
  const learner::GateInterval gate = learner::ClusterBootstrap(by_session ? clusters : singles);
  rep->diff = gate.diff;
  rep->lo = gate.lo;
  rep->hi = gate.hi;
  rep->clusters = static_cast<int64_t>(clusters.size());
  char why[320];
  std::snprintf(why, sizeof why, by_session ? "top-1 %.4f vs champion %.4f: difference %+.4f, 95%% CI [%+.4f, %+.4f] on %lld events in "
                           "%lld sessions (bootstrap over sessions)"
                         : "top-1 %.4f vs champion %.4f: difference %+.4f, 95%% CI [%+.4f, %+.4f] on %lld events "
                           "(bootstrap over events: only %lld sessions)",
                hc.Metrics()["top1"], hp.Metrics()["top1"], rep->diff, rep->lo, rep->hi, static_cast<long long>(m),
                static_cast<long long>(clusters.size()));

  bool promote;
  if (!champ) {
    promote = true;
    rep->decision = rep->previous.empty() ? "first" : "replaced unloadable champion";
    char first[128];
    std::snprintf(first, sizeof first, "top-1 %.4f on %lld held-out events", hc.Metrics()["top1"], static_cast<long long>(m));
    rep->reason = first;
  } else if (champ_info.stale) {
    // The champion learned from events since removed (forget / clean): never keep serving it.
    promote = true;
    rep->decision = "replaced stale champion";
    rep->reason = std::string(why) + " (champion " + rep->previous + " was trained on removed data)";
  } else if (rep->lo > 0) {
    promote = true;
    rep->decision = "promoted";
    rep->reason = why;
  } else {
    promote = o.force;
    rep->decision = o.force ? "forced" : "rejected";
    rep->reason = std::string(why) + (rep->hi < 0 ? " (worse)" : " (not better beyond noise)");
  }
  info.status = "rejected";
  info.decision = rep->decision;
  info.reason = rep->reason;
  MEMORY_RETURN_IF_ERROR(reg.Commit(staging, &info));
  rep->version = info.version;
  if (promote) MEMORY_RETURN_IF_ERROR(reg.Promote("intent", info.version, rep->decision, rep->reason, ValidateIntentVersion));
  if (promote) info.status = "champion";
  rep->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Status::OK();
}

Status SinceMicros(const std::string& since, int64_t* since_us) {
  *since_us = 0;
  if (since.empty() || since == "all") return Status::OK();
  int64_t dur = 0;
  if (Status s = ParseDuration(since, &dur); !s.ok())
    return Status::InvalidArgument("--since: " + s.message() + " (e.g. 90d, 12h, or all)");
  *since_us = NowUs() - dur;
  return Status::OK();
}

Status TrainBanditKind(const TrainOptions& o, const Globals& g, TrainReport* rep) {
  policies::BanditTrainOptions bo;
  MEMORY_RETURN_IF_ERROR(SinceMicros(o.since, &bo.since_us));
  bo.holdout = o.holdout;
  bo.min_decisions = o.min_decisions;
  bo.force = o.force;
  bo.code_version = MEMORY_VERSION;
  std::unique_ptr<Store> store;
  MEMORY_RETURN_IF_ERROR(OpenStore(g, StoreOptions::Mode::kReadOnly, &store));
  learner::ModelRegistry reg(g.db + "/models");
  std::unique_ptr<Progress> progress;
  std::string stage;
  auto on_progress = [&](const char* what, size_t done) {
    if (stage != what) {
      progress.reset();
      progress = std::make_unique<Progress>(g, std::string("bandit: ") + what);
      stage = what;
    }
    progress->Update(done);
  };
  return policies::TrainBandit(*store, reg, bo, on_progress, rep);
}

nlohmann::json OutcomeJson(const TrainReport& rep) {
  nlohmann::json j = {{"model", rep.kind}, {"decision", rep.decision}, {"reason", rep.reason},
                      {"version", rep.version}, {"previous_champion", rep.previous}};
  if (!rep.version.empty()) {
    j["status"] = rep.info.status;
    j["events"] = rep.info.events;
    j["eval_events"] = rep.info.eval_events;
    j["challenger"] = rep.info.metrics;
    j["champion"] = rep.info.champion_metrics;
    j[rep.kind == "intent" ? "top1_difference" : "value_difference"] = rep.diff;
    j["ci95"] = {rep.lo, rep.hi};
    j["eval_sessions"] = rep.clusters;
    j["seconds"] = rep.seconds;
  }
  return j;
}

void PrintOutcome(const TrainReport& rep) {
  const char* k = rep.kind.c_str();
  if (rep.version.empty()) {
    std::printf("%s: nothing trained (%s): %s\n", k, rep.decision.c_str(), rep.reason.c_str());
    return;
  }
  std::printf("%s: trained %s on %lld events (%.2f s)\n", k, rep.version.c_str(), static_cast<long long>(rep.info.events),
              rep.seconds);
  if (rep.decision == "forced")
    std::fprintf(stderr, "memory: --force: promoting %s %s although the gate did not pass: %s\n", k,
                 rep.version.c_str(), rep.reason.c_str());
  std::printf("%s: %s %s: %s\n", k, rep.decision.c_str(),
              rep.info.status == "champion" ? "-> champion" : "(kept as rejected)", rep.reason.c_str());
}

int RunTrain(const TrainOptions& o, const Globals& g) {
  if (o.model == "prefetch")
    return Fail(Status::Unsupported("--model prefetch: not trained by `memory train` yet (intent, bandit, all)"));
  if (o.model != "intent" && o.model != "bandit" && o.model != "all")
    return Fail(Status::InvalidArgument("--model must be intent, bandit or all, not '" + o.model + "'"));
  if (!(o.holdout > 0 && o.holdout < 0.9)) return Fail(Status::InvalidArgument("--holdout must lie in (0, 0.9)"));
  if (o.min_eval < 1) return Fail(Status::InvalidArgument("--min-eval must be at least 1"));
  if (o.min_decisions < 1) return Fail(Status::InvalidArgument("--min-decisions must be at least 1"));
  int64_t since_us;
  if (Status s = SinceMicros(o.since, &since_us); !s.ok()) return Fail(s);
  const std::string models = g.db + "/models";
  std::error_code ec;
  std::filesystem::create_directories(models, ec);
  if (ec) return Fail(Status::IOError(models + ": cannot create: " + ec.message()));
  std::unique_ptr<learner::RegistryLock> lock;
  if (Status s = learner::RegistryLock::Acquire(models + "/train.lock", &lock); !s.ok()) return Fail(s);
  std::shared_ptr<spdlog::logger> log;
  try {
    log = std::make_shared<spdlog::logger>("train", std::make_shared<spdlog::sinks::basic_file_sink_mt>(models + "/train.log"));
  } catch (const spdlog::spdlog_ex& ex) {
    return Fail(Status::IOError(models + "/train.log: " + ex.what()));
  }
  log->flush_on(spdlog::level::info);
  log->info("train --model {} --since {}{} (pid {})", o.model, o.since, o.force ? " --force" : "", ::getpid());
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> kinds;
  if (o.model == "all") kinds = {"intent", "bandit"};
  else kinds = {o.model};
  std::vector<TrainReport> reports;
  std::vector<Status> errors;
  int worst = 0;
  for (const std::string& kind : kinds) {
    TrainReport rep;
    rep.kind = kind;
    Status s = kind == "intent" ? TrainIntent(o, g, *log, &rep) : TrainBanditKind(o, g, &rep);
    if (!s.ok()) {
      log->error("{}: failed: {}", kind, s.ToString());
      std::fprintf(stderr, "memory: train %s: %s\n", kind.c_str(), s.ToString().c_str());
      const int code = s.ExitCode();
      worst = std::max(worst, code == 2 || code == 3 ? code : 1);  // 1 failure, 2 bad input, 3 busy
      rep.decision = "failed";
      rep.reason = s.ToString();
    } else {
      log->info("{}: {} {}: {}", kind, rep.decision, rep.version, rep.reason);
    }
    reports.push_back(std::move(rep));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (o.json) {
    nlohmann::json j;
    if (reports.size() == 1) {
      j = OutcomeJson(reports[0]);
    } else {
      j = {{"models", nlohmann::json::array()}, {"seconds", seconds}, {"exit_code", worst}};
      for (const auto& r : reports) j["models"].push_back(OutcomeJson(r));
    }
    std::printf("%s\n", j.dump().c_str());
    return worst;
  }
  for (const auto& r : reports)
    if (r.decision != "failed") PrintOutcome(r);
  if (reports.size() > 1) std::printf("all: %.2f s\n", seconds);
  return worst;
}

void SetupTrain(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand(
      "train",
      "Retrain models on the recorded experience; promote the new one only if it beats the champion on recent "
      "held-out history (exit 0 promoted or kept, 1 failure, 3 another training is running)");
  auto o = std::make_shared<TrainOptions>();
  sub->add_option("--model", o->model, "intent | bandit | all (prefetch is not trained here yet)")->capture_default_str();
  sub->add_option("--since", o->since, "Train on this much recent history (e.g. 90d, 12h; 'all' = everything)")
      ->capture_default_str();
  sub->add_option("--holdout", o->holdout, "Share of the newest events held out for the champion/challenger gate")
      ->capture_default_str();
  sub->add_option("--min-eval", o->min_eval, "Fewest held-out events that make an intent comparison")->capture_default_str();
  sub->add_option("--min-decisions", o->min_decisions,
                  "Fewest fresh logged suggestion decisions that make a bandit comparison (off-policy, SNIPS)")
      ->capture_default_str();
  sub->add_flag("--force", o->force, "Promote the new model even when it does not beat the champion (logged)");
  sub->add_flag("--json", o->json, "Print the outcome as JSON");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunTrain(*o, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(70, SetupTrain);
}  // namespace memory::cli
