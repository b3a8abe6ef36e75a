// Tool suggestion for a task description (`memory suggest --task`): a contextual bandit whose
// actions are the tools (first words of recorded commands) and whose context is the hashed words
// and bigrams of the task plus the working directory. Nothing is stored but the log: each call
// rebuilds the policy from
//   1. the recorded commands themselves (cold start from text overlap): each command teaches
//      "these words -> this tool" (cost 0) and "-> one other tool" (cost 1);
//   2. earlier suggestions (events tagged "suggest"), rewarded explicitly (`memory reward`) or by
//      what was run next: the suggested tool run in the same directory within `window_us`
//      counts 1 (0.5 when it failed), otherwise 0.
#pragma once

#include <cstdint>
#include <string>
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

// The tool of a command line: its first word (after VAR=value assignments), without a path.
std::string ToolOf(const std::string& command);

// `events` oldest first. NotFound when no commands are recorded; InvalidArgument for an empty
// task or a bad policy string.
Status Suggest(const std::vector<Event>& events, const std::string& task, const std::string& cwd,
               const SuggestOptions& options, SuggestResult* result);

}  // namespace memory::policies
