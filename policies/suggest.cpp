#include "policies/suggest.h"

#include <algorithm>
#include <map>
#include <memory>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "env/cb_data.h"
#include "policies/decision_log.h"
#include "policies/policy.h"

namespace memory::policies {
namespace {
constexpr uint32_t kMentionFeature = 0x7FFFFFF1u;

bool HasTag(const Event& e, const char* tag) { return std::find(e.tags.begin(), e.tags.end(), tag) != e.tags.end(); }

using env::LowerWords;

// Builds examples over a fixed tool list.
class Problem {
 public:
  explicit Problem(const std::vector<std::string>& tools) : tools_(tools) {
    base_.resize(tools.size());
    for (size_t a = 0; a < tools.size(); ++a) base_[a] = {{env::HashToken("tool " + tools[a]), 1.0f}};
    for (size_t a = 0; a < tools.size(); ++a) by_name_[tools[a]] = static_cast<int>(a);
  }
  Example Make(const std::string& text, const std::string& cwd) {
    ctx_.clear();
    std::vector<std::string> w = LowerWords(text);
    for (size_t i = 0; i < w.size(); ++i) {
      ctx_.push_back({env::HashToken(w[i]), 1.0f});
      if (i + 1 < w.size()) ctx_.push_back({env::HashToken(w[i] + " " + w[i + 1]), 1.0f});
    }
    if (!cwd.empty()) ctx_.push_back({env::HashToken("cwd " + cwd), 1.0f});
    actions_ = base_;
    for (const auto& word : w) {
      auto it = by_name_.find(word);
      if (it != by_name_.end() && actions_[it->second].size() == 1) actions_[it->second].push_back({kMentionFeature, 1.0f});
    }
    Example ex;
    ex.context = ctx_;
    ex.num_actions = static_cast<int>(tools_.size());
    ex.action_features = actions_;
    return ex;
  }
  int Index(const std::string& tool) const {
    auto it = by_name_.find(tool);
    return it == by_name_.end() ? -1 : it->second;
  }

