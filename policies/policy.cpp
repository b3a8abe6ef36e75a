#include "policies/policy.h"

#include <cmath>

#include "policies/explorers.h"
#include "policies/learners.h"
#include "policies/spec.h"

namespace memory::policies {

double Rng::Normal() {
  // Box-Muller; one value per call keeps the stream simple and reproducible.
  double u1 = Uniform();
  double u2 = Uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

int Rng::Poisson1() {
  // Knuth's method for mean 1.
  double limit = 0.36787944117144233, p = 1.0;
  int k = 0;
  do {
    ++k;
    p *= Uniform();
  } while (p > limit);
  return k - 1;
}

Policy::Policy(std::unique_ptr<Explorer> explorer, std::unique_ptr<Learner> learner, uint64_t seed)
    : explorer_(std::move(explorer)), learner_(std::move(learner)), rng_(seed) {}

void Policy::Distribution(const Example& ex, std::vector<double>* probs) {
  explorer_->Distribution(ex, *learner_, rng_, probs);
}

Choice Policy::Choose(const Example& ex) {
  Distribution(ex, &probs_);
  double u = rng_.Uniform();
  int last = 0;
  for (int a = 0; a < ex.num_actions; ++a) {
    if (probs_[a] <= 0) continue;
    last = a;
    u -= probs_[a];
    if (u < 0) return {a, probs_[a]};
  }
  return {last, probs_[last]};  // rounding: the last action with mass
}

void Policy::Learn(const Example& ex, int action, double cost, double probability) {
  if (action < 0 || action >= ex.num_actions || !(probability > 0)) return;
  explorer_->Learn(ex, *learner_, action, cost, probability, rng_);
}

void Policy::PredictCosts(const Example& ex, std::vector<double>* costs) { learner_->Predict(ex, costs); }

std::string Policy::Spec() const { return explorer_->Spec() + "/" + learner_->Spec(); }

std::string_view DefaultPolicySpec() { return "linucb(alpha=0.3)/auto()"; }

namespace {
constexpr double kBig = 1e12;

// What auto() uses: tuned on ../shared/cb-data and NL2Bash (see bench/results/bandit.md).
RidgeOptions AutoRidgeOptions() { return RidgeOptions(); }
LinearOptions AutoLinearOptions() {
  LinearOptions o;
  o.lr = 1;
  o.init = 1;            // pessimistic: an action never seen to succeed is not preferred
  o.width_scale = 0.02;  // diagonal widths are larger than exact ridge widths
  return o;
}

Status LearnerFromTerm(SpecTerm& t, std::unique_ptr<Learner>* out) {
  if (t.name() == "linear") {
    LinearOptions o;
    long bits, interact, standardize, iw;
    MEMORY_RETURN_IF_ERROR(t.GetInt("bits", o.bits, 4, 28, &bits));
    MEMORY_RETURN_IF_ERROR(t.GetDouble("lr", o.lr, 1e-9, 1e6, &o.lr));
    MEMORY_RETURN_IF_ERROR(t.GetInt("interact", 1, 0, 1, &interact));
    MEMORY_RETURN_IF_ERROR(t.GetInt("standardize", 1, 0, 1, &standardize));
    MEMORY_RETURN_IF_ERROR(t.GetInt("iw", 1, 0, 1, &iw));
    MEMORY_RETURN_IF_ERROR(t.GetDouble("init", 0, -kBig, kBig, &o.init));
    MEMORY_RETURN_IF_ERROR(t.GetDouble("width_scale", 1, 0, kBig, &o.width_scale));
    MEMORY_RETURN_IF_ERROR(t.CheckAllUsed());
    o.bits = static_cast<int>(bits);
    o.interact = interact;
    o.standardize = standardize;
    o.importance = iw;
    *out = std::make_unique<LinearLearner>(o);
    return Status::OK();
  }
  if (t.name() == "ridge") {
    RidgeOptions o;
    long standardize, iw, quadratic;
    MEMORY_RETURN_IF_ERROR(t.GetDouble("lambda", o.lambda, 1e-9, kBig, &o.lambda));
    MEMORY_RETURN_IF_ERROR(t.GetInt("quadratic", 0, 0, 1, &quadratic));
    o.quadratic = quadratic;
    MEMORY_RETURN_IF_ERROR(t.GetInt("standardize", 1, 0, 1, &standardize));
    MEMORY_RETURN_IF_ERROR(t.GetInt("iw", 0, 0, 1, &iw));
    MEMORY_RETURN_IF_ERROR(t.GetDouble("init", 0, -kBig, kBig, &o.init));
    MEMORY_RETURN_IF_ERROR(t.CheckAllUsed());
    o.standardize = standardize;
    o.importance = iw;
    *out = std::make_unique<RidgeLearner>(o);
    return Status::OK();
  }
  if (t.name() == "auto") {
    long dense, quad;
    MEMORY_RETURN_IF_ERROR(t.GetInt("dense", 256, 0, 4096, &dense));
    MEMORY_RETURN_IF_ERROR(t.GetInt("quad", 8, 0, 64, &quad));
    MEMORY_RETURN_IF_ERROR(t.CheckAllUsed());
    *out = std::make_unique<AutoLearner>(static_cast<int>(dense), static_cast<int>(quad), AutoRidgeOptions(),
                                         AutoLinearOptions());
    return Status::OK();
  }
  if (t.name() == "mlp") {
    MlpOptions o;
    long hidden, seed, bits, iw, standardize, tanh, base, text;
    MEMORY_RETURN_IF_ERROR(t.GetInt("hidden", o.hidden, 1, 4096, &hidden));
    MEMORY_RETURN_IF_ERROR(t.GetDouble("lr", o.lr, 1e-9, 10, &o.lr));
    MEMORY_RETURN_IF_ERROR(t.GetInt("seed", 1, 0, 1L << 62, &seed));
    MEMORY_RETURN_IF_ERROR(t.GetInt("bits", o.bits, 4, 24, &bits));
    MEMORY_RETURN_IF_ERROR(t.GetInt("iw", o.importance ? 1 : 0, 0, 1, &iw));
    MEMORY_RETURN_IF_ERROR(t.GetDouble("init", o.init, -kBig, kBig, &o.init));
    MEMORY_RETURN_IF_ERROR(t.GetInt("standardize", 1, 0, 1, &standardize));
    MEMORY_RETURN_IF_ERROR(t.GetInt("tanh", o.tanh ? 1 : 0, 0, 1, &tanh));
    MEMORY_RETURN_IF_ERROR(t.GetDouble("width_scale", o.width_scale, 0, kBig, &o.width_scale));
    MEMORY_RETURN_IF_ERROR(t.GetInt("base", 0, 0, 1, &base));
    MEMORY_RETURN_IF_ERROR(t.GetInt("text", 0, 0, 1, &text));
    MEMORY_RETURN_IF_ERROR(t.CheckAllUsed());
    o.base = base;
    o.text = text;
    o.hidden = static_cast<int>(hidden);
    o.seed = static_cast<uint64_t>(seed);
    o.bits = static_cast<int>(bits);
    o.importance = iw;
    o.standardize = standardize;
    o.tanh = tanh;
    std::unique_ptr<Learner> base_learner;
    if (o.base) base_learner = std::make_unique<AutoLearner>(256, 8, AutoRidgeOptions(), AutoLinearOptions());
    *out = std::make_unique<MlpLearner>(o, std::move(base_learner));
    return Status::OK();
  }
  return Status::InvalidArgument("unknown learner '" + t.name() + "' (known: linear, ridge, auto, mlp)");
}

Status ExplorerFromTerm(SpecTerm& t, std::unique_ptr<Explorer>* out) {
  const std::string& n = t.name();
  if (n == "greedy") {
    *out = std::make_unique<GreedyExplorer>();
  } else if (n == "egreedy") {
    double e;
    MEMORY_RETURN_IF_ERROR(t.GetDouble("epsilon", 0.05, 0, 1, &e));
    *out = std::make_unique<EpsilonGreedyExplorer>(e);
  } else if (n == "efirst") {
    long k;
    MEMORY_RETURN_IF_ERROR(t.GetInt("n", 100, 0, 1L << 40, &k));
    *out = std::make_unique<EpsilonFirstExplorer>(k);
  } else if (n == "softmax") {
    double l;
    MEMORY_RETURN_IF_ERROR(t.GetDouble("lambda", 10, 0, 1e6, &l));
    *out = std::make_unique<SoftmaxExplorer>(l);
  } else if (n == "squarecb") {
    double g;
    MEMORY_RETURN_IF_ERROR(t.GetDouble("gamma", 10, 0, 1e9, &g));
    *out = std::make_unique<SquareCbExplorer>(g);
  } else if (n == "bag") {
    long k;
    MEMORY_RETURN_IF_ERROR(t.GetInt("n", 4, 1, 256, &k));
    *out = std::make_unique<BagExplorer>(k);
  } else if (n == "cover") {
    long k;
    double psi, eps;
    MEMORY_RETURN_IF_ERROR(t.GetInt("n", 4, 1, 256, &k));
    MEMORY_RETURN_IF_ERROR(t.GetDouble("psi", 1, 0, 1e6, &psi));
    MEMORY_RETURN_IF_ERROR(t.GetDouble("epsilon", 0.05, 0, 1, &eps));
    *out = std::make_unique<CoverExplorer>(k, psi, eps);
  } else if (n == "linucb") {
    double a;
    MEMORY_RETURN_IF_ERROR(t.GetDouble("alpha", 1, 0, 1e6, &a));
    *out = std::make_unique<LinUcbExplorer>(a);
  } else if (n == "thompson") {
    double s;
    long d;
    MEMORY_RETURN_IF_ERROR(t.GetDouble("scale", 1, 0, 1e6, &s));
    MEMORY_RETURN_IF_ERROR(t.GetInt("draws", 32, 1, 1 << 20, &d));
    *out = std::make_unique<ThompsonExplorer>(s, d);
  } else {
    return Status::InvalidArgument("unknown exploration strategy '" + n +
                                   "' (known: greedy, egreedy, efirst, softmax, squarecb, bag, cover, linucb, thompson)");
  }
  return t.CheckAllUsed();
}
// A linear learner allocates its 2^bits weights (16 bytes each with their update state) at
// once, and bag and cover keep n or n + 1 learners: bag(n=256)/linear(bits=28) asked for 1 TiB and
// ended in bad_alloc or the OOM killer. Refused up front instead.
Status CheckPolicyMemory(std::string_view spec, SpecTerm explorer, const std::string& learner_spec) {
  SpecTerm lt;
  if (!SpecTerm::Parse(learner_spec, &lt).ok() || lt.name() != "linear") return Status::OK();
  long bits = 0, n = 0, copies = 1;
  if (!lt.GetInt("bits", LinearOptions().bits, 4, 28, &bits).ok()) return Status::OK();  // reported later
  if (explorer.name() == "bag" && explorer.GetInt("n", 4, 1, 256, &n).ok()) copies = n;        // main + n - 1
  if (explorer.name() == "cover" && explorer.GetInt("n", 4, 1, 256, &n).ok()) copies = n + 1;  // main + n
  const double bytes = double(copies) * 16.0 * double(uint64_t{1} << bits);
  if (bytes <= double(kMaxPolicyBytes)) return Status::OK();
  return Status::InvalidArgument("policy '" + std::string(spec) + "' needs " + std::to_string(copies) +
                                 " linear learners of 2^" + std::to_string(bits) + " weights, " +
                                 std::to_string(static_cast<long long>(bytes / (1 << 20))) +
                                 " MiB (at most " + std::to_string(kMaxPolicyBytes >> 20) +
                                 " MiB): lower bits or n");
}
}  // namespace

Status MakeLearner(std::string_view spec, std::unique_ptr<Learner>* out) {
  SpecTerm t;
  MEMORY_RETURN_IF_ERROR(SpecTerm::Parse(spec, &t));
  return LearnerFromTerm(t, out);
}

Status MakeExplorer(std::string_view spec, std::unique_ptr<Explorer>* out) {
  SpecTerm t;
  MEMORY_RETURN_IF_ERROR(SpecTerm::Parse(spec, &t));
  return ExplorerFromTerm(t, out);
}

Status MakePolicy(std::string_view spec, uint64_t seed, std::unique_ptr<Policy>* out) {
  std::vector<std::string> parts = SplitSpec(spec);
  if (parts.size() > 2)
    return Status::InvalidArgument("bad policy spec '" + std::string(spec) +
                                   "': expected explorer/learner, e.g. squarecb(gamma=10)/linear(bits=18)");
  std::unique_ptr<Explorer> explorer;
  MEMORY_RETURN_IF_ERROR(MakeExplorer(parts[0], &explorer));
  SpecTerm et;
  MEMORY_RETURN_IF_ERROR(SpecTerm::Parse(parts[0], &et));
  bool needs_uncertainty = et.name() == "linucb" || et.name() == "thompson";
  // LinUCB and Thompson default to auto(): exact ridge on small dense inputs, hashed otherwise.
  const std::string learner_spec = parts.size() == 2 ? parts[1] : (needs_uncertainty ? "auto" : "linear");
  MEMORY_RETURN_IF_ERROR(CheckPolicyMemory(spec, et, learner_spec));
  std::unique_ptr<Learner> learner;
  MEMORY_RETURN_IF_ERROR(MakeLearner(learner_spec, &learner));
  if (needs_uncertainty && !learner->HasUncertainty())
    return Status::InvalidArgument("bad policy spec '" + std::string(spec) + "': " + et.name() +
                                   " needs a learner with uncertainty (ridge)");
  *out = std::make_unique<Policy>(std::move(explorer), std::move(learner), seed);
  return Status::OK();
}

}  // namespace memory::policies
