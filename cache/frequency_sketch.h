// FrequencySketch: TinyLFU's popularity estimate. A count-min sketch of 4-bit counters (depth 4)
// with periodic aging (every `sample_period` recorded accesses all counters are halved), and an
// optional doorkeeper Bloom filter that absorbs the first access of each key so one-hit wonders
// do not pollute the counters. Internal to cache/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cache/flat_map.h"

namespace memory::cache {

class FrequencySketch {
 public:
  FrequencySketch(size_t capacity, size_t sample_period, bool doorkeeper);

  void Record(uint64_t key) { RecordMixed(MixKey(key)); }
  // Record(key) for a caller that has MixKey(key) at hand already.
  void RecordMixed(uint64_t mixed);
  // Estimated accesses of `key` since the last aging steps (0..16).
  int Frequency(uint64_t key) const;

  // Where a key's counters are: computed once per key (Locate) by a caller that asks about the
  // same key many times; RecordAt / FrequencyAt then equal Record / Frequency of that key
  // without hashing. Valid for every sketch of the same width().
  struct Cells {
    uint64_t h;          // the key's mixed hash (doorkeeper bits)
    uint32_t cell[4];    // word index << 4 | counter within the word, one per row
  };
  void Locate(uint64_t key, Cells* out) const;
  void RecordAt(const Cells& c);
  int FrequencyAt(const Cells& c) const {  // inline: the shadows call it ~20 times per key
    int f = 15;
    for (int i = 0; i < 4; ++i) {
      int v = static_cast<int>((table_[c.cell[i] >> 4] >> ((c.cell[i] & 15) * 4)) & 15);
      f = v < f ? v : f;
    }
    if (doorkeeper_ && DoorContains(c.h)) ++f;
    return f;
  }
  size_t sample_period() const { return sample_period_; }
  // Counter words per row; Cells located in a sketch of the same width are valid here.
  size_t width() const { return table_.size(); }

 private:
  int SketchFrequency(uint64_t h) const;
  void Increment(uint64_t word, int shift) {
    uint64_t& w = table_[word];
    w += uint64_t(((w >> shift) & 15) < 15) << shift;  // branch-free: saturated counters are common
  }
  void Age();
  bool DoorContains(uint64_t h) const;
  bool DoorPut(uint64_t h);  // returns true when the key was already there

  std::vector<uint64_t> table_;  // 16 counters of 4 bits per word
  uint64_t mask_;
  std::vector<uint64_t> door_;   // Bloom filter bits
  uint64_t door_mask_ = 0;
  bool doorkeeper_;
  size_t sample_period_;
  size_t additions_ = 0;
};

}  // namespace memory::cache
