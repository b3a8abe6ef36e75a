// The intent model as `memory predict` serves it: a compact, memory-mapped snapshot of a trained
// "ppm" model over command templates, so a prediction reads a handful of rows and never the whole
// store or a deserialised model.
//
// File (<db>/models/intent.snap, written atomically): header, order-0 row, context rows sorted by
// key (each truncated to its best `max_entries` followers, keeping the row's full count, distinct
// count and sum so blending stays as in training), template texts with the newest concrete command
// of each, and an index sorted by template text.
//
// IntentTrainer learns from events in time order (sessions may interleave: each session keeps its
// own history, event count and time of its last event, for the session row of features=2), then
// writes a snapshot. Before learning a sample of the events (all of the first 32,768, then one in
// 1 + learnt/32,768: ~110k predictions on a 1M-event store) it also predicts them, and the snapshot
// keeps the ListCalibrator fitted on those predictions: `memory predict` shows calibrated
// probabilities (IntentSnapshot::calibrator()).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "learner/calibration.h"
#include "learner/gru.h"
#include "learner/model.h"
#include "learner/vocabulary.h"
#include "store/event.h"
#include "store/status.h"

namespace memory {
class Store;
}

namespace memory::learner {

// Spec of the model `memory predict` trains (a "ppm" spec) when no champion names another.
std::string PredictModelSpec();

// The count-model ("ppm") specs `memory train` trains side by side: PredictModelSpec() first,
// then alternatives (a longer context, a slower decay). The train command compares them on the
// last part of its training range and gates only the chosen one against the champion; an
// alternative is chosen only when it beats the first beyond noise. See
// bench/results/servespec.md.
std::vector<std::string> PredictModelSpecs();

// File name of a snapshot: <models dir>/intent.snap (the live one, rebuilt in the background) and
// <models dir>/intent/<version>/intent.snap (registry versions, see registry.h).
inline constexpr const char* kIntentSnapshotFile = "intent.snap";

class IntentSnapshot;
// What `memory predict` serves from a models directory. The registry's intent champion decides
// the model (its factory string); count models stay current without retraining, so when the live
// snapshot (<models dir>/intent.snap, rebuilt in the background from the whole store) was trained
// with the champion's spec and is at least as new, it is served; otherwise the champion's own file
// is, and the live snapshot must be rebuilt with `spec`. Without a champion: the live snapshot
// with PredictModelSpec(). A champion that does not open (corrupt, incompatible) is skipped with
// the reason in `warning`.
//
// A GRU champion (a version directory holding gru.bin, trained by memory-train) ranks with
// `gru`; the live snapshot is still opened (`snapshot`, `file`, `live`): it names the commands
// (DisplayText) and keeps being refreshed, and it serves alone when the weights do not load.
struct ServingIntentModel {
  std::unique_ptr<IntentSnapshot> snapshot;
  std::shared_ptr<const GruNet> gru;  // set when a GRU champion ranks
  // The GRU's calibration (gru.calib, fitted by `memory train` on its held-out slice); null when
  // the version has none (raw softmax probabilities are shown).
  std::shared_ptr<const ListCalibrator> gru_calibration;
  std::string model;        // what ranks: the snapshot's spec or the GRU version's config
  std::string version;      // the champion's version, "" without one
  std::string file;         // the file served
  std::string spec;         // the spec the live snapshot must be trained with
  bool live = false;        // the live snapshot is served (it may be refreshed in the background)
  std::string warning;
};

// File of a GRU registry version (<models dir>/intent/<version>/gru.bin) and its config string.
inline constexpr const char* kGruFile = "gru.bin";
inline constexpr const char* kGruVersionConfig = "gru(path=gru.bin)";
// The calibration maps of a GRU version's probabilities (learner/calibration.h), when it has them.
inline constexpr const char* kGruCalibrationFile = "gru.calib";
// A registry version directory of kind "intent" loads: its gru.bin when it has one (a GRU
// version), else its intent.snap. What promote / rollback check before switching champions.
Status ValidateIntentVersion(const std::string& version_dir);
// Loads a GRU weight file (NotFound when missing, Corruption when malformed or inconsistent).
Status OpenGruNet(const std::string& path, std::shared_ptr<const GruNet>* out);
// Loads a GRU version's calibration: OK with *out null when the version has none (versions
// trained before 2026-12-05), Corruption when the file is malformed.
Status OpenGruCalibration(const std::string& version_dir, std::shared_ptr<const ListCalibrator>* out);

// One session's hidden state in a GRU over command templates (serving and the train gate):
// starts from zero; Observe() steps it with a command template (unknown ones are <unk>).
class GruSession {
 public:
  explicit GruSession(const GruNet* net) : net_(net), h_(net->Zero()) {}
  void Observe(std::string_view template_text);
  // Up to k (token, probability) pairs, best first, never <unk> (token 0).
  void Top(size_t k, std::vector<std::pair<int32_t, double>>* out);
  std::string_view Text(int32_t token) const { return net_->weights().texts[token]; }

