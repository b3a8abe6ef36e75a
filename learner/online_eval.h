// The standard online protocol for next-command prediction (the one published results use):
// each stream is one user, processed in order; before each command the model ranks its top K,
// then learns the true command; a user's first command is learned but not scored; nothing is
// shared between users except what the pretraining streams taught a population model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "learner/calibration.h"
#include "learner/model.h"
#include "learner/vocabulary.h"
#include "store/event.h"
#include "store/status.h"

namespace memory::learner {

// One user's commands in order, with optional per-command context (same length as `commands`
// when present, else empty).
struct UserStream {
  std::string name;
  std::vector<CommandId> commands;
  std::vector<uint32_t> cwds;       // interned working directories
  std::vector<int32_t> exits;       // exit status (INT32_MIN = unknown)
  std::vector<int64_t> ts_us;       // start times
  std::vector<uint32_t> sessions;   // interned session ids (position restarts per session)
  std::vector<uint8_t> agent;       // 1 = agent session
};

// Interning tables shared by all streams of one evaluation (ids must agree across users so a
// population model's counts mean the same commands).
struct StreamVocabularies {
  Vocabulary commands, cwds, sessions;
};

// A stream from recorded events in the given order: exact command texts (tool name for tool
// calls), with cwd, exit status, time, session and actor kept as context.
UserStream StreamFromEvents(std::string name, const std::vector<Event>& events, StreamVocabularies* v);

inline constexpr int kEvalKs[3] = {1, 3, 5};

struct EvalCounts {
  int64_t events = 0;   // commands read
  int64_t scored = 0;   // commands predicted (all but each user's first)
  int64_t hits[4] = {0, 0, 0, 0};  // hits at 1, 3, 5 and at the requested K
  int64_t novel = 0;    // scored commands never seen before by this user's model
  // Calibration: the first prediction of each list, and every prediction of the top-5 lists.
  ListReliability calibration;
  double Rate(int i) const { return scored ? static_cast<double>(hits[i]) / scored : 0.0; }
};

struct EvalResult {
  std::string model;          // canonical spec
  size_t top_k = 5;
  struct User {
    std::string name;
    EvalCounts counts;
  };
  std::vector<User> users;
  EvalCounts total;           // micro: pooled over users
  double seconds = 0;         // wall time of the online loop (not reading, not pretraining)
  double pretrain_seconds = 0;
  int64_t pretrain_events = 0;
  double Macro(int i) const;  // mean over users of their hit rate
  double Min(int i) const;    // worst user
  double Max(int i) const;    // best user
};

// Runs the protocol with a fresh model built from `spec` per user, or, when `pretrain` is not
// empty, a copy of one model that first learned every pretraining stream (each from an empty
// history). `top_k` >= 1 adds hit@top_k (hits[3]); hit@1/3/5 are always reported.
// `vocab` (may be null) names the commands of the streams' ids (needed by "gru").
// Users run on `jobs` threads (each with its own model); the result does not depend on `jobs`.
// `seconds` is the wall time of the online loop (predict + score + learn of every user, models
// built or cloned included), not reading the streams nor pretraining.
Status EvaluateOnline(const std::string& spec, const std::vector<UserStream>& users,
                      const std::vector<UserStream>& pretrain, size_t top_k, EvalResult* result,
                      const Vocabulary* vocab = nullptr, int jobs = 1);

// Threads `memory eval intent` uses by default: the machine's hardware concurrency.
int DefaultEvalJobs();

}  // namespace memory::learner
