// NodePool: doubly linked lists of keys that share one pool of nodes addressed by 32-bit index.
// Internal to cache/. Each list is a sentinel node; Front() is the least recently used end,
// PushBack() adds at the most recently used end. A node carries a small tag (which list it is in).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace memory::cache {

class NodePool {
 public:
  struct Node {
    uint64_t key;
    uint32_t prev;
    uint32_t next;
    // 16 bits, not 8: a store through a uint8_t may alias anything (a character type), which
    // makes the compiler reload the owner's fields after every tag change.
    uint16_t tag;   // owner-defined: which list / segment the node is in
    uint16_t flag;  // owner-defined: e.g. "prefetched, not used yet"
  };

  explicit NodePool(size_t reserve = 0) { nodes_.reserve((reserve < (size_t(1) << 20) ? reserve : (size_t(1) << 20)) + 8); }

  // A new empty list; returns its sentinel index.
  uint32_t NewList() {
    uint32_t s = Raw();
    nodes_[s].prev = nodes_[s].next = s;
    return s;
  }
  uint32_t Alloc(uint64_t key, uint8_t tag) {
    uint32_t n;
    if (free_ != kNone) {
      n = free_;
      free_ = nodes_[n].next;
    } else {
      n = Raw();
    }
    nodes_[n] = Node{key, n, n, tag, 0};
    return n;
  }
  void Free(uint32_t n) {
    nodes_[n].next = free_;
    free_ = n;
  }

  Node& operator[](uint32_t n) { return nodes_[n]; }
  const Node& operator[](uint32_t n) const { return nodes_[n]; }

  bool Empty(uint32_t list) const { return nodes_[list].next == list; }
  uint32_t Front(uint32_t list) const { return nodes_[list].next; }  // LRU end (== list if empty)

  void PushBack(uint32_t list, uint32_t n) {
    uint32_t last = nodes_[list].prev;
    nodes_[n].prev = last;
    nodes_[n].next = list;
    nodes_[last].next = n;
    nodes_[list].prev = n;
  }
  void Unlink(uint32_t n) {
    Node& x = nodes_[n];
    nodes_[x.prev].next = x.next;
    nodes_[x.next].prev = x.prev;
  }
  void MoveToBack(uint32_t list, uint32_t n) {
    Unlink(n);
    PushBack(list, n);
  }

 private:
  static constexpr uint32_t kNone = 0xffffffffu;
  uint32_t Raw() {
    nodes_.push_back(Node{0, 0, 0, 0, 0});
    return static_cast<uint32_t>(nodes_.size() - 1);
  }
  std::vector<Node> nodes_;
  uint32_t free_ = kNone;
};

}  // namespace memory::cache
