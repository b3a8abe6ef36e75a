#include "cli/predict_core.h"
#include "cli/core.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "cli/spawn.h"
#include "learner/template.h"
#include "store/store.h"

namespace memory::cli {

namespace {

// The newest concrete command of a template among a context's recent commands (newest first),
// each recent command's template computed at most once per call.
class RecentByTemplate {
 public:
  explicit RecentByTemplate(const std::vector<std::string>& recent) : recent_(recent) {}
  const std::string* Find(const std::string& tmpl) {
    for (size_t i = 0; i < recent_.size(); ++i) {
      if (i == templates_.size()) templates_.push_back(learner::CommandTemplate(recent_[i]));
      if (templates_[i] == tmpl) return &recent_[i];
    }
    return nullptr;
  }

 private:
  const std::vector<std::string>& recent_;
  std::vector<std::string> templates_;
};

}  // namespace

learner::Context ModelContext(const learner::IntentSnapshot& snap, const CallContext& c,
                              std::vector<learner::CommandId>* ids) {
  ids->clear();
  for (const std::string& h : c.history) ids->push_back(snap.Find(learner::CommandTemplate(h)));
  learner::Context ctx;
  ctx.history = *ids;
  ctx.cwd = snap.FindCwd(c.cwd);
  ctx.has_last_exit = c.has_last_exit;
  ctx.last_exit = c.last_exit;
  ctx.gap_us = c.gap_us;
  ctx.position = c.position;
  ctx.agent = c.agent;
  return ctx;
}

std::vector<RankedCommand> RankNextCommands(const learner::IntentSnapshot& snap, const CallContext& c, size_t top) {
  std::vector<learner::CommandId> ids;
  const learner::Context ctx = ModelContext(snap, c, &ids);
  std::vector<learner::Prediction> preds;
  std::vector<int> orders;
  snap.Predict(ctx, top, &preds, &orders);
  snap.calibrator().Apply(&preds);
  RecentByTemplate recent(c.recent);
  std::vector<RankedCommand> ranked;
  for (size_t i = 0; i < preds.size(); ++i) {
    RankedCommand r;
    r.tmpl = std::string(snap.TemplateText(preds[i].command));
    r.command = std::string(snap.DisplayText(preds[i].command));
    if (const std::string* seen = recent.Find(r.tmpl)) r.command = *seen;
    r.source = orders[i] > 0                       ? "sequence(order=" + std::to_string(orders[i]) + ")"
               : orders[i] == learner::kSessionOrder ? "session"
               : orders[i] < 0                       ? "directory"
                                                     : "frequency";
    r.prob = preds[i].prob;
    ranked.push_back(std::move(r));
  }
  return ranked;
}

std::vector<RankedCommand> RankNextCommands(const learner::ServingIntentModel& served, const CallContext& c, size_t top) {
  if (!served.gru) return RankNextCommands(*served.snapshot, c, top);
  const learner::IntentSnapshot& snap = *served.snapshot;
  learner::GruSession session(served.gru.get());
  for (const std::string& h : c.history) session.Observe(learner::CommandTemplate(h));
  std::vector<std::pair<int32_t, double>> tokens;
  session.Top(top, &tokens);
  if (served.gru_calibration) {  // the maps `memory train` fitted on the GRU's held-out slice
    std::vector<learner::Prediction> probs;
    for (const auto& [token, prob] : tokens) probs.push_back({learner::kNoCommand, prob});
    served.gru_calibration->Apply(&probs);
    for (size_t i = 0; i < tokens.size(); ++i) tokens[i].second = probs[i].prob;
  }
  RecentByTemplate recent(c.recent);
  std::vector<RankedCommand> ranked;
  for (const auto& [token, prob] : tokens) {
    RankedCommand r;
    r.tmpl = std::string(session.Text(token));
    r.command = r.tmpl;
    if (learner::CommandId id = snap.Find(r.tmpl); id != learner::kNoCommand) r.command = std::string(snap.DisplayText(id));
    if (const std::string* seen = recent.Find(r.tmpl)) r.command = *seen;
    r.source = "gru";
    r.prob = prob;
    ranked.push_back(std::move(r));
  }
  return ranked;
}

nlohmann::json PredictionsJson(const std::vector<RankedCommand>& ranked, const learner::ServingIntentModel& served,
                               const CallContext& c) {
  const learner::IntentSnapshot& snap = *served.snapshot;
  const std::string& version = served.version;
  nlohmann::json arr = nlohmann::json::array();
  for (const RankedCommand& p : ranked)
    arr.push_back({{"command", p.command}, {"template", p.tmpl}, {"prob", p.prob}, {"source", p.source}});
  nlohmann::json j = {{"predictions", arr}, {"model", served.model.empty() ? snap.model() : served.model}, {"version", version},
                      {"context", {{"from", c.from}, {"history", c.history.size()}}},
                      {"events", snap.events()}};
  if (ranked.empty()) j["note"] = "the model has no commands yet";
  return j;
}

std::string ModelsDir(const Globals& g) { return g.db + "/models"; }

int64_t FileAgeUs(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? NowMicros() - st.st_mtime * 1000000LL : 0;
}

namespace {

Status EnsureModelsDir(const Globals& g) {
  std::error_code ec;
  std::filesystem::create_directories(ModelsDir(g), ec);
  if (ec) return Status::IOError(ModelsDir(g) + ": " + ec.message());
  ::chmod(ModelsDir(g).c_str(), 0700);
  return Status::OK();
}

}  // namespace

Status RebuildLiveSnapshot(const Globals& g, Store* store, const std::string& spec, int64_t* events) {
  MEMORY_RETURN_IF_ERROR(EnsureModelsDir(g));
  return learner::RebuildIntentSnapshot(store, ModelsDir(g) + "/" + learner::kIntentSnapshotFile, events, spec);
}

Status OpenOrBuildServedModel(const Globals& g, learner::ServingIntentModel* served) {
  Status s = learner::OpenServingIntentModel(ModelsDir(g), served);
  if (s.ok() || (!s.IsNotFound() && s.code() != Status::Code::kCorruption)) return s;
  std::unique_ptr<Store> store;
  MEMORY_RETURN_IF_ERROR(OpenStore(g, StoreOptions::Mode::kReadOnly, &store));
  StoreStats stats;
  MEMORY_RETURN_IF_ERROR(store->Stats(&stats));
  if (stats.events == 0) return Status::NotFound("the store is empty (nothing recorded yet)");
  // First use (or a damaged snapshot): build it now.
  if (!g.quiet && StderrIsTerminal()) std::fprintf(stderr, "building the intent model...\r");
  Status built = RebuildLiveSnapshot(g, store.get(), served->spec, nullptr);
  if (!g.quiet && StderrIsTerminal()) std::fprintf(stderr, "\033[K");
  if (built.ok()) return learner::OpenServingIntentModel(ModelsDir(g), served);
  if (built.code() != Status::Code::kIOError) return built;
  // The models directory cannot be written (a read-only mount, another user's store): a snapshot
  // for this call only, in the temporary directory, removed once mapped.
  std::error_code ec;
  std::string path = (std::filesystem::temp_directory_path(ec) / "memory-intent-XXXXXX").string();
  int fd = ::mkstemp(path.data());
  if (fd < 0) return built;
  ::close(fd);
  Status here = learner::RebuildIntentSnapshot(store.get(), path, nullptr, served->spec);
  std::unique_ptr<learner::IntentSnapshot> snap;
  if (here.ok()) here = learner::IntentSnapshot::Open(path, &snap);
  ::unlink(path.c_str());
  if (!here.ok()) return built;
  const std::string spec = served->spec;
  *served = learner::ServingIntentModel();
  served->model = snap->model();
  served->spec = spec;
  served->snapshot = std::move(snap);
  served->warning = "the intent model cannot be saved (" + built.ToString() + "): built for this call only";
  return Status::OK();
}

void RefreshInBackground(const Globals& g) {
  std::string lock = ModelsDir(g) + "/intent.rebuild.lock";
  struct stat st;
  if (::stat(lock.c_str(), &st) == 0) {
    if (NowMicros() / 1000000 - st.st_mtime < 600) return;  // a rebuild is running
    ::unlink(lock.c_str());                                  // stale lock
  }
  int fd = ::open(lock.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return;
  ::close(fd);
  const std::string exe = CoreExecutable();  // the rebuild needs the database
  // Detached (new session, stdio on /dev/null): it outlives this call and is reaped by init.
  SpawnOptions so;
  so.stdout_file = "/dev/null";
  so.stderr_file = "/dev/null";
  so.new_session = true;
  pid_t pid;
  if (!Spawn({exe, "--db", g.db, "-q", "predict", "--rebuild", "--unlock", lock}, so, &pid).ok()) ::unlink(lock.c_str());
}

}  // namespace memory::cli
