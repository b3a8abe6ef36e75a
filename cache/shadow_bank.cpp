#include "cache/shadow_bank.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace memory::cache {
namespace {
enum : uint8_t { kWindow, kProbation, kProtected, kGhostWindow, kGhostMain };  // W members
enum : uint8_t { kT1, kT2, kB1, kB2 };                                          // the ARC member
}  // namespace

ShadowBank::ShadowBank(size_t capacity, const std::vector<WConfig>& w, double protected_share,
                       bool arc, size_t sketch_period, bool doorkeeper)
    : capacity_(capacity),
      nw_(w.size()),
      nm_(w.size() + (arc ? 1 : 0)),
      arc_(arc),
      len_(nm_ * kLists, 0),
      hits_(nm_, 0),
      sketch_(capacity, sketch_period, doorkeeper),
      doorkeeper_(doorkeeper),
      map_(4 * capacity) {
  for (const WConfig& c : w) {  // as WTinyLfu::SetMaxima
    size_t main =
        static_cast<size_t>(std::floor(double(capacity) * (1.0 - c.window) + 1e-9));
    if (main >= capacity) main = capacity - 1;
    maxw_.push_back(capacity - main);
    maxp_.push_back(static_cast<size_t>(std::floor(double(main) * protected_share + 1e-9)));
    readmit_.push_back(c.readmit ? 1 : 0);
  }
  keys_.assign(kLists, 0);
  cells_.resize(kLists);
  refs_.assign(kLists, 0);
  assert(nm_ <= kMaxMembers);
  links_.resize(kLists * kMaxMembers);
  for (size_t m = 0; m < nm_; ++m)
    for (uint32_t l = 0; l < kLists; ++l) L(m, l) = Link{l, l, kAbsent, 0};
  size_t reserve = std::min<size_t>(4 * capacity + kLists, size_t(1) << 20);
  keys_.reserve(reserve);
  cells_.reserve(reserve);
  refs_.reserve(reserve);
  links_.reserve(reserve * kMaxMembers);
}

[[gnu::always_inline]] inline void ShadowBank::PushBack(size_t m, uint8_t list, uint32_t n) {
  Link& s = L(m, list);
  uint32_t last = s.prev;
  Link& x = L(m, n);
  x.prev = last;
  x.next = list;
  L(m, last).next = n;
  s.prev = n;
}

[[gnu::always_inline]] inline void ShadowBank::Unlink(size_t m, uint32_t n) {
  Link& x = L(m, n);
  L(m, x.prev).next = x.next;
  L(m, x.next).prev = x.prev;
}

[[gnu::always_inline]] inline void ShadowBank::Move(size_t m, uint32_t n, uint8_t to) {
  Link& x = L(m, n);
  --Len(m, x.tag);
  Unlink(m, n);
  x.tag = to;
  PushBack(m, to, n);
  ++Len(m, to);
}

[[gnu::always_inline]] inline void ShadowBank::Insert(size_t m, uint32_t n, uint8_t list, uint8_t flag) {
  Link& x = L(m, n);
  x.tag = list;
  x.flag = flag;
  PushBack(m, list, n);
  ++Len(m, list);
  ++refs_[n];
}

[[gnu::always_inline]] inline void ShadowBank::Drop(size_t m, uint32_t n) {
  Link& x = L(m, n);
  --Len(m, x.tag);
  Unlink(m, n);
  x.tag = kAbsent;
  if (--refs_[n] == 0) Release(n);
}

uint32_t ShadowBank::Record(Key key) {
  uint32_t rid = map_.Find(key);
  if (rid != FlatMap::kAbsent) return rid;
  if (!free_.empty()) {
    rid = free_.back();
    free_.pop_back();
  } else {
    rid = static_cast<uint32_t>(keys_.size());
    keys_.push_back(0);
    cells_.emplace_back();
    refs_.push_back(0);
    links_.resize(links_.size() + kMaxMembers, Link{0, 0, kAbsent, 0});
  }
  keys_[rid] = key;
  sketch_.Locate(key, &cells_[rid]);

  map_.Put(key, rid);
  return rid;
}

[[gnu::always_inline]] inline int ShadowBank::Frequency(uint32_t rid) {
  return sketch_.FrequencyAt(cells_[rid]);
}

void ShadowBank::Release(uint32_t rid) {
  map_.Erase(keys_[rid]);
  free_.push_back(rid);
}

void ShadowBank::Access(Key key) {
  uint32_t rid = Record(key);
  ++refs_[rid];  // pinned while the members see it
  sketch_.RecordAt(cells_[rid]);
  last_ = rid;
  for (size_t m = 0; m < nw_; ++m) readmit_[m] ? AccessW<true>(m, rid) : AccessW<false>(m, rid);
  if (arc_) AccessArc(rid);
  if (--refs_[rid] == 0) Release(rid);
}

// As WTinyLfu::DoAccess with adapt=none.
template <bool kReadmit>
void ShadowBank::AccessW(size_t m, uint32_t rid) {
  uint8_t tag = L(m, rid).tag;
  bool rejected_before = false;
  if (tag == kGhostWindow || tag == kGhostMain) {
    rejected_before = tag == kGhostWindow;
    Drop(m, rid);
    tag = kAbsent;
  }
  if (tag != kAbsent) {
    ++hits_[m];
    if (tag == kProbation) {
      Move(m, rid, kProtected);
      if (Len(m, kProtected) > maxp_[m]) Move(m, Front(m, kProtected), kProbation);
    } else {
      Unlink(m, rid);
      PushBack(m, tag, rid);
    }
    return;
  }
  Insert(m, rid, kWindow, rejected_before ? 1 : 0);
  RebalanceW<kReadmit>(m);
}

