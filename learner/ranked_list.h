// Building blocks of the count models (internal to learner/).
//
// RankedList: items kept in descending score order. An item's score only grows relative to the
// others, so an update bubbles that item up; ties go to the item updated last (the most recent).
// This is exactly the tie-breaking of the reference baselines, so rankings match them.
//
// DecayRow: a RankedList of decayed scores s_i = scale * raw_i. Decay-all is scale *= alpha, so a
// row update is O(distance moved), as in the reference IPAM.
//
// Each entry also carries a 32-bit link owned by the list's user (kNoLink when new; it moves with
// its entry and is not part of the ranking). "ppm" links an entry of a context's row to the row of
// the context extended by that command, so the next context's rows are found without hashing.
#pragma once

#include <cstdint>
#include <cstring>
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
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
  // Hints the cache to load the slot where a lookup of `key` starts.
  void Prefetch(uint64_t key) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[Mix(key) & (slots_.size() - 1)]);
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
  // Up to 8192 slots (128 KiB) a table grows 4x: fewer rehashes (each re-inserts every key at a
  // random slot) and shorter probe runs while it fills (ppm's context maps: -6 to -10 % of the
  // online loop's CPU on the public data sets). Larger tables double.
  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 16 : old.size() < 8192 ? old.size() * 4 : old.size() * 2, Slot{kEmpty, 0});
    size_ = 0;
    for (const Slot& s : old)
      if (s.key != kEmpty) At(s.key, s.value);
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

class RankedList {
 public:
  static constexpr uint32_t kNoLink = UINT32_MAX;
  struct Entry {
    Entry() = default;
    Entry(CommandId i, double v) : id(i), val(v) {}
    CommandId id = kNoCommand;
    uint32_t link = kNoLink;  // the user's tag (fills what was padding)
    double val = 0;
  };

  RankedList() = default;
  RankedList(const RankedList& other) { *this = other; }
  RankedList(RankedList&& other) noexcept { Steal(other); }  // cheap: vectors of rows move them when they grow
  RankedList& operator=(const RankedList& other) {
    if (this == &other) return *this;
    Reserve(other.size_);
    size_ = other.size_;
    if (size_) std::memcpy(data(), other.data(), size_ * sizeof(Entry));
    pos_ = other.pos_ ? std::make_unique<Positions>(*other.pos_) : nullptr;
    return *this;
  }
  RankedList& operator=(RankedList&& other) noexcept {
    if (this == &other) return *this;
    if (cap_ > 1) std::free(data_);
    Steal(other);
    return *this;
  }
  ~RankedList() {
    if (cap_ > 1) std::free(data_);
  }

  // Sets the score of `id` and moves it up past every item whose score is <= the new one.
  void Bump(CommandId id, double new_val) { BumpAt(Find(id), id, new_val); }
  // Bump(id, Value(id) + add) with one search; returns the entry's new position.
  [[gnu::always_inline]] uint32_t Add(CommandId id, double add) {
    uint32_t i = Find(id);
    return BumpAt(i, id, (i == kAbsent ? 0.0 : data()[i].val) + add);
  }
  // Score of `id` (0 when absent).
  double Value(CommandId id) const {
    uint32_t i = Find(id);
    return i == kAbsent ? 0.0 : data()[i].val;
  }
  // Entries, best first.
  std::span<const Entry> entries() const { return {data(), size_}; }
  std::span<Entry> mutable_entries() { return {data(), size_}; }
  size_t size() const { return size_; }
  // The link of the entry at position `pos` (< size()).
  uint32_t link(uint32_t pos) const { return data()[pos].link; }
  void set_link(uint32_t pos, uint32_t link) { data()[pos].link = link; }
  void ClearLinks() {
    for (Entry& e : mutable_entries()) e.link = kNoLink;
  }
  void CopyFrom(const RankedList& other, double scale) {
    *this = other;
    for (Entry& e : mutable_entries()) e.val *= scale;
  }
  // This list becomes other's best `n` entries (all when n >= other.size()), scaled.
  void CopyTop(const RankedList& other, double scale, size_t n) {
    if (n >= other.size()) return CopyFrom(other, scale);
    pos_.reset();
    size_ = 0;
    Reserve(static_cast<uint32_t>(std::max<size_t>(n, 1)));
    std::memcpy(data(), other.data(), n * sizeof(Entry));
    size_ = static_cast<uint32_t>(n);
    for (Entry& e : mutable_entries()) e.val *= scale;
    if (size_ > kLinear) {
      pos_ = std::make_unique<Positions>();
      for (uint32_t j = 0; j < size_; ++j) SetPos(data()[j].id, j);
    }
  }

