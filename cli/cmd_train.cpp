// `memory train`: the nightly job. For each model kind (--model intent | bandit | prefetch | all):
//   intent  trains a challenger intent model on the recorded experience, replays the most recent
//           slice of history (which the challenger did not train on, nor the champion when it is
//           older) through both, and promotes the challenger only when it is better beyond noise:
//           the 95 % paired-bootstrap interval of the top-1 difference, resampling whole sessions
//           of the slice (learner/train_gate.h), lies above 0. Two challengers when the LibTorch
//           trainer `memory-train` sits beside `memory` (or $MEMORY_TRAIN; --no-neural skips it):
//           the count model ("ppm" snapshot) and a GRU, trained by memory-train on the newest
//           training events exported as command templates per session (a temporary jsonl file in
//           the staging directory). Each is gated against the champion on the same slice; the
//           best one that passes is promoted, and every candidate is its own registry version
//           (the others "rejected" with the reason). A GRU version holds gru.bin (config
//           "gru(path=gru.bin)"), served by `memory predict` with Eigen.
//           The count challenger is itself chosen among learner::PredictModelSpecs() (ppm of
//           order 6, order 8, order 6 with slower decay; or --count-model): each is trained in a
//           scan of its own (one count model in memory at a time) and compared on the last part
//           of the training range, and an alternative replaces the default only when it beats it
//           beyond noise there; the chosen spec is then gated on the slice, which the choice never
//           saw (CountSpecChoice). The report's `count_models` lists each spec and why it was
//           (not) chosen; the specs not chosen are not registered.
//   bandit  trains the `memory suggest` policy and compares it with the champion off-policy on the
//           newest logged suggestion decisions (policies/suggest_train.h); too few decisions keep
//           the champion.
//   prefetch chooses the cache prefetcher's configuration on the store's own command-template
//           access stream and gates it on hit ratio (cli/train_prefetch.h).
// Otherwise the challenger is kept as "rejected" with the reason. --force promotes anyway.
//
// Unattended use: one flock on <db>/models/train.lock for all kinds (exit 3 when another
// training runs), a log in <db>/models/train.log, one JSON report (one entry per kind with
// --model all), exit code the worst of the kinds: 0 promoted or kept, 1 failure, 2 bad input.
// After each kind, still under the lock, the registry is pruned as `memory model prune` does
// (config models.keep / models.keep_rollback); the report and the log name what was removed.
#define SPDLOG_FMT_EXTERNAL
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <algorithm>
#include <map>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/model_prune.h"
#include "cli/spawn.h"
#include "learner/calibration.h"
#include "learner/intent_snapshot.h"
#include "learner/registry.h"
#include "learner/template.h"
#include "learner/train_gate.h"
#include "cli/train_prefetch.h"
#include "policies/suggest_train.h"
#include "cli/json_text.h"

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
  bool no_neural = false;        // skip the GRU challenger
  std::vector<std::string> count_models;  // "ppm" specs to choose among (default PredictModelSpecs())
  int neural_epochs = 3;         // memory-train passes (nightly budget: see bench/results/train.md)
  int64_t neural_max_events = 1000000;  // newest training events the GRU learns from (time cap)
  int neural_hidden = 64;
  int neural_embed = 32;
  int64_t prefetch_capacity = static_cast<int64_t>(kPrefetchCapacity);
};

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What replaying a held-out event needs (what IntentTrainer::Add, IntentSessionState and
// SessionKeyOf read), kept for the slices instead of the whole Event (~1 KB with its strings; the
// slices of a 1M-event store hold ~190,000 events).
struct SliceEvent {
  int64_t ts_us = 0;
  EventKind kind = EventKind::kShell;
  std::optional<int32_t> exit_code;
  std::string command, cwd, session, actor;

  explicit SliceEvent(const Event& e)
      : ts_us(e.ts_us), kind(e.kind), exit_code(e.exit_code), command(e.command), cwd(e.cwd), session(e.session),
        actor(e.actor) {}
  // Sets those fields of `*e` (a reused Event: its strings keep their capacity).
  void To(Event* e) const {
    e->ts_us = ts_us;
    e->kind = kind;
    e->exit_code = exit_code;
    e->command = command;
    e->cwd = cwd;
    e->session = session;
    e->actor = actor;
  }
};

// Replays the evaluation slice through one model: per session, the rank of the true template
// (5 = not in the top 5), then the model sees it. shown() holds the probabilities the last Score
// listed, as `memory predict` shows them (best first).
class Scorer {
 public:
  virtual ~Scorer() = default;
  virtual int Score(const Event& e, const std::string& templ) = 0;
  const std::vector<learner::Prediction>& shown() const { return shown_; }

 protected:
  std::vector<learner::Prediction> shown_;
};

// A static count snapshot (what `memory predict` serves).
class SnapshotScorer final : public Scorer {
 public:
  explicit SnapshotScorer(const learner::IntentSnapshot* snap) : snap_(snap) {}
  int Score(const Event& e, const std::string& templ) override {
    // The context as in training and serving (history, exit, gap, position, agent).
    auto& st = sessions_[learner::SessionKeyOf(e)];
    learner::Context ctx;
    st.Fill(e, snap_->FindCwd(e.cwd), &ctx);
    snap_->Predict(ctx, 5, &shown_, nullptr);
    snap_->calibrator().Apply(&shown_);
    const learner::CommandId actual = snap_->Find(templ);
    int rank = 5;
    for (size_t r = 0; r < shown_.size(); ++r)
      if (actual != learner::kNoCommand && shown_[r].command == actual) { rank = static_cast<int>(r); break; }
    st.Advance(e, actual);
    return rank;
  }

 private:
  const learner::IntentSnapshot* snap_;
  std::unordered_map<std::string, learner::IntentSessionState> sessions_;
};

// A GRU (what `memory predict` serves for a GRU champion): each session's hidden state starts
// from zero at its first event of the slice, as the snapshot's history does. With `calibration`
// (a champion's gru.calib) it shows calibrated probabilities, as predict does; without (a
// challenger) it shows the raw softmax and keeps each list for FitCalibration.
class GruScorer final : public Scorer {
 public:
  explicit GruScorer(std::shared_ptr<const learner::GruNet> net,
                     std::shared_ptr<const learner::ListCalibrator> calibration = nullptr)
      : net_(std::move(net)), calibration_(std::move(calibration)) {}
  int Score(const Event& e, const std::string& templ) override {
    const std::string key = learner::SessionKeyOf(e);
    auto it = sessions_.try_emplace(key, net_.get()).first;
    it->second.Top(5, &top_);
    shown_.clear();  // (probabilities only: tokens are not command ids)
    for (const auto& t : top_) shown_.push_back({learner::kNoCommand, t.second});
    int rank = 5;
    for (size_t r = 0; r < top_.size(); ++r)
      if (it->second.Text(top_[r].first) == templ) { rank = static_cast<int>(r); break; }
    it->second.Observe(templ);
    if (calibration_) {
      calibration_->Apply(&shown_);
    } else {
      Shown s;
      s.fold = static_cast<uint8_t>(std::hash<std::string>()(key) & 1);
      s.rank = static_cast<uint8_t>(rank);
      s.n = static_cast<uint8_t>(shown_.size());
      for (size_t r = 0; r < shown_.size(); ++r) s.prob[r] = shown_[r].prob;
      lists_.push_back(s);
    }
    return rank;
  }

  // The challenger's calibration: `all` fitted on every list it showed (what its version keeps
  // and predict applies); `cross` what predict would show with such a map, estimated without
  // fitting and scoring on the same lists: sessions fall in two folds, each scored with the map
  // fitted on the other.
  void FitCalibration(learner::ListCalibrator* all, learner::ListReliability* cross) const {
    learner::ListCalibrator fold[2];
    std::vector<learner::Prediction> list;
    for (const Shown& s : lists_) {
      ToList(s, &list);
      all->ObserveRank(list, s.rank);
      fold[s.fold].ObserveRank(list, s.rank);
    }
    all->Fit();
    fold[0].Fit();
    fold[1].Fit();
    for (const Shown& s : lists_) {
      ToList(s, &list);
      fold[1 - s.fold].Apply(&list);
      cross->Add(list, s.rank);
    }
  }

 private:
  struct Shown {
    uint8_t fold = 0, rank = 5, n = 0;
    double prob[5] = {};
  };
  static void ToList(const Shown& s, std::vector<learner::Prediction>* list) {
    list->clear();
    for (uint8_t r = 0; r < s.n; ++r) list->push_back({learner::kNoCommand, s.prob[r]});
  }
  std::shared_ptr<const learner::GruNet> net_;
  std::shared_ptr<const learner::ListCalibrator> calibration_;
  std::unordered_map<std::string, learner::GruSession> sessions_;
  std::vector<std::pair<int32_t, double>> top_;
  std::vector<Shown> lists_;
};

// Hits of a replay, and the calibration of what was shown (ECE of the first prediction and of
// the top-5 lists; learner/calibration.h).
struct Hits {
  int64_t n = 0, h1 = 0, h3 = 0, h5 = 0;
  learner::ListReliability calibration;
  void Add(int rank, const std::vector<learner::Prediction>& shown) {
    ++n, h1 += rank < 1, h3 += rank < 3, h5 += rank < 5;
    calibration.Add(shown, static_cast<size_t>(rank));
  }
  double Top1() const { return n ? static_cast<double>(h1) / n : 0.0; }
  std::map<std::string, double> Metrics() const {
    auto r = [&](int64_t h) { return n ? static_cast<double>(h) / n : 0.0; };
    return {{"top1", r(h1)},
            {"top3", r(h3)},
            {"top5", r(h5)},
            {"events", static_cast<double>(n)},
            {"ece_top1", calibration.first.Ece()},
            {"ece_top5", calibration.listed.Ece()}};
  }
};

bool IsGruVersion(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::exists(dir + "/" + learner::kGruFile, ec);
}

using TrainReport = learner::TrainOutcome;

// memory-train beside the running binary (or $MEMORY_TRAIN). False with the reason otherwise.
bool FindTrainer(std::string* path, std::string* why) {
  if (const char* env = std::getenv("MEMORY_TRAIN"); env && *env) {
    *path = env;
    if (::access(env, X_OK) == 0) return true;
    *why = std::string("$MEMORY_TRAIN=") + env + " is not an executable file";
    return false;
  }
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    *why = "cannot locate the running executable to find memory-train beside it (set $MEMORY_TRAIN)";
    return false;
  }
  exe[n] = 0;
  *path = std::filesystem::path(exe).parent_path().string() + "/memory-train";
  if (::access(path->c_str(), X_OK) == 0) return true;
  *why = "memory-train not found beside " + std::string(exe) + " (build it, or set $MEMORY_TRAIN)";
  return false;
}

