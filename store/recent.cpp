// The "recent" file (<data dir>/recent.bin): the newest events of the newest sessions and working
// directories, rewritten by every writer after it commits (see RocksStore::FinishWrite), so that
// `memory predict` learns this shell's last commands without opening RocksDB.
//
//   "MEMREC02" varint(events in the database) varint(1 when every event of the database was
//                                       counted, else 0)
//   varint(n) n × bytes                 strings: sessions, directories and actors
//   varint(k) k × count:                varint(string) varint(events of that session)
//                                       varint(events of that directory), each at most
//                                       kRecentCountCap (for the sessions and directories kept)
//   varint(m) m × event, newest first:  zigzag(ts) bytes(id) zigzag(exit + 1, 0 = none)
//                                       varint(session string) varint(cwd string)
//                                       varint(actor string) bytes(command)
// An older file ("MEMREC01", no actors or counts) reads as NotFound (predict then scans).
#include "store/recent.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "store/coding.h"
#include "store/internal.h"
#include "store/mapped_file.h"
#include "store/recorder.h"
#include "store/summary.h"

namespace memory::internal {
namespace {
constexpr char kMagic[8] = {'M', 'E', 'M', 'R', 'E', 'C', '0', '2'};
std::string RecentPath(const std::string& dir) { return dir + "/recent.bin"; }
}  // namespace

void RecentCollector::Offer(const Event& e) {
  ++offered_;
  if (uint32_t& n = session_count_[e.session]; n < kRecentCountCap) ++n;
  if (uint32_t& n = cwd_count_[e.cwd]; n < kRecentCountCap) ++n;
  int& s = per_session_[e.session];
  int& c = per_cwd_[e.cwd];
  if (s >= static_cast<int>(kRecentPerKey) && c >= static_cast<int>(kRecentPerKey) && kept_.size() >= kRecentNewest)
    return;
  ++s, ++c;
  kept_.push_back(e);
}

Status RecentCollector::Write(const std::string& dir, int64_t db_events) const {
  std::unordered_map<std::string_view, uint64_t> index;
  std::vector<std::string_view> strings;
  auto intern = [&](std::string_view s) {
    auto [it, fresh] = index.emplace(s, strings.size());
    if (fresh) strings.push_back(s);
    return it->second;
  };
  std::string body;
  coding::PutVarint(&body, kept_.size());
  for (const Event& e : kept_) {
    coding::PutZigzag(&body, e.ts_us);
    coding::PutBytes(&body, e.id);
    coding::PutZigzag(&body, e.exit_code ? *e.exit_code + 1LL : 0);
    coding::PutVarint(&body, intern(e.session));
    coding::PutVarint(&body, intern(e.cwd));
    coding::PutVarint(&body, intern(e.actor));
    coding::PutBytes(&body, e.command);
  }
  // Counts of the kept sessions and directories (a string may be both).
  std::string counts;
  size_t k = 0;
  for (size_t i = 0; i < strings.size(); ++i) {
    auto s = session_count_.find(std::string(strings[i]));
    auto c = cwd_count_.find(std::string(strings[i]));
    if (s == session_count_.end() && c == cwd_count_.end()) continue;
    coding::PutVarint(&counts, i);
    coding::PutVarint(&counts, s == session_count_.end() ? 0 : s->second);
    coding::PutVarint(&counts, c == cwd_count_.end() ? 0 : c->second);
    ++k;
  }
  std::string out(kMagic, 8);
  coding::PutVarint(&out, static_cast<uint64_t>(std::max<int64_t>(0, db_events)));
  coding::PutVarint(&out, offered_ >= db_events ? 1 : 0);
  coding::PutVarint(&out, strings.size());
  for (std::string_view s : strings) coding::PutBytes(&out, s);
  coding::PutVarint(&out, k);
  out += counts;
  out += body;
  return WriteFileAtomic(RecentPath(dir), out);
}

}  // namespace memory::internal

