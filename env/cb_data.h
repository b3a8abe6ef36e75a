// Readers for contextual-bandit benchmark data (`memory eval bandit`): multiclass CSV files
// (../shared/cb-data) and NL2Bash description -> utility pairs, turned into bandit problems.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/status.h"

namespace memory::env {

struct CbFeature {
  uint32_t index = 0;
  float value = 0;
};

// Rows in file order (the online order). Row i's features are
// features[row_begin[i] .. row_begin[i+1]); its correct action is labels[i].
struct CbDataset {
  int num_actions = 0;                     // K
  int num_features = 0;                    // dense width d (CSV); 0 for hashed text
  std::vector<std::string> action_names;   // NL2Bash utilities; empty for CSV
  std::vector<int> labels;
  std::vector<uint32_t> row_begin{0};
  std::vector<CbFeature> features;
  // NL2Bash only: for each row, the actions whose name occurs as a word of the description.
  std::vector<std::vector<int>> mentioned;
  size_t rows() const { return labels.size(); }
};

// Text features get indices with the top bit set, so they never collide with dense indices.
constexpr uint32_t kHashedFeatureBit = 0x80000000u;

// Lower-cased runs of ASCII letters and digits of `text`, in order: the words of a task
// description or a command, as the text features use them.
std::vector<std::string> LowerWords(std::string_view text);
// Hash of one word or bigram, with kHashedFeatureBit set.
uint32_t HashToken(std::string_view token);

// Most actions a CSV problem may have: the ridge learner keeps a d×d matrix per action, so a
// label of a million asked for tens of GB.
constexpr int kMaxCbActions = 10000;

// `label,f0,...,f{d-1}` header then one example per line; gzip is detected from the content.
// K = max(label)+1 ≤ kMaxCbActions. Errors (InvalidArgument "FILE:LINE: ...") for a missing/empty/binary/
// truncated file, a ragged row, a non-numeric field, a negative or non-integer label.
Status ReadCbCsv(const std::string& path, CbDataset* out);

// `dir` holds nl2bash.nl and nl2bash.cm (same line count). Context = lower-cased words
// [a-z0-9]+ and word bigrams of the description (hashed, value 1); action = the command's first
// whitespace-separated token; actions are numbered in order of first appearance.
Status ReadNl2BashBandit(const std::string& dir, CbDataset* out);

}  // namespace memory::env
