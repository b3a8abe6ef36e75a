// Contextual-bandit policies, built VW-reduction style from two parts:
//   Learner  : (context features, action features) -> predicted cost of each action
//   Explorer : predicted costs (and, for LinUCB/Thompson, their uncertainty) -> a probability
//              distribution over the actions; it may own extra learners (bagging, cover)
// A Policy joins one of each: it samples an action with its probability and learns from
// (context, action, cost, probability). Costs: lower is better (0 = success, 1 = failure).
//
// Every policy is built from one short string (see MakePolicy):
//     "squarecb(gamma=10)/linear(bits=18)"      explorer "/" learner
//     "egreedy(epsilon=0.05)"                   learner omitted: linear() with its defaults
// Spec() gives the canonical string with every parameter spelled out; MakePolicy(Spec()) builds
// an identical policy. Runs are reproducible: the same spec, seed and data give the same
// choices.
//
// Saved state: Policy::Save writes everything a policy has learned (spec, random state, explorer
// and learner state) as a small versioned binary with a checksum; LoadPolicy rebuilds it so that
// it predicts and chooses exactly as the saved one would have (tests/policies/state_test.cpp).
//
// Thread-safety: none; use one Policy per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace memory::policies {

class StateWriter;  // policies/state_io.h
class StateReader;
class Policy;
Status LoadPolicy(std::string_view bytes, const std::string& name, std::unique_ptr<Policy>* out);

// One sparse feature: an index (already hashed when it came from text) and a value.
struct Feature {
  uint32_t index = 0;
  float value = 0;
};

// One decision problem. Action k is described by action_features[k] when that is given,
// otherwise by the single feature {k, 1} (an action id).
struct Example {
  std::span<const Feature> context;
  int num_actions = 0;
  std::span<const std::vector<Feature>> action_features;  // empty or num_actions entries
};

