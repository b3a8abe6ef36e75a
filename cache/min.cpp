// Belady's MIN (1966), the optimum without prefetching: on a miss the key is inserted; when the
// cache then holds capacity+1 keys the one whose next use lies farthest in the future leaves.
// With bypass that may be the new key itself (Caffeine's opt.Clairvoyant); without it the
// victim is chosen among the older keys (textbook demand-paging OPT). Offline: Prepare() gets
// the whole trace and computes every access's next use.
#include <queue>

#include "cache/flat_map.h"
#include "cache/policies.h"

namespace memory::cache {
namespace {

class Min final : public Policy {
 public:
  Min(size_t capacity, bool bypass) : Policy(capacity), bypass_(bypass), resident_(capacity) {}

  std::string Name() const override { return bypass_ ? "min" : "min(bypass=0)"; }
  size_t size() const override { return resident_.size(); }
  bool Contains(Key key) const override { return resident_.Find(key) != FlatMap::kAbsent; }
  bool NeedsFuture() const override { return true; }
  bool Remove(Key key) override { return false; }
  Status SetCapacity(size_t, std::vector<Key>*) override {
    return Status::Unsupported("policy 'min' cannot be resized");
  }

  Status Prepare(std::span<const Key> trace) override {
    if (trace.size() >= 0x7fffffffu) return Status::InvalidArgument("trace too long for 'min'");
    const uint32_t n = static_cast<uint32_t>(trace.size());
    trace_.assign(trace.begin(), trace.end());
    next_use_.assign(n, 0);
    FlatMap last(n / 2 + 16);
    for (uint32_t i = n; i-- > 0;) {
      uint32_t j = last.Find(trace[i]);
      // Keys never used again get distinct positions beyond the end; ties do not change hits.
      next_use_[i] = j == FlatMap::kAbsent ? n + i : j;
      last.Put(trace[i], i);
    }
    cursor_ = 0;
    return Status::OK();
  }

 protected:
  AccessResult DoAccess(Key key) override {
    // Off the prepared trace (or past its end) the key counts as never used again.
    uint32_t nu = (cursor_ < trace_.size() && trace_[cursor_] == key)
                      ? next_use_[cursor_] : 0xfffffff0u;
    ++cursor_;
    AccessResult r;
    r.hit = resident_.Find(key) != FlatMap::kAbsent;
    resident_.Put(key, nu);
    heap_.push({nu, key});
    if (resident_.size() > capacity_) {
      std::vector<Entry> kept;
      while (true) {
        Entry e = heap_.top();
        heap_.pop();
        if (resident_.Find(e.key) != e.next_use) continue;  // stale
        if (!bypass_ && e.key == key) {
          kept.push_back(e);
          continue;
        }
        resident_.Erase(e.key);
        r.evicted = true;
        r.victim = e.key;
        break;
      }
      for (auto& e : kept) heap_.push(e);
    }
    if (heap_.size() > 4 * capacity_ + 1024) Compact();
    return r;
  }

 private:
  struct Entry {
    uint32_t next_use;
    Key key;
    bool operator<(const Entry& o) const { return next_use < o.next_use; }  // max-heap
  };
  void Compact() {
    std::vector<Entry> live;
    live.reserve(resident_.size());
    while (!heap_.empty()) {
      Entry e = heap_.top();
      heap_.pop();
      if (resident_.Find(e.key) == e.next_use) {
        live.push_back(e);
        resident_.Put(e.key, FlatMap::kAbsent - 1);  // mark copied (dedupe)
      }
    }
    for (auto& e : live) resident_.Put(e.key, e.next_use);
    heap_ = std::priority_queue<Entry>(live.begin(), live.end());
  }

  bool bypass_;
  FlatMap resident_;  // key -> its next use (for lazy deletion in the heap)
  std::priority_queue<Entry> heap_;
  std::vector<Key> trace_;
  std::vector<uint32_t> next_use_;
  size_t cursor_ = 0;
};

}  // namespace

std::unique_ptr<Policy> NewMin(size_t capacity, bool bypass) {
  return std::make_unique<Min>(capacity, bypass);
}

}  // namespace memory::cache
