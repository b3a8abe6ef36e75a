// Constructors of the built-in models (internal to learner/; use NewModel() from model.h).
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "learner/model.h"

namespace memory::learner {

std::unique_ptr<NextCommandModel> NewMfuModel();
std::unique_ptr<NextCommandModel> NewMruModel();
std::unique_ptr<NextCommandModel> NewMarkovModel(int order);
// IPAM; a new row starts with the default row's best `copy_limit` entries (see baselines.cpp).
inline constexpr size_t kIpamRowCopy = 64;
std::unique_ptr<NextCommandModel> NewIpamModel(double alpha, size_t copy_limit = kIpamRowCopy);

struct PpmOptions {
  int order = 3;          // longest context (previous commands) used
  double decay = 0.9;     // per-row decay of scores (1 = plain counts), as in IPAM
  double escape = 8.0;    // weight of shorter contexts: lambda = n / (n + escape * distinct)
  double base_decay = 0.9;   // decay of the order-0 row (recency of the whole stream)
  int candidates = 12;    // entries taken from each row as candidates
  int skip = 0;           // 1: also blend the context "command two back" alone (before order 2)
  int features = 0;       // 1: also blend rows keyed by the working directory (before order 1) and
                          // by the previous command with its success or failure (after order 1);
                          // 2: also the session row (SessionKey: session starts, agents' steps)
};
std::unique_ptr<NextCommandModel> NewPpmModel(const PpmOptions& o);

class DecayRow;
// One row of a "ppm" model: slot 0 is the order-0 row (key 0, n 0); slot j in 1..order holds the
// rows of contexts of j commands (key = ContextKey); slot order+1 the skip rows.
struct PpmRowView {
  int slot;
  uint64_t key;
  const DecayRow* scores;
  double n;
};
// Visits every row of `m` when it is a "ppm" model (and sets *options); false otherwise.
bool ForEachPpmRow(const NextCommandModel& m, const std::function<void(const PpmRowView&)>& fn,
                   PpmOptions* options);

struct MixtureOptions {
  double rate = 0.3;      // learning rate of the member weights (multiplicative, on log loss)
  double share = 0.01;    // fixed share: weight mixed back towards uniform after each update
  bool per_context = true;  // weights per previous command (plus a global prior)
  bool eg = false;        // exponentiated-gradient update on the mixture's log loss instead of Bayes
  double select = 0;      // > 0: decay of per-source top-1 accuracy; the first prediction comes from
                          // the source (member or combination) with the best recent top-1 accuracy
  double margin = 0;      // with select: decayed top-1 hits a member must be ahead of the combination
};
std::unique_ptr<NextCommandModel> NewMixtureModel(std::vector<std::unique_ptr<NextCommandModel>> members,
                                                  const MixtureOptions& o);

// "respell(INNER,edits=2,rare=1)": INNER, plus known commands spelt like a rare previous command
// (a typo, then the intended command; see respell.cpp).
struct RespellOptions {
  int edits = 2;  // largest edit distance of a respelling (1 for names under 6 characters)
  int rare = 1;   // the previous command is rare when seen at most this often
};
std::unique_ptr<NextCommandModel> NewRespellModel(std::unique_ptr<NextCommandModel> inner, const RespellOptions& o);

// "calibrate(INNER,prior=50)": INNER with its probabilities mapped to observed rates (an online,
// monotone ListCalibrator; calibration.h). INNER's order and top-k hits are unchanged.
std::unique_ptr<NextCommandModel> NewCalibratedModel(std::unique_ptr<NextCommandModel> inner, double prior);

// "gru(path=FILE)": NotFound / Corruption when the weight file is missing or damaged.
Status NewGruModel(const std::string& path, std::unique_ptr<NextCommandModel>* out);

// Shortest text that reads back as the same double ("0.8", "1e-05").
std::string FormatNumber(double v);

// Keys of the feature rows of "ppm" (features=1): working directory; previous command + failed.
inline uint64_t CwdKey(const Context& ctx) { return (ctx.cwd + 1ULL) * 0xC2B2AE3D27D4EB4FULL + 11; }
inline uint64_t ExitKey(const Context& ctx) {
  return (ctx.prev(1) * 2ULL + (ctx.last_exit != 0)) * 0x165667B19E3779F9ULL + 13;
}

// Key of the session row of "ppm" (features=2), 0 when it does not apply: at the start of a
// session (its first command, or the first after a pause of kSessionPauseUs) the row of
// (actor, working directory) — what this kind of user runs first here; for an agent's later steps
// the row of its step number (1..15, then 16+) — agent runs resemble each other step by step.
inline constexpr int64_t kSessionPauseUs = 30LL * 60 * 1000000;
inline bool IsSessionStart(const Context& ctx) { return ctx.position == 0 || ctx.gap_us > kSessionPauseUs; }
inline uint64_t SessionKey(const Context& ctx) {
  if (IsSessionStart(ctx)) return ((ctx.cwd + 1ULL) * 4 + 2 * ctx.agent + 1) * 0x9FB21C651E98DF25ULL + 17;
  if (ctx.agent) return (std::min<uint32_t>(ctx.position, 16) + 1ULL) * 0xD6E8FEB86659FD93ULL + 19;
  return 0;
}

// Context key of the last `n` commands of `ctx` (n <= history size); never FlatMap64::kEmpty.
// Keys chain: ContextKey(ctx, j) == NextContextKey(ContextKey(ctx, j - 1), ctx.prev(j)), with
// ContextKey(ctx, 0) == kContextKeySeed, so the keys of orders 1..n cost n steps together.
inline constexpr uint64_t kContextKeySeed = 0x9E3779B97F4A7C15ULL;
inline uint64_t NextContextKey(uint64_t key, CommandId older) {  // inline: several per event
  key ^= older + 0x632BE59BD9B4E019ULL + (key << 6) + (key >> 2);
  key *= 0xff51afd7ed558ccdULL;
  return key == UINT64_MAX ? key - 1 : key;  // never FlatMap64::kEmpty
}
inline uint64_t ContextKey(const Context& ctx, int n) {
  uint64_t h = kContextKeySeed;
  for (int i = 1; i <= n; ++i) h = NextContextKey(h, ctx.prev(i));
  return h;
}

}  // namespace memory::learner
