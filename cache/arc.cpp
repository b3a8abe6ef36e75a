// ARC after Megiddo & Modha (FAST'03, Fig. 4), with integer adaptation steps as in the Caffeine
// simulator. T1/T2 hold resident keys seen once / at least twice recently; B1/B2 are ghost lists
// of keys evicted from T1/T2; p is the target size of T1.
#include <algorithm>
#include <cassert>

#include "cache/flat_map.h"
#include "cache/node_list.h"
#include "cache/policies.h"

namespace memory::cache {
namespace {

enum : uint8_t { kT1, kT2, kB1, kB2 };

class Arc final : public Policy {
 public:
  explicit Arc(size_t capacity) : Policy(capacity), map_(2 * capacity), pool_(2 * capacity) {
    for (auto& l : list_) l = pool_.NewList();
  }
  Arc(size_t capacity, const ArcState& st) : Arc(capacity) {
    assert(st.t1.size() + st.t2.size() <= capacity && st.t1.size() + st.b1.size() <= capacity);
    const std::vector<Key>* lists[] = {&st.t1, &st.t2, &st.b1, &st.b2};
    for (uint8_t t = kT1; t <= kB2; ++t)
      for (Key k : *lists[t]) {
        uint32_t n = pool_.Alloc(k, t);
        pool_.PushBack(list_[t], n);
        ++len_[t];
        map_.Put(k, n);
      }
    p_ = std::min(st.p, capacity);
  }
  void State(ArcState* out) const {
    std::vector<Key>* lists[] = {&out->t1, &out->t2, &out->b1, &out->b2};
    for (uint8_t t = kT1; t <= kB2; ++t) {
      lists[t]->clear();
      for (uint32_t m = pool_.Front(list_[t]); m != list_[t]; m = pool_[m].next)
        lists[t]->push_back(pool_[m].key);
    }
    out->p = p_;
  }

  std::string Name() const override { return "arc"; }
  size_t size() const override { return len_[kT1] + len_[kT2]; }
  bool Contains(Key key) const override {
    uint32_t n = map_.Find(key);
    return n != FlatMap::kAbsent && pool_[n].tag <= kT2;
  }

  bool Remove(Key key) override {
    uint32_t n = map_.Find(key);
    if (n == FlatMap::kAbsent || pool_[n].tag > kT2) return false;
    Drop(n);
    return true;
  }

  Status SetCapacity(size_t capacity, std::vector<Key>* evicted) override {
    if (capacity == 0) return Status::InvalidArgument("cache capacity must be at least 1");
    capacity_ = capacity;
    p_ = std::min(p_, capacity_);
    while (size() > capacity_) {
      Key k = Replace(false);
      ++stats_.evictions;
      if (evicted) evicted->push_back(k);
    }
    while (len_[kT1] + len_[kB1] > capacity_ && len_[kB1] > 0) Drop(pool_.Front(list_[kB1]));
    while (len_[kT1] + len_[kT2] + len_[kB1] + len_[kB2] > 2 * capacity_ && len_[kB2] > 0)
      Drop(pool_.Front(list_[kB2]));
    return Status::OK();
  }

 protected:
  AccessResult DoAccess(Key x) override {
    const size_t c = capacity_;
    uint32_t n = map_.Find(x);
    AccessResult r;
    if (n != FlatMap::kAbsent) {
      uint8_t tag = pool_[n].tag;
      if (tag == kT1 || tag == kT2) {  // Case I: hit
        Move(n, kT2);
        r.hit = true;
        return r;
      }
      if (tag == kB1) {  // Case II: favour recency
        p_ = std::min(c, p_ + std::max<size_t>(len_[kB2] / len_[kB1], 1));
        ReplaceInto(false, &r);
      } else {  // Case III: favour frequency
        size_t d = std::max<size_t>(len_[kB1] / len_[kB2], 1);
        p_ = p_ > d ? p_ - d : 0;
        ReplaceInto(true, &r);
      }
      Move(n, kT2);
      return r;
    }
    // Case IV: complete miss.
    size_t l1 = len_[kT1] + len_[kB1];
    size_t l2 = len_[kT2] + len_[kB2];
    if (l1 == c) {
      if (len_[kT1] < c) {
        Drop(pool_.Front(list_[kB1]));
        ReplaceInto(false, &r);
      } else {
        uint32_t v = pool_.Front(list_[kT1]);
        Resident(pool_[v].key, &r);
        Drop(v);
      }
    } else if (l1 < c && l1 + l2 >= c) {
      if (l1 + l2 == 2 * c) Drop(pool_.Front(list_[kB2]));
      ReplaceInto(false, &r);
    }
    n = pool_.Alloc(x, kT1);
    pool_.PushBack(list_[kT1], n);
    ++len_[kT1];
    map_.Put(x, n);
    return r;
  }

 private:
  void ReplaceInto(bool in_b2, AccessResult* r) {
    if (size() == 0) return;  // possible only after Remove() emptied the cache
    Resident(Replace(in_b2), r);
  }
  static void Resident(Key victim, AccessResult* r) {
    r->evicted = true;
    r->victim = victim;
  }
  void Move(uint32_t n, uint8_t to) {
    --len_[pool_[n].tag];
    pool_.Unlink(n);
    pool_[n].tag = to;
    pool_.PushBack(list_[to], n);
    ++len_[to];
  }
  void Drop(uint32_t n) {
    --len_[pool_[n].tag];
    map_.Erase(pool_[n].key);
    pool_.Unlink(n);
    pool_.Free(n);
  }
  // Moves the LRU key of T1 (or T2) to its ghost list; returns it. Callers make sure T1 or T2
  // holds a key (ReplaceInto checks).
  Key Replace(bool in_b2) {
    uint32_t v;
    if (len_[kT1] > 0 && ((in_b2 && len_[kT1] == p_) || len_[kT1] > p_)) {
      v = pool_.Front(list_[kT1]);
      Move(v, kB1);
    } else {
      v = pool_.Front(list_[kT2]);
      if (v == list_[kT2]) {  // T2 empty (only after a shrink): fall back to T1
        v = pool_.Front(list_[kT1]);
        Move(v, kB1);
        return pool_[v].key;
      }
      Move(v, kB2);
    }
    return pool_[v].key;
  }

  FlatMap map_;
  NodePool pool_;
  uint32_t list_[4];
  size_t len_[4] = {0, 0, 0, 0};
  size_t p_ = 0;
};

}  // namespace

std::unique_ptr<Policy> NewArc(size_t capacity) { return std::make_unique<Arc>(capacity); }

std::unique_ptr<Policy> NewArc(size_t capacity, const ArcState& state) {
  return std::make_unique<Arc>(capacity, state);
}

void GetArcState(const Policy& arc, ArcState* out) { static_cast<const Arc&>(arc).State(out); }

}  // namespace memory::cache
