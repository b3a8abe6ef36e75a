// RankedList / DecayRow against a plain-vector reference of the same rule (an updated item moves
// up past every item whose score is <= its new one), through the inline, linear, dense-position
// and hashed-position regimes, and across copies and moves.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "learner/ranked_list.h"

namespace memory::learner {
namespace {

struct Reference {
  std::vector<RankedList::Entry> e;
  void Bump(CommandId id, double v) {
    size_t i = 0;
    while (i < e.size() && e[i].id != id) ++i;
    if (i == e.size()) e.push_back({id, v});
    size_t j = i;
    while (j > 0 && e[j - 1].val <= v) --j;
    e.erase(e.begin() + i);
    e.insert(e.begin() + j, {id, v});
  }
  double Value(CommandId id) const {
    for (const auto& x : e)
      if (x.id == id) return x.val;
    return 0;
  }
};

void ExpectSame(const RankedList& l, const Reference& r) {
  ASSERT_EQ(l.size(), r.e.size());
  auto got = l.entries();
  for (size_t i = 0; i < r.e.size(); ++i) {
    ASSERT_EQ(got[i].id, r.e[i].id) << "at " << i;
    ASSERT_EQ(got[i].val, r.e[i].val) << "at " << i;
  }
}

void RunRandom(uint64_t id_stride, uint32_t distinct) {
  RankedList list;
  Reference ref;
  uint64_t x = 99 + id_stride;
  auto next = [&] { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; };
  for (int step = 0; step < 3000; ++step) {
    CommandId id = static_cast<CommandId>((next() % distinct) * id_stride);
    double add = static_cast<double>(next() % 4);  // ties happen often
    double v = list.Value(id) + add;
    ASSERT_EQ(list.Value(id), ref.Value(id));
    if (step % 2) {
      list.Add(id, add);  // the same as Bump(id, Value(id) + add)
    } else {
      list.Bump(id, v);
    }
    ref.Bump(id, v);
    if (step % 97 == 0) ExpectSame(list, ref);
    if (step == 1500) {  // a copy and a moved-from original both continue correctly
      RankedList copy = list;
      ExpectSame(copy, ref);
      RankedList moved = std::move(copy);
      ExpectSame(moved, ref);
      list = moved;
    }
  }
  ExpectSame(list, ref);
  for (uint32_t d = 0; d < distinct; ++d) EXPECT_EQ(list.Value(static_cast<CommandId>(d * id_stride)), ref.Value(static_cast<CommandId>(d * id_stride)));
  EXPECT_EQ(list.Value(static_cast<CommandId>(distinct * id_stride + 1)), 0.0);
}

TEST(RankedListTest, MatchesReferenceShortList) { RunRandom(1, 5); }
TEST(RankedListTest, MatchesReferenceDenseIds) { RunRandom(1, 200); }
TEST(RankedListTest, MatchesReferenceSparseIds) { RunRandom(1000003, 200); }

// Beyond kHead distinct items: the head is exactly the reference's best kHead, every tail item is
// below it, values are exact, and the head then SortedTail list the values in descending order.
void ExpectHeadAndTail(const RankedList& l, const Reference& r) {
  ASSERT_EQ(l.size(), r.e.size());
  const auto got = l.entries();
  const size_t head = l.ranked_size();
  ASSERT_EQ(head, std::min<size_t>(r.e.size(), RankedList::kHead));
  for (size_t i = 0; i < head; ++i) {
    ASSERT_EQ(got[i].id, r.e[i].id) << "at " << i;
    ASSERT_EQ(got[i].val, r.e[i].val) << "at " << i;
  }
  for (size_t i = head; i < got.size(); ++i) {
    ASSERT_LE(got[i].val, got[head - 1].val) << "tail entry " << i;
    ASSERT_EQ(got[i].val, r.Value(got[i].id)) << "tail entry " << i;
  }
  std::vector<double> listed;
  for (size_t i = 0; i < head; ++i) listed.push_back(got[i].val);
  for (const auto& e : SortedTail(l)) listed.push_back(e.val);
  ASSERT_EQ(listed.size(), r.e.size());
  for (size_t i = 0; i < listed.size(); ++i) ASSERT_EQ(listed[i], r.e[i].val) << "at " << i;
}

TEST(RankedListTest, LongListKeepsAnExactHead) {
  // Mostly new items (as in a history of unique command lines), a few frequent ones, many ties.
  RankedList list;
  Reference ref;
  uint64_t x = 5;
  auto next = [&] { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; };
  for (int step = 0; step < 6000; ++step) {
    const uint64_t r = next();
    CommandId id = r % 3 == 0 ? static_cast<CommandId>(r % 7) : static_cast<CommandId>(10 + (next() % 2000));
    double add = static_cast<double>(1 + next() % 2);
    uint32_t pos = list.Add(id, add);
    ref.Bump(id, ref.Value(id) + add);
    ASSERT_EQ(list.entries()[pos].id, id);
    if (step % 499 == 0) ExpectHeadAndTail(list, ref);
  }
  ASSERT_GT(list.size(), RankedList::kHead + 500);
  ExpectHeadAndTail(list, ref);
  // The best n of a long list, n beyond the head.
  RankedList top;
  top.CopyTop(list, 1.0, RankedList::kHead + 100);
  Reference want;
  want.e.assign(ref.e.begin(), ref.e.begin() + RankedList::kHead + 100);
  std::vector<double> got_vals, want_vals;
  for (size_t i = 0; i < top.ranked_size(); ++i) got_vals.push_back(top.entries()[i].val);
  for (const auto& e : SortedTail(top)) got_vals.push_back(e.val);
  for (const auto& e : want.e) want_vals.push_back(e.val);
  EXPECT_EQ(got_vals, want_vals);
  for (size_t i = 0; i < RankedList::kHead; ++i) EXPECT_EQ(top.entries()[i].id, ref.e[i].id);
}

TEST(RankedListTest, SingleEntryCopiesAndMoves) {
  RankedList a;
  a.Bump(7, 1.5);
  RankedList b = a;
  b.Bump(8, 2.0);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a.entries()[0].id, 7u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.entries()[0].id, 8u);
  RankedList c = std::move(b);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.Value(7), 1.5);
  a = c;  // inline <- heap
  EXPECT_EQ(a.size(), 2u);
  c = RankedList();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(a.Value(8), 2.0);
}

