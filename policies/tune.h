// Parameter tuning with a contextual bandit (`memory tune`): each combination of parameter
// values is an action; the context is the machine load; the cost of a run is its duration
// relative to the median successful run (3 for a failure). The learner state is never stored:
// it is rebuilt by replaying the logged runs, so the store's log is the only truth.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policies/policy.h"
#include "store/status.h"

namespace memory::policies {

struct TuneParam {
  std::string name;
  std::vector<std::string> values;
};

// "jobs=1,2,4,8" -> {jobs, [1,2,4,8]}. InvalidArgument for a missing name, '=', or value,
// a bad name (letters, digits, '_'), or a repeated value.
Status ParseTuneParam(std::string_view text, TuneParam* out);

// Every combination, in odometer order (the last parameter changes fastest). InvalidArgument
// when two parameters share a name or there are more than `max_actions` combinations.
Status TuneActions(const std::vector<TuneParam>& params, size_t max_actions,
                   std::vector<std::map<std::string, std::string>>* actions);
// "jobs=4,threads=2" (parameters in the order given).
std::string TuneActionName(const std::vector<TuneParam>& params, const std::map<std::string, std::string>& values);

// Replaces every {name} in each word. InvalidArgument naming an unknown {name}, and when a
// parameter is never used by the template.
Status ExpandTemplate(const std::vector<std::string>& words, const std::map<std::string, std::string>& values,
                      std::vector<std::string>* out);

struct TuneRun {
  int action = 0;
  double probability = 1;
  double load = 0;          // 1-minute load average per CPU when the run started
  bool failed = false;      // non-zero exit, killed, or could not start
  double seconds = 0;       // wall time
};

constexpr double kTuneFailureCost = 3.0;
// Median wall time of the successful runs (1 when there is none).
double ReferenceSeconds(const std::vector<TuneRun>& runs);
double TuneCost(const TuneRun& run, double reference_seconds);

struct TuneActionSummary {
  std::string name;
  int runs = 0, failures = 0;
  double mean_seconds = 0;      // over successful runs
  double mean_cost = 0;         // observed mean cost (relative duration, 3 per failure)
  double probability = 0;       // of being chosen now
};

class Tuner {
 public:
  // `spec` "" = "squarecb(gamma=10)/ridge()"; `seed` makes the choice reproducible.
  static Status Create(const std::string& spec, int num_actions, uint64_t seed, std::unique_ptr<Tuner>* out);
  static std::string_view DefaultSpec() { return "squarecb(gamma=10)/ridge()"; }
  // Learns from logged runs (in time order). Runs with an action out of range are skipped.
  void Replay(const std::vector<TuneRun>& runs);
  Choice Choose(double load);
  void Distribution(double load, std::vector<double>* probs);
  std::string Spec() const { return policy_->Spec(); }
  std::vector<TuneActionSummary> Summarize(const std::vector<TuneRun>& runs, const std::vector<std::string>& names,
                                           double load);

 private:
  Tuner(std::unique_ptr<Policy> p, int k) : policy_(std::move(p)), k_(k) {}
  Example Context(double load);
  std::unique_ptr<Policy> policy_;
  int k_;
  std::vector<Feature> ctx_;
};

}  // namespace memory::policies
