#include "policies/cb_eval.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "policies/explorers.h"
#include "policies/policy.h"
#include "policies/spec.h"

namespace memory::policies {
namespace {
// Index of the action feature "the action's name occurs in the description" (NL2Bash).
constexpr uint32_t kMentionFeature = 0x7FFFFFF1u;

// Presents the rows of a data set as Examples.
class RowView {
 public:
  explicit RowView(const env::CbDataset& d) : d_(d) {
    if (!d.mentioned.empty()) {
      action_features_.resize(d.num_actions);
      for (int a = 0; a < d.num_actions; ++a) action_features_[a] = {{static_cast<uint32_t>(a), 1.0f}};
    }
  }
  Example Row(size_t i) {
    for (int a : last_mentioned_) action_features_[a].pop_back();
    last_mentioned_.clear();
    Example ex;
    const auto* begin = reinterpret_cast<const Feature*>(d_.features.data() + d_.row_begin[i]);
    ex.context = std::span<const Feature>(begin, d_.row_begin[i + 1] - d_.row_begin[i]);
    ex.num_actions = d_.num_actions;
    if (!action_features_.empty()) {
      for (int a : d_.mentioned[i]) {
        action_features_[a].push_back({kMentionFeature, 1.0f});
        last_mentioned_.push_back(a);
      }
      ex.action_features = action_features_;
    }
    return ex;
  }

 private:
  const env::CbDataset& d_;
  std::vector<std::vector<Feature>> action_features_;
  std::vector<int> last_mentioned_;
};
static_assert(sizeof(Feature) == sizeof(env::CbFeature));
}  // namespace

Status RunCbEval(const env::CbDataset& data, const CbEvalOptions& options, CbEvalResult* result) {
  *result = CbEvalResult();
  std::string spec = options.policy.empty() ? std::string(DefaultPolicySpec()) : options.policy;
  std::unique_ptr<Policy> policy;
  MEMORY_RETURN_IF_ERROR(MakePolicy(spec, options.seed, &policy));
  result->policy = policy->Spec();
  result->examples = data.rows();
  result->actions = data.num_actions;
  if (data.rows() == 0 || data.num_actions < 1) return Status::InvalidArgument("empty data set");

  RowView view(data);
  double total_cost = 0, total_p = 0;
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < data.rows(); ++i) {
    Example ex = view.Row(i);
    Choice c = policy->Choose(ex);
    double cost = c.action == data.labels[i] ? 0.0 : 1.0;
    total_cost += cost;
    total_p += c.probability;
    policy->Learn(ex, c.action, cost, c.probability);
  }
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result->pv_loss = total_cost / data.rows();
  result->mean_probability = total_p / data.rows();
  result->examples_per_s = data.rows() / std::max(result->seconds, 1e-9);

  if (options.supervised) {
    std::vector<std::string> parts = SplitSpec(result->policy);
    std::unique_ptr<Learner> learner;
    MEMORY_RETURN_IF_ERROR(MakeLearner(parts.back(), &learner));
    RowView sv(data);
    std::vector<double> costs, probs;
    double loss = 0;
    for (size_t i = 0; i < data.rows(); ++i) {
      Example ex = sv.Row(i);
      learner->Predict(ex, &costs);
      GreedyDistribution(costs, &probs);
      loss += 1.0 - probs[data.labels[i]];  // expected cost of greedy with random tie-breaking
      for (int a = 0; a < data.num_actions; ++a) learner->Learn(ex, a, a == data.labels[i] ? 0.0 : 1.0, 1.0);
    }
    result->supervised_loss = loss / data.rows();
  }
  return Status::OK();
}

}  // namespace memory::policies
