// ShadowBank: the miniature-simulation shadows of W-TinyLFU's adapt=sim (wtinylfu.cpp) — fixed
// W-TinyLFU configurations and optionally one ARC — over one stream of keys, sharing what they
// can: one key -> record lookup per access for all members, one frequency sketch whose counter
// positions are computed once per key, and flat per-record link arrays in place of a hash map
// and a node pool per shadow. Each member behaves exactly like the policy it mirrors (a W-TinyLFU
// with adapt=none, its window share and readmit, ghosts kept only for readmission; ARC as in
// arc.cpp): same hits, same list orders. Internal to cache/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cache/flat_map.h"
#include "cache/frequency_sketch.h"
#include "cache/policies.h"

namespace memory::cache {

class ShadowBank {
 public:
  // A W-TinyLFU member: its window share and readmit setting.
  struct WConfig {
    double window;
    bool readmit;
  };
  // At most 12 members (checked). Members 0..w.size()-1 are W-TinyLFU caches of `capacity` keys (protected share of the main
  // area `protected_share`), then ARC when `arc`. The sketch ages every `sketch_period` keys.
  ShadowBank(size_t capacity, const std::vector<WConfig>& w, double protected_share, bool arc,
             size_t sketch_period, bool doorkeeper);

  // Every member sees `key` (the sketch records it first, once).
  void Access(Key key);

  size_t members() const { return hits_.size(); }
  size_t capacity() const { return capacity_; }
  bool has_arc() const { return arc_; }
  size_t arc_member() const { return nw_; }
  uint64_t hits(size_t m) const { return hits_[m]; }

  // Segment `t` of W-TinyLFU member m (0 window, 1 probation, 2 protected, 3 window ghosts,
  // 4 main ghosts), least recently used first, with each key's flag (rejected before).
  void WList(size_t m, int t, std::vector<Key>* keys, std::vector<uint8_t>* flags) const;
  size_t max_window(size_t m) const { return maxw_[m]; }
  size_t max_protected(size_t m) const { return maxp_[m]; }
  // The ARC member's lists and p; its p alone.
  void ArcLists(ArcState* out) const;
  size_t arc_p() const { return arc_p_; }

  // Clears the shared sketch (same parameters).
  void ResetSketch();

  // Where the counters of the last key passed to Access are, and of `key` if a member holds it
  // (else null): an owner whose sketch has this bank's capacity skips the hashing with them.
  const FrequencySketch::Cells& last_cells() const { return cells_[last_]; }
  const FrequencySketch::Cells* Find(Key key) const;
  size_t sketch_width() const { return sketch_.width(); }

 private:
  static constexpr uint32_t kLists = 5;  // record ids 0..4 are each member's list sentinels
  static constexpr uint8_t kAbsent = 0xff;
  static constexpr size_t kMaxMembers = 12;  // links per record (a constant stride is cheaper)
  struct Link {
    uint32_t prev, next;
    uint16_t tag, flag;  // not uint8_t, which may alias anything (see node_list.h)
  };

  Link& L(size_t m, uint32_t rid) { return links_[size_t(rid) * kMaxMembers + m]; }
  const Link& L(size_t m, uint32_t rid) const { return links_[size_t(rid) * kMaxMembers + m]; }
  uint32_t Front(size_t m, uint8_t list) const { return L(m, list).next; }
  bool Empty(size_t m, uint8_t list) const { return L(m, list).next == list; }
  void PushBack(size_t m, uint8_t list, uint32_t n);
  void Unlink(size_t m, uint32_t n);
  void Move(size_t m, uint32_t n, uint8_t to);
  void Insert(size_t m, uint32_t n, uint8_t list, uint8_t flag);
  void Drop(size_t m, uint32_t n);
  uint32_t& Len(size_t m, uint8_t list) { return len_[m * kLists + list]; }

  uint32_t Record(Key key);  // the key's record id, allocated when new
  int Frequency(uint32_t rid);
  void Release(uint32_t rid);

  template <bool kReadmit>
  void AccessW(size_t m, uint32_t rid);
  template <bool kReadmit>
  void RebalanceW(size_t m);
  void AccessArc(uint32_t rid);
  void ArcReplace(bool in_b2);

  size_t capacity_;
  size_t nw_;  // W-TinyLFU members
  size_t nm_;  // all members
  bool arc_;
  size_t arc_p_ = 0;
  std::vector<uint8_t> readmit_;
  std::vector<size_t> maxw_, maxp_;
  std::vector<uint32_t> len_;  // members × kLists (not size_t, which nm_ and capacity_ are: no alias)
  std::vector<uint64_t> hits_;
  FrequencySketch sketch_;
  bool doorkeeper_;
  FlatMap map_;  // key -> record id
  std::vector<Key> keys_;
  std::vector<FrequencySketch::Cells> cells_;
  uint32_t last_ = 0;
  std::vector<uint32_t> refs_;  // members holding the record (resident or ghost)
  std::vector<Link> links_;     // records × members
  std::vector<uint32_t> free_;
};

}  // namespace memory::cache