 private:
  static constexpr uint32_t kAbsent = UINT32_MAX;
  static constexpr size_t kLinear = 12;  // small lists are searched linearly
  // Positions of the entries of a long list: a dense array indexed by id while ids stay within a
  // few times the list's size (the usual case: ids are interned densely), else a hash map.
  struct Positions {
    std::vector<uint32_t> dense;  // id -> index (kAbsent when not listed)
    FlatMap64 hashed;             // id -> index, when ids are sparse
    bool use_hash = false;
  };
  // A list of one entry (most contexts seen once) lives inline; longer ones on the heap.
  // data_ points at inline_ or at the heap block (no branch on every access).
  Entry* data() { return data_; }
  const Entry* data() const { return data_; }
  void Reserve(uint32_t cap) {
    if (cap <= cap_) return;
    Entry* grown = static_cast<Entry*>(std::malloc(cap * sizeof(Entry)));
    if (grown == nullptr) throw std::bad_alloc();
    if (size_) std::memcpy(grown, data(), size_ * sizeof(Entry));
    if (cap_ > 1) std::free(data_);
    data_ = grown;
    cap_ = cap;
  }
  // Takes other's entries (an inline one copied, a heap block taken over); other becomes empty.
  void Steal(RankedList& other) noexcept {
    inline_ = other.inline_, size_ = other.size_, cap_ = other.cap_;
    data_ = cap_ == 1 ? &inline_ : other.data_;
    pos_ = std::move(other.pos_);
    other.data_ = &other.inline_, other.size_ = 0, other.cap_ = 1;
  }
  // Bump of `id`, listed at index i (kAbsent: not listed); returns its new index.
  uint32_t BumpAt(uint32_t i, CommandId id, double new_val) {
    uint32_t link = kNoLink;
    if (i != kAbsent) {
      link = data()[i].link;
    } else {
      i = size_;
      if (size_ == cap_) Reserve(cap_ * 2);
      data()[size_++] = {id, new_val};
      if (size_ == kLinear + 1) {
        pos_ = std::make_unique<Positions>();
        for (uint32_t j = 0; j < size_; ++j) SetPos(data()[j].id, j);
      } else if (size_ > kLinear) {
        SetPos(id, i);
      }
    }
    Entry* e = data();
    // New position: the first j with e[j].val <= new_val (entries before i are in descending
    // order, so this is where moving up past every item <= new_val stops); binary search when far.
    uint32_t j = i;
    if (j > 8 && e[j - 8].val <= new_val) {
      uint32_t lo = 0, hi = j - 8;  // answer in [lo, hi]
      while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (e[mid].val <= new_val) hi = mid; else lo = mid + 1;
      }
      j = lo;
    } else {
      while (j > 0 && e[j - 1].val <= new_val) --j;
    }
    if (j < i) std::memmove(&e[j + 1], &e[j], (i - j) * sizeof(Entry));
    e[j] = {id, new_val};
    e[j].link = link;
    if (size_ <= kLinear) return j;
    if (!pos_->use_hash) {  // ids of moved entries are already inside dense
      for (uint32_t x = j; x <= i; ++x) pos_->dense[e[x].id] = x;
    } else {
      for (uint32_t x = j; x <= i; ++x) pos_->hashed.At(e[x].id, x) = x;
    }
    return j;
  }

  uint32_t Find(CommandId id) const {
    if (size_ <= kLinear) {
      const Entry* e = data();
      for (uint32_t i = 0; i < size_; ++i)
        if (e[i].id == id) return i;
      return kAbsent;
    }
    if (pos_->use_hash) return pos_->hashed.Get(id);
    return id < pos_->dense.size() ? pos_->dense[id] : kAbsent;
  }
  void SetPos(CommandId id, uint32_t i) {
    Positions& p = *pos_;
    if (!p.use_hash && id >= p.dense.size()) {
      if (id < 16 * size_ + 4096) {  // at most ~16 KiB beyond 16 slots per entry
        p.dense.resize(std::max<size_t>(id + 1, p.dense.size() * 2), kAbsent);
      } else {
        p.use_hash = true;
        for (uint32_t j = 0; j < p.dense.size(); ++j)
          if (p.dense[j] != kAbsent) p.hashed.At(j, p.dense[j]) = p.dense[j];
        p.dense.clear();
        p.dense.shrink_to_fit();
      }
    }
    if (p.use_hash) {
      p.hashed.At(id, i) = i;
    } else {
      p.dense[id] = i;
    }
  }
  Entry* data_ = &inline_;  // the entries: inline_ when cap_ == 1, else a heap block
  Entry inline_;
  uint32_t size_ = 0;
  uint32_t cap_ = 1;
  std::unique_ptr<Positions> pos_;  // only when size_ > kLinear
};

class DecayRow {
 public:
  // Multiplies every score by alpha and adds (1 - alpha) to `id` (alpha = 1: adds 1, a count).
  // Returns the position of `id` in ranked() afterwards.
  [[gnu::always_inline]] uint32_t DecayAndAdd(CommandId id, double alpha) {  // hot: no call
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
    return ranked_.Add(id, add);
  }
  // Starts as a copy of `other` with scale 1 (IPAM's new rows).
  void CopyFrom(const DecayRow& other) { CopyTop(other, SIZE_MAX); }
  // A copy of other's best `n` entries; Sum() stays other's (the scores left out still count).
  void CopyTop(const DecayRow& other, size_t n) {
    ranked_.CopyTop(other.ranked_, other.scale_, n);
    raw_sum_ = other.raw_sum_ * other.scale_;
    scale_ = 1.0;
  }
  const RankedList& ranked() const { return ranked_; }
  uint32_t link(uint32_t pos) const { return ranked_.link(pos); }
  void set_link(uint32_t pos, uint32_t link) { ranked_.set_link(pos, link); }
  void ClearLinks() { ranked_.ClearLinks(); }
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
