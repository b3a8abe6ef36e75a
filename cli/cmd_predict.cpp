// `memory predict --context current|-`: the K most likely next commands for this shell (or an
// agent's context given as JSON on stdin), each with a probability.
//
// Fast path, no RocksDB open: the model is a memory-mapped snapshot (learner/intent_snapshot.h:
// the registry's intent champion, kept current by the live snapshot <db>/models/intent.snap); the
// context is this session's (else this directory's) newest commands from the store's
// recent-events file and the spool (ReadRecentEvents). The database is opened only when that file
// cannot answer. The live snapshot is built on first use and rebuilt by a detached background
// `memory predict --rebuild` when many events arrived since (LiveSnapshotStale: at least 64 and
// 1/256 of those it learnt, or any once it is 10 minutes old), so a call never waits for training
// once a snapshot exists.
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/core.h"
#include "cli/predict_core.h"
#include "learner/intent_snapshot.h"
#include "learner/template.h"
#include "store/store.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

constexpr size_t kHistory = kRecentPerKey;  // context commands used

struct PredictOptions {
  std::string context = "current";
  size_t top = 5;
  bool json = false;
  bool rebuild = false;
  bool no_refresh = false;
  bool stream = false;
};

int RunPredict(const PredictOptions& o, const Globals& g, const std::string& unlock) {
  if (o.context != "current" && o.context != "-")
    return Fail(Status::InvalidArgument("--context must be 'current' or '-' (JSON on stdin), not '" + o.context + "'"));
  if (o.top < 1 || o.top > 100) return Fail(Status::InvalidArgument("--top must be between 1 and 100"));
  if (o.stream) {
    if (o.context != "-" || o.rebuild)
      return Fail(Status::InvalidArgument("--stream reads JSON contexts from stdin: use it with --context - (and without --rebuild)"));
    return RunPredictStream(g, o.top, o.no_refresh);
  }
  struct Unlock {
    std::string path;
    ~Unlock() { if (!path.empty()) ::unlink(path.c_str()); }
  } unlock_guard{unlock};

  CallContext c;
  if (o.context == "-") {
    std::string text;
    if (Status s = ReadStdinJson(size_t(16) << 20, "the context on stdin", &text); !s.ok()) return Fail(s);
    RememberStdin(text);  // in case the answer needs memory-core (cli/core.h)
    if (Status s = ParseContextJson(text, "stdin", &c); !s.ok()) return Fail(s);
  } else {
    if (const char* s = std::getenv("MEMORY_SESSION"); s && *s) c.session = s;
    char buf[4096];
    if (::getcwd(buf, sizeof buf)) c.cwd = buf;
  }
  const std::string model_name = learner::PredictModelSpec();
  auto empty = [&](const char* why) {
    if (o.json) {
      nlohmann::json j = {{"predictions", nlohmann::json::array()}, {"model", model_name}, {"note", why}};
      std::printf("%s\n", JsonText(j).c_str());
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

  learner::ServingIntentModel served;
  Status s = learner::OpenServingIntentModel(ModelsDir(g), &served);
  if (!served.warning.empty() && !g.quiet) std::fprintf(stderr, "memory: %s\n", served.warning.c_str());

  if (o.rebuild) {
    if (Status st = open_store(); !st.ok()) return Fail(st);
    int64_t events = 0;
    if (Status st = RebuildLiveSnapshot(g, store.get(), served.spec, &events); !st.ok()) return Fail(st);
    if (o.json) std::printf("{\"rebuilt\":true,\"events\":%lld}\n", static_cast<long long>(events));
    else if (!g.quiet) std::printf("intent model rebuilt from %lld events\n", static_cast<long long>(events));
    return 0;
  }

  // The newest events of this session and of this directory (newest first) and how many events
  // each has (up to kRecentCountCap, for the session row): from the store's recent-events file and
  // the spool, without opening RocksDB; else from the database's indexes.
  std::vector<Event> session_events, cwd_events, newest_events;
  uint32_t session_count = 0, cwd_count = 0;
  int64_t store_events = -1;  // unknown
  RecentEvents recent;
  auto scan_newest = [&](bool by_session, size_t limit, std::vector<Event>* out) -> Status {
    out->clear();
    ScanOptions so;
    so.newest_first = true;
    so.include_pending = true;
    (by_session ? so.session : so.cwd) = by_session ? c.session : c.cwd;
    return store->Scan(so, [&](const Event& e) { return out->push_back(e), out->size() < limit; });
  };
  if (ReadRecentEvents(g.db, c.session, c.cwd, kHistory, &recent).ok()) {
    session_events = std::move(recent.session);
    cwd_events = std::move(recent.cwd);
    newest_events = std::move(recent.newest);
    store_events = recent.events;
    session_count = recent.session_count;
    cwd_count = recent.cwd_count;
    // An agent's step number must be exact up to the cap: when the session is older than the
    // file's window, count its events in the database.
    if (!recent.session_count_exact && !session_events.empty() && learner::IsAgentActor(session_events.front().actor)) {
      if (Status st = open_store(); !st.ok()) return Fail(st);
      std::vector<Event> all;
      if (Status st = scan_newest(true, kRecentCountCap, &all); !st.ok()) return Fail(st);
      session_count = static_cast<uint32_t>(all.size());
    }
  } else {
    if (Status st = open_store(); !st.ok()) return Fail(st);
    if (!c.session.empty()) {
      if (Status st = scan_newest(true, kRecentCountCap, &session_events); !st.ok()) return Fail(st);
      session_count = static_cast<uint32_t>(session_events.size());
      if (session_events.size() > kHistory) session_events.resize(kHistory);
    }
    if (!c.cwd.empty()) {
      if (Status st = scan_newest(false, kRecentCountCap, &cwd_events); !st.ok()) return Fail(st);
      cwd_count = static_cast<uint32_t>(cwd_events.size());
      if (cwd_events.size() > kHistory) cwd_events.resize(kHistory);
    }
    ScanOptions so;
    so.newest_first = true;
    so.include_pending = true;
    Status st = store->Scan(so, [&](const Event& e) {
      return newest_events.push_back(e), newest_events.size() < kRecentNewest;
    });
    if (!st.ok()) return Fail(st);
  }

  if (!s.ok()) {
    if (Status st = OpenOrBuildServedModel(g, &served); !st.ok()) {
      if (st.IsNotFound()) return empty("the store is empty (nothing recorded yet)");
      return Fail(st);
    }
    if (!served.warning.empty() && !g.quiet) std::fprintf(stderr, "memory: %s\n", served.warning.c_str());
  } else if (!o.no_refresh) {
    // Keep the live snapshot current: rebuild in the background when many events arrived since
    // it was built (or any, and it is old: LiveSnapshotStale), or when it is not the one served
    // (a new champion).
    if (!served.live || LiveSnapshotStale(served.snapshot->events(), store_events, FileAgeUs(served.file)))
      RefreshInBackground(g);
  }

  auto texts = [](const std::vector<Event>& events, std::vector<std::string>* out) {
    for (auto it = events.rbegin(); it != events.rend(); ++it) out->push_back(it->command);  // oldest first
  };
  auto last_exit = [&](const std::vector<Event>& events) {
    if (!events.empty() && events.front().exit_code) c.last_exit = *events.front().exit_code, c.has_last_exit = true;
  };
  const int64_t now_us = NowMicros();
  if (c.from != "stdin") {
    // The session row's context: this session's (an agent's when its actor is not "human");
    // without one, this directory's commands stand for it; a shell whose session has no command
    // yet starts a session.
    if (!session_events.empty()) {
      texts(session_events, &c.history);
      c.from = "session";
      last_exit(session_events);
      c.position = session_count;
      c.gap_us = std::max<int64_t>(0, now_us - session_events.front().ts_us);
      c.agent = learner::IsAgentActor(session_events.front().actor);
    } else if (!cwd_events.empty()) {
      texts(cwd_events, &c.history);
      c.from = "cwd";
      last_exit(cwd_events);
      if (c.session.empty()) {
        c.position = cwd_count;
        c.gap_us = std::max<int64_t>(0, now_us - cwd_events.front().ts_us);
      }
    } else {
      c.from = "none";
    }
    // Display prefers commands of this context, newest first.
    c.recent.assign(c.history.rbegin(), c.history.rend());
  } else if (c.history.empty() && !cwd_events.empty()) {
    texts(cwd_events, &c.history);
    c.from = "stdin+cwd";
  }
  for (const Event& e : cwd_events) c.recent.push_back(e.command);
  for (const Event& e : newest_events) c.recent.push_back(e.command);

  std::vector<RankedCommand> ranked = RankNextCommands(served, c, o.top);
  if (o.json) {
    nlohmann::json j = PredictionsJson(ranked, served, c);
    j["context"]["position"] = c.position;
    j["context"]["agent"] = c.agent;
    std::printf("%s\n", JsonText(j).c_str());
    return 0;
  }
  if (ranked.empty()) return empty("the model has no commands yet");
  for (size_t i = 0; i < ranked.size(); ++i)
    std::printf("%2zu. %-50s %5.1f%%  %s\n", i + 1, ranked[i].command.c_str(), 100 * ranked[i].prob,
                ranked[i].source.c_str());
  return 0;
}

void SetupPredict(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("predict", "The most likely next commands for this shell or agent, with probabilities");
  auto o = std::make_shared<PredictOptions>();
  auto unlock = std::make_shared<std::string>();
  sub->add_option("--context", o->context,
                  "'current': this shell's session ($MEMORY_SESSION), else the last commands run in this directory "
                  "(with the session's actor, number of commands and time since the last one); "
                  "'-': a JSON context on stdin {\"cwd\":..., \"history\":[...], \"last_exit\":..., "
                  "\"actor\":\"human\"|AGENT, \"position\" (or \"step\"): commands so far in the session "
                  "(default: the history's length), \"gap_s\": seconds since the previous command (or \"last_time\": "
                  "its Unix time)}; every field optional")
      ->capture_default_str();
  sub->add_option("--top,-k", o->top, "Number of predictions (1..100)")->capture_default_str();
  sub->add_flag("--json", o->json, "Print JSON");
  sub->add_flag("--rebuild", o->rebuild, "Retrain the intent model from the whole store now");
  sub->add_flag("--no-refresh", o->no_refresh, "Never start a background rebuild");
  sub->add_flag("--stream", o->stream,
                "With --context -: answer one JSON context per stdin line with one JSON line each, keeping the model "
                "warm and caching answers (for agents)");
  sub->add_option("--unlock", *unlock, "(internal) lock file to remove when done")->group("");
  sub->callback([o, unlock, &g, action] { *action = [o, unlock, &g] { return RunPredict(*o, g, *unlock); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(30, "predict", SetupPredict);
}  // namespace memory::cli