// Small, fast, reproducible random numbers (splitmix64).
class Rng {
 public:
  // The seed is scrambled so that nearby seeds give unrelated streams (not shifted copies).
  explicit Rng(uint64_t seed) : state_(Mix(Mix(seed) ^ 0x632BE59BD9B4E019ULL)) {}
  // The raw stream position, to save and restore a generator exactly.
  uint64_t state() const { return state_; }
  void set_state(uint64_t s) { state_ = s; }
  uint64_t Next() { return Mix(state_ += 0x9E3779B97F4A7C15ULL); }
  double Uniform() { return (Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Normal();                                         // standard normal
  int Poisson1();                                          // Poisson with mean 1
 private:
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

// Predicts the cost of every action and learns from bandit feedback.
class Learner {
 public:
  virtual ~Learner() = default;
  // costs->size() becomes ex.num_actions.
  virtual void Predict(const Example& ex, std::vector<double>* costs) = 0;
  // One update on the chosen action. `weight` is the importance weight the explorer asks for
  // (e.g. 1/p for importance-weighted regression, a Poisson draw for bagging).
  virtual void Learn(const Example& ex, int action, double cost, double weight) = 0;
  // Standard deviation of each predicted cost (ridge learners). False when not supported.
  virtual bool Widths(const Example& ex, std::vector<double>* widths) { return false; }
  // One draw of every action's cost from the posterior (Thompson). False when not supported.
  virtual bool SampleCosts(const Example& ex, Rng& rng, std::vector<double>* costs) { return false; }
  // True when Widths and SampleCosts work (LinUCB and Thompson need it).
  virtual bool HasUncertainty() const { return false; }
  // A fresh, untrained learner with the same parameters.
  virtual std::unique_ptr<Learner> CloneFresh() const = 0;
  virtual std::string Spec() const = 0;
  // Everything learned so far (the parameters are in Spec()). LoadState expects a fresh learner
  // built from the same Spec(); it returns false on malformed state. Learners that cannot be
  // saved return Unsupported from SaveState (the default).
  virtual Status SaveState(StateWriter& w) const;
  virtual bool LoadState(StateReader& r);
};

// Turns a learner's predictions into a distribution, and decides how the learner is updated.
class Explorer {
 public:
  virtual ~Explorer() = default;
  // probs->size() becomes ex.num_actions; the entries sum to 1.
  virtual void Distribution(const Example& ex, Learner& learner, Rng& rng, std::vector<double>* probs) = 0;
  virtual void Learn(const Example& ex, Learner& learner, int action, double cost, double probability,
                     Rng& rng) = 0;
  virtual std::string Spec() const = 0;
  // Learned state of the explorer itself (round counters, extra learners); none by default.
  // `main` is the policy's learner (extra learners are its fresh clones).
  virtual Status SaveState(StateWriter& w) const;
  virtual bool LoadState(StateReader& r, const Learner& main);
};

struct Choice {
  int action = 0;
  double probability = 1.0;
};

class Policy {
 public:
  Policy(std::unique_ptr<Explorer> explorer, std::unique_ptr<Learner> learner, uint64_t seed);
  // The distribution this policy would sample from now.
  void Distribution(const Example& ex, std::vector<double>* probs);
  // Samples an action. ex.num_actions must be >= 1.
  Choice Choose(const Example& ex);
  // Learns from the outcome of a choice (made by this policy or logged from another one).
  // An action out of range or a probability <= 0 is ignored.
  void Learn(const Example& ex, int action, double cost, double probability);
  // Restarts the random choices from `seed` (e.g. a loaded policy serving many calls).
  void Reseed(uint64_t seed) { rng_ = Rng(seed); }
  // The learner's predicted cost of every action (to rank them, e.g. for a top-K list).
  void PredictCosts(const Example& ex, std::vector<double>* costs);
  // Canonical factory string: "<explorer>/<learner>", every parameter spelled out.
  std::string Spec() const;
  // Appends the saved state to *out (see LoadPolicy). Unsupported for a learner that cannot be
  // saved.
  Status Save(std::string* out) const;

 private:
  friend Status LoadPolicy(std::string_view bytes, const std::string& name, std::unique_ptr<Policy>* out);
  std::unique_ptr<Explorer> explorer_;
  std::unique_ptr<Learner> learner_;
  Rng rng_;
  std::vector<double> probs_;
};

// Builds a policy from its string. Explorers:
//   greedy()                        always the lowest predicted cost
//   egreedy(epsilon=0.05)           ε-greedy
//   efirst(n=100)                   uniform for the first n rounds, then greedy
//   softmax(lambda=10)              p ∝ exp(-lambda · cost)
//   squarecb(gamma=10)              inverse-gap weighting, gamma_t = gamma · sqrt(t) (as VW)
//   bag(n=4)                        online bootstrap over n learners (Poisson(1) weights)
//   cover(n=4,psi=1,epsilon=0.05)   cover (Bietti et al.): n extra learners pushed towards
//                                   actions the others neglect, probability floor
//   linucb(alpha=1)                 optimism: cost − alpha · width; needs widths (ridge, auto,
//                                   or linear's diagonal approximation)
//   thompson(scale=1,draws=32)      posterior sampling (linear-Gaussian); needs widths; the
//                                   reported probability is that of the mixture of `draws`
//                                   posterior samples the action was drawn from
// Learners:
//   linear(bits=18,lr=0.5,interact=1,standardize=1,iw=1,init=0,width_scale=1)  hashed linear
//       model: context, action and context × action features, adaptive normalized updates (like
//       VW's default); init = predicted cost with no data; diagonal widths for LinUCB/Thompson
//   ridge(lambda=1,standardize=1,iw=0,init=0,quadratic=0)  exact ridge regression per action
//       (Eigen) on the dense context (indices < 65536; the first example fixes the dimension);
//       quadratic=1 adds every product x_i x_j (non-linear problems; cost grows as d^4)
//   auto(dense=256,quad=8)  ridge() when the first context has only indices < dense (with
//                     quadratic=1 when d <= quad), else linear(lr=1,init=1,width_scale=0.02) (text)
//   mlp(hidden=32,lr=0.003,seed=1,bits=18,iw=0,init=0,standardize=1,tanh=0,width_scale=1,base=0,text=0)
//       one-hidden-layer network (ReLU, or tanh with tanh=1) over the standardized context
//       (indices >= 65536 hashed into 2^bits rows), one output per action (feature), squared
//       loss, online Adam steps of size lr; for non-linear problems; seed fixes the initial
//       weights; diagonal widths over the last layer for LinUCB/Thompson; base=1: the network
//       learns the residual of auto() (cost = auto's + the network's; widths are auto's),
//       on dense contexts only unless text=1 (hashed text contexts: auto() alone)
// When the learner is omitted: linear() for most explorers, auto() for linucb and thompson.
// Unknown names or parameters, malformed numbers and out-of-range values are InvalidArgument.
// A spec whose linear learners would take more than kMaxPolicyBytes is InvalidArgument.
inline constexpr size_t kMaxPolicyBytes = size_t{4} << 30;
Status MakePolicy(std::string_view spec, uint64_t seed, std::unique_ptr<Policy>* out);
Status MakeLearner(std::string_view spec, std::unique_ptr<Learner>* out);
Status MakeExplorer(std::string_view spec, std::unique_ptr<Explorer>* out);

// Current version of Policy::Save's format; a file of another version is Unsupported.
inline constexpr uint32_t kPolicyStateFormat = 1;

// Rebuilds a saved policy. `name` (e.g. the file path) prefixes error messages. Corruption for a
// bad magic, checksum or truncated state; Unsupported for another format version; InvalidArgument
// when the saved spec is no longer a valid policy (e.g. a learner removed from this build).
Status LoadPolicy(std::string_view bytes, const std::string& name, std::unique_ptr<Policy>* out);

// The recommended default for any problem (`memory eval bandit` without --policy):
// "linucb(alpha=0.3)/auto()".
std::string_view DefaultPolicySpec();

}  // namespace memory::policies