namespace memory {
namespace {

// The events ReadRecentEvents' lists keep, each stored once however many lists keep it; a slot
// no list holds any more is reused (a 1 MB spool offers ~5,000 events, nearly all of them newer
// than the lists' floors at the time). A spooled event is kept encoded and decoded only if it is
// still in a list at the end: most of those offered are pruned (decoding one is a dozen
// allocations).
class EventPool {
 public:
  struct Slot {
    int64_t ts_us = 0;
    std::string_view id;  // into `record` or `event.id`
    std::string record;   // a spooled event, encoded ("" once decoded, or for the file's events)
    Event event;
    bool decoded = false;
  };
  const Slot& operator[](size_t ix) const { return slots_[ix]; }
  // An event of the recent-events file.
  size_t PutEvent(Event&& e) {
    Slot& s = NewSlot();
    s.event = std::move(e);
    s.ts_us = s.event.ts_us;
    s.id = s.event.id;
    s.decoded = true;
    return last_;
  }
  // A spooled event, encoded (`key` peeked from `record`).
  size_t PutRecord(std::string_view record, const EventKey& key) {
    Slot& s = NewSlot();
    s.record.assign(record);
    s.ts_us = key.ts_us;
    s.id = std::string_view(s.record).substr(static_cast<size_t>(key.id.data() - record.data()), key.id.size());
    s.decoded = false;
    return last_;
  }
  // The slot's event, decoding it on first use; null when it does not decode.
  const Event* Get(size_t ix) {
    Slot& s = slots_[ix];
    if (!s.decoded) {
      s.decoded = true;
      if (!DecodeEvent(s.record, &s.event).ok()) s.event.id.clear();
    }
    return s.event.id.empty() ? nullptr : &s.event;
  }
  void Ref(size_t ix) { ++refs_[ix]; }
  void Unref(size_t ix) {
    if (--refs_[ix] == 0) free_.push_back(ix);
  }

 private:
  Slot& NewSlot() {
    if (free_.empty()) {
      slots_.emplace_back();
      refs_.push_back(0);
      last_ = slots_.size() - 1;
    } else {
      last_ = free_.back();
      free_.pop_back();
    }
    return slots_[last_];
  }
  std::deque<Slot> slots_;
  std::vector<uint32_t> refs_;
  std::vector<size_t> free_;
  size_t last_ = 0;
};

// One list of ReadRecentEvents: the file's events of a key plus the spooled events it lacks,
// newest first, at most `limit`. The spool may hold ~10,000 events before a fold, so they are
// offered one at a time and only candidates for the newest `limit` are kept (keeping them all
// and comparing each with every kept one took predict to 200 ms with 9,000 spooled events). The
// list holds places in a shared EventPool: pruning sorts indices, not events.
class RecentList {
 public:
  // `count_added`: whether added() is wanted (it costs a lookup of every offered event's id).
  RecentList(EventPool& pool, std::vector<size_t> stored, size_t limit, bool count_added)
      : pool_(pool), kept_(std::move(stored)), limit_(limit), count_added_(count_added) {
    if (count_added_)
      for (size_t ix : kept_) stored_ids_.insert(std::string(pool_[ix].id));
    for (size_t ix : kept_) pool_.Ref(ix);
    ids_.reserve(2 * limit_ + 16);
    Index();
  }
  // A spooled event of this list's key: whether the list wants it (then call Keep with its place
  // in the pool). Counts it when the file lacks its id.
  bool Offer(const EventKey& e) {
    if (count_added_ && stored_ids_.find(e.id) == stored_ids_.end()) ++added_;
    if (full_ && !Newer(e.ts_us, e.id, pool_[floor_].ts_us, pool_[floor_].id)) return false;
    return ids_.count(e.id) == 0;  // a repeat of a kept event (a fold cut short by a crash)
  }
  void Keep(size_t ix) {
    pool_.Ref(ix);
    kept_.push_back(ix);
    ids_.insert(pool_[ix].id);
    if (kept_.size() >= 2 * limit_ + 16) Prune();
  }
  // Spooled events offered whose id the file does not hold (repeats counted; 0 without
  // count_added).
  uint64_t added() const { return added_; }
  std::vector<Event> Take() {
    Prune();
    std::sort(kept_.begin(), kept_.end(), [&](size_t a, size_t b) { return Before(a, b); });
    std::vector<Event> out;
    out.reserve(kept_.size());
    for (size_t ix : kept_)
      if (const Event* e = pool_.Get(ix)) out.push_back(*e);
    return out;
  }