std::string LastLine(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return "";
  std::string last, line;
  char buf[1024];
  while (std::fgets(buf, sizeof buf, f)) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      if (!line.empty()) last = line;
      line.clear();
    }
  }
  if (!line.empty()) last = line;
  std::fclose(f);
  return last;
}

// Runs memory-train and waits. Its output (epochs, loss) goes to the terminal when `forward`,
// else to `log_path`, whose last line names a failure.
Status RunTrainer(const std::string& exe, const std::vector<std::string>& args, bool forward, const std::string& log_path) {
  std::vector<std::string> argv = {exe};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions o;
  if (forward) {
    o.stdout_to_stderr = true;  // keep our stdout (the report) clean
  } else {
    o.stdout_file = log_path;
    o.stderr_to_stdout = true;
  }
  pid_t pid;
  MEMORY_RETURN_IF_ERROR(Spawn(argv, o, &pid));
  Status s = WaitChild(pid);
  if (s.ok()) return s;
  std::string last = forward ? "see its output above" : LastLine(log_path);
  return Status::IOError("memory-train failed (" + s.message() + "): " + last);
}

// The training events' templates per session, for memory-train (one jsonl stream; sessions are
// written one after the other, each in time order).
class GruExport {
 public:
  void Add(const Event& e, const std::string& templ) {
    auto [it, fresh] = session_index_.try_emplace(learner::SessionKeyOf(e), sessions_.size());
    if (fresh) sessions_.emplace_back(it->first, std::vector<uint32_t>());
    auto [t, new_text] = template_index_.try_emplace(templ, static_cast<uint32_t>(texts_.size()));
    if (new_text) texts_.push_back(templ);
    sessions_[it->second].second.push_back(t->second);
    ++events_;
  }
  int64_t events() const { return events_; }
  Status Write(const std::string& path) const {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) return Status::IOError(path + ": cannot create: " + std::strerror(errno));
    std::vector<std::string> lines(texts_.size());
    for (const auto& [session, ids] : sessions_) {
      const std::string s = JsonText(nlohmann::json(session));
      for (uint32_t id : ids) {
        std::string& text = lines[id];
        if (text.empty())
          text = JsonText(nlohmann::json(texts_[id]));
        std::fprintf(f, "{\"session\":%s,\"command\":%s}\n", s.c_str(), text.c_str());
      }
    }
    const bool ok = std::fflush(f) == 0 && !std::ferror(f);
    std::fclose(f);
    return ok ? Status::OK() : Status::IOError(path + ": write failed (disk full?)");
  }

 private:
  std::unordered_map<std::string, size_t> session_index_;
  std::vector<std::pair<std::string, std::vector<uint32_t>>> sessions_;
  std::unordered_map<std::string, uint32_t> template_index_;
  std::vector<std::string> texts_;
  int64_t events_ = 0;
};

