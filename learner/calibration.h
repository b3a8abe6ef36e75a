// Calibration of next-command probabilities: a command listed with probability p should come
// next about a share p of the times. ReliabilityTable measures it (the evaluation's ECE);
// Calibrator learns a monotone map from a model's probabilities to observed rates, which the
// "calibrate(MODEL)" model and the served intent snapshot apply. The map never decreases, so a
// calibrated list keeps the model's order (and its top-k hits) exactly.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "learner/model.h"
#include "store/status.h"

namespace memory::learner {

// Listed predictions counted by probability, in kBins equal-width bins over [0, 1].
struct ReliabilityTable {
  static constexpr int kBins = 10;
  int64_t n[kBins] = {};
  double prob[kBins] = {};  // sum of the listed probabilities
  int64_t hits[kBins] = {}; // how many came true

  static int BinOf(double p) {
    int b = static_cast<int>(p * kBins);
    return b < 0 ? 0 : (b >= kBins ? kBins - 1 : b);
  }
  void Add(double p, bool hit) {
    const int b = BinOf(p);
    ++n[b];
    prob[b] += p;
    hits[b] += hit;
  }
  void Merge(const ReliabilityTable& o);
  int64_t total() const;
  // Expected calibration error: sum over bins of |sum of probabilities - hits|, over all listed
  // predictions (0 when empty or perfectly calibrated per bin).
  double Ece() const;
  double MeanProb() const;  // mean listed probability
  double HitRate() const;   // share of listed predictions that came true
};

// The reliability of ranked lists: `first` counts the first prediction of each list, `listed`
// every prediction of the first kListed.
struct ListReliability {
  static constexpr size_t kListed = 5;
  ReliabilityTable first, listed;
  // A list shown (best first) and the rank of what came (>= list.size(): not listed).
  void Add(std::span<const Prediction> list, size_t rank) {
    for (size_t r = 0; r < list.size() && r < kListed; ++r) {
      if (r == 0) first.Add(list[r].prob, rank == 0);
      listed.Add(list[r].prob, r == rank);
    }
  }
  void Merge(const ListReliability& o) {
    first.Merge(o.first);
    listed.Merge(o.listed);
  }
};

// An online, monotone (non-decreasing) map from a model's probability to the rate at which such
// predictions come true. Observations are counted in kBins bins of the raw probability (narrower
// near 0, where most listed probabilities fall: bin = floor(sqrt(p) * kBins)); each bin's rate is
// shrunk towards its own raw probabilities by `prior` pseudo-observations (so with no evidence the
// map is the identity), and the bins' rates are made non-decreasing by pool-adjacent-violators.
// Map() interpolates linearly between the bins' points, from (0, 0) to (1, 1).
class Calibrator {
 public:
  static constexpr int kBins = 24;
  struct Knot {
    double x, y;
  };

  explicit Calibrator(double prior = 50) : prior_(prior) { IndexKnots(); }

  // A listed prediction with raw probability p came true (hit) or not; it counts `weight` times.
  void Observe(double p, bool hit, double weight = 1);
  // Recomputes the map from the observations so far (cheap: kBins bins), each counted as its
  // weight divided by `unit` (what a forgetting ListCalibrator's newest observation weighs).
  void Fit(double unit = 1);
  // Multiplies every observation's weight by f (keeps growing weights finite).
  void Scale(double f);
  // The calibrated probability of raw probability p, in [0, 1].
  double Map(double p) const;
  // The fitted map: kBins + 2 knots, increasing in x and non-decreasing in y, from (0, 0) to (1, 1).
  const std::vector<Knot>& knots() const { return knots_; }
  // A calibrator that maps with `knots` (as written by knots(); validated by ValidKnots).
  static Calibrator FromKnots(std::vector<Knot> knots);
  // True when `knots` is a map Map() can use: at least 2 knots from (0, 0) to (1, 1), x strictly
  // increasing, y non-decreasing and within [0, 1].
  static bool ValidKnots(const std::vector<Knot>& knots);
  int64_t observations() const { return observed_; }
  double prior() const { return prior_; }

