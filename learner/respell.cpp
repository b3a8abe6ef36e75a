// "respell(INNER,edits=2,rare=1)": people mistype commands and then type them again correctly, so
// right after a rare command (seen at most `rare` times by this model, the occurrence just made
// included) the next command is often a known command spelt almost the same way. When that
// applies, the commands used at least twice within `edits` edits (Damerau: insert, delete,
// substitute, swap two neighbours; at most one edit for names under 6 characters) of the previous
// command's text form a "respelling" distribution, weight count * 0.2^(distance-1), blended with
// INNER's list:
//   P(c) = (1 - beta) * P_inner(c) + beta * P_respell(c),
// where beta = (a + 1) / (t + 2) is this user's rate of respellings so far: t the times the rule
// applied, a the times the next command was one of its candidates. Anywhere else the predictions
// are INNER's, unchanged. Needs command texts (SetVocabulary, before the first Learn); without
// them it is INNER.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "learner/builtin_models.h"
#include "learner/ranked_list.h"
#include "learner/vocabulary.h"

namespace memory::learner {
namespace {

constexpr size_t kMaxTextLength = 64;  // longer texts are not compared (cost; templates)
// Per text length, only the most used known commands are compared: a history of many similar
// command lines (`vim src/file_123.c`, ...) knows thousands of each length, and comparing every
// one after every rare command made the rule cost O(distinct commands) per step.
constexpr size_t kScanPerLength = 64;

// The set of characters of `s`, one bit per character modulo 128. Each edit adds or removes at
// most two characters from the set, so SignatureDistance(a, b) <= 2 * distance(a, b).
struct Signature {
  uint64_t lo = 0, hi = 0;
  explicit Signature(std::string_view s) {
    for (unsigned char c : s) (c & 64 ? hi : lo) |= 1ULL << (c & 63);
  }
};
int SignatureDistance(const Signature& a, const Signature& b) {
  return __builtin_popcountll(a.lo ^ b.lo) + __builtin_popcountll(a.hi ^ b.hi);
}

// Optimal-string-alignment distance of a and b, or limit + 1 when it is larger than `limit`.
int BoundedEditDistance(std::string_view a, std::string_view b, int limit) {
  // A common prefix or suffix costs nothing.
  while (!a.empty() && !b.empty() && a.front() == b.front()) a.remove_prefix(1), b.remove_prefix(1);
  while (!a.empty() && !b.empty() && a.back() == b.back()) a.remove_suffix(1), b.remove_suffix(1);
  const int la = static_cast<int>(a.size()), lb = static_cast<int>(b.size());
  if (std::abs(la - lb) > limit) return limit + 1;
  int rows[3][kMaxTextLength + 1];
  int* prev2 = rows[0];
  int* prev = rows[1];
  int* cur = rows[2];
  for (int j = 0; j <= lb; ++j) prev[j] = j;
  for (int i = 1; i <= la; ++i) {
    cur[0] = i;
    int row_min = i;
    for (int j = 1; j <= lb; ++j) {
      int d = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d = std::min(d, prev2[j - 2] + 1);
      cur[j] = d;
      row_min = std::min(row_min, d);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return std::min(prev[lb], limit + 1);
}

class RespellModel final : public NextCommandModel {
 public:
  RespellModel(std::unique_ptr<NextCommandModel> inner, const RespellOptions& o) : o_(o), inner_(std::move(inner)) {}
  RespellModel(const RespellModel& other)
      : o_(other.o_), inner_(other.inner_->Clone()), vocab_(other.vocab_), counts_(other.counts_),
        by_length_(other.by_length_), known_(other.known_), next_known_(other.next_known_), applied_(other.applied_), respelt_(other.respelt_) {}

  void Predict(const Context& ctx, size_t k, std::vector<Prediction>* out) override {
    inner_->Predict(ctx, k, out);
    if (!Candidates(ctx)) return;
    const double beta = (respelt_ + 1.0) / (applied_ + 2.0);
    merged_.clear();
    for (const Prediction& p : *out) merged_.push_back({p.command, (1 - beta) * p.prob});
    for (const Prediction& c : cands_) {
      auto it = std::find_if(merged_.begin(), merged_.end(), [&](const Prediction& p) { return p.command == c.command; });
      if (it != merged_.end()) {
        it->prob += beta * c.prob;
      } else {
        merged_.push_back({c.command, beta * c.prob});
      }
    }
    std::stable_sort(merged_.begin(), merged_.end(), [](const Prediction& a, const Prediction& b) { return a.prob > b.prob; });
    out->assign(merged_.begin(), merged_.begin() + std::min(k, merged_.size()));
  }

  void Learn(const Context& ctx, CommandId actual) override {
    if (Candidates(ctx)) {
      ++applied_;
      for (const Prediction& c : cands_)
        if (c.command == actual) { ++respelt_; break; }
    }
    cached_size_ = SIZE_MAX;  // counts change: the next context is looked at afresh
    if (actual != kNoCommand) {
      if (actual >= counts_.size()) counts_.resize(actual + 1, 0);
      const uint32_t count = ++counts_[actual];
      if (count >= 2 && vocab_ != nullptr && actual < vocab_->size()) {
        const size_t len = vocab_->Text(actual).size();
        if (len <= kMaxTextLength) {  // longer ones are never compared
          if (count == 2) {
            if (by_length_.size() <= len) by_length_.resize(len + 1);
            if (known_.size() <= actual) known_.resize(actual + 1, Known{0, Signature("")});
            known_[actual] = {next_known_++, Signature(vocab_->Text(actual))};
          }
          by_length_[len].Add(actual, 1.0);
        }
      }
    }
    inner_->Learn(ctx, actual);
  }

  std::string Name() const override {
    return "respell(" + inner_->Name() + ",edits=" + std::to_string(o_.edits) + ",rare=" + std::to_string(o_.rare) + ")";
  }
  std::unique_ptr<NextCommandModel> Clone() const override { return std::make_unique<RespellModel>(*this); }
  void SetVocabulary(const Vocabulary* vocab) override {
    vocab_ = vocab;
    inner_->SetVocabulary(vocab);
  }

 private:
  uint32_t Count(CommandId id) const { return id < counts_.size() ? counts_[id] : 0; }
  // cands_ <- the respelling distribution for ctx (normalised); false when the rule does not apply.
  // Cached for the last context asked (Predict then Learn of the same step).
  bool Candidates(const Context& ctx) {
    const CommandId prev = ctx.prev();
    if (cached_size_ == ctx.history.size() && cached_prev_ == prev) return !cands_.empty();
    cached_size_ = ctx.history.size();
    cached_prev_ = prev;
    cands_.clear();
    if (vocab_ == nullptr || prev == kNoCommand || prev >= vocab_->size()) return false;
    if (Count(prev) > static_cast<uint32_t>(o_.rare)) return false;
    const std::string& text = vocab_->Text(prev);
    if (text.size() < 2 || text.size() > kMaxTextLength) return false;
    const int limit = text.size() < 6 ? std::min(o_.edits, 1) : o_.edits;
    const Signature sig(text);
    double sum = 0;
    const size_t lo = text.size() - limit, hi = std::min(text.size() + limit, kMaxTextLength);
    found_.clear();
    for (size_t len = lo; len <= hi && len < by_length_.size(); ++len) {
      const auto entries = by_length_[len].entries();
      for (size_t i = 0, n = std::min(entries.size(), kScanPerLength); i < n; ++i) {
        const CommandId id = entries[i].id;
        if (id == prev || SignatureDistance(known_[id].sig, sig) > 2 * limit) continue;
        const int d = BoundedEditDistance(text, vocab_->Text(id), limit);
        if (d > limit) continue;
        double w = Count(id);
        for (int j = 1; j < d; ++j) w *= 0.2;
        found_.push_back({known_[id].order, {id, w}});
      }
    }
    // Listed in the order the commands became known (ties in the blend keep that order).
    std::sort(found_.begin(), found_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& f : found_) {
      cands_.push_back(f.second);
      sum += f.second.prob;
    }
    for (Prediction& c : cands_) c.prob /= sum;
    return !cands_.empty();
  }

  RespellOptions o_;
  std::unique_ptr<NextCommandModel> inner_;
  const Vocabulary* vocab_ = nullptr;
  std::vector<uint32_t> counts_;   // times each command was learned
  // Commands learned at least twice (with texts of at most kMaxTextLength characters): the
  // candidates, by the length of their text, ranked by use (the most used kScanPerLength are
  // compared); per command id, when it became known and its text's signature.
  struct Known {
    uint64_t order;
    Signature sig;
  };
  std::vector<RankedList> by_length_;
  std::vector<Known> known_;
  uint64_t next_known_ = 0;
  std::vector<std::pair<uint64_t, Prediction>> found_;  // scratch of Candidates
  uint64_t applied_ = 0, respelt_ = 0;
  std::vector<Prediction> cands_, merged_;
  size_t cached_size_ = SIZE_MAX;
  CommandId cached_prev_ = kNoCommand;
};

}  // namespace

std::unique_ptr<NextCommandModel> NewRespellModel(std::unique_ptr<NextCommandModel> inner, const RespellOptions& o) {
  return std::make_unique<RespellModel>(std::move(inner), o);
}

}  // namespace memory::learner