// One challenger of an intent training: its staged files, its scores on the slice against the
// champion's, and its outcome.
struct Candidate {
  std::string name;  // "ppm" | "gru"
  std::string staging;
  std::unique_ptr<Scorer> scorer;
  TrainReport rep;
  Hits hits;
  std::unordered_map<std::string, size_t> cluster_of;
  std::vector<learner::PairedCluster> clusters;  // one per session: the gate resamples sessions
  std::vector<learner::PairedCluster> singles;   // one per event, when there are too few sessions
  std::string why;
};

// Chooses the count-model spec on `slice`, the last part of the training range, one spec at a
// time, so that only one count model is ever in memory: Score(i, path) replays the slice through
// spec i's selection snapshot (trained on what came before the slice; spec 0, the default,
// first) and says whether spec i is the choice so far. The rule: the default unless another spec
// beats it beyond noise (the 95 % bootstrap interval of the paired top-1 difference, over
// sessions as the gate or over blocks of consecutive events when there are few sessions, lies
// above 0), then the one with the highest top-1 among those that do (the first on a tie); a
// spec's score never depends on the specs scored after it, so the choice so far is final for it.
// Report(): the chosen spec's metrics there as selection_*; each other spec's outcome (decision
// "not chosen", config, selection_* metrics) to `others`; a one-line summary to `notes`.
class CountSpecChoice {
 public:
  CountSpecChoice(std::vector<std::string> specs, const std::vector<SliceEvent>* slice)
      : specs_(std::move(specs)), slice_(slice), hits_(specs_.size()), ranks_(specs_.size()), gates_(specs_.size()),
        scored_(specs_.size(), false) {
    std::unordered_map<std::string, uint32_t> cluster_of;
    session_of_.reserve(slice->size());
    templates_.reserve(slice->size());
    Event e;
    for (const SliceEvent& se : *slice) {
      se.To(&e);
      session_of_.push_back(cluster_of.try_emplace(learner::SessionKeyOf(e), cluster_of.size()).first->second);
      templates_.push_back(e.kind == EventKind::kToolCall ? e.command : learner::CommandTemplate(e.command));
    }
    sessions_ = cluster_of.size();
  }

  Status Score(size_t i, const std::string& path, bool* leading) {
    if (i >= specs_.size() || scored_[i] || (i > 0 && !scored_[0]))
      return Status::Aborted("count-model choice: spec " + std::to_string(i) + " scored out of order");
    {
      std::unique_ptr<learner::IntentSnapshot> snap;
      MEMORY_RETURN_IF_ERROR(learner::IntentSnapshot::Open(path, &snap));
      SnapshotScorer scorer(snap.get());
      ranks_[i].reserve(slice_->size());
      Event e;
      for (size_t j = 0; j < slice_->size(); ++j) {
        (*slice_)[j].To(&e);
        const int rank = scorer.Score(e, templates_[j]);
        ranks_[i].push_back(static_cast<uint8_t>(rank));
        hits_[i].Add(rank, scorer.shown());
      }
    }
    scored_[i] = true;
    if (i > 0) {
      // Spec i vs spec 0, per session; and per block of kSelectBlock consecutive events for a
      // store with few sessions (an imported history is one session): neighbouring events are
      // correlated, so resampling single events would make the interval too narrow.
      constexpr size_t kSelectBlock = 50;
      std::vector<learner::PairedCluster> clusters(sessions_), blocks;
      for (size_t j = 0; j < ranks_[i].size(); ++j) {
        const double d = (ranks_[i][j] == 0) - (ranks_[0][j] == 0);
        clusters[session_of_[j]].n += 1;
        clusters[session_of_[j]].diff_sum += d;
        if (j % kSelectBlock == 0) blocks.emplace_back();
        blocks.back().n += 1;
        blocks.back().diff_sum += d;
      }
      gates_[i] = learner::ClusterBootstrap(BySession() ? clusters : blocks);
      if (gates_[i].Passes() && (chosen_ == 0 || hits_[i].Top1() > hits_[chosen_].Top1())) chosen_ = i;
    }
    *leading = chosen_ == i;
    return Status::OK();
  }

  size_t chosen() const { return chosen_; }

