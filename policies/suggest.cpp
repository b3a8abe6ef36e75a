#include "policies/suggest.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "env/cb_data.h"
#include "policies/decision_log.h"
#include "policies/policy.h"

namespace memory::policies {
namespace {
constexpr uint32_t kMentionFeature = 0x7FFFFFF1u;
constexpr int kSuggestModelFormat = 1;

bool HasTag(const Event& e, const char* tag) { return std::find(e.tags.begin(), e.tags.end(), tag) != e.tags.end(); }

using env::LowerWords;

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": no such file");
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return Status::OK();
}

Status WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  out.close();
  return out ? Status::OK() : Status::IOError(path + ": cannot write");
}
}  // namespace

// Builds examples over a fixed tool list.
class SuggestModel::Problem {
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
  size_t size() const { return tools_.size(); }

 private:
  std::vector<std::string> tools_;
  std::vector<std::vector<Feature>> base_, actions_;
  std::vector<Feature> ctx_;
  std::unordered_map<std::string, int> by_name_;
};

struct SuggestModel::Pending {
  std::string id, task, cwd, action;
  double probability = 1;
  int64_t ts_us = 0;
  bool seen_run = false, seen_success = false;
};

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

SuggestModel::SuggestModel() = default;
SuggestModel::~SuggestModel() = default;

Status SuggestModel::Create(const SuggestOptions& options, std::unique_ptr<SuggestModel>* out) {
  std::unique_ptr<SuggestModel> m(new SuggestModel());
  m->options_ = options;
  MEMORY_RETURN_IF_ERROR(MakePolicy(options.policy.empty() ? SuggestOptions::DefaultSpec() : options.policy,
                                    options.seed, &m->policy_));
  m->spec_ = m->policy_->Spec();
  m->rng_state_ = options.seed ^ 0x5u;
  *out = std::move(m);
  return Status::OK();
}

void SuggestModel::Count(const Event& e) {
  if (e.decision) {
    if (HasTag(e, kRewardTag) && e.decision->reward) explicit_reward_[e.decision->decision_id] = *e.decision->reward;
    return;
  }
  if (e.kind != EventKind::kShell || e.ts_us <= commands_to_us_) return;
  std::string tool = ToolOf(e.command);
  if (tool.empty()) return;
  ++new_lines_[tool][e.command];
  problem_.reset();  // the action set may change
}

void SuggestModel::MergeCounts() {
  for (auto& [tool, lines] : new_lines_) {
    ToolStats& st = tools_[tool];
    for (auto& [line, n] : lines) {
      st.uses += n;
      uint64_t total = n + (line == st.example ? st.example_uses : 0);
      if (total > st.example_uses || (total == st.example_uses && line < st.example)) {
        st.example = line;
        st.example_uses = total;
      }
    }
  }
  new_lines_.clear();
}