// As WTinyLfu::Rebalance + Evict (no access times in a shadow; ghosts only for readmission),
// with the same list orders but without the candidate's stop in probation when it leaves at
// once: the candidate (window's LRU key) competes with probation's LRU key — itself when
// probation is empty — and the one with the lower frequency leaves.
template <bool kReadmit>
void ShadowBank::RebalanceW(size_t m) {
  uint32_t* len = &len_[m * kLists];
  while (len[kWindow] > maxw_[m]) {
    uint32_t cand = Front(m, kWindow);
    if (len[kWindow] + len[kProbation] + len[kProtected] <= capacity_) {
      Move(m, cand, kProbation);
      continue;
    }
    uint32_t victim = Empty(m, kProbation) ? cand : Front(m, kProbation);
    int fc = Frequency(cand);
    int fv = victim == cand ? fc : Frequency(victim);
    bool admit = fc > fv || (kReadmit && L(m, cand).flag);
    if (admit && victim != cand) {
      Move(m, cand, kProbation);
      Drop(m, victim);
    } else if (kReadmit && !admit) {  // a rejected candidate: remembered for readmission
      Move(m, cand, kGhostWindow);
      while (len[kGhostWindow] + len[kGhostMain] > capacity_) {
        uint8_t from = len[kGhostWindow] > len[kGhostMain] ? kGhostWindow : kGhostMain;
        Drop(m, Front(m, from));
      }
    } else {
      Drop(m, cand);
    }
  }
  while (len[kWindow] + len[kProbation] + len[kProtected] > capacity_) {  // not after a fill
    uint32_t v = kProbation;
    for (uint8_t t : {kProbation, kWindow, kProtected})
      if (!Empty(m, t)) {
        v = Front(m, t);
        break;
      }
    Drop(m, v);
  }
  while (len[kProtected] > maxp_[m]) Move(m, Front(m, kProtected), kProbation);
}

// As Arc::DoAccess (arc.cpp).
void ShadowBank::AccessArc(uint32_t rid) {
  const size_t m = nw_, c = capacity_;
  uint8_t tag = L(m, rid).tag;
  if (tag == kT1 || tag == kT2) {
    Move(m, rid, kT2);
    ++hits_[m];
    return;
  }
  if (tag == kB1) {
    arc_p_ = std::min(c, arc_p_ + std::max<size_t>(Len(m, kB2) / Len(m, kB1), 1));
    ArcReplace(false);
    Move(m, rid, kT2);
    return;
  }
  if (tag == kB2) {
    size_t d = std::max<size_t>(Len(m, kB1) / Len(m, kB2), 1);
    arc_p_ = arc_p_ > d ? arc_p_ - d : 0;
    ArcReplace(true);
    Move(m, rid, kT2);
    return;
  }
  size_t l1 = Len(m, kT1) + Len(m, kB1);
  size_t l2 = Len(m, kT2) + Len(m, kB2);
  if (l1 == c) {
    if (Len(m, kT1) < c) {
      Drop(m, Front(m, kB1));
      ArcReplace(false);
    } else {
      Drop(m, Front(m, kT1));
    }
  } else if (l1 < c && l1 + l2 >= c) {
    if (l1 + l2 == 2 * c) Drop(m, Front(m, kB2));
    ArcReplace(false);
  }
  Insert(m, rid, kT1, 0);
}

// As Arc::ReplaceInto + Arc::Replace.
void ShadowBank::ArcReplace(bool in_b2) {
  const size_t m = nw_;
  size_t t1 = Len(m, kT1);
  if (t1 + Len(m, kT2) == 0) return;
  if (t1 > 0 && ((in_b2 && t1 == arc_p_) || t1 > arc_p_)) {
    Move(m, Front(m, kT1), kB1);
  } else if (Empty(m, kT2)) {
    Move(m, Front(m, kT1), kB1);
  } else {
    Move(m, Front(m, kT2), kB2);
  }
}

void ShadowBank::WList(size_t m, int t, std::vector<Key>* keys,
                       std::vector<uint8_t>* flags) const {
  keys->clear();
  flags->clear();
  for (uint32_t n = Front(m, uint8_t(t)); n != uint32_t(t); n = L(m, n).next) {
    keys->push_back(keys_[n]);
    flags->push_back(L(m, n).flag);
  }
}

void ShadowBank::ArcLists(ArcState* out) const {
  std::vector<Key>* lists[] = {&out->t1, &out->t2, &out->b1, &out->b2};
  for (uint8_t t = kT1; t <= kB2; ++t) {
    lists[t]->clear();
    for (uint32_t n = Front(nw_, t); n != t; n = L(nw_, n).next) lists[t]->push_back(keys_[n]);
  }
  out->p = arc_p_;
}

void ShadowBank::ResetSketch() {
  sketch_ = FrequencySketch(capacity_, sketch_.sample_period(), doorkeeper_);
}

const FrequencySketch::Cells* ShadowBank::Find(Key key) const {
  uint32_t rid = map_.Find(key);
  return rid == FlatMap::kAbsent ? nullptr : &cells_[rid];
}

}  // namespace memory::cache
