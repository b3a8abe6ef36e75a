// `memory predict --context current|-`: the K most likely next commands for this shell (or an
// agent's context given as JSON on stdin), each with a probability.
//
// Fast path: the model is a memory-mapped snapshot (<db>/models/intent.snap, see
// learner/intent_snapshot.h); the context is read from the spool when it holds the session's last
// commands, else from the newest few hundred events of the store (never a whole scan). The snapshot is built on first use, and rebuilt in a detached background
// `memory predict --rebuild` when many events arrived since it was built, so a call never waits
// for training once a snapshot exists.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "learner/intent_snapshot.h"
#include "learner/template.h"
#include "store/recorder.h"
#include "store/store.h"

extern char** environ;

namespace memory::cli {
namespace {

constexpr size_t kScanBudget = 256;       // newest events read per call
constexpr size_t kHistory = 8;            // context commands used
constexpr size_t kStaleEvents = 64;       // rebuild in the background after this many new events...
constexpr int64_t kStaleAgeUs = 600LL * 1000000;  // ...or any new event and a snapshot this old
constexpr size_t kSpoolEnough = 3;        // session events in the spool that make a full context
constexpr int64_t kSpoolReadLimit = 256 << 10;  // larger spools are left to the store

struct PredictOptions {
  std::string context = "current";
  size_t top = 5;
  bool json = false;
  bool rebuild = false;
  bool no_refresh = false;
};

std::string ModelsDir(const Globals& g) { return g.db + "/models"; }
std::string SnapshotPath(const Globals& g) { return ModelsDir(g) + "/intent.snap"; }

Status EnsureModelsDir(const Globals& g) {
  std::error_code ec;
  std::filesystem::create_directories(ModelsDir(g), ec);
  if (ec) return Status::IOError(ModelsDir(g) + ": " + ec.message());
  ::chmod(ModelsDir(g).c_str(), 0700);
  return Status::OK();
}

Status Rebuild(const Globals& g, Store* store, int64_t* events) {
  MEMORY_RETURN_IF_ERROR(EnsureModelsDir(g));
  return learner::RebuildIntentSnapshot(store, SnapshotPath(g), events);
}

// Starts `memory --db DB -q predict --rebuild` detached, unless one is already running.
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
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    ::unlink(lock.c_str());
    return;
  }
  exe[n] = 0;
  std::vector<std::string> args = {exe, "--db", g.db, "-q", "predict", "--rebuild", "--unlock", lock};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  pid_t pid;
  if (posix_spawn(&pid, exe, &fa, &attr, argv.data(), environ) != 0) ::unlink(lock.c_str());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
}

// The context of the call: commands (oldest first) and where they came from.
struct CallContext {
  std::vector<std::string> history;  // concrete commands, oldest first
  std::string cwd;
  std::string session;
  std::string from;                  // "session", "cwd", "stdin" or "none"
  std::vector<std::string> recent;   // concrete commands seen, newest first (for display)
  int last_exit = 0;
  bool has_last_exit = false;
};

Status ParseStdinContext(CallContext* c) {
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Status::InvalidArgument("stdin: malformed context JSON (expected {\"cwd\":..., \"history\":[...], \"last_exit\":...})");
  if (j.contains("cwd")) {
    if (!j["cwd"].is_string()) return Status::InvalidArgument("stdin: context \"cwd\" must be a string");
    c->cwd = j["cwd"].get<std::string>();
  }
  if (j.contains("history")) {
    if (!j["history"].is_array()) return Status::InvalidArgument("stdin: context \"history\" must be an array of strings");
    for (const auto& h : j["history"]) {
      if (!h.is_string()) return Status::InvalidArgument("stdin: context \"history\" must be an array of strings");
      c->history.push_back(h.get<std::string>());
    }
  }
  if (j.contains("last_exit") && !j["last_exit"].is_null()) {
    if (!j["last_exit"].is_number_integer()) return Status::InvalidArgument("stdin: context \"last_exit\" must be an integer");
    c->last_exit = j["last_exit"].get<int>();
    c->has_last_exit = true;
  }
  c->from = "stdin";
  for (auto it = c->history.rbegin(); it != c->history.rend(); ++it) c->recent.push_back(*it);
  return Status::OK();
}

