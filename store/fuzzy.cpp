#include "store/fuzzy.h"

#include <cstring>

namespace memory::internal {
namespace {

constexpr int kMatch = 16;
constexpr int kConsecutive = 12;
constexpr int kBoundary = 10;
constexpr int kFirstChar = 12;
constexpr int kGapStart = -3;
constexpr int kGapExtend = -1;

bool IsBoundary(char prev) {
  return prev == ' ' || prev == '/' || prev == '-' || prev == '_' || prev == '.' || prev == '=' ||
         prev == ':' || prev == '"' || prev == '\'' || prev == '|' || prev == ';';
}

}  // namespace

bool Contains(std::string_view text, std::string_view needle) {
  if (needle.empty()) return true;
  return memmem(text.data(), text.size(), needle.data(), needle.size()) != nullptr;
}

int FuzzyScore(std::string_view q, std::string_view t) {
  if (q.empty()) return 0;
  bool case_sensitive = false;
  for (char c : q)
    if (c >= 'A' && c <= 'Z') case_sensitive = true;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  auto eq = [&](char a, char b) { return case_sensitive ? a == b : lower(a) == b; };  // q is lower-case
  // Forward pass: leftmost end of a match (memchr for the common, case-sensitive-equal case).
  size_t qi = 0, end = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (eq(t[i], q[qi])) {
      if (++qi == q.size()) {
        end = i;
        break;
      }
    }
  }
  if (qi < q.size()) return -1;
  // Backward pass from the end: the shortest window ending there.
  size_t start = end;
  qi = q.size();
  for (size_t i = end + 1; i-- > 0;) {
    if (eq(t[i], q[qi - 1])) {
      if (--qi == 0) {
        start = i;
        break;
      }
    }
  }
  // Score the window greedily from its start.
  int score = 0;
  qi = 0;
  bool prev_matched = false, in_gap = false;
  for (size_t i = start; i <= end && qi < q.size(); ++i) {
    if (eq(t[i], q[qi])) {
      score += kMatch;
      if (prev_matched) score += kConsecutive;
      if (i == 0) score += kFirstChar;
      else if (IsBoundary(t[i - 1])) score += kBoundary;
      ++qi;
      prev_matched = true;
      in_gap = false;
    } else {
      score += in_gap ? kGapExtend : kGapStart;
      in_gap = true;
      prev_matched = false;
    }
  }
  // Shorter texts are a slightly better match for the same query.
  score -= static_cast<int>(t.size() / 16);
  return score;
}

}  // namespace memory::internal