 private:
  const GruNet* net_;
  Eigen::VectorXf h_;
};
// NotFound when there is nothing to serve yet (the caller builds the live snapshot with `spec`).
Status OpenServingIntentModel(const std::string& models_dir, ServingIntentModel* out);

// What a session has done so far, from which the context of its next event is built, as in
// training (IntentTrainer) and as the evaluation protocol feeds models (online_eval.cpp): the
// session's newest commands, the previous exit status, the time since its previous event, the
// number of its events and whether its actor is an agent. For replays of a snapshot (train gate).
struct IntentSessionState {
  std::vector<CommandId> history;  // newest 8..16 commands, oldest first
  bool has_exit = false;
  int32_t exit = 0;
  int64_t last_ts_us = 0;          // time of the session's previous event
  uint32_t events = 0;             // events of the session so far (Context::position)

  // The context before `e` (cwd: its interned working directory); ctx->history points into this.
  void Fill(const Event& e, uint32_t cwd, Context* ctx) const;
  // Appends `e` (template id `id`).
  void Advance(const Event& e, CommandId id);
};

class IntentTrainer {
 public:
  explicit IntentTrainer(const std::string& spec = PredictModelSpec());
  Status status() const { return status_; }
  // Learns `e` (events must come oldest first).
  void Add(const Event& e);
  int64_t events() const { return events_; }
  // Writes the snapshot atomically (temporary file + rename).
  Status Write(const std::string& path, int max_entries = 16) const;
  // The calibration of the predictions made while learning (fitted; what Write stores).
  ListCalibrator FittedCalibrator() const;

 private:
  Status status_;
  std::unique_ptr<NextCommandModel> model_;
  Vocabulary templates_;
  Vocabulary cwds_;
  std::vector<std::string> display_;  // newest concrete command per template
  std::unordered_map<std::string, IntentSessionState> sessions_;
  int64_t events_ = 0;
  int64_t watermark_us_ = 0;
  ListCalibrator calibrator_;
  std::vector<Prediction> preds_;  // scratch for the calibration sample
};

// Trains on every event of `store` (oldest first, spooled ones included) and writes the snapshot
// to `path`. `events` (may be null) gets the number learned.
Status RebuildIntentSnapshot(memory::Store* store, const std::string& path, int64_t* events,
                             const std::string& spec = PredictModelSpec());

// Key under which an event's session history is kept: the session id, else its cwd.
std::string SessionKeyOf(const Event& e);
// Context::agent of an event's actor: set and not "human" (as the evaluation protocol).
bool IsAgentActor(std::string_view actor);

inline constexpr int kSessionOrder = -2;

class IntentSnapshot {
 public:
  // Maps and validates the file. NotFound when missing; Corruption when malformed.
  static Status Open(const std::string& path, std::unique_ptr<IntentSnapshot>* out);
  ~IntentSnapshot();

  int64_t watermark_us() const;   // time of the newest event learned
  int64_t events() const;         // events learned
  size_t commands() const;        // distinct templates
  std::string model() const;      // spec it was trained with
  // Maps Predict's raw probabilities to the rates at which such predictions came true while the
  // model learned (calibrator().Apply(&list): the list keeps its order).
  const ListCalibrator& calibrator() const;

  CommandId Find(std::string_view template_text) const;  // kNoCommand when unknown
  uint32_t FindCwd(std::string_view cwd) const;           // Context::cwd id; 0 when unknown
  std::string_view TemplateText(CommandId id) const;
  std::string_view DisplayText(CommandId id) const;

  // Same blend as the "ppm" model on the stored rows (with features=2 the session row too: set
  // ctx.gap_us, position and agent). *order_used (may be null) gets, per prediction, the order of
  // the last blended row that lists it (0 = overall frequency, -1 = what is run in this working
  // directory, kSessionOrder = the session row: how sessions start here, an agent's step).
  void Predict(const Context& ctx, size_t k, std::vector<Prediction>* out, std::vector<int>* order_used) const;
  // Key of the session row Predict blends for `ctx` (0: none, e.g. features < 2). Two contexts
  // with the same history, cwd, exit status and session row get the same answer.
  uint64_t SessionRow(const Context& ctx) const;

 private:
  IntentSnapshot() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace memory::learner