 private:
  static int BinOf(double p);
  void IndexKnots();  // fills first_knot_
  double prior_;
  int64_t observed_ = 0;
  double n_[kBins] = {};
  double prob_[kBins] = {};
  double hits_[kBins] = {};
  std::vector<Knot> knots_ = {{0, 0}, {1, 1}};  // identity until fitted
  // Per bin b: the first knot with x >= the bin's lower edge (b / kBins)^2, so Map looks at one
  // or two knots instead of searching them all.
  uint8_t first_knot_[kBins] = {};
};

// The calibration of ranked lists: a model's first prediction comes true more often than its
// other predictions of the same probability, so it has a map of its own; the others share one
// (on Purdue, Schonlau and simulated histories this halves the first prediction's ECE against
// one shared map; bench/results/calibration.md). Apply keeps the list's order.
class ListCalibrator {
 public:
  // With `half_life` > 0 the maps forget: a list observed half_life lists ago counts half as
  // much as the newest one.
  explicit ListCalibrator(double prior = 50, double half_life = 0)
      : first_(prior), rest_(prior), growth_(half_life > 0 ? std::exp2(1.0 / half_life) : 1.0) {}
  ListCalibrator(Calibrator first, Calibrator rest) : first_(std::move(first)), rest_(std::move(rest)) {}

  // `list` (raw probabilities, best first) was shown before `actual` came.
  void Observe(std::span<const Prediction> list, CommandId actual) {
    for (size_t i = 0; i < list.size(); ++i)
      (i == 0 ? first_ : rest_).Observe(list[i].prob, list[i].command == actual, weight_);
    Age();
  }
  // The same, for a list whose items have no command ids: what came was listed at `rank`
  // (>= list.size(): not listed).
  void ObserveRank(std::span<const Prediction> list, size_t rank) {
    for (size_t i = 0; i < list.size(); ++i) (i == 0 ? first_ : rest_).Observe(list[i].prob, i == rank, weight_);
    Age();
  }
  void Fit() {
    first_.Fit(weight_);
    rest_.Fit(weight_);
  }
  // The calibrated probability of the prediction at `rank` (0 = first) with raw probability p.
  double Map(double p, size_t rank) const { return rank == 0 ? first_.Map(p) : rest_.Map(p); }
  // Maps a list in place; a later prediction never shows a higher probability than an earlier one.
  void Apply(std::vector<Prediction>* list) const {
    for (size_t i = 0; i < list->size(); ++i) {
      double p = Map((*list)[i].prob, i);
      (*list)[i].prob = i > 0 ? std::min(p, (*list)[i - 1].prob) : p;
    }
  }
  const Calibrator& first() const { return first_; }
  const Calibrator& rest() const { return rest_; }
  double prior() const { return first_.prior(); }

 private:
  // Forgetting: the next list's weight grows by growth_ per list (older ones count relatively
  // less); rescaled before it overflows.
  void Age() {
    if (growth_ == 1.0) return;
    weight_ *= growth_;
    if (weight_ > 1e100) {
      first_.Scale(1 / weight_);
      rest_.Scale(1 / weight_);
      weight_ = 1;
    }
  }
  Calibrator first_, rest_;
  double growth_ = 1.0;
  double weight_ = 1.0;
};

// A ListCalibrator's two maps in a small text file ("MEMCAL01", then per map "first N" / "rest N"
// and N lines "x y"), how a GRU version keeps the calibration `memory train` fitted for it.
// Save writes a temporary file and renames it. Load: NotFound when the file is missing,
// Corruption when it is malformed or a map is not one Calibrator::ValidKnots accepts.
Status SaveListCalibrator(const ListCalibrator& c, const std::string& path);
Status LoadListCalibrator(const std::string& path, ListCalibrator* out);

}  // namespace memory::learner
