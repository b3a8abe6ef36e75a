// Tool suggestion for a task description (`memory suggest --task`): a contextual bandit whose
// actions are the tools (first words of recorded commands) and whose context is the hashed words
// and bigrams of the task plus the working directory. Nothing is stored but the log: each call
// rebuilds the policy from
//   1. the recorded commands themselves (cold start from text overlap): each command teaches
//      "these words -> this tool" (cost 0) and "-> one other tool" (cost 1);
//   2. earlier suggestions (events tagged "suggest"), rewarded explicitly (`memory reward`) or by
//      what was run next: the suggested tool run in the same directory within `window_us`
//      counts 1 (0.5 when it failed), otherwise 0.
// SuggestModel holds what was learned so it can be saved as a registry version of kind "bandit"
// (`memory train --model bandit`), loaded by `memory suggest`, and brought up to date with only
// the events newer than it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/event.h"
#include "store/status.h"

namespace memory::policies {

constexpr const char* kSuggestTag = "suggest";

struct SuggestOptions {
  std::string policy;               // "" = DefaultSpec()
  size_t top = 5;
  size_t max_tools = 100;           // the most used tools form the action set
  int64_t window_us = 600'000'000;  // implicit reward window (10 minutes)
  uint64_t seed = 1;
  // Suggestions younger than window_us at this time (no explicit reward, their tool not run yet)
  // are not learned from yet. 0: learn from all.
  int64_t now_us = 0;
  static const char* DefaultSpec() { return "egreedy(epsilon=0.1)/linear(lr=1,init=1)"; }
};

struct Suggestion {
  std::string tool;
  std::string example;       // the tool's most frequent recorded command line
  double cost = 0;           // predicted (lower is better)
};

struct SuggestResult {
  std::string policy;                 // canonical spec
  std::vector<std::string> action_set;
  std::string chosen;                 // the sampled suggestion (listed first)
  double probability = 1;
  std::vector<Suggestion> items;      // chosen first, then by predicted cost
  size_t learned_suggestions = 0;     // earlier suggestions replayed
  size_t learned_commands = 0;        // recorded commands replayed
};

class Policy;

// How often a tool was run, and its most frequent command line.
struct ToolStats {
  uint64_t uses = 0;
  std::string example;
  uint64_t example_uses = 0;
};

// The learned state behind `memory suggest`. Feeding it events is two passes over the same new
// events: Count (any order: tool use counts, explicit rewards), then Learn (oldest first), then
// Finish. Events at or before the model's cutoffs were learned before and are not learned again
// (they still show which tool ran after a pending suggestion).
class SuggestModel {
 public:
  ~SuggestModel();
  // InvalidArgument for a bad policy string.
  static Status Create(const SuggestOptions& options, std::unique_ptr<SuggestModel>* out);
  // Writes policy.bin (Policy::Save) and suggest.json (tools, cutoffs, counts) into `dir`.
  // Unsupported when the policy cannot be saved.
  Status Save(const std::string& dir) const;
  // NotFound when the files are missing; Corruption / Unsupported naming the file when they are
  // damaged or from an incompatible version. `options` supplies top and seed; the policy, tool
  // limit and reward window are the saved ones.
  static Status Load(const std::string& dir, const SuggestOptions& options, std::unique_ptr<SuggestModel>* out);

  void Count(const Event& e);
  void Learn(const Event& e);
  // Learns the pending suggestions whose reward window closed before now_us. With `eager`, also
  // those already rewarded or whose tool ran (a one-off answer; a model saved after an eager
  // Finish would skip their later rewards). Without `eager`, the cutoffs move up to what was
  // learned: commands up to the newest event seen, suggestions up to now_us - window.
  void Finish(int64_t now_us, bool eager);

  // Sets the seed of Answer's random choice.
  void Reseed(uint64_t seed) { options_.seed = seed; }
  // The suggestion for a task now (reseeds the policy's random choice with options.seed).
  Status Answer(const std::string& task, const std::string& cwd, SuggestResult* result);
  // The policy's distribution over `actions` (e.g. a logged decision's action set) for a task.
  void Distribution(const std::string& task, const std::string& cwd, const std::vector<std::string>& actions,
                    std::vector<double>* probs);

  const std::string& spec() const { return spec_; }
  int64_t commands_to_us() const { return commands_to_us_; }
  int64_t suggestions_to_us() const { return suggestions_to_us_; }
  uint64_t learned_commands() const { return learned_commands_; }
  uint64_t learned_suggestions() const { return learned_suggestions_; }
  const std::map<std::string, ToolStats>& tools() const { return tools_; }

 private:
  struct Pending;
  class Problem;
  SuggestModel();
  void MergeCounts();
  Problem& EnsureProblem();
  void LearnSuggestion(const Pending& s);

  SuggestOptions options_;
  std::string spec_;
  std::unique_ptr<Policy> policy_;
  std::map<std::string, ToolStats> tools_;
  std::map<std::string, std::map<std::string, uint64_t>> new_lines_;  // counted, not merged yet
  std::map<std::string, double> explicit_reward_;
  std::vector<Pending> pending_;
  std::unique_ptr<Problem> problem_;
  std::vector<std::string> action_set_;
  int64_t commands_to_us_ = -1, suggestions_to_us_ = -1;  // learned up to (inclusive)
  int64_t newest_seen_us_ = -1;
  uint64_t learned_commands_ = 0, learned_suggestions_ = 0;
  uint64_t rng_state_ = 5;
};

// The tool of a command line: its first word (after VAR=value assignments), without a path.
std::string ToolOf(const std::string& command);

// One-off answer rebuilt from `events` (oldest first): a fresh SuggestModel fed every event.
// NotFound when no commands are recorded; InvalidArgument for an empty task or a bad policy
// string.
Status Suggest(const std::vector<Event>& events, const std::string& task, const std::string& cwd,
               const SuggestOptions& options, SuggestResult* result);

}  // namespace memory::policies
