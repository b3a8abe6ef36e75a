// FlatMap: an open-addressing hash map from a 64-bit key to a 32-bit value (linear probing,
// backward-shift deletion, load factor <= 1/2). Internal to cache/: the policies use it to find
// a key's node in a few nanoseconds, which std::unordered_map does not do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace memory::cache {

// A strong 64-bit mixer (splitmix64's finalizer): spreads sequential block numbers.
inline uint64_t MixKey(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

class FlatMap {
 public:
  static constexpr uint32_t kAbsent = 0xffffffffu;

  // `expected` only presizes (capped at 1M entries); the map grows as needed.
  explicit FlatMap(size_t expected = 16) {
    Rehash(Pow2AtLeast((expected < (size_t(1) << 20) ? expected : (size_t(1) << 20)) * 2 + 2));
  }

  size_t size() const { return size_; }

  // The value stored for `key`, or kAbsent.
  uint32_t Find(uint64_t key) const {
    size_t i = MixKey(key) & mask_;
    while (true) {
      const Slot& s = slots_[i];
      if (s.value == kAbsent) return kAbsent;
      if (s.key == key) return s.value;
      i = (i + 1) & mask_;
    }
  }

  // Inserts or overwrites. `value` must not be kAbsent.
  void Put(uint64_t key, uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) Rehash(slots_.size() * 2);
    size_t i = MixKey(key) & mask_;
    while (true) {
      Slot& s = slots_[i];
      if (s.value == kAbsent) {
        s.key = key;
        s.value = value;
        ++size_;
        return;
      }
      if (s.key == key) {
        s.value = value;
        return;
      }
      i = (i + 1) & mask_;
    }
  }

  // Removes `key`; returns false when it was not present.
  bool Erase(uint64_t key) {
    size_t i = MixKey(key) & mask_;
    while (true) {
      if (slots_[i].value == kAbsent) return false;
      if (slots_[i].key == key) break;
      i = (i + 1) & mask_;
    }
    // Backward-shift deletion keeps probe sequences intact without tombstones.
    size_t hole = i;
    size_t j = i;
    while (true) {
      j = (j + 1) & mask_;
      if (slots_[j].value == kAbsent) break;
      size_t home = MixKey(slots_[j].key) & mask_;
      // Move slot j into the hole when its home is not in (hole, j] cyclically.
      bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!between) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole].value = kAbsent;
    --size_;
    return true;
  }

  void Clear() {
    for (auto& s : slots_) s.value = kAbsent;
    size_ = 0;
  }

 private:
  struct Slot {
    uint64_t key = 0;
    uint32_t value = kAbsent;
  };
  static size_t Pow2AtLeast(size_t n) {
    size_t p = 16;
    while (p < n) p <<= 1;
    return p;
  }
  void Rehash(size_t n) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    size_ = 0;
    for (const Slot& s : old)
      if (s.value != kAbsent) Put(s.key, s.value);
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace memory::cache