 private:
  static bool Newer(int64_t ts_a, std::string_view id_a, int64_t ts_b, std::string_view id_b) {
    return std::tie(ts_a, id_a) > std::tie(ts_b, id_b);
  }
  bool Before(size_t a, size_t b) const { return Newer(pool_[a].ts_us, pool_[a].id, pool_[b].ts_us, pool_[b].id); }
  // Keeps the newest `limit` (in no particular order: Take sorts them).
  void Prune() {
    auto before = [&](size_t a, size_t b) { return Before(a, b); };
    if (kept_.size() > limit_) {
      if (limit_ > 0) std::nth_element(kept_.begin(), kept_.begin() + static_cast<long>(limit_ - 1), kept_.end(), before);
      for (size_t i = limit_; i < kept_.size(); ++i) pool_.Unref(kept_[i]);
      kept_.resize(limit_);
    }
    full_ = limit_ > 0 && kept_.size() == limit_;
    if (full_) floor_ = *std::max_element(kept_.begin(), kept_.end(), before);  // the oldest kept
    Index();
  }
  void Index() {
    ids_.clear();
    for (size_t ix : kept_) ids_.insert(pool_[ix].id);
  }
  // Ids are 32 hex digits whose last 16 are random: hashing those 16 bytes as two words is enough.
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      if (s.size() < 16) return std::hash<std::string_view>{}(s);
      uint64_t a, b;
      std::memcpy(&a, s.data() + s.size() - 16, 8);
      std::memcpy(&b, s.data() + s.size() - 8, 8);
      return static_cast<size_t>((a * 0x9E3779B97F4A7C15ULL) ^ (b * 0xC2B2AE3D27D4EB4FULL) ^ (s.size() << 1));
    }
  };
  EventPool& pool_;
  std::vector<size_t> kept_;  // indices into pool_
  size_t limit_;
  bool count_added_;
  // The file's ids (only with count_added), looked up by view (no string built per offered event).
  std::unordered_set<std::string, IdHash, std::equal_to<>> stored_ids_;
  std::unordered_set<std::string_view, IdHash> ids_;  // those in kept_ (views into the pool's slots)
  uint64_t added_ = 0;
  bool full_ = false;  // kept_ held `limit` after the last prune; pool_[floor_] is the oldest of them
  size_t floor_ = 0;
};

}  // namespace

