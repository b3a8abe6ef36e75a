// Learned prefetching: a next-access model watches the access sequence and proposes the keys
// likely to come next with a confidence; a PrefetchingCache loads those above a threshold into
// a small prefetch area next to the main policy, so that wrong guesses can only push out other
// guesses, never proven (demanded) entries. A key found in the area is promoted into the main
// policy as if it had been demanded.
//
// Models (NewPredictor specs):
//   "successor"            per key, the key that followed it, with a 2-bit saturating
//                          confidence (a successor is replaced only after it failed twice)
//   "markov(order=3)"      the same per context of the last 1..order keys; the longest context
//                          whose confidence passes the threshold wins
//   every model takes threshold=T (confidence in [0,1] a guess needs to be loaded; default
//   0.25 = any successor seen at least once), degree=D (guesses per access, default 1) and
//   contexts=N (memory bound: past N learned contexts the model forgets all and relearns;
//   default 4,194,304, about 100 MB).
// "none" builds no predictor (out is null). Models built outside cache/ plug in through
// RegisterPredictorFactory: the `memory` binary registers "neural(path=FILE)" (the GRU that
// memory-train trains, served with Eigen) and "intent(MODEL_SPEC)" (any learner next-command
// model), see cli/intent_prefetch.h; cache/ itself cannot depend on learner/. Without such a
// registration "neural" is Unsupported.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache.h"

namespace memory::cache {

struct Prediction {
  Key key;
  double confidence;  // in [0, 1]
};

class Predictor {
 public:
  virtual ~Predictor() = default;
  virtual std::string Name() const = 0;  // canonical spec, round-trips through NewPredictor
  // Records the next access of the sequence.
  virtual void Observe(Key key) = 0;
  // Up to `max` distinct keys predicted to follow the accesses observed so far, best first,
  // each with confidence >= threshold().
  virtual void Predict(size_t max, std::vector<Prediction>* out) const = 0;
  double threshold() const { return threshold_; }
  size_t degree() const { return degree_; }
  // Whether the model can guess before it has observed anything (weights trained beforehand,
  // as the GRU): a prefetch area then starts with its guesses (see PrefetchingCache).
  virtual bool TrainedBeforehand() const { return false; }

 protected:
  Predictor(double threshold, size_t degree) : threshold_(threshold), degree_(degree) {}
  double threshold_;
  size_t degree_;
};

Status NewPredictor(std::string_view spec, std::unique_ptr<Predictor>* out);

// Makes NewPredictor hand every spec named `name` (the text before '(' or the whole spec) to
// `factory`, which gets the whole spec. A registered name takes precedence over the built-in
// models; registering a name again replaces its factory. Thread-safe.
using PredictorFactory =
    std::function<Status(std::string_view spec, std::unique_ptr<Predictor>* out)>;
void RegisterPredictorFactory(const std::string& name, PredictorFactory factory);

// Main policy + prefetch area + predictor. capacity = main + area entries.
//
// The area holds one of two things, whichever serves more misses: the model's guesses, or the
// keys the main policy pushed out last (a victim cache, so that the area's room is not lost
// where the model guesses poorly). Two keys-only shadows of the area, one fed with the guesses
// and one with the victims, see which of them holds each demand miss of the main; a counter
// clamped to [-area, +area] moves up for the guesses' shadow and down for the victims', and the
// area changes use when it reaches the far end (so a switch needs a net lead of up to twice the
// area's size: about what a switch can cost); entries of the other use age out of the area.
// A model that learns along the trace cannot guess at first: the area then starts with victims,
// which cost the main almost nothing where guesses never help (an LRU main with its victims
// behind it is one LRU of the whole capacity), and turns to guesses after a net lead of an eighth
// of the area; where the model predicts well, that lead comes within a few accesses. A model
// trained beforehand (Predictor::TrainedBeforehand) starts with guesses. Starting with guesses
// cost up to 30 hits on reference rows where they never help (web07, zigzag); starting with
// victims a whole area away from guesses cost up to ~1,000 hits (scarab-recs at 100,000 entries).
class FlatMap;  // internal (flat_map.h)

class PrefetchingCache {
 public:
  ~PrefetchingCache();
  // `predictor` may be null (no prefetching; the area then gets no capacity). The area gets
  // max(1, area_fraction * capacity) entries (none when capacity < 2).
  static Status Create(std::string_view policy_spec, size_t capacity,
                       std::unique_ptr<Predictor> predictor, double area_fraction,
                       std::unique_ptr<PrefetchingCache>* out);

  // One demand access; true on a hit (in the main policy or in the prefetch area).
  bool Access(Key key);

  Policy& main() { return *main_; }
  const Policy& main() const { return *main_; }
  const Policy* area() const { return area_.get(); }
  const Predictor* predictor() const { return predictor_.get(); }
  size_t capacity() const { return capacity_; }
  // Totals over both parts: hits, misses, evictions (main), prefetches issued / used, hits on
  // victims kept in the area.
  const CacheStats& stats() const { return stats_; }
  // Whether the area holds the model's guesses now (else the main's victims), and how often it
  // changed use.
  bool area_prefetches() const { return use_prefetch_; }
  uint64_t area_switches() const { return switches_; }
  // Share of would-be misses that a prefetch turned into hits.
  double coverage() const {
    uint64_t d = stats_.prefetches_used + stats_.misses;
    return d ? double(stats_.prefetches_used) / double(d) : 0.0;
  }

 private:
  PrefetchingCache() = default;
  std::unique_ptr<Policy> main_;
  std::unique_ptr<Policy> area_;
  std::unique_ptr<Predictor> predictor_;
  size_t capacity_ = 0;
  CacheStats stats_;
  std::vector<Prediction> guesses_;
  // The area's use and the shadows that score both (see the class comment).
  void LoadIntoArea(Key key, bool guess);
  void Lean(int step);  // +1: a guess would have served a miss, -1: a victim would have
  bool use_prefetch_ = false;
  std::unique_ptr<FlatMap> guessed_;  // keys in the area that were loaded as guesses (the others are victims)
  std::unique_ptr<Policy> guess_shadow_, victim_shadow_;
  int64_t lean_ = 0;  // in [-area, area]; the area changes use at the far end
  uint64_t switches_ = 0;
};

}  // namespace memory::cache
