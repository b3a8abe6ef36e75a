// LRU: one list, hits move to the most recently used end, misses evict the least recently used.
#include "cache/flat_map.h"
#include "cache/node_list.h"
#include "cache/policies.h"

namespace memory::cache {
namespace {

class Lru final : public Policy {
 public:
  explicit Lru(size_t capacity) : Policy(capacity), map_(capacity), pool_(capacity) {
    list_ = pool_.NewList();
  }
  std::string Name() const override { return "lru"; }
  size_t size() const override { return map_.size(); }
  bool Contains(Key key) const override { return map_.Find(key) != FlatMap::kAbsent; }

  bool Remove(Key key) override {
    uint32_t n = map_.Find(key);
    if (n == FlatMap::kAbsent) return false;
    pool_.Unlink(n);
    pool_.Free(n);
    map_.Erase(key);
    return true;
  }

  Status SetCapacity(size_t capacity, std::vector<Key>* evicted) override {
    if (capacity == 0) return Status::InvalidArgument("cache capacity must be at least 1");
    capacity_ = capacity;
    while (map_.size() > capacity_) {
      Key k = EvictOne();
      ++stats_.evictions;
      if (evicted) evicted->push_back(k);
    }
    return Status::OK();
  }

 protected:
  AccessResult DoAccess(Key key) override {
    uint32_t n = map_.Find(key);
    if (n != FlatMap::kAbsent) {
      pool_.MoveToBack(list_, n);
      return {true, false, 0};
    }
    AccessResult r;
    if (map_.size() >= capacity_) {
      r.evicted = true;
      r.victim = EvictOne();
    }
    n = pool_.Alloc(key, 0);
    pool_.PushBack(list_, n);
    map_.Put(key, n);
    return r;
  }

 private:
  Key EvictOne() {
    uint32_t v = pool_.Front(list_);
    Key k = pool_[v].key;
    pool_.Unlink(v);
    pool_.Free(v);
    map_.Erase(k);
    return k;
  }
  FlatMap map_;
  NodePool pool_;
  uint32_t list_;
};

}  // namespace

std::unique_ptr<Policy> NewLru(size_t capacity) { return std::make_unique<Lru>(capacity); }

}  // namespace memory::cache