SuggestModel::Problem& SuggestModel::EnsureProblem() {
  if (problem_) return *problem_;
  MergeCounts();
  std::vector<std::pair<uint64_t, std::string>> ranked;
  for (auto& [t, st] : tools_) ranked.emplace_back(st.uses, t);
  std::sort(ranked.begin(), ranked.end(),
            [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  if (ranked.size() > options_.max_tools) ranked.resize(options_.max_tools);
  action_set_.clear();
  for (auto& [n, t] : ranked) action_set_.push_back(t);
  problem_ = std::make_unique<Problem>(action_set_);
  return *problem_;
}

void SuggestModel::LearnSuggestion(const Pending& s) {
  Problem& problem = EnsureProblem();
  int a = problem.Index(s.action);
  if (a < 0) return;
  auto it = explicit_reward_.find(s.id);
  double reward = it != explicit_reward_.end() ? it->second : (s.seen_success ? 1.0 : (s.seen_run ? 0.5 : 0.0));
  Example ex = problem.Make(s.task, s.cwd);
  policy_->Learn(ex, a, 1.0 - reward, s.probability);
  ++learned_suggestions_;
}

void SuggestModel::Learn(const Event& e) {
  Problem& problem = EnsureProblem();
  newest_seen_us_ = std::max(newest_seen_us_, e.ts_us);
  // Suggestions whose window has closed are learned from, in time order.
  while (!pending_.empty() && e.ts_us - pending_.front().ts_us > options_.window_us) {
    LearnSuggestion(pending_.front());
    pending_.erase(pending_.begin());
  }
  if (e.decision && HasTag(e, kSuggestTag)) {
    if (e.ts_us <= suggestions_to_us_) return;  // learned by an earlier run
    Pending s;
    auto j = nlohmann::json::parse(e.params_json, nullptr, false);
    if (j.is_object() && j.contains("task") && j["task"].is_string()) s.task = j["task"].get<std::string>();
    s.id = e.decision->decision_id;
    s.cwd = e.cwd;
    s.action = e.decision->action;
    s.probability = e.decision->probability > 0 ? e.decision->probability : 1;
    s.ts_us = e.ts_us;
    if (!s.task.empty()) pending_.push_back(std::move(s));
    return;
  }
  if (e.decision || e.kind != EventKind::kShell) return;
  std::string tool = ToolOf(e.command);
  for (auto& s : pending_)
    if (s.cwd == e.cwd && s.action == tool) {
      s.seen_run = true;
      if (!e.failed()) s.seen_success = true;
    }
  if (e.ts_us <= commands_to_us_) return;  // learned by an earlier run
  int a = problem.Index(tool);
  if (a < 0) return;
  // The command as its own description: its words point to its tool.
  Example ex = problem.Make(e.command, e.cwd);
  policy_->Learn(ex, a, 0.0, 1.0);
  if (problem.size() > 1) {
    Rng rng(rng_state_);
    int other = static_cast<int>(rng.Uniform() * (problem.size() - 1));
    rng_state_ = rng.state();
    if (other >= a) ++other;
    policy_->Learn(ex, other, 1.0, 1.0);
  }
  ++learned_commands_;
}

void SuggestModel::Finish(int64_t now_us, bool eager) {
  std::vector<Pending> keep;
  for (const auto& s : pending_) {
    const bool closed = now_us == 0 || now_us - s.ts_us > options_.window_us;
    const bool known = explicit_reward_.count(s.id) > 0 || s.seen_run;
    if (closed || (eager && known)) LearnSuggestion(s);
    else keep.push_back(s);
  }
  pending_.clear();  // the rest are learned by a later run (they are newer than the cutoff)
  if (eager) return;
  commands_to_us_ = std::max(commands_to_us_, newest_seen_us_);
  if (now_us > 0) suggestions_to_us_ = std::max(suggestions_to_us_, now_us - options_.window_us - 1);
  for (const auto& s : keep) suggestions_to_us_ = std::min(suggestions_to_us_, s.ts_us - 1);
}

Status SuggestModel::Answer(const std::string& task, const std::string& cwd, SuggestResult* result) {
  *result = SuggestResult();
  if (LowerWords(task).empty()) return Status::InvalidArgument("suggest: --task needs at least one word");
  Problem& problem = EnsureProblem();
  if (action_set_.empty())
    return Status::NotFound("suggest: no recorded commands yet (record some with the shell hook or `memory run`)");
  result->policy = spec_;
  result->action_set = action_set_;
  result->learned_commands = learned_commands_;
  result->learned_suggestions = learned_suggestions_;
  policy_->Reseed(options_.seed);
  Example ex = problem.Make(task, cwd);
  Choice c = policy_->Choose(ex);
  result->chosen = action_set_[c.action];
  result->probability = c.probability;
  std::vector<double> costs;
  policy_->PredictCosts(ex, &costs);
  std::vector<int> order(action_set_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return costs[x] < costs[y]; });
  auto add = [&](int a) {
    Suggestion s;
    s.tool = action_set_[a];
    s.example = tools_[s.tool].example;
    s.cost = costs[a];
    result->items.push_back(std::move(s));
  };
  add(c.action);
  for (int a : order) {
    if (result->items.size() >= options_.top) break;
    if (a != c.action) add(a);
  }
  return Status::OK();
}

void SuggestModel::Distribution(const std::string& task, const std::string& cwd, const std::vector<std::string>& actions,
                                std::vector<double>* probs) {
  Problem problem(actions);
  Example ex = problem.Make(task, cwd);
  policy_->Distribution(ex, probs);
}

Status SuggestModel::Save(const std::string& dir) const {
  std::string bytes;
  MEMORY_RETURN_IF_ERROR(policy_->Save(&bytes));
  nlohmann::json tools = nlohmann::json::array();
  std::map<std::string, ToolStats> merged = tools_;
  for (auto& [tool, lines] : new_lines_)
    for (auto& [line, n] : lines) merged[tool].uses += n;  // (Count without Learn: rare)
  for (const auto& [t, st] : merged) tools.push_back({t, st.uses, st.example, st.example_uses});
  nlohmann::json j = {{"format", kSuggestModelFormat},
                      {"policy", spec_},
                      {"max_tools", options_.max_tools},
                      {"window_us", options_.window_us},
                      {"commands_to_us", commands_to_us_},
                      {"suggestions_to_us", suggestions_to_us_},
                      {"learned_commands", learned_commands_},
                      {"learned_suggestions", learned_suggestions_},
                      {"tools", tools}};
  MEMORY_RETURN_IF_ERROR(WriteFile(dir + "/policy.bin", bytes));
  return WriteFile(dir + "/suggest.json", j.dump() + "\n");
}

Status SuggestModel::Load(const std::string& dir, const SuggestOptions& options, std::unique_ptr<SuggestModel>* out) {
  const std::string jpath = dir + "/suggest.json", ppath = dir + "/policy.bin";
  std::string text, bytes;
  MEMORY_RETURN_IF_ERROR(ReadFile(jpath, &text));
  MEMORY_RETURN_IF_ERROR(ReadFile(ppath, &bytes));
  std::unique_ptr<SuggestModel> m(new SuggestModel());
  m->options_ = options;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption(jpath + ": not valid JSON");
  try {
    const int format = j.at("format").get<int>();
    if (format != kSuggestModelFormat)
      return Status::Unsupported(jpath + ": suggest model format " + std::to_string(format) + " (this build reads " +
                                 std::to_string(kSuggestModelFormat) + ")");
    m->spec_ = j.at("policy").get<std::string>();
    m->options_.policy = m->spec_;
    m->options_.max_tools = j.at("max_tools").get<size_t>();
    m->options_.window_us = j.at("window_us").get<int64_t>();
    m->commands_to_us_ = j.at("commands_to_us").get<int64_t>();
    m->suggestions_to_us_ = j.at("suggestions_to_us").get<int64_t>();
    m->learned_commands_ = j.at("learned_commands").get<uint64_t>();
    m->learned_suggestions_ = j.at("learned_suggestions").get<uint64_t>();
    for (const auto& t : j.at("tools")) {
      ToolStats st;
      st.uses = t.at(1).get<uint64_t>();
      st.example = t.at(2).get<std::string>();
      st.example_uses = t.at(3).get<uint64_t>();
      m->tools_[t.at(0).get<std::string>()] = std::move(st);
    }
  } catch (const nlohmann::json::exception& ex) {
    return Status::Corruption(jpath + ": " + ex.what());
  }
  MEMORY_RETURN_IF_ERROR(LoadPolicy(bytes, ppath, &m->policy_));
  if (m->policy_->Spec() != m->spec_)
    return Status::Corruption(ppath + ": policy " + m->policy_->Spec() + " does not match " + jpath + " (" + m->spec_ + ")");
  m->rng_state_ = options.seed ^ 0x5u;
  *out = std::move(m);
  return Status::OK();
}

Status Suggest(const std::vector<Event>& events, const std::string& task, const std::string& cwd,
               const SuggestOptions& options, SuggestResult* result) {
  *result = SuggestResult();
  if (LowerWords(task).empty()) return Status::InvalidArgument("suggest: --task needs at least one word");
  std::unique_ptr<SuggestModel> model;
  MEMORY_RETURN_IF_ERROR(SuggestModel::Create(options, &model));
  for (const Event& e : events) model->Count(e);
  for (const Event& e : events) model->Learn(e);
  model->Finish(options.now_us, /*eager=*/true);
  return model->Answer(task, cwd, result);
}

}  // namespace memory::policies