Status ReadRecentEvents(const std::string& dir, const std::string& session, const std::string& cwd, size_t limit,
                        RecentEvents* out) {
  *out = RecentEvents();
  limit = std::min(limit, kRecentPerKey);
  if (internal::SummaryDirty(dir)) return Status::NotFound("the store is being written");
  // Mapped, not read: the file is replaced by rename, never truncated (MappedFile).
  MappedFile file;
  std::string empty;
  std::string_view data;
  if (file.Open(internal::RecentPath(dir)).ok()) {
    data = file.data();
  } else {
    if (internal::FileExists(internal::DbDir(dir))) return Status::NotFound("no recent-events file");
    // No database yet: everything is in the spool.
    empty.assign(internal::kMagic, 8);
    empty.append({'\0', '\1', '\0', '\0', '\0'});  // 0 events (all counted), no strings, counts, events
    data = empty;
  }
  // Written before the summary and its dirty marker's removal: if the marker appeared meanwhile,
  // the file may predate a commit.
  if (internal::SummaryDirty(dir)) return Status::NotFound("the store is being written");
  auto damaged = [] { return Status::NotFound("recent-events file damaged"); };
  if (data.size() >= 8 && std::memcmp(data.data(), internal::kMagic, 6) == 0 &&
      std::memcmp(data.data(), internal::kMagic, 8) != 0)
    return Status::NotFound("recent-events file of an older format");
  if (data.size() < 8 || std::memcmp(data.data(), internal::kMagic, 8) != 0) return damaged();
  coding::Reader r(data.substr(8));
  uint64_t db_events = 0, complete = 0, n = 0;
  if (!r.GetVarint(&db_events) || !r.GetVarint(&complete) || !r.GetVarint(&n) || n > data.size()) return damaged();
  constexpr uint64_t kAbsent = UINT64_MAX;
  uint64_t session_ix = kAbsent, cwd_ix = kAbsent;
  std::vector<std::string_view> strings(n);
  for (uint64_t i = 0; i < n; ++i) {
    if (!r.GetView(&strings[i])) return damaged();
    if (!session.empty() && strings[i] == session) session_ix = i;
    if (!cwd.empty() && strings[i] == cwd) cwd_ix = i;
  }
  uint64_t k = 0;
  if (!r.GetVarint(&k) || k > n) return damaged();
  uint64_t session_count = 0, cwd_count = 0;
  for (uint64_t i = 0; i < k; ++i) {
    uint64_t ix = 0, sc = 0, cc = 0;
    if (!r.GetVarint(&ix) || !r.GetVarint(&sc) || !r.GetVarint(&cc)) return damaged();
    if (ix == session_ix) session_count = sc;
    if (ix == cwd_ix) cwd_count = cc;
  }
  uint64_t m = 0;
  if (!r.GetVarint(&m) || m > data.size()) return damaged();
  EventPool pool;  // the events any list keeps
  std::vector<size_t> stored_session, stored_cwd, stored_newest;
  for (uint64_t i = 0; i < m; ++i) {
    int64_t ts = 0, exit1 = 0;
    uint64_t si = 0, ci = 0, ai = 0;
    std::string_view id, command;
    if (!r.GetZigzag(&ts) || !r.GetView(&id) || !r.GetZigzag(&exit1) || !r.GetVarint(&si) || !r.GetVarint(&ci) ||
        !r.GetVarint(&ai) || ai >= n || !r.GetView(&command))
      return damaged();
    bool in_session = si == session_ix && stored_session.size() < limit;
    bool in_cwd = ci == cwd_ix && stored_cwd.size() < limit;
    bool in_newest = stored_newest.size() < kRecentNewest;
    if (!in_session && !in_cwd && !in_newest) continue;
    Event e;
    e.ts_us = ts;
    e.id = std::string(id);
    if (exit1) e.exit_code = static_cast<int32_t>(exit1 - 1);
    if (si == session_ix) e.session = session;
    if (ci == cwd_ix) e.cwd = cwd;
    e.actor = std::string(strings[ai]);
    e.command = std::string(command);
    const size_t ix = pool.PutEvent(std::move(e));
    if (in_session) stored_session.push_back(ix);
    if (in_newest) stored_newest.push_back(ix);
    if (in_cwd) stored_cwd.push_back(ix);
  }
  if (!r.done()) return damaged();

  // Spooled events are newer than the file (or were folded after a crash: ids deduplicate).
  // Counts: the file's plus the spooled events it does not hold.
  const bool by_session = !session.empty(), by_cwd = !cwd.empty();
  RecentList session_list(pool, std::move(stored_session), limit, by_session);
  RecentList cwd_list(pool, std::move(stored_cwd), limit, by_cwd);
  RecentList newest_list(pool, std::move(stored_newest), kRecentNewest, false);
  int64_t pending = 0;
  MEMORY_RETURN_IF_ERROR(ForEachPendingRecord(dir, [&](std::string_view record) {
    EventKey e;
    if (!PeekEvent(record, &e).ok()) return;
    ++pending;
    const bool to_session = by_session && e.session == session && session_list.Offer(e);
    const bool to_cwd = by_cwd && e.cwd == cwd && cwd_list.Offer(e);
    const bool to_newest = newest_list.Offer(e);
    if (!to_session && !to_cwd && !to_newest) return;
    const size_t ix = pool.PutRecord(record, e);
    if (to_session) session_list.Keep(ix);
    if (to_cwd) cwd_list.Keep(ix);
    if (to_newest) newest_list.Keep(ix);
  }));
  out->events = static_cast<int64_t>(db_events) + pending;
  if (by_session)
    out->session_count = static_cast<uint32_t>(std::min<uint64_t>(session_count + session_list.added(), kRecentCountCap));
  if (by_cwd)
    out->cwd_count = static_cast<uint32_t>(std::min<uint64_t>(cwd_count + cwd_list.added(), kRecentCountCap));
  out->session_count_exact = complete != 0 || out->session_count >= kRecentCountCap;
  out->cwd_count_exact = complete != 0 || out->cwd_count >= kRecentCountCap;
  if (by_session) out->session = session_list.Take();
  if (by_cwd) out->cwd = cwd_list.Take();
  out->newest = newest_list.Take();
  return Status::OK();
}

}  // namespace memory
