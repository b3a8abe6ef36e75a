// Shared by `memory predict` (one answer per process) and `memory predict --stream` (one answer
// per input line, model kept warm, answers cached): the context of a call, ranking with the
// served intent snapshot, and the JSON answer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "learner/intent_snapshot.h"
#include "store/status.h"

namespace memory {
class Store;
}

namespace memory::cli {

// The context of a call: commands (oldest first) and where they came from.
struct CallContext {
  std::vector<std::string> history;  // concrete commands, oldest first
  std::string cwd;
  std::string session;
  std::string from;                  // "session", "cwd", "stdin", "stdin+cwd" or "none"
  std::vector<std::string> recent;   // concrete commands seen, newest first (for display)
  int last_exit = 0;
  bool has_last_exit = false;
  // The session (learner::Context, for the model's session row): time since its newest command
  // (-1 = unknown), its number of commands so far, and whether an agent runs it.
  int64_t gap_us = -1;
  uint32_t position = 0;
  bool agent = false;
};

// Parses an agent's context {"cwd":..., "history":[...], "last_exit":..., "actor":...,
// "position"|"step":..., "gap_s"|"last_time":...}; `where` names the input in errors ("stdin",
// "stdin line 3"). Defaults: actor "human" (any other name is an agent), position = the number
// of history commands, gap unknown. "last_time" is the previous command's start (Unix seconds);
// `now_us` is the time it is compared with.
Status ParseContextJson(std::string_view text, const std::string& where, CallContext* c, int64_t now_us = 0);
// The model's context of a call on `snap` (commands as template ids, unknown ones kNoCommand);
// `ids` holds the history ctx points into.
learner::Context ModelContext(const learner::IntentSnapshot& snap, const CallContext& c,
                              std::vector<learner::CommandId>* ids);

struct RankedCommand {
  std::string command;  // the most recent concrete command of the template in this context
  std::string tmpl;
  std::string source;   // "sequence(order=N)", "directory", "session" or "frequency"
  double prob = 0;
};
// Ranks with what is served: a GRU champion (source "gru"; its top templates are shown as the most
// recent concrete command of the template in this context, else the snapshot's display text) or
// the snapshot.
std::vector<RankedCommand> RankNextCommands(const learner::ServingIntentModel& served, const CallContext& c, size_t top);
std::vector<RankedCommand> RankNextCommands(const learner::IntentSnapshot& snap, const CallContext& c, size_t top);

// {"predictions":[...], "model", "version", "context":{"from","history"}, "events"[, "note"]}
nlohmann::json PredictionsJson(const std::vector<RankedCommand>& ranked, const learner::ServingIntentModel& served,
                               const CallContext& c);

// <db>/models and the live snapshot's rebuild, shared by both modes.
std::string ModelsDir(const Globals& g);
// When `memory predict` (one-shot and --stream) rebuilds the live snapshot in the background.
// The context is always read fresh; only the counts lag, until enough new events make a rebuild
// worth its cost, a scan of the whole store (~1.7 s CPU on a 1M-event store): at least
// max(kRefreshMinEvents, learned / kRefreshShare) events newer than the snapshot's `learned`, or
// any once the snapshot is older than kRefreshMaxAgeUs (so a small change is picked up in the
// end); also when the store holds fewer events than were learned (`memory forget`) or its count
// is unknown (store_events < 0).
inline constexpr int64_t kRefreshMinEvents = 64;
inline constexpr int64_t kRefreshShare = 256;
inline constexpr int64_t kRefreshMaxAgeUs = int64_t{600} * 1000000;
inline bool LiveSnapshotStale(int64_t learned, int64_t store_events, int64_t age_us) {
  if (store_events < 0 || store_events < learned) return true;
  const int64_t newer = store_events - learned;
  return newer >= std::max(kRefreshMinEvents, learned / kRefreshShare) || (newer > 0 && age_us > kRefreshMaxAgeUs);
}
// Age of a file (now minus its modification time; 0 when it cannot be read).
int64_t FileAgeUs(const std::string& path);
// Starts `memory --db DB -q predict --rebuild` detached, unless one is already running.
void RefreshInBackground(const Globals& g);
// Rebuilds the live snapshot (<db>/models/intent.snap) from the whole store with `spec`.
Status RebuildLiveSnapshot(const Globals& g, Store* store, const std::string& spec, int64_t* events);
// Opens what predict serves; builds the live snapshot first when there is none (or it is
// damaged). NotFound when the store is empty.
Status OpenOrBuildServedModel(const Globals& g, learner::ServingIntentModel* served);

// `memory predict --stream` (predict_stream.cpp): JSON contexts in, JSON answers out, per line.
int RunPredictStream(const Globals& g, size_t top, bool no_refresh);

}  // namespace memory::cli