TEST(DecayRowTest, DecaysAndCopies) {
  DecayRow row;
  row.DecayAndAdd(1, 0.5);  // {1: .5}
  row.DecayAndAdd(2, 0.5);  // {1: .25, 2: .5}
  EXPECT_DOUBLE_EQ(row.Score(1), 0.25);
  EXPECT_DOUBLE_EQ(row.Score(2), 0.5);
  EXPECT_DOUBLE_EQ(row.Sum(), 0.75);
  EXPECT_EQ(row.ranked().entries()[0].id, 2u);
  DecayRow copy;
  copy.CopyFrom(row);
  EXPECT_DOUBLE_EQ(copy.scale(), 1.0);
  EXPECT_DOUBLE_EQ(copy.Score(1), 0.25);
  EXPECT_DOUBLE_EQ(copy.Sum(), 0.75);
}

TEST(RankedListTest, LinksMoveWithTheirEntries) {
  // Every entry's link is set from its id once; after any number of updates (moves up, binary
  // search over long lists, growth past the inline and linear regimes) each entry still has it.
  RankedList list;
  uint64_t x = 17;
  auto next = [&] { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; };
  for (int step = 0; step < 4000; ++step) {
    CommandId id = static_cast<CommandId>(next() % 60);
    uint32_t pos = list.Add(id, static_cast<double>(next() % 5));
    ASSERT_EQ(list.entries()[pos].id, id);
    if (list.link(pos) == RankedList::kNoLink) list.set_link(pos, id * 7 + 1);
    for (size_t i = 0; i < list.size(); ++i) {
      uint32_t l = list.link(static_cast<uint32_t>(i));
      ASSERT_EQ(l, list.entries()[i].id * 7 + 1) << "step " << step << " at " << i;
    }
  }
  RankedList copy = list;
  copy.ClearLinks();
  for (size_t i = 0; i < copy.size(); ++i) EXPECT_EQ(copy.link(static_cast<uint32_t>(i)), RankedList::kNoLink);
  EXPECT_NE(list.link(0), RankedList::kNoLink);  // the original keeps its links
}

}  // namespace
}  // namespace memory::learner
