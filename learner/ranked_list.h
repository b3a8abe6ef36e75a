// Building blocks of the count models (internal to learner/).
//
// RankedList: items kept in descending score order. An item's score only grows relative to the
// others, so an update bubbles that item up; ties go to the item updated last (the most recent).
// This is exactly the tie-breaking of the reference baselines, so rankings match them.
//
// DecayRow: a RankedList of decayed scores s_i = scale * raw_i. Decay-all is scale *= alpha, so a
// row update is O(distance moved), as in the reference IPAM.
#pragma once

#include <cstdint>
#include <cstring>
#include <algorithm>
#include <vector>

#include "learner/model.h"

namespace memory::learner {

// Open-addressing map from a 64-bit key to a 32-bit value. Key UINT64_MAX is reserved.
class FlatMap64 {
 public:
  static constexpr uint64_t kEmpty = UINT64_MAX;
  static constexpr uint32_t kMissing = UINT32_MAX;

  uint32_t Get(uint64_t key) const {
    if (slots_.empty()) return kMissing;
    size_t mask = slots_.size() - 1;
    for (size_t i = Mix(key) & mask;; i = (i + 1) & mask) {
      if (slots_[i].key == key) return slots_[i].value;
      if (slots_[i].key == kEmpty) return kMissing;
    }
  }
  // Reference to the value of `key`, inserting `init` when missing.
  uint32_t& At(uint64_t key, uint32_t init) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = Mix(key) & mask;; i = (i + 1) & mask) {
      if (slots_[i].key == key) return slots_[i].value;
      if (slots_[i].key == kEmpty) {
        slots_[i] = {key, init};
        ++size_;
        return slots_[i].value;
      }
    }
  }
  size_t size() const { return size_; }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Slot& s : slots_)
      if (s.key != kEmpty) fn(s.key, s.value);
  }

 private:
  struct Slot { uint64_t key; uint32_t value; };
  static size_t Mix(uint64_t k) {
    k ^= k >> 33; k *= 0xff51afd7ed558ccdULL; k ^= k >> 33;
    return static_cast<size_t>(k);
  }
  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{kEmpty, 0});
    size_ = 0;
    for (const Slot& s : old)
      if (s.key != kEmpty) At(s.key, s.value);
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

class RankedList {
 public:
  struct Entry { CommandId id; double val; };

  // Sets the score of `id` and moves it up past every item whose score is <= the new one.
  void Bump(CommandId id, double new_val) {
    uint32_t i = Find(id);
    if (i == kAbsent) {
      i = static_cast<uint32_t>(entries_.size());
      entries_.push_back({id, new_val});
      if (entries_.size() == kLinear + 1) {
        for (uint32_t j = 0; j < entries_.size(); ++j) SetPos(entries_[j].id, j);
      } else if (entries_.size() > kLinear) {
        SetPos(id, i);
      }
    }
    uint32_t j = i;
    while (j > 0 && entries_[j - 1].val <= new_val) --j;
    if (j < i) std::memmove(&entries_[j + 1], &entries_[j], (i - j) * sizeof(Entry));
    entries_[j] = {id, new_val};
    if (entries_.size() <= kLinear) return;
    if (!use_hash_) {  // ids of moved entries are already inside dense_
      for (uint32_t x = j; x <= i; ++x) dense_[entries_[x].id] = x;
    } else {
      for (uint32_t x = j; x <= i; ++x) hashed_.At(entries_[x].id, x) = x;
    }
  }
  // Score of `id` (0 when absent).
  double Value(CommandId id) const {
    uint32_t i = Find(id);
    return i == kAbsent ? 0.0 : entries_[i].val;
  }
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>& mutable_entries() { return entries_; }
  size_t size() const { return entries_.size(); }
  void CopyFrom(const RankedList& other, double scale) {
    entries_ = other.entries_;
    for (Entry& e : entries_) e.val *= scale;
    dense_ = other.dense_;
    hashed_ = other.hashed_;
    use_hash_ = other.use_hash_;
  }

 private:
  static constexpr uint32_t kAbsent = UINT32_MAX;
  static constexpr size_t kLinear = 12;  // small lists are searched linearly
  uint32_t Find(CommandId id) const {
    if (entries_.size() <= kLinear) {
      for (uint32_t i = 0; i < entries_.size(); ++i)
        if (entries_[i].id == id) return i;
      return kAbsent;
    }
    if (use_hash_) return hashed_.Get(id);
    return id < dense_.size() ? dense_[id] : kAbsent;
  }
  // Positions live in a dense array indexed by id while ids stay within a few times the list's
  // size (the usual case: ids are interned densely), else in a hash map.
  void SetPos(CommandId id, uint32_t i) {
    if (!use_hash_ && id >= dense_.size()) {
      if (id < 16 * entries_.size() + 4096) {  // at most ~16 KiB beyond 16 slots per entry
        dense_.resize(std::max<size_t>(id + 1, dense_.size() * 2), kAbsent);
      } else {
        use_hash_ = true;
        for (uint32_t j = 0; j < dense_.size(); ++j)
          if (dense_[j] != kAbsent) hashed_.At(j, dense_[j]) = dense_[j];
        dense_.clear();
        dense_.shrink_to_fit();
      }
    }
    if (use_hash_) {
      hashed_.At(id, i) = i;
    } else {
      dense_[id] = i;
    }
  }
  std::vector<Entry> entries_;
  std::vector<uint32_t> dense_;  // id -> index (kAbsent when not listed)
  FlatMap64 hashed_;             // id -> index, when ids are sparse
  bool use_hash_ = false;
};

class DecayRow {
 public:
  // Multiplies every score by alpha and adds (1 - alpha) to `id` (alpha = 1: adds 1, a count).
  void DecayAndAdd(CommandId id, double alpha) {
    double add;
    if (alpha == 1.0) {
      add = 1.0;
    } else {
      scale_ *= alpha;
      if (scale_ < 1e-150) {
        for (auto& e : ranked_.mutable_entries()) e.val *= scale_;
        raw_sum_ *= scale_;
        scale_ = 1.0;
      }
      add = (1.0 - alpha) / scale_;
    }
    raw_sum_ += add;
    ranked_.Bump(id, ranked_.Value(id) + add);
  }
  // Starts as a copy of `other` with scale 1 (IPAM's new rows).
  void CopyFrom(const DecayRow& other) {
    ranked_.CopyFrom(other.ranked_, other.scale_);
    raw_sum_ = other.raw_sum_ * other.scale_;
    scale_ = 1.0;
  }
  const RankedList& ranked() const { return ranked_; }
  // Actual (decayed) score of `id` and sum of all scores.
  double Score(CommandId id) const { return ranked_.Value(id) * scale_; }
  double Sum() const { return raw_sum_ * scale_; }
  double scale() const { return scale_; }
  size_t size() const { return ranked_.size(); }

 private:
  RankedList ranked_;
  double scale_ = 1.0;
  double raw_sum_ = 0.0;
};

// Appends the first items of `primary` (up to k) to *out, then fills up to k from `fallback`
// skipping items already there. Both lists are ids best first.
inline void FillIds(const std::vector<CommandId>& fallback, size_t k, std::vector<Prediction>* out) {
  for (CommandId c : fallback) {
    if (out->size() >= k) break;
    bool seen = false;
    for (const Prediction& p : *out)
      if (p.command == c) { seen = true; break; }
    if (!seen) out->push_back({c, 0});
  }
}

}  // namespace memory::learner
