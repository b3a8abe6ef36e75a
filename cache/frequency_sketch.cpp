#include "cache/frequency_sketch.h"

#include <algorithm>

#include "cache/flat_map.h"

namespace memory::cache {
namespace {
constexpr uint64_t kSeeds[4] = {0xc3a5c85c97cb3127ULL, 0xb492b66fbe98f273ULL, 0x9ae16a3b2f90404fULL,
                                0xcbf29ce484222325ULL};
size_t Pow2AtLeast(size_t n) {
  size_t p = 16;
  while (p < n) p <<= 1;
  return p;
}
inline uint64_t Row(uint64_t h, int i) { return MixKey(h + kSeeds[i]); }
}  // namespace

FrequencySketch::FrequencySketch(size_t capacity, size_t sample_period, bool doorkeeper)
    : doorkeeper_(doorkeeper), sample_period_(std::max<size_t>(sample_period, 16)) {
  table_.assign(std::min<size_t>(Pow2AtLeast(capacity), size_t(1) << 22), 0);  // <= 32 MB
  mask_ = table_.size() - 1;
  if (doorkeeper_) {
    door_.assign(std::min<size_t>(Pow2AtLeast(capacity * 8 / 64 + 1), size_t(1) << 22), 0);  // ~8 bits per entry
    door_mask_ = door_.size() * 64 - 1;
  }
}

bool FrequencySketch::DoorContains(uint64_t h) const {
  for (int i = 0; i < 3; ++i) {
    uint64_t b = (h >> (i * 21)) & door_mask_;
    if (!(door_[b >> 6] & (1ULL << (b & 63)))) return false;
  }
  return true;
}

bool FrequencySketch::DoorPut(uint64_t h) {
  bool present = true;
  for (int i = 0; i < 3; ++i) {
    uint64_t b = (h >> (i * 21)) & door_mask_;
    uint64_t bit = 1ULL << (b & 63);
    if (!(door_[b >> 6] & bit)) {
      present = false;
      door_[b >> 6] |= bit;
    }
  }
  return present;
}

void FrequencySketch::RecordMixed(uint64_t h) {
  bool count = true;
  if (doorkeeper_) count = DoorPut(h);
  if (count) {
    for (int i = 0; i < 4; ++i) {
      uint64_t r = Row(h, i);
      Increment(r & mask_, static_cast<int>((r >> 58) & 15) * 4);
    }
  }
  if (++additions_ >= sample_period_) Age();
}

int FrequencySketch::SketchFrequency(uint64_t h) const {
  int f = 15;
  for (int i = 0; i < 4; ++i) {
    uint64_t r = Row(h, i);
    int shift = static_cast<int>((r >> 58) & 15) * 4;
    f = std::min(f, static_cast<int>((table_[r & mask_] >> shift) & 15));
  }
  return f;
}

int FrequencySketch::Frequency(uint64_t key) const {
  uint64_t h = MixKey(key);
  int f = SketchFrequency(h);
  if (doorkeeper_ && DoorContains(h)) ++f;
  return f;
}

void FrequencySketch::Locate(uint64_t key, Cells* out) const {
  out->h = MixKey(key);
  for (int i = 0; i < 4; ++i) {
    uint64_t r = Row(out->h, i);
    out->cell[i] = static_cast<uint32_t>(((r & mask_) << 4) | ((r >> 58) & 15));
  }
}

void FrequencySketch::RecordAt(const Cells& c) {
  bool count = true;
  if (doorkeeper_) count = DoorPut(c.h);
  if (count)
    for (int i = 0; i < 4; ++i) Increment(c.cell[i] >> 4, static_cast<int>(c.cell[i] & 15) * 4);
  if (++additions_ >= sample_period_) Age();
}

void FrequencySketch::Age() {
  for (auto& w : table_) w = (w >> 1) & 0x7777777777777777ULL;
  if (doorkeeper_) std::fill(door_.begin(), door_.end(), 0);
  additions_ /= 2;
}

}  // namespace memory::cache
