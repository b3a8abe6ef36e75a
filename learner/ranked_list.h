// Building blocks of the count models (internal to learner/).
//
// RankedList: items ranked by descending score. An item's score only grows relative to the
// others, so an update bubbles that item up; ties go to the item updated last (the most recent).
// This is exactly the tie-breaking of the reference baselines, so rankings match them. Only the
// best kHead items are kept in that order (what every model reads); the rest are kept below them.
//
// DecayRow: a RankedList of decayed scores s_i = scale * raw_i. Decay-all is scale *= alpha, so a
// row update is O(distance moved, at most kHead), as in the reference IPAM.
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
  // Entries beyond the first kHead are the tail: each ranks below every head entry, but the tail
  // itself is in no particular order (see entries()). So an update costs O(kHead) at most, where
  // keeping a list of n distinct commands fully sorted cost O(n) per new command (each passes
  // every older one with a lower or equal score): 40 us per event on histories of mostly unique
  // command lines.
  static constexpr uint32_t kHead = 256;
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
  // Entries: the first min(size(), kHead) best first, exactly as if the whole list were sorted
  // (ties to the most recently updated); then the tail, each below the head, in no given order.
  std::span<const Entry> entries() const { return {data(), size_}; }
  // How many entries at the front are in rank order.
  size_t ranked_size() const { return std::min<size_t>(size_, kHead); }
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
    std::memcpy(data(), other.data(), std::min<size_t>(n, kHead) * sizeof(Entry));
    if (n > kHead) {  // the best n - kHead of other's tail
      std::vector<Entry> tail(other.data() + kHead, other.data() + other.size_);
      std::nth_element(tail.begin(), tail.begin() + (n - kHead - 1), tail.end(),
                       [](const Entry& a, const Entry& b) { return a.val > b.val; });
      std::memcpy(data() + kHead, tail.data(), (n - kHead) * sizeof(Entry));
    }
    size_ = static_cast<uint32_t>(n);
    for (Entry& e : mutable_entries()) e.val *= scale;
    if (size_ > kLinear) BuildPositions(/*copied=*/true);
  }

 private:
  static constexpr uint32_t kAbsent = UINT32_MAX;
  static constexpr size_t kLinear = 12;  // small lists are searched linearly
  // id -> index: open addressing over 8-byte slots (id << 32 | index), at most 3/4 full.
  class PositionHash {
   public:
    uint32_t Get(CommandId id) const {
      if (slots_.empty()) return kAbsent;
      for (size_t i = Home(id);; i = (i + 1) & mask_) {
        const uint64_t s = slots_[i];
        if (s == kEmptySlot) return kAbsent;
        if (static_cast<CommandId>(s >> 32) == id) return static_cast<uint32_t>(s);
      }
    }
    void Set(CommandId id, uint32_t index) {  // id != kNoCommand
      if (4 * (used_ + 1) > 3 * slots_.size()) Grow(2 * slots_.size());
      for (size_t i = Home(id);; i = (i + 1) & mask_) {
        uint64_t& s = slots_[i];
        if (s == kEmptySlot) ++used_;
        if (s == kEmptySlot || static_cast<CommandId>(s >> 32) == id) {
          s = uint64_t{id} << 32 | index;
          return;
        }
      }
    }
    // Room for n ids without growing.
    void Reserve(size_t n) {
      size_t want = 32;
      while (3 * want < 4 * n + 4) want *= 2;
      if (want > slots_.size()) Grow(want);
    }

   private:
    static constexpr uint64_t kEmptySlot = UINT64_MAX;  // id kNoCommand
    size_t Home(CommandId id) const { return static_cast<size_t>((uint64_t{id} * 0x9E3779B97F4A7C15ULL) >> shift_); }
    void Grow(size_t size) {
      std::vector<uint64_t> old(std::max<size_t>(size, 32), kEmptySlot);
      old.swap(slots_);
      mask_ = slots_.size() - 1;
      shift_ = 64 - __builtin_ctzll(slots_.size());
      used_ = 0;
      for (uint64_t s : old)
        if (s != kEmptySlot) Set(static_cast<CommandId>(s >> 32), static_cast<uint32_t>(s));
    }
    std::vector<uint64_t> slots_;
    size_t mask_ = 0;
    int shift_ = 64;
    uint32_t used_ = 0;
  };
  // Positions of the entries of a long list: a dense array indexed by id while ids stay within a
  // few times the list's size (the usual case: ids are interned densely), else a hash. Small, as
  // there may be one per context: a history of mostly unique lines makes tens of thousands of
  // lists of 64 entries (IPAM's rows), where dense arrays of ~5,000 ids each made most of the
  // run's time page faults.
  struct Positions {
    std::vector<uint32_t> dense;  // id -> index (kAbsent when not listed)
    PositionHash hashed;          // when ids are sparse
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
  [[gnu::always_inline]] uint32_t BumpAt(uint32_t i, CommandId id, double new_val) {
    uint32_t link = kNoLink;
    if (i != kAbsent) {
      link = data()[i].link;
    } else {
      i = size_;
      if (size_ == cap_) Reserve(cap_ * 2);
      data()[size_++] = {id, new_val};
      if (size_ == kLinear + 1) {
        BuildPositions(/*copied=*/false);
      } else if (size_ > kLinear) {
        SetPos(id, i);
      }
    }
    if (i >= kHead) [[unlikely]] {  // in the tail (so the head is full)
      if (!EnterHead(i, new_val)) return i;
      i = kHead - 1;
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
      for (uint32_t x = j; x <= i; ++x) pos_->hashed.Set(e[x].id, x);
    }
    return j;
  }

  // For an entry at i in the tail, to be given new_val: false when it stays in the tail (its
  // value set); true when it enters the head, at kHead - 1, for the caller to move up (the head's
  // last entry, now below it and so above every other tail entry, took its place in the tail).
  [[gnu::noinline]] bool EnterHead(uint32_t i, double new_val) {
    Entry* e = data();
    if (new_val < e[kHead - 1].val) {
      e[i].val = new_val;
      return false;
    }
    const Entry demoted = e[kHead - 1];
    e[i] = demoted;
    SetPos(demoted.id, i);  // size_ > kHead > kLinear: the positions are kept
    return true;
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
  // pos_ <- the positions of all entries, sized once. A list that grew to kLinear + 1 entries
  // takes the form SetPos would reach; a copied one (IPAM makes one per distinct previous command,
  // most never updated again) is dense only when that costs no more than 64 bytes per entry.
  [[gnu::noinline]] void BuildPositions(bool copied) {
    pos_ = std::make_unique<Positions>();
    CommandId max_id = 0;
    for (uint32_t j = 0; j < size_; ++j) max_id = std::max(max_id, data()[j].id);
    if (max_id < (copied ? 16 * size_t{size_} : DenseLimit())) {
      pos_->dense.assign(std::min<size_t>(DenseLimit(), 2 * (size_t{max_id} + 1)), kAbsent);  // room to grow
    } else {
      pos_->use_hash = true;
      pos_->hashed.Reserve(size_);
    }
    for (uint32_t j = 0; j < size_; ++j) SetPos(data()[j].id, j);
  }
  // Ids below this are indexed densely: at most 64 bytes per entry, and 4 KiB (as many Schonlau
  // rows need; sized to the vocabulary, tens of thousands of rows of 64 entries took ~20 KiB each).
  size_t DenseLimit() const { return 16 * size_t{size_} + 1024; }
  void SetPos(CommandId id, uint32_t i) {
    Positions& p = *pos_;
    if (!p.use_hash && id >= p.dense.size()) {
      if (id < DenseLimit()) {
        p.dense.resize(std::max<size_t>(id + 1, p.dense.size() * 2), kAbsent);
      } else {
        p.use_hash = true;
        for (uint32_t j = 0; j < p.dense.size(); ++j)
          if (p.dense[j] != kAbsent) p.hashed.Set(j, p.dense[j]);
        p.dense.clear();
        p.dense.shrink_to_fit();
      }
    }
    if (p.use_hash) {
      p.hashed.Set(id, i);
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

// The entries after the head of `list`, best first (ties in list order: the tail does not record
// which was updated last). For the rare reader that goes beyond the head.
inline std::vector<RankedList::Entry> SortedTail(const RankedList& list) {
  const auto entries = list.entries();
  std::vector<RankedList::Entry> tail(entries.begin() + list.ranked_size(), entries.end());
  std::stable_sort(tail.begin(), tail.end(),
                   [](const RankedList::Entry& a, const RankedList::Entry& b) { return a.val > b.val; });
  return tail;
}

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