int RunPredict(const PredictOptions& o, const Globals& g, const std::string& unlock) {
  if (o.context != "current" && o.context != "-")
    return Fail(Status::InvalidArgument("--context must be 'current' or '-' (JSON on stdin), not '" + o.context + "'"));
  if (o.top < 1 || o.top > 100) return Fail(Status::InvalidArgument("--top must be between 1 and 100"));
  struct Unlock {
    std::string path;
    ~Unlock() { if (!path.empty()) ::unlink(path.c_str()); }
  } unlock_guard{unlock};

  CallContext c;
  if (o.context == "-") {
    if (Status s = ParseStdinContext(&c); !s.ok()) return Fail(s);
  } else {
    if (const char* s = std::getenv("MEMORY_SESSION"); s && *s) c.session = s;
    char buf[4096];
    if (::getcwd(buf, sizeof buf)) c.cwd = buf;
  }
  const std::string model_name = learner::PredictModelSpec();
  auto empty = [&](const char* why) {
    if (o.json) {
      nlohmann::json j = {{"predictions", nlohmann::json::array()}, {"model", model_name}, {"note", why}};
      std::printf("%s\n", j.dump().c_str());
    } else if (!o.rebuild) {
      std::printf("no predictions: %s\n", why);
    } else {
      std::printf("%s\n", why);
    }
    return 0;
  };
  std::error_code ec;
  if (!std::filesystem::exists(g.db, ec)) return empty("the store is empty (nothing recorded yet)");

  std::unique_ptr<Store> store;
  auto open_store = [&]() -> Status {
    return store ? Status::OK() : OpenStore(g, StoreOptions::Mode::kReadOnly, &store);
  };

  if (o.rebuild) {
    if (Status s = open_store(); !s.ok()) return Fail(s);
    int64_t events = 0;
    if (Status s = Rebuild(g, store.get(), &events); !s.ok()) return Fail(s);
    if (o.json) std::printf("{\"rebuilt\":true,\"events\":%lld}\n", static_cast<long long>(events));
    else if (!g.quiet) std::printf("intent model rebuilt from %lld events\n", static_cast<long long>(events));
    return 0;
  }

  std::unique_ptr<learner::IntentSnapshot> snap;
  Status s = learner::IntentSnapshot::Open(SnapshotPath(g), &snap);
  const int64_t watermark = s.ok() ? snap->watermark_us() : INT64_MAX;

  // Newest events: context of this session (else this cwd) and how much is new since the snapshot.
  std::vector<std::string> session_cmds, cwd_cmds;
  size_t scanned = 0, newer = 0;
  int session_exit = 0, cwd_exit = 0;
  bool session_has_exit = false, cwd_has_exit = false;
  auto visit = [&](const Event& e) {
    ++scanned;
    if (e.ts_us > watermark) ++newer;
    if (!c.session.empty() && e.session == c.session && session_cmds.size() < kHistory) {
      if (session_cmds.empty() && e.exit_code) session_exit = *e.exit_code, session_has_exit = true;
      session_cmds.push_back(e.command);
    }
    if (!c.cwd.empty() && e.cwd == c.cwd && cwd_cmds.size() < kHistory) {
      if (cwd_cmds.empty() && e.exit_code) cwd_exit = *e.exit_code, cwd_has_exit = true;
      cwd_cmds.push_back(e.command);
    }
    if (c.recent.size() < kScanBudget) c.recent.push_back(e.command);
    // Enough: both contexts are full (or cannot be) and we are past what the snapshot learned.
    bool session_done = c.session.empty() || session_cmds.size() >= kHistory;
    bool cwd_done = c.cwd.empty() || cwd_cmds.size() >= kHistory || !session_cmds.empty();
    if (session_done && cwd_done && e.ts_us <= watermark) return false;
    return scanned < kScanBudget;
  };
  // Fast path: a recording shell's newest events are usually still in the spool; when it holds
  // enough of this session, RocksDB is not opened at all.
  bool from_spool = false;
  if (s.ok() && !c.session.empty() && PendingSpoolBytes(g.db) < kSpoolReadLimit) {
    std::vector<Event> pending;
    if (ReadPending(g.db, &pending).ok()) {
      size_t mine = 0;
      for (const Event& e : pending) mine += e.session == c.session;
      if (mine >= kSpoolEnough) {
        from_spool = true;
        for (auto it = pending.rbegin(); it != pending.rend() && visit(*it);) ++it;
      }
    }
  }
  if (!from_spool) {
    if (Status st = open_store(); !st.ok()) return Fail(st);
    ScanOptions so;
    so.newest_first = true;
    so.include_pending = true;
    if (Status scan = store->Scan(so, visit); !scan.ok()) return Fail(scan);
    if (scanned == 0) return empty("the store is empty (nothing recorded yet)");
  }

  if (!s.ok()) {
    if (!s.IsNotFound() && s.code() != Status::Code::kCorruption) return Fail(s);
    if (Status st = open_store(); !st.ok()) return Fail(st);
    // First use (or a damaged snapshot): build it now.
    if (!g.quiet && StderrIsTerminal()) std::fprintf(stderr, "building the intent model...\r");
    if (Status r = Rebuild(g, store.get(), nullptr); !r.ok()) return Fail(r);
    if (!g.quiet && StderrIsTerminal()) std::fprintf(stderr, "\033[K");
    if (Status r = learner::IntentSnapshot::Open(SnapshotPath(g), &snap); !r.ok()) return Fail(r);
  } else if (!o.no_refresh && newer > 0) {
    struct stat st;
    int64_t age_us = ::stat(SnapshotPath(g).c_str(), &st) == 0 ? NowMicros() - st.st_mtime * 1000000LL : 0;
    if (newer >= kStaleEvents || age_us > kStaleAgeUs) RefreshInBackground(g);
  }

  if (c.from != "stdin") {
    if (!session_cmds.empty()) {
      c.history.assign(session_cmds.rbegin(), session_cmds.rend());
      c.from = "session";
      c.last_exit = session_exit, c.has_last_exit = session_has_exit;
    } else if (!cwd_cmds.empty()) {
      c.history.assign(cwd_cmds.rbegin(), cwd_cmds.rend());
      c.from = "cwd";
      c.last_exit = cwd_exit, c.has_last_exit = cwd_has_exit;
    } else {
      c.from = "none";
    }
    // Display prefers commands of this context, then anything recent.
    std::vector<std::string> recent(c.history.rbegin(), c.history.rend());
    recent.insert(recent.end(), c.recent.begin(), c.recent.end());
    c.recent = std::move(recent);
  } else if (c.history.empty() && !cwd_cmds.empty()) {
    c.history.assign(cwd_cmds.rbegin(), cwd_cmds.rend());
    c.from = "stdin+cwd";
  }

  std::vector<learner::CommandId> ids;
  for (const std::string& h : c.history) ids.push_back(snap->Find(learner::CommandTemplate(h)));
  learner::Context ctx;
  ctx.history = ids;
  ctx.cwd = snap->FindCwd(c.cwd);
  ctx.has_last_exit = c.has_last_exit;
  ctx.last_exit = c.last_exit;
  std::vector<learner::Prediction> preds;
  std::vector<int> orders;
  snap->Predict(ctx, o.top, &preds, &orders);

  struct Shown { std::string command, tmpl, source; double prob; };
  std::vector<Shown> shown;
  for (size_t i = 0; i < preds.size(); ++i) {
    std::string tmpl(snap->TemplateText(preds[i].command));
    std::string command(snap->DisplayText(preds[i].command));
    for (const std::string& r : c.recent)
      if (learner::CommandTemplate(r) == tmpl) { command = r; break; }
    std::string source = orders[i] > 0    ? "sequence(order=" + std::to_string(orders[i]) + ")"
                         : orders[i] < 0 ? "directory"
                                         : "frequency";
    shown.push_back({command, tmpl, source, preds[i].prob});
  }

  if (o.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const Shown& p : shown)
      arr.push_back({{"command", p.command}, {"template", p.tmpl}, {"prob", p.prob}, {"source", p.source}});
    nlohmann::json j = {{"predictions", arr}, {"model", snap->model()},
                        {"context", {{"from", c.from}, {"history", c.history.size()}}},
                        {"events", snap->events()}};
    if (shown.empty()) j["note"] = "the model has no commands yet";
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  if (shown.empty()) return empty("the model has no commands yet");
  for (size_t i = 0; i < shown.size(); ++i)
    std::printf("%2zu. %-50s %5.1f%%  %s\n", i + 1, shown[i].command.c_str(), 100 * shown[i].prob,
                shown[i].source.c_str());
  return 0;
}

void SetupPredict(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("predict", "The most likely next commands for this shell or agent, with probabilities");
  auto o = std::make_shared<PredictOptions>();
  auto unlock = std::make_shared<std::string>();
  sub->add_option("--context", o->context,
                  "'current': this shell's session ($MEMORY_SESSION), else the last commands run in this directory; "
                  "'-': a JSON context on stdin {\"cwd\":..., \"history\":[...], \"last_exit\":...}")
      ->capture_default_str();
  sub->add_option("--top,-k", o->top, "Number of predictions (1..100)")->capture_default_str();
  sub->add_flag("--json", o->json, "Print JSON");
  sub->add_flag("--rebuild", o->rebuild, "Retrain the intent model from the whole store now");
  sub->add_flag("--no-refresh", o->no_refresh, "Never start a background rebuild");
  sub->add_option("--unlock", *unlock, "(internal) lock file to remove when done")->group("");
  sub->callback([o, unlock, &g, action] { *action = [o, unlock, &g] { return RunPredict(*o, g, *unlock); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(30, SetupPredict);
}  // namespace memory::cli