  void Report(std::map<std::string, double>* chosen_metrics, std::vector<TrainReport>* others,
              std::vector<std::string>* notes) const {
    const size_t k = specs_.size();
    auto selection = [](const Hits& h) {
      std::map<std::string, double> m;
      for (const auto& [name, v] : h.Metrics()) m["selection_" + name] = v;
      return m;
    };
    const size_t c = chosen_;
    *chosen_metrics = selection(hits_[c]);
    const long long m = static_cast<long long>(slice_->size());
    for (size_t i = 0; i < k; ++i) {
      if (i == c) continue;
      TrainReport r;
      r.kind = "intent";
      r.decision = "not chosen";
      r.info.kind = "intent";
      r.info.config = specs_[i];
      r.info.metrics = selection(hits_[i]);
      // The paired difference of this spec's top-1 minus that of the spec it lost to: the default
      // for an alternative, the chosen spec for the default.
      r.diff = i == 0 ? -gates_[c].diff : gates_[i].diff;
      r.lo = i == 0 ? -gates_[c].hi : gates_[i].lo;
      r.hi = i == 0 ? -gates_[c].lo : gates_[i].hi;
      r.clusters = static_cast<int64_t>(sessions_);
      char why[400];
      if (i == 0)
        std::snprintf(why, sizeof why,
                      "%s (the default): top-1 %.4f on the last %lld training events; %s beat it beyond noise (%.4f, "
                      "difference 95%% CI [%+.4f, %+.4f])",
                      specs_[i].c_str(), hits_[i].Top1(), m, specs_[c].c_str(), hits_[c].Top1(), gates_[c].lo,
                      gates_[c].hi);
      else
        std::snprintf(why, sizeof why,
                      "%s: top-1 %.4f vs the default's %.4f on the last %lld training events: difference %+.4f, 95%% "
                      "CI [%+.4f, %+.4f] (bootstrap over %s)%s",
                      specs_[i].c_str(), hits_[i].Top1(), hits_[0].Top1(), m, gates_[i].diff, gates_[i].lo,
                      gates_[i].hi, BySession() ? "sessions" : "blocks of 50 events",
                      gates_[i].Passes() ? " (better, but below the chosen spec)" : " (not better beyond noise)");
      r.reason = why;
      others->push_back(std::move(r));
    }
    char note[400];
    if (c == 0)
      std::snprintf(note, sizeof note,
                    "count model: kept the default %s (top-1 %.4f on the last %lld training events; no other of %zu "
                    "specs better beyond noise)",
                    specs_[0].c_str(), hits_[0].Top1(), m, k);
    else
      std::snprintf(note, sizeof note,
                    "count model: chose %s (top-1 %.4f vs the default's %.4f on the last %lld training events, "
                    "difference 95%% CI [%+.4f, %+.4f])",
                    specs_[c].c_str(), hits_[c].Top1(), hits_[0].Top1(), m, gates_[c].lo, gates_[c].hi);
    notes->push_back(note);
  }

 private:
  bool BySession() const { return static_cast<int64_t>(sessions_) >= learner::kMinGateClusters; }

