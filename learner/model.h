// Next-command models: given what happened so far in a session, rank the commands most likely to
// come next, each with a probability; then learn the command that really came.
//
// Models work on interned command ids (see vocabulary.h), never on strings, so the online loop
// (predict, score, learn) does no allocation. All models are online: Learn() keeps them current
// without retraining. A model is built from a short factory string (NewModel), and Name() gives
// back a canonical string that builds an identical model:
//
//   "mfu"                         most frequent so far (ties: most recently used first)
//   "mru"                         most recently used distinct commands
//   "markov(order=1)"             counts of next given the previous `order` commands, backing off
//                                 to shorter contexts, filled from "mfu" (order=1 is the classic
//                                 Markov-1 baseline)
//   "ipam(alpha=0.8)"             Davison & Hirsh's IPAM: decayed per-previous-command rows
//   "ppm(order=3,...)"            variable-order blend of decayed counts (see ppm.cpp); with
//                                 features=1 also the working directory and the previous
//                                 command's success or failure
//   "mixture(m1,m2,...,rate=..)"  online-learned combination of member models (mixture.cpp)
//   "respell(m,edits=2,rare=1)"   m, plus the known commands spelt like a rare previous command
//                                 (a typo, then the intended command; respell.cpp); needs texts
//   "calibrate(m,prior=50)"       m's list in m's order, probabilities mapped to the rate at which
//                                 such predictions came true so far (calibration.h)
//   "gru(path=FILE)"              GRU network trained by memory-train (weights file), run with
//                                 Eigen; a population model: it does not learn online, its hidden
//                                 state follows the stream (see gru_model.cpp)
//   "best"                        the project's best model (expands to its full spec)
//
// Thread-safety: none, except concurrent Clone() calls; one model per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace memory::learner {

class Vocabulary;
using CommandId = uint32_t;
inline constexpr CommandId kNoCommand = UINT32_MAX;

// What a model may look at before the next command. `history` holds the commands of this session
// (or this user's stream), oldest first; history.back() is the previous command.
struct Context {
  std::span<const CommandId> history;
  uint32_t cwd = 0;            // interned working directory (0 = unknown)
  int32_t last_exit = 0;       // exit status of the previous command
  bool has_last_exit = false;
  int64_t gap_us = -1;         // time since the previous command started (-1 = unknown)
  uint32_t position = 0;       // index of the next command within its session
  bool agent = false;          // the session is an agent's, not a person's

  CommandId prev(size_t back = 1) const {
    return history.size() >= back ? history[history.size() - back] : kNoCommand;
  }
};

struct Prediction {
  CommandId command = kNoCommand;
  double prob = 0;             // model's probability that this is the next command
};

class NextCommandModel {
 public:
  virtual ~NextCommandModel() = default;

  // Replaces *out by up to k predictions, best first (fewer when the model knows fewer commands).
  virtual void Predict(const Context& ctx, size_t k, std::vector<Prediction>* out) = 0;
  // Learns that `actual` followed `ctx`.
  virtual void Learn(const Context& ctx, CommandId actual) = 0;
  // Canonical factory string; NewModel(Name()) builds the same (untrained) model.
  virtual std::string Name() const = 0;
  // A copy including everything learned (used to start each user or session from a population
  // model); it behaves exactly like a deep copy. Count models share what was learned before the
  // call (frozen, read-only) and copy a row when either side changes it, so a clone is cheap.
  // Several threads may call Clone() on the same model at once (nothing else may run on it then).
  virtual std::unique_ptr<NextCommandModel> Clone() const = 0;
  // Tells the model how ids map to command texts (models with their own token table, such as
  // "gru", need it; count models ignore it). `vocab` must outlive the model.
  virtual void SetVocabulary(const Vocabulary* vocab) {}
};

// Builds a model from a factory string. InvalidArgument for a malformed string, Unsupported for
// an unknown model name, with the accepted names listed.
Status NewModel(std::string_view spec, std::unique_ptr<NextCommandModel>* out);

// The spec "best" expands to.
std::string BestModelSpec();

}  // namespace memory::learner