 private:
  const std::vector<std::string>& tools_;
  std::vector<std::vector<Feature>> base_, actions_;
  std::vector<Feature> ctx_;
  std::unordered_map<std::string, int> by_name_;
};

struct PendingSuggestion {
  std::string task, cwd, action;
  double probability = 1;
  int64_t ts_us = 0;
  std::optional<double> reward;  // explicit, else implicit
  bool seen_run = false, seen_success = false;
};
}  // namespace

std::string ToolOf(const std::string& command) {
  size_t pos = 0;
  while (true) {
    size_t b = command.find_first_not_of(" \t", pos);
    if (b == std::string::npos) return "";
    size_t e = command.find_first_of(" \t", b);
    std::string word = command.substr(b, e == std::string::npos ? std::string::npos : e - b);
    if (word.find('=') != std::string::npos && word.find('=') > 0 && e != std::string::npos) {
      pos = e;  // VAR=value prefix
      continue;
    }
    size_t slash = word.rfind('/');
    if (slash != std::string::npos && slash + 1 < word.size()) word = word.substr(slash + 1);
    return word;
  }
}

Status Suggest(const std::vector<Event>& events, const std::string& task, const std::string& cwd,
               const SuggestOptions& options, SuggestResult* result) {
  *result = SuggestResult();
  if (LowerWords(task).empty()) return Status::InvalidArgument("suggest: --task needs at least one word");
  std::unique_ptr<Policy> policy;
  MEMORY_RETURN_IF_ERROR(MakePolicy(options.policy.empty() ? SuggestOptions::DefaultSpec() : options.policy,
                                    options.seed, &policy));
  result->policy = policy->Spec();

  // Tools by use, with their most frequent command line.
  std::map<std::string, size_t> uses;
  std::map<std::string, std::map<std::string, size_t>> lines;
  for (const Event& e : events) {
    if (e.decision || e.kind != EventKind::kShell) continue;
    std::string tool = ToolOf(e.command);
    if (tool.empty()) continue;
    ++uses[tool];
    ++lines[tool][e.command];
  }
  if (uses.empty()) return Status::NotFound("suggest: no recorded commands yet (record some with the shell hook or `memory run`)");
  std::vector<std::pair<size_t, std::string>> ranked;
  for (auto& [t, n] : uses) ranked.emplace_back(n, t);
  std::sort(ranked.begin(), ranked.end(), [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  if (ranked.size() > options.max_tools) ranked.resize(options.max_tools);
  std::vector<std::string>& tools = result->action_set;
  for (auto& [n, t] : ranked) tools.push_back(t);
  Problem problem(tools);
  Rng rng(options.seed ^ 0x5u);

  // Explicit rewards by decision id.
  std::map<std::string, double> explicit_reward;
  for (const Event& e : events)
    if (e.decision && HasTag(e, kRewardTag) && e.decision->reward) explicit_reward[e.decision->decision_id] = *e.decision->reward;

  auto learn_suggestion = [&](const PendingSuggestion& s) {
    int a = problem.Index(s.action);
    if (a < 0) return;
    double reward = s.reward ? *s.reward : (s.seen_success ? 1.0 : (s.seen_run ? 0.5 : 0.0));
    Example ex = problem.Make(s.task, s.cwd);
    policy->Learn(ex, a, 1.0 - reward, s.probability);
    ++result->learned_suggestions;
  };
  std::vector<PendingSuggestion> pending;
  for (const Event& e : events) {
    // Suggestions whose window has closed are learned from, in time order.
    while (!pending.empty() && e.ts_us - pending.front().ts_us > options.window_us) {
      learn_suggestion(pending.front());
      pending.erase(pending.begin());
    }
    if (e.decision && HasTag(e, kSuggestTag)) {
      PendingSuggestion s;
      auto j = nlohmann::json::parse(e.params_json, nullptr, false);
      if (j.is_object() && j.contains("task") && j["task"].is_string()) s.task = j["task"].get<std::string>();
      s.cwd = e.cwd;
      s.action = e.decision->action;
      s.probability = e.decision->probability > 0 ? e.decision->probability : 1;
      s.ts_us = e.ts_us;
      auto it = explicit_reward.find(e.decision->decision_id);
      if (it != explicit_reward.end()) s.reward = it->second;
      if (!s.task.empty()) pending.push_back(std::move(s));
      continue;
    }
    if (e.decision || e.kind != EventKind::kShell) continue;
    std::string tool = ToolOf(e.command);
    for (auto& s : pending)
      if (s.cwd == e.cwd && s.action == tool) {
        s.seen_run = true;
        if (!e.failed()) s.seen_success = true;
      }
    int a = problem.Index(tool);
    if (a < 0) continue;
    // The command as its own description: its words point to its tool.
    Example ex = problem.Make(e.command, e.cwd);
    policy->Learn(ex, a, 0.0, 1.0);
    if (tools.size() > 1) {
      int other = static_cast<int>(rng.Uniform() * (tools.size() - 1));
      if (other >= a) ++other;
      policy->Learn(ex, other, 1.0, 1.0);
    }
    ++result->learned_commands;
  }
  for (const auto& s : pending)
    if (options.now_us == 0 || s.reward || s.seen_run || options.now_us - s.ts_us > options.window_us)
      learn_suggestion(s);

  // Suggest for the task now.
  Example ex = problem.Make(task, cwd);
  Choice c = policy->Choose(ex);
  result->chosen = tools[c.action];
  result->probability = c.probability;
  std::vector<double> costs;
  policy->PredictCosts(ex, &costs);
  std::vector<int> order(tools.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return costs[x] < costs[y]; });
  auto add = [&](int a) {
    Suggestion s;
    s.tool = tools[a];
    auto& m = lines[s.tool];
    size_t best = 0;
    for (auto& [line, n] : m)
      if (n > best) {
        best = n;
        s.example = line;
      }
    s.cost = costs[a];
    result->items.push_back(std::move(s));
  };
  add(c.action);
  for (int a : order) {
    if (result->items.size() >= options.top) break;
    if (a != c.action) add(a);
  }
  return Status::OK();
}

}  // namespace memory::policies