  std::vector<std::string> specs_;
  const std::vector<SliceEvent>* slice_;
  std::vector<uint32_t> session_of_;     // per slice event: its session's cluster (first-seen order)
  std::vector<std::string> templates_;   // per slice event: its template
  size_t sessions_ = 0;
  std::vector<Hits> hits_;
  std::vector<std::vector<uint8_t>> ranks_;
  std::vector<learner::GateInterval> gates_;
  std::vector<bool> scored_;
  size_t chosen_ = 0;
};

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
    rep->reason = TooFewEventsReason(n, 2 * o.min_eval, since_us, store.get());
    return Status::OK();
  }
  std::sort(ts.begin(), ts.end());
  so.until_us = ts.back() + 1;
  int64_t eval_from = ts[static_cast<size_t>(n * (1 - o.holdout))];

  std::string champion;
  learner::ModelVersionInfo champ_info;
  std::unique_ptr<Scorer> champ;
  std::unique_ptr<learner::IntentSnapshot> champ_snap;
  if (reg.Champion("intent", &champion).ok()) {
    rep->previous = champion;
    const std::string dir = reg.VersionDir("intent", champion);
    Status s = reg.Get("intent", champion, &champ_info);
    if (s.ok() && IsGruVersion(dir)) {
      std::shared_ptr<const learner::GruNet> net;
      std::shared_ptr<const learner::ListCalibrator> calibration;
      s = learner::OpenGruNet(dir + "/" + learner::kGruFile, &net);
      if (s.ok()) s = learner::OpenGruCalibration(dir, &calibration);
      if (s.ok()) champ = std::make_unique<GruScorer>(std::move(net), std::move(calibration));
    } else if (s.ok()) {
      s = learner::IntentSnapshot::Open(dir + "/intent.snap", &champ_snap);
      if (s.ok()) champ = std::make_unique<SnapshotScorer>(champ_snap.get());
    }
    if (!s.ok()) {
      log.warn("champion {} cannot be loaded, a valid challenger will replace it: {}", champion, s.ToString());
      champ.reset();
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

  // The GRU challenger needs memory-train; it learns from the newest `neural_max_events`
  // training events (the nightly time budget).
  std::string trainer_exe, no_trainer;
  bool neural = !o.no_neural && FindTrainer(&trainer_exe, &no_trainer);
  if (o.no_neural) rep->notes.push_back("GRU challenger skipped: --no-neural");
  else if (!neural) rep->notes.push_back("GRU challenger skipped: " + no_trainer);
  const int64_t train_n = std::lower_bound(ts.begin(), ts.end(), eval_from) - ts.begin();
  const int64_t gru_from = ts[static_cast<size_t>(std::max<int64_t>(0, train_n - o.neural_max_events))];

  // Pass 2: train the challengers on [since, eval_from), then replay [eval_from, end] through
  // each and the champion.
  //
  // Count models: the specs of learner::PredictModelSpecs() (or --count-model). Choosing among
  // them on the gate's slice would bias the gate (the best of several noisy scores is
  // optimistic), so they are compared on the last `holdout` share of the training range,
  // [select_from, eval_from), each by a selection snapshot of what it learnt before select_from;
  // the chosen spec alone is the count challenger, gated on the slice, which neither the choice
  // nor the training saw (CountSpecChoice). One count model is in memory at a time (each is
  // hundreds of MB on a 1M-event range): this scan trains the default on [since, select_from)
  // and collects the slices and the GRU's data; the default's selection snapshot is then written
  // and scored, it learns the selection range, and its full snapshot is the staged intent.snap.
  // Then each alternative is trained in a scan of its own, which stops at select_from unless its
  // selection snapshot makes it the choice so far; then it learns on to eval_from and replaces
  // intent.snap.
  std::vector<std::string> specs = o.count_models.empty() ? learner::PredictModelSpecs() : o.count_models;
  const int64_t select_idx = static_cast<int64_t>(static_cast<double>(train_n) * (1 - o.holdout));
  const bool selecting = specs.size() > 1 && select_idx > 0 && train_n - select_idx >= o.min_eval;
  if (!selecting && specs.size() > 1) {
    // Logged only (the JSON report then has no count_models): a note per run would be noise for
    // a young store.
    log.info("count model: {} training events to choose among {} specs (need {}): training the default {}",
             train_n - select_idx, specs.size(), o.min_eval, specs[0]);
    specs.resize(1);
  }
  const int64_t select_from = selecting ? ts[static_cast<size_t>(select_idx)] : eval_from;
  for (const std::string& spec : specs) MEMORY_RETURN_IF_ERROR(learner::IntentTrainer(spec).status());
  std::vector<std::unique_ptr<Candidate>> cands;
  cands.push_back(std::make_unique<Candidate>());
  Candidate& ppm = *cands.back();
  ppm.name = "ppm";
  MEMORY_RETURN_IF_ERROR(reg.Stage("intent", &ppm.staging));
  const std::string chal_path = ppm.staging + "/intent.snap";
  auto select_path = [&](size_t i) { return ppm.staging + "/select-" + std::to_string(i) + ".snap"; };
  learner::ModelVersionInfo& info = ppm.rep.info;
  info.kind = "intent";
  info.config = specs[0];
  info.code_version = MEMORY_VERSION;
  info.eval_from_us = eval_from;
  GruExport gru_data;
  learner::ModelVersionInfo gru_info = info;
  gru_info.config = learner::kGruVersionConfig;
  std::vector<SliceEvent> slice, select_slice;
  std::unique_ptr<CountSpecChoice> choice;
  // Writes spec i's selection snapshot from `trainer` (which has learnt everything before
  // select_from) and scores it on select_slice; *leading: spec i is the choice so far.
  auto select = [&](size_t i, const learner::IntentTrainer& trainer, bool* leading) -> Status {
    if (!choice) choice = std::make_unique<CountSpecChoice>(specs, &select_slice);
    MEMORY_RETURN_IF_ERROR(trainer.Write(select_path(i)));
    Status s = choice->Score(i, select_path(i), leading);
    std::error_code ec;
    std::filesystem::remove(select_path(i), ec);
    return s;
  };
  {
    auto trainer = std::make_unique<learner::IntentTrainer>(specs[0]);
    Progress p(g, specs.size() > 1 ? "training " + specs[0] : std::string("training"), static_cast<size_t>(n));
    size_t seen = 0;
    MEMORY_RETURN_IF_ERROR(store->Scan(so, [&](const Event& e) {
      if (e.command.empty()) return true;
      if (e.ts_us < eval_from) {
        if (e.ts_us >= select_from) select_slice.emplace_back(e);
        if (info.events == 0) info.data_from_us = e.ts_us;
        info.data_to_us = std::max(info.data_to_us, e.ts_us);
        ++info.events;
        if (neural && e.ts_us >= gru_from) {
          if (gru_data.events() == 0) gru_info.data_from_us = e.ts_us;
          gru_info.data_to_us = std::max(gru_info.data_to_us, e.ts_us);
          gru_data.Add(e, e.kind == EventKind::kToolCall ? e.command : learner::CommandTemplate(e.command));
        }
        // The selection range (select_slice) is learnt after the scan, once its selection
        // snapshot is written and scored.
        if (!selecting || e.ts_us < select_from) trainer->Add(e);
      } else {
        slice.emplace_back(e);
      }
      if (++seen % 4096 == 0) p.Update(seen);
      return true;
    }));
    if (selecting) {
      bool leading;
      MEMORY_RETURN_IF_ERROR(select(0, *trainer, &leading));
      Event e;
      for (const SliceEvent& se : select_slice) se.To(&e), trainer->Add(e);
    }
    MEMORY_RETURN_IF_ERROR(trainer->Write(chal_path));
  }
  for (size_t i = 1; i < specs.size(); ++i) {
    auto trainer = std::make_unique<learner::IntentTrainer>(specs[i]);
    Progress p(g, "training " + specs[i], static_cast<size_t>(train_n));
    ScanOptions si = so;
    si.until_us = eval_from;
    bool scored = false, leading = false;
    Status s;
    size_t seen = 0;
    MEMORY_RETURN_IF_ERROR(store->Scan(si, [&](const Event& e) {
      if (e.command.empty() || e.ts_us >= eval_from) return true;
      if (e.ts_us >= select_from && !scored) {
        scored = true;
        s = select(i, *trainer, &leading);
        if (!s.ok() || !leading) return false;  // not chosen (so far): the rest would not be used
      }
      trainer->Add(e);
      if (++seen % 4096 == 0) p.Update(seen);
      return true;
    }));
    MEMORY_RETURN_IF_ERROR(s);
    if (!scored) MEMORY_RETURN_IF_ERROR(select(i, *trainer, &leading));  // the store lost its newest events
    if (leading) MEMORY_RETURN_IF_ERROR(trainer->Write(chal_path));  // the default's (or an earlier one's) replaced
  }
  size_t chosen = 0;
  std::vector<TrainReport> count_outcomes;  // the specs not chosen (reported, not registered)
  if (choice) {
    chosen = choice->chosen();
    choice->Report(&ppm.rep.info.metrics, &count_outcomes, &rep->notes);
    log.info("count model: {}", rep->notes.back());
  }
  choice.reset();
  select_slice = std::vector<SliceEvent>();
  info.config = specs[chosen];
  log.info("trained challenger {} on {} events, evaluating on {}", info.config, info.events, slice.size());
  std::unique_ptr<learner::IntentSnapshot> chal_snap;
  MEMORY_RETURN_IF_ERROR(learner::IntentSnapshot::Open(chal_path, &chal_snap));
  ppm.scorer = std::make_unique<SnapshotScorer>(chal_snap.get());

  if (neural && gru_data.events() >= 2) {
    auto gru = std::make_unique<Candidate>();
    gru->name = "gru";
    gru->rep.info = gru_info;
    gru->rep.info.events = gru_data.events();
    MEMORY_RETURN_IF_ERROR(reg.Stage("intent", &gru->staging));
    const std::string data = gru->staging + "/train.jsonl";
    Status s = gru_data.Write(data);
    const bool forward = !g.quiet && StderrIsTerminal();
    if (s.ok()) {
      log.info("GRU challenger: memory-train on {} events, {} epochs", gru_data.events(), o.neural_epochs);
      if (forward) std::fprintf(stderr, "training the GRU challenger on %lld events (memory-train)\n",
                                static_cast<long long>(gru_data.events()));
      s = RunTrainer(trainer_exe,
                     {"--format", "jsonl", "--out", gru->staging + "/" + learner::kGruFile, "--epochs",
                      std::to_string(o.neural_epochs), "--hidden", std::to_string(o.neural_hidden), "--embed",
                      std::to_string(o.neural_embed), "--seed", "1", data},
                     forward, gru->staging + "/memory-train.log");
    }
    std::error_code ec;
    std::filesystem::remove(data, ec);  // the version keeps the weights, not the commands
    std::shared_ptr<const learner::GruNet> net;
    if (s.ok()) s = learner::OpenGruNet(gru->staging + "/" + learner::kGruFile, &net);
    if (s.ok()) {
      gru->scorer = std::make_unique<GruScorer>(std::move(net));
      cands.push_back(std::move(gru));
    } else {
      // The count challenger still runs: a failed GRU is reported, not fatal.
      log.warn("GRU challenger failed: {}", s.ToString());
      rep->notes.push_back("GRU challenger failed: " + s.ToString());
      std::filesystem::remove_all(gru->staging, ec);
    }
  } else if (neural) {
    rep->notes.push_back("GRU challenger skipped: no training events");
  }

  Hits champ_hits;
  {
    Progress p(g, "evaluating", slice.size());
    size_t seen = 0;
    Event e;
    for (const SliceEvent& se : slice) {
      se.To(&e);
      const std::string templ = e.kind == EventKind::kToolCall ? e.command : learner::CommandTemplate(e.command);
      const int rp = champ ? champ->Score(e, templ) : 5;
      if (champ) champ_hits.Add(rp, champ->shown());
      const std::string key = learner::SessionKeyOf(e);
      for (auto& c : cands) {
        const int rc = c->scorer->Score(e, templ);
        c->hits.Add(rc, c->scorer->shown());
        if (!champ) continue;
        auto [it, fresh] = c->cluster_of.try_emplace(key, c->clusters.size());
        if (fresh) c->clusters.emplace_back();
        learner::PairedCluster& cl = c->clusters[it->second];
        ++cl.n;
        cl.diff_sum += (rc == 0) - (rp == 0);
        c->singles.push_back({1, static_cast<double>((rc == 0) - (rp == 0))});
      }
      if (++seen % 4096 == 0) p.Update(seen);
    }
  }
  const int64_t m = static_cast<int64_t>(slice.size());
  for (auto& c : cands) {
    TrainReport& r = c->rep;
    r.kind = "intent";
    r.previous = rep->previous;
    r.info.eval_events = m;
    r.info.eval_to_us = ts.back();
    for (const auto& [k, v] : c->hits.Metrics()) r.info.metrics[k] = v;  // beside selection_* of a count model
    if (const auto* gru = dynamic_cast<const GruScorer*>(c->scorer.get())) {
      // The GRU's softmax is not calibrated: fit the maps predict will apply, and report the
      // calibration predict would show (cross-fitted) beside the raw one.
      learner::ListCalibrator fitted;
      learner::ListReliability cross;
      gru->FitCalibration(&fitted, &cross);
      MEMORY_RETURN_IF_ERROR(learner::SaveListCalibrator(fitted, c->staging + "/" + learner::kGruCalibrationFile));
      r.info.metrics["ece_top1_raw"] = c->hits.calibration.first.Ece();
      r.info.metrics["ece_top5_raw"] = c->hits.calibration.listed.Ece();
      r.info.metrics["ece_top1"] = cross.first.Ece();
      r.info.metrics["ece_top5"] = cross.listed.Ece();
    }
    if (champ) r.info.champion_metrics = champ_hits.Metrics();
    const bool by_session = static_cast<int64_t>(c->clusters.size()) >= learner::kMinGateClusters;
    const learner::GateInterval gate = learner::ClusterBootstrap(by_session ? c->clusters : c->singles);
    r.diff = gate.diff;
    r.lo = gate.lo;
    r.hi = gate.hi;
    r.clusters = static_cast<int64_t>(c->clusters.size());
    char why[360];
    std::snprintf(why, sizeof why,
                  by_session ? "%s: top-1 %.4f vs champion %.4f: difference %+.4f, 95%% CI [%+.4f, %+.4f] on %lld events "
                               "in %lld sessions (bootstrap over sessions)"
                             : "%s: top-1 %.4f vs champion %.4f: difference %+.4f, 95%% CI [%+.4f, %+.4f] on %lld events "
                               "(bootstrap over events: only %lld sessions)",
                  c->name.c_str(), c->hits.Top1(), champ_hits.Top1(), r.diff, r.lo, r.hi, static_cast<long long>(m),
                  static_cast<long long>(c->clusters.size()));
    c->why = why;
  }

  // Decision: the best candidate that passes the gate is promoted (the highest top-1 without a
  // usable champion); every other one is kept as rejected with the reason.
  Candidate* best = nullptr;
  auto better = [&](Candidate* a, Candidate* b) {  // by top-1 difference (= by top-1: same champion)
    return b == nullptr || a->hits.Top1() > b->hits.Top1();
  };
  std::string best_decision;
  if (!champ || champ_info.stale) {
    for (auto& c : cands)
      if (better(c.get(), best)) best = c.get();
    best_decision = !champ ? (rep->previous.empty() ? "first" : "replaced unloadable champion") : "replaced stale champion";
  } else {
    for (auto& c : cands)
      if (c->rep.lo > 0 && better(c.get(), best)) best = c.get();
    best_decision = "promoted";
    if (best == nullptr && o.force) {
      for (auto& c : cands)
        if (better(c.get(), best)) best = c.get();
      best_decision = "forced";
    }
  }
  for (auto& c : cands) {
    TrainReport& r = c->rep;
    if (c.get() == best) {
      r.decision = best_decision;
      if (!champ) {
        char first[160];
        std::snprintf(first, sizeof first, "%s: top-1 %.4f on %lld held-out events", c->name.c_str(), c->hits.Top1(),
                      static_cast<long long>(m));
        r.reason = first;
      } else if (champ_info.stale) {
        r.reason = c->why + " (champion " + rep->previous + " was trained on removed data)";
      } else {
        r.reason = c->why + (best_decision == "forced" ? (r.hi < 0 ? " (worse)" : " (not better beyond noise)") : "");
      }
    } else {
      r.decision = "rejected";
      if (!champ || champ_info.stale || c->rep.lo > 0) {
        char lower[200];
        std::snprintf(lower, sizeof lower, " (top-1 below the %s challenger's %.4f)", best->name.c_str(), best->hits.Top1());
        char own[160];
        std::snprintf(own, sizeof own, "%s: top-1 %.4f on %lld held-out events", c->name.c_str(), c->hits.Top1(),
                      static_cast<long long>(m));
        r.reason = (champ ? c->why : std::string(own)) + lower;
      } else {
        r.reason = c->why + (r.hi < 0 ? " (worse)" : " (not better beyond noise)");
      }
    }
    r.info.status = "rejected";
    r.info.decision = r.decision;
    r.info.reason = r.reason;
  }
  // The winner first, so the report leads with it; then one version per other candidate.
  std::stable_sort(cands.begin(), cands.end(), [&](const auto& a, const auto& b) { return a.get() == best && b.get() != best; });
  for (auto& c : cands) {
    TrainReport& r = c->rep;
    MEMORY_RETURN_IF_ERROR(reg.Commit(c->staging, &r.info));
    r.version = r.info.version;
    if (c.get() == best) {
      MEMORY_RETURN_IF_ERROR(reg.Promote("intent", r.version, r.decision, r.reason, learner::ValidateIntentVersion));
      r.info.status = "champion";
    }
    log.info("intent {} ({}): {}: {}", r.version, c->name, r.decision, r.reason);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<std::string> notes = std::move(rep->notes);
  *rep = std::move(cands[0]->rep);
  rep->seconds = seconds;
  rep->notes = std::move(notes);
  for (size_t i = 1; i < cands.size(); ++i) {
    cands[i]->rep.seconds = seconds;
    rep->others.push_back(std::move(cands[i]->rep));
  }
  for (TrainReport& r : count_outcomes) {
    r.seconds = seconds;
    r.previous = rep->previous;
    rep->others.push_back(std::move(r));
  }
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
  MEMORY_RETURN_IF_ERROR(policies::TrainBandit(*store, reg, bo, on_progress, rep));
  if (rep->decision == "skipped" && rep->reason == "no events in range") rep->reason += SinceHint(0, bo.since_us, store.get());
  return Status::OK();
}

// A count model's metrics hold its scores on the gate's slice (top1 ...) and, when specs were
// compared, on the last part of the training range (selection_top1 ...).
std::map<std::string, double> SliceMetrics(const std::map<std::string, double>& all) {
  std::map<std::string, double> m;
  for (const auto& [k, v] : all)
    if (k.rfind("selection_", 0) != 0) m[k] = v;
  return m;
}
std::map<std::string, double> SelectionMetrics(const std::map<std::string, double>& all) {
  std::map<std::string, double> m;
  for (const auto& [k, v] : all)
    if (k.rfind("selection_", 0) == 0) m[k.substr(10)] = v;
  return m;
}

nlohmann::json OutcomeJson(const TrainReport& rep, const learner::PruneResult* pruned = nullptr, bool nested = false) {
  nlohmann::json j = {{"model", rep.kind}, {"decision", rep.decision}, {"reason", rep.reason},
                      {"version", rep.version}, {"previous_champion", rep.previous}};
  if (!rep.version.empty()) {
    j["status"] = rep.info.status;
    j["events"] = rep.info.events;
    j["eval_events"] = rep.info.eval_events;
    j["challenger"] = SliceMetrics(rep.info.metrics);
    j["champion"] = rep.info.champion_metrics;
    if (rep.info.metrics.count("selection_top1")) j["selection"] = SelectionMetrics(rep.info.metrics);
    j[rep.kind == "intent" ? "top1_difference" : rep.kind == kPrefetchKind ? "hit_ratio_difference" : "value_difference"] =
        rep.diff;
    j["ci95"] = {rep.lo, rep.hi};
    j["eval_sessions"] = rep.clusters;
    j["seconds"] = rep.seconds;
    j["config"] = rep.info.config;
  }
  if (!nested && rep.kind == "intent") {
    // Every candidate of the run (the winner or main one first), each its own version.
    nlohmann::json all = nlohmann::json::array();
    if (!rep.version.empty()) all.push_back(OutcomeJson(rep, nullptr, true));
    for (const TrainReport& r : rep.others)
      if (!r.version.empty()) all.push_back(OutcomeJson(r, nullptr, true));
    if (!all.empty()) j["candidates"] = all;
    // The count-model specs compared before the gate (CountSpecChoice): the chosen one (a
    // candidate above) and the others, which are not registered.
    nlohmann::json count = nlohmann::json::array();
    auto add_count = [&](const TrainReport& r) {
      if (!r.info.metrics.count("selection_top1")) return;
      nlohmann::json c = {{"config", r.info.config},
                          {"decision", r.version.empty() ? r.decision : "chosen"},
                          {"selection", SelectionMetrics(r.info.metrics)}};
      if (r.version.empty()) {
        c["reason"] = r.reason;
        // On the selection range, minus the default (the chosen spec for the default itself).
        c["top1_difference"] = r.diff;
        c["ci95"] = {r.lo, r.hi};
      } else {
        c["version"] = r.version;
      }
      count.push_back(std::move(c));
    };
    add_count(rep);
    for (const TrainReport& r : rep.others) add_count(r);
    if (!count.empty()) j["count_models"] = count;
  }
  if (!nested && !rep.notes.empty()) j["notes"] = rep.notes;
  if (pruned) {
    j["pruned"] = nlohmann::json::array();
    for (const auto& v : pruned->removed) j["pruned"].push_back(v.version);
    j["pruned_bytes"] = pruned->bytes_removed;
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
  for (const TrainReport& r : rep.others) {
    if (r.version.empty()) {  // a count-model spec not chosen (not registered)
      std::printf("%s: count model %s: %s\n", k, r.decision.c_str(), r.reason.c_str());
      continue;
    }
    std::printf("%s: also trained %s (%s) on %lld events\n", k, r.version.c_str(), r.info.config.c_str(),
                static_cast<long long>(r.info.events));
    std::printf("%s: %s %s: %s\n", k, r.decision.c_str(),
                r.info.status == "champion" ? "-> champion" : "(kept as rejected)", r.reason.c_str());
  }
  for (const std::string& note : rep.notes) std::printf("%s: note: %s\n", k, note.c_str());
}

int RunTrain(const TrainOptions& o, const Globals& g) {
  if (o.model != "intent" && o.model != "bandit" && o.model != "prefetch" && o.model != "all")
    return Fail(Status::InvalidArgument("--model must be intent, bandit, prefetch or all, not '" + o.model + "'"));
  if (!(o.holdout > 0 && o.holdout < 0.9)) return Fail(Status::InvalidArgument("--holdout must lie in (0, 0.9)"));
  if (o.min_eval < 1) return Fail(Status::InvalidArgument("--min-eval must be at least 1"));
  if (o.min_decisions < 1) return Fail(Status::InvalidArgument("--min-decisions must be at least 1"));
  for (const std::string& spec : o.count_models)
    if (Status s = learner::IntentTrainer(spec).status(); !s.ok())
      return Fail(Status::InvalidArgument("--count-model '" + spec + "': " + s.message()));
  int64_t since_us;
  if (Status s = SinceMicros(o.since, &since_us); !s.ok()) return Fail(s);
  Config config;
  if (Status s = LoadUserConfig(g, &config); !s.ok()) return Fail(s);
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
  if (o.model == "all") kinds = {"intent", "bandit", kPrefetchKind};
  else kinds = {o.model};
  std::vector<TrainReport> reports;
  std::vector<learner::PruneResult> pruned;
  std::vector<Status> errors;
  int worst = 0;
  for (const std::string& kind : kinds) {
    TrainReport rep;
    rep.kind = kind;
    Status s;
    if (kind == "intent") {
      s = TrainIntent(o, g, *log, &rep);
    } else if (kind == kPrefetchKind) {
      PrefetchTrainOptions po;
      po.since_us = since_us;
      po.holdout = o.holdout;
      po.min_eval = o.min_eval;
      po.force = o.force;
      po.capacity = static_cast<size_t>(o.prefetch_capacity);
      s = TrainPrefetch(po, g, *log, &rep);
    } else {
      s = TrainBanditKind(o, g, &rep);
    }
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
    // Prune after registering (same lock), also after a failed run: the keep rule never
    // touches the champion or what rollback returns to.
    learner::PruneResult pr;
    learner::ModelRegistry reg(models);
    if (Status ps = reg.Prune(kind, PruneOptionsFrom(config), &pr); !ps.ok()) {
      log->error("{}: prune failed: {}", kind, ps.ToString());
      std::fprintf(stderr, "memory: train %s: prune failed: %s\n", kind.c_str(), ps.ToString().c_str());
      rep.notes.push_back("prune failed: " + ps.ToString());
      worst = std::max(worst, 1);
    } else if (!pr.removed.empty()) {
      std::string names;
      for (const auto& v : pr.removed) names += (names.empty() ? "" : ", ") + v.version;
      log->info("{}: pruned {} old versions ({} bytes): {}", kind, pr.removed.size(), pr.bytes_removed, names);
    }
    pruned.push_back(std::move(pr));
    reports.push_back(std::move(rep));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (o.json) {
    nlohmann::json j;
    if (reports.size() == 1) {
      j = OutcomeJson(reports[0], &pruned[0]);
    } else {
      j = {{"models", nlohmann::json::array()}, {"seconds", seconds}, {"exit_code", worst}};
      for (size_t i = 0; i < reports.size(); ++i) j["models"].push_back(OutcomeJson(reports[i], &pruned[i]));
    }
    std::printf("%s\n", JsonText(j).c_str());
    return worst;
  }
  for (size_t i = 0; i < reports.size(); ++i) {
    if (reports[i].decision != "failed") PrintOutcome(reports[i]);
    if (!pruned[i].removed.empty()) std::printf("%s\n", PruneSummary(pruned[i], false).c_str());
  }
  if (reports.size() > 1) std::printf("all: %.2f s\n", seconds);
  return worst;
}

void SetupTrain(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand(
      "train",
      "Retrain models on the recorded experience; promote the new one only if it beats the champion on recent "
      "held-out history (exit 0 promoted or kept, 1 failure, 3 another training is running)");
  auto o = std::make_shared<TrainOptions>();
  sub->add_option("--model", o->model, "intent | bandit | prefetch | all")->capture_default_str();
  sub->add_option("--since", o->since, "Train on this much recent history (e.g. 90d, 12h; 'all' = everything)")
      ->capture_default_str();
  sub->add_option("--holdout", o->holdout, "Share of the newest events held out for the champion/challenger gate")
      ->capture_default_str();
  sub->add_option("--min-eval", o->min_eval, "Fewest held-out events that make an intent comparison")->capture_default_str();
  sub->add_option("--min-decisions", o->min_decisions,
                  "Fewest fresh logged suggestion decisions that make a bandit comparison (off-policy, SNIPS)")
      ->capture_default_str();
  sub->add_option("--count-model", o->count_models,
                  "intent: a count-model (\"ppm\") spec to train; repeat to choose among several, the first being the "
                  "default an alternative must beat beyond noise (default: " +
                      [] {
                        std::string all;
                        for (const std::string& s : learner::PredictModelSpecs()) all += (all.empty() ? "" : ", ") + s;
                        return all;
                      }() +
                      ")");
  sub->add_flag("--no-neural", o->no_neural,
                "intent: train only the count model, not the GRU challenger (which needs memory-train beside memory, "
                "or $MEMORY_TRAIN)");
  sub->add_option("--neural-epochs", o->neural_epochs, "intent: memory-train epochs for the GRU challenger")
      ->capture_default_str()->check(CLI::Range(1, 100));
  sub->add_option("--neural-max-events", o->neural_max_events,
                  "intent: the GRU challenger learns from at most this many of the newest training events")
      ->capture_default_str()->check(CLI::Range(int64_t{2}, int64_t{1} << 40));
  sub->add_option("--neural-hidden", o->neural_hidden, "intent: GRU hidden size")->capture_default_str()->check(CLI::Range(1, 4096));
  sub->add_option("--neural-embed", o->neural_embed, "intent: GRU embedding size")->capture_default_str()->check(CLI::Range(1, 4096));
  sub->add_option("--prefetch-capacity", o->prefetch_capacity,
                  "prefetch: keys of the simulated command cache (wtinylfu, 1/8 of it the prefetch area)")
      ->capture_default_str()->check(CLI::Range(int64_t{2}, int64_t{1} << 30));
  sub->add_flag("--force", o->force, "Promote the new model even when it does not beat the champion (logged)");
  sub->add_flag("--json", o->json, "Print the outcome as JSON");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunTrain(*o, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(70, "train", SetupTrain);
}  // namespace memory::cli
