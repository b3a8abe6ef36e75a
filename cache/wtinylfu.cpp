// W-TinyLFU as in Caffeine: new keys enter a small LRU window; the window's LRU key (the
// candidate) moves to the main area, a segmented LRU (probation + protected), when the window
// is full, and then competes with the probation LRU key (the victim): the one with the lower
// TinyLFU frequency estimate is evicted. The window size adapts: by miniature simulation
// (default), by ARC's ghost rule, or by Caffeine's hill climber. With `readmit`, a candidate that
// admission rejected and that is requested again while still remembered (a ghost list of
// `capacity` keys) is admitted without comparison on its next try.
//
// With miniature simulation, a change of configuration costs as little as possible: when the
// shadows see every key at the cache's own capacity, the cache takes the chosen shadow's contents
// (a hand-over: from then on it behaves like that shadow); otherwise, while a grown window fills,
// the least recently used key of the whole cache is evicted rather than the main area's (each
// entry carries its last access time).
//
// Shadows track keys only, so a hand-over may bring in keys whose values the cache never loaded.
// Such a key takes a slot but is not contained: its next access is a miss (which loads the value
// and moves the key as a hit would), later ones are hits. To lose few values, a hand-over gives
// the places of those keys to held keys the leader has dropped, the most recent first (KeepHeld).
//
// Policy selection: where the shadows see every key at the cache's own capacity, an ARC shadow
// is scored beside the W-TinyLFU shadows. The cache starts as ARC (an inner ARC policy) and,
// like any other switch there, takes the leading shadow's contents whenever the lead changes,
// so it runs as ARC while ARC leads and as W-TinyLFU otherwise.
//
// Phase changes: the shadows' hits are also scored over a short horizon. When another shadow
// leads there by a clear margin, the long-run scores restart from the short-horizon ones; when
// the cache's own hit ratio falls well below its long-run value for a while, the frequency
// sketches are cleared (stale counts would keep the new working set out) and the scores restart.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <vector>

#include "cache/flat_map.h"
#include "cache/frequency_sketch.h"
#include "cache/node_list.h"
#include "cache/policies.h"
#include "cache/shadow_bank.h"

namespace memory::cache {
namespace {

enum : uint8_t { kWindow, kProbation, kProtected, kGhostWindow, kGhostMain };
// Node flags: kRejected, admission rejected the key before (readmit); kNoValue, a hand-over
// brought the key in without its value, which its next access loads (a miss).
enum : uint16_t { kRejected = 1, kNoValue = 2 };

// The miniature-simulation shadows: window shares from frequency-admitted SLRU (1 %) to almost
// plain LRU (99 %), and the small windows again with readmission of rejected candidates.
struct SimConfig {
  double window;
  bool readmit;
};
constexpr double kLargestWindow = 0.99;
constexpr SimConfig kSim[] = {{0.01, false}, {0.05, false}, {0.2, false}, {0.4, false},
                              {0.6, false},  {0.8, false},  {kLargestWindow, false}, {0.01, true},
                              {0.05, true},  {0.2, true},   {0.6, true}};
// The window share a shadow of `c` runs with. Where the shadows see every key (the cache copies
// the leader), the largest window is the whole cache, plain LRU: at <= 500 entries a 99 % window
// leaves a main of 1-5 keys that go stale on sweeps (zigzag@500: 497 hits per sweep, LRU 499, ARC
// 498.5, so the cache ended 0.06 below ARC). Sampled miniatures keep 99 %: there a plain-LRU
// miniature took the lead too early on orm-busy@1000 and orm-night@1000 (both fell below ARC).
double ShadowWindow(const SimConfig& c, bool exact_shadows) {
  return exact_shadows && c.window == kLargestWindow ? 1.0 : c.window;
}
constexpr int kArcShadow = int(std::size(kSim));  // index of the ARC shadow (sim_arc)

// The duel's first switch waits for this many capacities of requests (decayed as its scores):
// earlier leads are a cold start's (zigzag@1000 went to ARC after 2.6 capacities and lost 1.9
// points).
constexpr double kDuelEvidence = 20;

constexpr double kStepPercent = 0.0625;   // climber step, share of capacity
constexpr double kStepDecay = 0.98;
constexpr double kRestartThreshold = 0.05;

class WTinyLfu final : public Policy {
 public:
  WTinyLfu(size_t capacity, const WTinyLfuOptions& o)
      : Policy(capacity),
        opt_(o),
        map_(capacity),
        pool_(capacity),
        own_sketch_(capacity, static_cast<size_t>(o.sample * double(capacity)), o.doorkeeper) {
    for (auto& l : list_) l = pool_.NewList();
    climb_period_ = std::max<size_t>(16, size_t(o.climb_sample * double(capacity)));
    SetMaxima(o.window);
    readmit_ = keep_ghosts_ = o.readmit;
    step_ = -kStepPercent * double(capacity_);
    if (opt_.adapt == WTinyLfuOptions::Adapt::kSim) BuildShadows();
    if (bank_ && bank_->has_arc()) {  // a cold cache runs as ARC until a W-TinyLFU shadow leads
      arc_ = NewArc(capacity_);
      current_ = kArcShadow;
    }
    if (duel_) StartDuel();
  }

  std::string Name() const override {
    static const char* kAdapt[] = {"none", "climb", "ghost", "sim"};
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "wtinylfu(window=%g,protected=%g,doorkeeper=%d,readmit=%d,adapt=%s,sample=%g,"
                  "climb_sample=%g,sim_size=%g,sim_period=%g,sim_decay=%g,sim_margin=%g,"
                  "sim_fast_decay=%g,sim_fast_lead=%g,sim_reset=%g,sim_arc=%d,sim_arc_sampled=%g,"
                  "sim_arc_margin=%g,sim_arc_evidence=%g,sim_duel=%d,sim_duel_margin=%g)",
                  opt_.window, opt_.protected_share, opt_.doorkeeper ? 1 : 0, opt_.readmit ? 1 : 0,
                  kAdapt[static_cast<int>(opt_.adapt)], opt_.sample, opt_.climb_sample,
                  opt_.sim_size, opt_.sim_period, opt_.sim_decay, opt_.sim_margin,
                  opt_.sim_fast_decay, opt_.sim_fast_lead, opt_.sim_reset, opt_.sim_arc ? 1 : 0,
                  opt_.sim_arc_sampled, opt_.sim_arc_margin, opt_.sim_arc_evidence, opt_.sim_duel ? 1 : 0,
                  opt_.sim_duel_margin);
    return buf;
  }
  size_t size() const override { return arc_ ? arc_->size() : OwnSize(); }
  // Keys resident in the cache's own W-TinyLFU (serving, or behind ARC in a duel).
  size_t OwnSize() const { return len_[kWindow] + len_[kProbation] + len_[kProtected]; }
  // A key a hand-over brought in takes a slot (size()) but is not contained until its next
  // access loads its value: Contains(key) says whether Access(key) would hit.
  bool Contains(Key key) const override {
    if (arc_) return arc_->Contains(key) && !Unloaded(key);
    uint32_t n = map_.Find(key);
    return n != FlatMap::kAbsent && pool_[n].tag <= kProtected && !(pool_[n].flag & kNoValue);
  }

  bool Remove(Key key) override {
    if (duel_arc_) duel_arc_->Remove(key);  // the duel's other side forgets it too
    if (arc_) {
      unloaded_.Erase(key);
      if (duel_) RemoveOwn(key);
      return arc_->Remove(key);
    }
    return RemoveOwn(key);
  }
  bool RemoveOwn(Key key) {
    uint32_t n = map_.Find(key);
    if (n == FlatMap::kAbsent || pool_[n].tag > kProtected) return false;
    Drop(n);
    return true;
  }

  Status SetCapacity(size_t capacity, std::vector<Key>* evicted) override {
    if (capacity == 0) return Status::InvalidArgument("cache capacity must be at least 1");
    double share = double(max_window_) / double(capacity_);
    capacity_ = capacity;
    SetMaxima(share);
    if (arc_) {
      std::vector<Key> out;
      MEMORY_RETURN_IF_ERROR(arc_->SetCapacity(capacity, &out));
      for (Key k : out) unloaded_.Erase(k);
      stats_.evictions += out.size();
      if (evicted) evicted->insert(evicted->end(), out.begin(), out.end());
    }
    if (duel_arc_) MEMORY_RETURN_IF_ERROR(duel_arc_->SetCapacity(capacity, nullptr));
    // (In a duel that serves ARC, the own side's victims are not the cache's.)
    const bool serving_own = !arc_;
    const uint64_t evictions = stats_.evictions;
    while (OwnSize() > capacity_) {
      uint32_t v = AnyVictim();
      if (serving_own && evicted) evicted->push_back(pool_[v].key);
      ++stats_.evictions;
      Drop(v);
    }
    Rebalance(nullptr);
    if (!serving_own) stats_.evictions = evictions;
    duel_every_ = DuelEvery();
    const bool was_duel = duel_;
    if (opt_.adapt == WTinyLfuOptions::Adapt::kSim && !KeepSampledShadows()) BuildShadows();
    if (was_duel && !duel_) EndDuel();
    if (arc_ && !(bank_ && bank_->has_arc()) && !duel_) LeaveArc(share);  // the shadows are sampled now
    if (!was_duel && duel_) StartDuel();
    return Status::OK();
  }

  size_t window_maximum() const { return max_window_; }
  bool runs_as_arc() const { return arc_ != nullptr; }

  // Whether `key` takes a slot, with or without its value.
  bool HasSlot(Key key) const {
    if (arc_) return arc_->Contains(key);
    uint32_t n = map_.Find(key);
    return n != FlatMap::kAbsent && pool_[n].tag <= kProtected;
  }

 protected:
  // Where the shadows hand over their contents (unsampled), a change of configuration decided
  // at this access happens after the cache's own access: the new leader's contents already
  // hold the current key, so taking them first would count it as a hit even when the cache did
  // not hold it. After the hand-over the cache is the leader after this access (but for the
  // held keys KeepHeld keeps). Sampled shadows only move the segment limits, which cannot make
  // the key resident, so there the decision comes first, as it always did.
  AccessResult DoAccess(Key key) override {
    bool decide_after = false;
    if (share_cells_) {  // unsampled shadows, same sketch width: the bank located the counters
      decide_after = Observe(key);
      own_sketch_.RecordAt(bank_->last_cells());
    } else {
      const uint64_t mixed = MixKey(key);
      if (bank_ && (mixed >> 32) < sample_below_) {
        bool due = Observe(key);
        if (copy_shadows_) decide_after = due;
        else if (due) Decide();
      }
      own_sketch_.RecordMixed(mixed);
    }
    AccessResult r = duel_ ? DuelAccess(key) : arc_ ? ArcAccess(key) : OwnAccess(key);
    if (decide_after) Decide();
    return r;
  }

 private:
  // The access while the cache runs as ARC. A hit on a key a hand-over brought in is a miss
  // that loads its value; unloaded_ loses each key as it is accessed or evicted (ARC pushes out
  // at most one resident key per access, the one it reports).
  AccessResult ArcAccess(Key key, bool* raw_hit = nullptr) {
    AccessResult r = arc_->Access(key);
    if (raw_hit) *raw_hit = r.hit;
    if (unloaded_.size() == 0) return r;
    if (r.hit) {
      if (unloaded_.Erase(key)) r.hit = false;
    } else if (r.evicted) {
      unloaded_.Erase(r.victim);
    }
    return r;
  }
  bool Unloaded(Key key) const {
    return unloaded_.size() != 0 && unloaded_.Find(key) != FlatMap::kAbsent;
  }

  // The access as the cache's own W-TinyLFU (not while it runs as ARC, but for a duel's).
  // `raw_hit`: whether the key was resident, with or without its value.
  AccessResult OwnAccess(Key key, bool* raw_hit = nullptr) {
    uint32_t n = map_.Find(key);
    AccessResult r;
    bool rejected_before = false;
    if (n != FlatMap::kAbsent && pool_[n].tag > kProtected) {  // a ghost: adapt, then a miss
      rejected_before = pool_[n].tag == kGhostWindow;
      if (opt_.adapt == WTinyLfuOptions::Adapt::kGhost) GhostHit(pool_[n].tag);
      Drop(n);
      n = FlatMap::kAbsent;
    }
    if (n != FlatMap::kAbsent) {
      // A key without its value (a hand-over brought it in) is a miss that loads the value; it
      // keeps its slot and moves as on a hit.
      r.hit = !(pool_[n].flag & kNoValue);
      if (raw_hit) *raw_hit = true;
      pool_[n].flag &= uint16_t(~kNoValue);
      Stamp(n);
      switch (pool_[n].tag) {
        case kWindow: pool_.MoveToBack(list_[kWindow], n); break;
        case kProbation: {
          Move(n, kProtected);
          if (len_[kProtected] > max_protected_) Move(pool_.Front(list_[kProtected]), kProbation);
          break;
        }
        default: pool_.MoveToBack(list_[kProtected], n); break;
      }
    } else {
      n = pool_.Alloc(key, kWindow);
      // A rejected key that returns is admitted without comparison while readmit_ is on.
      pool_[n].flag = rejected_before ? kRejected : 0;
      Stamp(n);
      pool_.PushBack(list_[kWindow], n);
      ++len_[kWindow];
      map_.Put(key, n);
      Rebalance(&r);
    }
    if (opt_.adapt == WTinyLfuOptions::Adapt::kClimb) Climb(r.hit);
    return r;
  }

  void SetMaxima(double window_share) {
    size_t main = static_cast<size_t>(std::floor(double(capacity_) * (1.0 - window_share) + 1e-9));
    if (main >= capacity_) main = capacity_ - 1;  // the window holds at least one key
    max_window_ = capacity_ - main;
    max_protected_ = static_cast<size_t>(std::floor(double(main) * opt_.protected_share + 1e-9));
  }

  // Restores the size limits after an insert or a resize: overflowing window keys move to
  // probation and compete with its LRU key for admission.
  void Rebalance(AccessResult* r) {
    while (len_[kWindow] > max_window_) {
      uint32_t cand = pool_.Front(list_[kWindow]);
      Move(cand, kProbation);
      if (OwnSize() > capacity_) {
        uint32_t victim = pool_.Front(list_[kProbation]);
        int fc = Frequency(pool_[cand].key), fv = Frequency(pool_[victim].key);
        bool admit = fc > fv || (readmit_ && (pool_[cand].flag & kRejected));
        Evict(admit ? victim : cand, admit ? kGhostMain : kGhostWindow, r);
      }
    }
    while (OwnSize() > capacity_) Evict(AnyVictim(), kGhostMain, r);
    while (len_[kProtected] > max_protected_) Move(pool_.Front(list_[kProtected]), kProbation);
  }

  // The sketch's estimate for `key`; with unsampled shadows whose sketch has the width of the
  // cache's, the bank usually knows where its counters are.
  int Frequency(Key key) const {
    if (share_cells_)
      if (const FrequencySketch::Cells* c = bank_->Find(key)) return own_sketch_.FrequencyAt(*c);
    return own_sketch_.Frequency(key);
  }

  // The key evicted without an admission contest (while the window is below its size limit, or
  // after a resize): with access times, the least recently used of the three segments' LRU keys,
  // so a window that grew after a switch fills in LRU order; otherwise probation's LRU key first.
  uint32_t AnyVictim() const {
    uint32_t best = kNoNode;
    for (uint8_t t : {kProbation, kWindow, kProtected}) {
      if (pool_.Empty(list_[t])) continue;
      uint32_t f = pool_.Front(list_[t]);
      if (stamps_.empty()) return f;
      if (best == kNoNode || stamps_[f] < stamps_[best]) best = f;
    }
    return best == kNoNode ? list_[kProbation] : best;  // never empty while the map is not
  }

  // Records an access time for node n (only in a cache that changes its configuration).
  void Stamp(uint32_t n) {
    if (stamps_.empty()) return;
    if (n >= stamps_.size()) stamps_.resize(std::max<size_t>(n + 1, stamps_.size() * 2), 0);
    stamps_[n] = ++clock_;
  }

  // Removes resident node n; with ghost adaptation its key is remembered in `ghost` (the window
  // ghost for rejected candidates, the main ghost for keys the main area pushed out); for
  // readmission only rejected candidates are remembered.
  void Evict(uint32_t n, uint8_t ghost, AccessResult* r) {
    if (r && !r->evicted) {  // the first eviction of an access is reported (and counted) by Access
      r->evicted = true;
      r->victim = pool_[n].key;
    } else {
      ++stats_.evictions;
    }
    if (opt_.adapt != WTinyLfuOptions::Adapt::kGhost && !(keep_ghosts_ && ghost == kGhostWindow)) {
      Drop(n);
      return;
    }
    Move(n, ghost);
    while (len_[kGhostWindow] + len_[kGhostMain] > capacity_) {
      uint8_t from = len_[kGhostWindow] > len_[kGhostMain] ? kGhostWindow : kGhostMain;
      Drop(pool_.Front(list_[from]));
    }
  }

  // ARC's adaptation applied to the window: a key rejected from the window that comes back
  // says the window is too small; a key the main area evicted that comes back says the main
  // area is. Steps are proportional to the other ghost list's size, as in ARC.
  void GhostHit(uint8_t tag) {
    if (capacity_ < 3) return;
    size_t gw = std::max<size_t>(len_[kGhostWindow], 1), gm = std::max<size_t>(len_[kGhostMain], 1);
    if (tag == kGhostWindow) {
      size_t room = capacity_ - 1 > max_window_ ? capacity_ - 1 - max_window_ : 0;
      size_t q = std::min(std::max<size_t>(gm / gw, 1), room);
      max_window_ += q;
    } else {
      size_t q = std::min(std::max<size_t>(gw / gm, 1), max_window_ - 1);
      max_window_ -= q;
    }
    size_t main = capacity_ - max_window_;
    max_protected_ = static_cast<size_t>(std::floor(double(main) * opt_.protected_share + 1e-9));
    while (len_[kWindow] > max_window_) Move(pool_.Front(list_[kWindow]), kProbation);
    while (len_[kProtected] > max_protected_) Move(pool_.Front(list_[kProtected]), kProbation);
  }

  // Miniature simulation (Waldspurger et al., ATC'17): shadows with fixed window shares see a
  // hash-sampled share of the keys at a capacity scaled by the same share.
  // The shadows' capacity at the cache's capacity, and the share of keys they see (1: all).
  struct ShadowScale {
    size_t capacity;
    double rate;
    // Shadows that see every key at the cache's capacity can hand over their contents.
    bool exact(size_t cache_capacity) const { return rate >= 1.0 && capacity == cache_capacity; }
  };
  ShadowScale Scale() const {
    if (!(double(capacity_) > opt_.sim_size)) return {capacity_, 1.0};
    const size_t cap = std::max<size_t>(1, size_t(std::lround(opt_.sim_size)));
    return {cap, double(cap) / double(capacity_)};
  }
  // ARC is scored beside exact shadows, and where they see at most a share sim_arc_sampled of
  // the keys (large caches); a sampled ARC shadow cannot hand over its lists, so there the
  // cache turns its own contents into ARC's (EnterArcFromOwn) and back (LeaveArc). Between
  // the two, starting as ARC and leaving it cost loop-like traces up to 13 points (cs@600)
  // and at 1,000 entries three reference rows up to 0.19 points; from about 2,000 entries (a
  // quarter of the keys) the ARC shadow keeps generated phase changes at ARC's hit ratio
  // (shift@2000 of bench/cache/synthetic_rows.sh: 1.33 points below ARC with an eighth). The
  // default 0.26 starts it at 1,923 entries, so that the 1,980-entry main of a prefetching
  // cache of 2,000 has it too.
  bool WithArcShadow(const ShadowScale& s) const {
    return opt_.sim_arc && (s.exact(capacity_) || s.rate <= opt_.sim_arc_sampled);
  }
  static uint64_t SampleBelow(double rate) {
    return rate >= 1.0 ? (uint64_t(1) << 32) : uint64_t(rate * 4294967296.0);
  }

  void BuildShadows() {
    const ShadowScale scale = Scale();
    const size_t cap = scale.capacity;
    sample_below_ = SampleBelow(scale.rate);
    copy_shadows_ = scale.exact(capacity_);
    // The shadows see the same sampled keys: one bank (one lookup, one sketch) holds them all.
    std::vector<ShadowBank::WConfig> configs;
    for (const SimConfig& c : kSim) configs.push_back({ShadowWindow(c, copy_shadows_), c.readmit});
    bank_ = std::make_unique<ShadowBank>(cap, configs, opt_.protected_share, WithArcShadow(scale),
                                         static_cast<size_t>(opt_.sample * double(cap)),
                                         opt_.doorkeeper);
    // (A resize keeps the cache's sketch, so after one the widths may differ.)
    share_cells_ = copy_shadows_ && bank_->sketch_width() == own_sketch_.width();
    keep_ghosts_ = true;  // so that switching to a readmitting shadow finds its ghosts
    if (stamps_.empty()) stamps_.assign(std::min<size_t>(2 * capacity_ + 8, size_t(1) << 21), 0);
    size_t scored = bank_->members();
    scores_.assign(scored, 0.0);
    fast_.assign(scored, 0.0);
    fast_weight_ = slow_weight_ = 0;
    own_slow_[0] = own_slow_[1] = own_fast_[0] = own_fast_[1] = 0;
    last_own_hits_ = stats_.hits;
    last_own_requests_ = stats_.requests();
    last_hits_.assign(scored, 0);
    sim_period_ = std::max<size_t>(16, size_t(opt_.sim_period * double(cap)));
    sim_count_ = 0;
    decide_every_ = std::min<size_t>(16, sim_period_);
    // Until the shadows disagree the cache keeps its window; ties favour the current shadow.
    current_ = NearestShadow();
    if (arc_ && bank_->has_arc()) current_ = kArcShadow;
    duel_ = opt_.sim_duel && opt_.sim_arc && !copy_shadows_ && !bank_->has_arc();
  }

  // The W-TinyLFU shadow whose window share is nearest the cache's (with its readmit setting).
  int NearestShadow() const {
    const double share = double(max_window_) / double(capacity_);
    int best = 0;
    for (size_t i = 1; i < std::size(kSim); ++i)
      if (kSim[i].readmit == readmit_ &&
          (kSim[best].readmit != readmit_ ||
           std::abs(kSim[i].window - share) < std::abs(kSim[best].window - share)))
        best = int(i);
    return best;
  }

  // After a resize: sampled shadows run at sim_size entries whatever the cache's capacity, so
  // when they stay sampled, with the same members, only the share of keys they see changes; their
  // contents, scores and leader are kept. (Building them anew at every resize cost up to 1.9
  // points: orm-night@5000 with the capacity alternating between 5,000 and 4,900 every 65,536
  // requests fell to 89.06 %, below 91.18 and 90.92 % for the two fixed sizes.) False when the
  // shadows must be built anew: they were or become exact, or the ARC member comes or goes.
  bool KeepSampledShadows() {
    const ShadowScale scale = Scale();
    if (!bank_ || copy_shadows_ || scale.exact(capacity_) || WithArcShadow(scale) != bank_->has_arc())
      return false;
    sample_below_ = SampleBelow(scale.rate);
    return true;
  }

  uint64_t ShadowHits(size_t i) const { return bank_->hits(i); }

  // The shadows see `key`; true when a decision is due (Decide).
  bool Observe(Key key) {
    bank_->Access(key);
    // A decision every 1/8 of the period, but every 16 sampled accesses at first (doubling),
    // so a cold cache does not run long on the initial window. Scores decay by sim_decay per
    // period, whatever the decision step.
    return ++sim_count_ >= decide_every_;
  }

  // Scores the shadows' hits since the last decision and follows the leader.
  void Decide() {
    double decay = std::pow(opt_.sim_decay, double(sim_count_) / double(sim_period_));
    decide_every_ = std::min(std::max<size_t>(sim_period_ / 8, 16), decide_every_ * 2);
    double fast_decay = std::pow(opt_.sim_fast_decay, double(sim_count_) / double(sim_period_));
    fast_weight_ = fast_decay * fast_weight_ + double(sim_count_);
    slow_weight_ = decay * slow_weight_ + double(sim_count_);
    double step = double(sim_count_);
    sim_count_ = 0;
    for (size_t i = 0; i < scores_.size(); ++i) {
      uint64_t h = ShadowHits(i);
      scores_[i] = decay * scores_[i] + double(h - last_hits_[i]);
      fast_[i] = fast_decay * fast_[i] + double(h - last_hits_[i]);
      last_hits_[i] = h;
    }
    int best = current_, fast_best = current_;
    for (size_t i = 0; i < scores_.size(); ++i) {
      if (scores_[i] > scores_[best]) best = int(i);
      if (fast_[i] > fast_[fast_best]) fast_best = int(i);
    }
    // A change of regime: over the short horizon another shadow's hit ratio leads the current
    // one's by sim_fast_lead (absolute), so the long-run scores describe a past phase. They
    // restart from the short-horizon scores, and the leader is taken at once.
    // (Not before the short horizon holds one period of accesses.)
    bool restart = fast_best != current_ && fast_weight_ >= double(sim_period_) &&
                   fast_[fast_best] - fast_[current_] >= opt_.sim_fast_lead * fast_weight_;
    // The cache's own hit ratio over the short horizon stayed sim_reset below its long-run value
    // for a period: the sketch's counts describe a past working set and keep the new one out,
    // so they are cleared (in the cache and the shadows), and both score horizons restart with
    // the quick decisions of a cold start.
    // (In a duel, the own W-TinyLFU's hits, also while ARC serves.)
    const uint64_t own_hits = duel_ ? duel_hits_[0] : stats_.hits;
    uint64_t dh = own_hits - last_own_hits_, dr = stats_.requests() - last_own_requests_;
    last_own_hits_ = own_hits;
    last_own_requests_ = stats_.requests();
    own_slow_[0] = decay * own_slow_[0] + double(dh);
    own_slow_[1] = decay * own_slow_[1] + double(dr);
    own_fast_[0] = fast_decay * own_fast_[0] + double(dh);
    own_fast_[1] = fast_decay * own_fast_[1] + double(dr);
    bool low = slow_weight_ >= 10.0 * double(sim_period_) && own_fast_[1] > 0 &&
               own_slow_[0] / own_slow_[1] - own_fast_[0] / own_fast_[1] >= opt_.sim_reset;
    drop_run_ = low ? drop_run_ + step : 0;
    bool dropped = low && drop_run_ >= double(sim_period_);  // a fall that lasts one period
    if (dropped) {
      own_sketch_ = FrequencySketch(capacity_, own_sketch_.sample_period(), opt_.doorkeeper);
      bank_->ResetSketch();
      std::fill(scores_.begin(), scores_.end(), 0.0);
      std::fill(fast_.begin(), fast_.end(), 0.0);
      fast_weight_ = slow_weight_ = 0;
      own_slow_[0] = own_slow_[1] = own_fast_[0] = own_fast_[1] = 0;
      decide_every_ = std::min<size_t>(16, sim_period_);
      drop_run_ = 0;
      return;
    }
    if (restart) scores_ = fast_;
    if (restart) best = fast_best;
    // Hysteresis: each move reshuffles the cache, so near-ties keep the current window. A
    // hand-over costs the values it cannot keep, but no margin measured better on the reference
    // rows (bench/results/cache.md, 2026-12-04), so only sampled shadows have one.
    double margin = copy_shadows_ ? 0.0 : opt_.sim_margin;
    // Sampled shadows tell ARC from W-TinyLFU poorly (on the reference rows the miniature ARC
    // and the best miniature W-TinyLFU are often within a point while the real caches are not),
    // so a sampled switch into or out of ARC needs the larger lead sim_arc_margin.
    if (!copy_shadows_ && (best == kArcShadow || current_ == kArcShadow))
      margin = opt_.sim_arc_margin;
    if (!restart && scores_[best] <= scores_[current_] * (1.0 + margin)) best = current_;
    // Leaving ARC on sampled shadows' word also waits for sim_arc_evidence periods of scored
    // accesses (a cold start, or after the sketch was cleared): short traces left their ARC start
    // too early (multi3@4000 0.93 and web07@4000 0.65 points below ARC, sprite@2000 0.50), where
    // a larger sim_arc_margin lost on long ones. A change of regime (restart) still leaves at once.
    if (!copy_shadows_ && current_ == kArcShadow && !restart &&
        slow_weight_ < opt_.sim_arc_evidence * double(sim_period_))
      best = current_;
    if (best == current_) return;
    current_ = best;
    if (best == kArcShadow) {
      if (copy_shadows_) EnterArc();
      else EnterArcFromOwn();
      return;
    }
    readmit_ = kSim[best].readmit;
    if (copy_shadows_) {
      CopyFrom(size_t(best));
      return;
    }
    if (arc_ && !duel_) {
      LeaveArc(kSim[best].window);
      return;
    }
    SetMaxima(kSim[best].window);
    while (len_[kWindow] > max_window_) Move(pool_.Front(list_[kWindow]), kProbation);
    while (len_[kProtected] > max_protected_) Move(pool_.Front(list_[kProtected]), kProbation);
  }

  // The duel (sim_duel). Each side sees every key; the one behind the cache keeps its own
  // contents (ARC in duel_arc_, or the own W-TinyLFU segments while arc_ serves), and its hits
  // are counted as if it served.
  AccessResult DuelAccess(Key key) {
    bool own_hit = false, arc_hit = false;
    AccessResult r;
    if (arc_) {
      r = ArcAccess(key, &arc_hit);
      const uint64_t evictions = stats_.evictions;  // the own side's victims are not the cache's
      OwnAccess(key, &own_hit);
      stats_.evictions = evictions;
    } else {
      r = OwnAccess(key, &own_hit);
      arc_hit = duel_arc_->Access(key).hit;
    }
    duel_hits_[0] += own_hit;
    duel_hits_[1] += arc_hit;
    if (++duel_count_ >= duel_every_) DuelDecide();
    return r;
  }

  // Scores both sides' hits since the last decision (decayed by sim_decay per sim_period ×
  // capacity requests, the horizon of the shadows' scores) and serves from the leader.
  void DuelDecide() {
    const double decay =
        std::pow(opt_.sim_decay, double(duel_count_) / (opt_.sim_period * double(capacity_)));
    duel_weight_ = decay * duel_weight_ + double(duel_count_);
    duel_count_ = 0;
    for (int i = 0; i < 2; ++i) {
      duel_score_[i] = decay * duel_score_[i] + double(duel_hits_[i] - duel_last_[i]);
      duel_last_[i] = duel_hits_[i];
    }
    const int serving = arc_ ? 1 : 0;
    if (duel_weight_ < kDuelEvidence * double(capacity_)) return;
    const double lead = duel_score_[1 - serving] - duel_score_[serving];
    if (lead <= duel_score_[serving] * opt_.sim_duel_margin) return;
    // A switch loses the values of the keys only the other side holds: each that is asked for
    // again while resident is a miss. The lead must exceed their number times the other side's
    // hit ratio (the chance that a resident key is asked for again, roughly). Counting each as a
    // sure miss kept the cache off ARC too long where ARC leads at a low hit ratio (the hotscan
    // rows of bench/cache/synthetic_rows.sh at 750 and 1,000 entries: 0.2-0.34 points below ARC,
    // against 0.07-0.2 now).
    // (The count takes a pass over the other side's keys: it is taken at most once per capacity
    // of requests. Taken at every decision, an eighth of that apart, it made the duel's overhead
    // about 1.5 times as large on web07@1000.)
    const uint64_t now = stats_.requests();
    if (duel_cost_at_ == kNever || now - duel_cost_at_ >= capacity_) {
      duel_cost_ = DuelSwitchCost();
      duel_cost_at_ = now;
    }
    const double other_hit_ratio = duel_score_[1 - serving] / duel_weight_;
    if (lead <= other_hit_ratio * duel_cost_) return;
    duel_cost_at_ = kNever;
    // As in a hand-over from exact shadows, the held keys take the places of the leader's keys
    // that have no values (KeepHeld); the leader goes on from there.
    CollectHeld();
    if (serving == 0) {
      ArcState st;
      GetArcState(*duel_arc_, &st);
      KeepHeld({&st.t1, &st.t2}, {&st.b1, &st.b2}, {}, {});
      unloaded_.Clear();
      for (const std::vector<Key>* l : {&st.t1, &st.t2})
        for (Key k : *l)
          if (!Held(k)) unloaded_.Put(k, 0);
      arc_ = NewArc(capacity_, st);
      duel_arc_.reset();
    } else {
      duel_arc_ = std::move(arc_);
      ServeOwnSide();
    }
  }

  // The keys resident on the side behind the cache whose values the cache does not hold.
  double DuelSwitchCost() const {
    size_t missing = 0;
    if (arc_) {
      for (uint8_t t = kWindow; t <= kProtected; ++t)
        for (uint32_t n = pool_.Front(list_[t]); n != list_[t]; n = pool_[n].next)
          missing += !Contains(pool_[n].key);
    } else {
      ArcState st;
      GetArcState(*duel_arc_, &st);
      for (const std::vector<Key>* l : {&st.t1, &st.t2})
        for (Key k : *l) missing += !Contains(k);
    }
    return double(missing);
  }

  // A duel begins (a cold cache, or a resize into the duel's range): from the cache as it is,
  // with ARC behind it (an ARC the cache ran as goes behind its own contents turned W-TinyLFU).
  void StartDuel() {
    if (arc_) {
      ArcState st;
      GetArcState(*arc_, &st);
      LeaveArc(double(max_window_) / double(capacity_));
      duel_arc_ = NewArc(capacity_, st);
    } else {
      duel_arc_ = NewArc(capacity_);
    }
    duel_every_ = DuelEvery();
    duel_count_ = 0;
    duel_hits_[0] = duel_hits_[1] = duel_last_[0] = duel_last_[1] = 0;
    duel_score_[0] = duel_score_[1] = 0;
    duel_weight_ = 0;
    duel_cost_at_ = kNever;
    last_own_hits_ = 0;
  }

  // Requests between two duel decisions: an eighth of the score's period, as for the shadows.
  size_t DuelEvery() const {
    return std::max<size_t>(16, size_t(opt_.sim_period * double(capacity_) / 8));
  }

  // A resize out of the duel's range. Below it (exact shadows, which hand over their lists) the
  // cache keeps what it serves. Above it, where the ARC shadow is sampled and a switch out of
  // ARC waits for the larger lead sim_arc_margin, a duel that served ARC hands over to its own
  // W-TinyLFU, which saw every key (as a switch of the duel does): staying ARC there, with cold
  // shadows, cost orm-night 0.8 points with the capacity alternating between 2,500 and 1,000
  // every 65,536 requests (71.009 -> 71.813 %; bench/results/cache.md, session 19).
  void EndDuel() {
    if (arc_ && !copy_shadows_) {
      CollectHeld();
      ServeOwnSide();
      current_ = NearestShadow();
    } else if (arc_) {
      DropOwn();
    }
    duel_arc_.reset();
    last_own_hits_ = stats_.hits;
  }

  // Before a hand-over: held_ has each resident key whose value the cache holds; held_keys_
  // lists them least recently used first (from ARC: T1's keys before T2's, each least recently
  // used first) with their kRejected bits.
  void CollectHeld() {
    held_.Clear();
    held_keys_.clear();
    if (arc_) {
      ArcState st;
      GetArcState(*arc_, &st);
      for (const std::vector<Key>* l : {&st.t1, &st.t2})
        for (Key k : *l)
          if (!Unloaded(k)) held_keys_.push_back({k, 0});
    } else {
      std::vector<std::pair<uint64_t, uint32_t>> by_time;  // (last access, node)
      for (uint8_t t = kWindow; t <= kProtected; ++t)
        for (uint32_t n = pool_.Front(list_[t]); n != list_[t]; n = pool_[n].next)
          if (!(pool_[n].flag & kNoValue))
            by_time.push_back({n < stamps_.size() ? stamps_[n] : 0, n});
      std::sort(by_time.begin(), by_time.end());
      for (auto [time, n] : by_time)
        held_keys_.push_back({pool_[n].key, uint8_t(pool_[n].flag & kRejected)});
    }
    for (const auto& [key, rejected] : held_keys_) held_.Put(key, 0);
  }
  bool Held(Key key) const { return held_.Find(key) != FlatMap::kAbsent; }

  // A hand-over keeps the values the cache holds where it can: in the leader's resident lists
  // (window, probation, protected or T1, T2), the places of keys whose values the cache does
  // not hold go to held keys the leader does not hold — the most recently used of them, in
  // order, the last to the last such place; a key adopted from the leader's ghost lists leaves
  // them (adopting only keys in none of the leader's lists left hand-overs short of keys: with
  // ghosts, 8 of the 45 reference rows gain, cs@300 +1.88 points, and none loses). Places left over
  // keep the leader's key, without its value. `flags` / `ghost_flags` (empty for ARC) are the
  // lists' flags; an adopted key brings its own.
  void KeepHeld(const std::vector<std::vector<Key>*>& resident,
                const std::vector<std::vector<Key>*>& ghosts,
                const std::vector<std::vector<uint8_t>*>& flags,
                const std::vector<std::vector<uint8_t>*>& ghost_flags) {
    FlatMap leader(2 * capacity_ + 16);
    for (const std::vector<Key>* l : resident)
      for (Key k : *l) leader.Put(k, 0);
    for (const std::vector<Key>* l : ghosts)
      for (Key k : *l) leader.Put(k, 1);
    std::vector<uint32_t> adopt;  // indices into held_keys_, least recently used first
    for (uint32_t i = 0; i < held_keys_.size(); ++i)
      if (leader.Find(held_keys_[i].first) != 0) adopt.push_back(i);  // absent or a ghost
    std::vector<std::pair<size_t, size_t>> places;  // (list, index) of keys without values
    for (size_t l = 0; l < resident.size(); ++l)
      for (size_t i = 0; i < resident[l]->size(); ++i)
        if (!Held((*resident[l])[i])) places.push_back({l, i});
    size_t m = std::min(places.size(), adopt.size());
    FlatMap adopted(2 * m + 16);
    for (size_t j = 0; j < m; ++j) {
      auto [l, i] = places[places.size() - m + j];
      const auto& [key, rejected] = held_keys_[adopt[adopt.size() - m + j]];
      (*resident[l])[i] = key;
      if (!flags.empty()) (*flags[l])[i] = rejected;
      if (leader.Find(key) == 1) adopted.Put(key, 0);
    }
    for (size_t g = 0; g < ghosts.size(); ++g) {
      std::vector<Key>& l = *ghosts[g];
      size_t out = 0;
      for (size_t i = 0; i < l.size(); ++i) {
        if (adopted.Find(l[i]) != FlatMap::kAbsent) continue;
        if (!ghost_flags.empty()) (*ghost_flags[g])[out] = (*ghost_flags[g])[i];
        l[out++] = l[i];
      }
      l.resize(out);
      if (!ghost_flags.empty()) ghost_flags[g]->resize(out);
    }
  }

  // Empties the cache's own W-TinyLFU segments and ghost lists.
  void DropOwn() {
    for (uint8_t t = kWindow; t <= kGhostMain; ++t)
      while (!pool_.Empty(list_[t])) Drop(pool_.Front(list_[t]));
  }

  // The cache runs as ARC from now on: a copy of the ARC shadow, which has seen every key at the
  // cache's capacity (ghosts and p included), so it behaves like that shadow, except for the
  // held keys KeepHeld puts in place of keys whose values the cache does not have; those left
  // are recorded in unloaded_.
  void EnterArc() {
    CollectHeld();
    ArcState st;
    bank_->ArcLists(&st);
    KeepHeld({&st.t1, &st.t2}, {&st.b1, &st.b2}, {}, {});
    DropOwn();
    unloaded_.Clear();
    for (const std::vector<Key>* l : {&st.t1, &st.t2})
      for (Key k : *l)
        if (!Held(k)) unloaded_.Put(k, 0);
    arc_ = NewArc(capacity_, st);
  }

  // The cache runs as ARC from now on, with its own contents (sampled shadows, which it cannot
  // copy): window and probation keys become T1, least recently used first, protected keys T2;
  // the ghosts start empty; T1's target is the ARC shadow's, scaled to the cache's capacity.
  void EnterArcFromOwn() {
    ArcState st;
    const size_t shadow_capacity = std::max<size_t>(1, bank_->capacity());
    st.p = std::min(capacity_, size_t(std::llround(double(bank_->arc_p()) * double(capacity_) /
                                                   double(shadow_capacity))));
    std::vector<std::pair<uint64_t, Key>> once;  // (last access, key) of window and probation
    for (uint8_t t : {kWindow, kProbation})
      for (uint32_t n = pool_.Front(list_[t]); n != list_[t]; n = pool_[n].next)
        once.push_back({n < stamps_.size() ? stamps_[n] : 0, pool_[n].key});
    std::sort(once.begin(), once.end());
    for (const auto& [time, key] : once) st.t1.push_back(key);
    for (uint32_t n = pool_.Front(list_[kProtected]); n != list_[kProtected]; n = pool_[n].next)
      st.t2.push_back(pool_[n].key);
    DropOwn();
    unloaded_.Clear();
    arc_ = NewArc(capacity_, st);
  }

  // Back from ARC to a W-TinyLFU window share, with the cache's own contents (when a resize
  // leaves no ARC shadow, or a sampled W-TinyLFU shadow leads): T2's most recent keys fill the
  // protected segment, T1's the window; the rest enter probation, T1's before T2's.
  void LeaveArc(double window) {
    ArcState st;
    GetArcState(*arc_, &st);
    arc_.reset();
    SetMaxima(window);
    size_t t1_window = std::min(st.t1.size(), max_window_);
    size_t t2_protected = std::min(st.t2.size(), max_protected_);
    auto put = [&](const std::vector<Key>& keys, size_t from, size_t to, uint8_t tag) {
      for (size_t i = from; i < to; ++i) {
        uint32_t n = pool_.Alloc(keys[i], tag);
        if (Unloaded(keys[i])) pool_[n].flag = kNoValue;
        pool_.PushBack(list_[tag], n);
        ++len_[tag];
        map_.Put(keys[i], n);
        Stamp(n);
      }
    };
    put(st.t1, 0, st.t1.size() - t1_window, kProbation);
    put(st.t2, 0, st.t2.size() - t2_protected, kProbation);
    put(st.t2, st.t2.size() - t2_protected, st.t2.size(), kProtected);
    put(st.t1, st.t1.size() - t1_window, st.t1.size(), kWindow);
    unloaded_.Clear();
  }

  // Makes the cache's contents those of shadow `s` (same capacity, same keys seen): each segment
  // and ghost list in its order, the flags, the size limits — except for the held keys KeepHeld
  // puts in place of keys whose values the cache does not have; those left are marked
  // kNoValue. The shadows share the sketch's parameters and keys, so the two sketches hold the
  // same counts.
  void CopyFrom(size_t s) {
    CollectHeld();
    std::vector<Key> keys[5];
    std::vector<uint8_t> flags[5];
    for (uint8_t t = kWindow; t <= kGhostMain; ++t) bank_->WList(s, t, &keys[t], &flags[t]);
    LoadOwn(keys, flags);
    max_window_ = bank_->max_window(s);
    max_protected_ = bank_->max_protected(s);
  }

  // After CollectHeld: the cache serves its own W-TinyLFU again, the side that ran behind ARC
  // (its lists as they are, the held keys in the places of keys without values; arc_ dropped).
  void ServeOwnSide() {
    std::vector<Key> keys[5];
    std::vector<uint8_t> flags[5];
    OwnLists(keys, flags);
    LoadOwn(keys, flags);
  }

  // The cache's own segments and ghost lists (kWindow..kGhostMain), least recently used first,
  // with their kRejected bits.
  void OwnLists(std::vector<Key> (&keys)[5], std::vector<uint8_t> (&flags)[5]) const {
    for (uint8_t t = kWindow; t <= kGhostMain; ++t) {
      keys[t].clear();
      flags[t].clear();
      for (uint32_t n = pool_.Front(list_[t]); n != list_[t]; n = pool_[n].next) {
        keys[t].push_back(pool_[n].key);
        flags[t].push_back(uint8_t(pool_[n].flag & kRejected));
      }
    }
  }

  // After CollectHeld: the cache runs as its own W-TinyLFU with these lists and flags (as
  // OwnLists gives them), but for the held keys KeepHeld puts in place of keys whose values the
  // cache does not have; those left are marked kNoValue.
  void LoadOwn(std::vector<Key> (&keys)[5], std::vector<uint8_t> (&flags)[5]) {
    KeepHeld({&keys[kWindow], &keys[kProbation], &keys[kProtected]},
             {&keys[kGhostWindow], &keys[kGhostMain]},
             {&flags[kWindow], &flags[kProbation], &flags[kProtected]},
             {&flags[kGhostWindow], &flags[kGhostMain]});
    arc_.reset();
    unloaded_.Clear();
    DropOwn();
    for (uint8_t t = kWindow; t <= kGhostMain; ++t) {
      for (size_t i = 0; i < keys[t].size(); ++i) {
        uint32_t n = pool_.Alloc(keys[t][i], t);
        pool_[n].flag = flags[t][i] ? kRejected : 0;
        if (t <= kProtected && !Held(keys[t][i])) pool_[n].flag |= kNoValue;
        pool_.PushBack(list_[t], n);
        ++len_[t];
        map_.Put(keys[t][i], n);
        Stamp(n);
      }
    }
  }

  // Caffeine's hill climber: after each sample, keep moving the window size in the direction
  // that raised the hit ratio; restart big steps when the hit ratio changes a lot.
  void Climb(bool hit) {
    sample_hits_ += hit;
    if (++sample_requests_ < climb_period_) return;
    double rate = double(sample_hits_) / double(sample_requests_);
    double change = rate - previous_rate_;
    double amount = change >= 0 ? step_ : -step_;
    step_ = std::abs(change) >= kRestartThreshold
                ? kStepPercent * double(capacity_) * (amount >= 0 ? 1 : -1)
                : kStepDecay * amount;
    previous_rate_ = rate;
    sample_hits_ = sample_requests_ = 0;
    long delta = std::lround(amount);
    if (delta > 0) {
      size_t q = std::min<size_t>(size_t(delta), max_protected_);
      max_protected_ -= q;
      max_window_ += q;
    } else if (delta < 0) {
      size_t q = std::min<size_t>(size_t(-delta), max_window_ - 1);
      max_window_ -= q;
      max_protected_ += q;
      size_t main = capacity_ - max_window_;
      max_protected_ = std::min(max_protected_, main);
    }
    while (len_[kWindow] > max_window_) Move(pool_.Front(list_[kWindow]), kProbation);
    while (len_[kProtected] > max_protected_) Move(pool_.Front(list_[kProtected]), kProbation);
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

  WTinyLfuOptions opt_;
  FlatMap map_;
  NodePool pool_;
  FrequencySketch own_sketch_;
  uint32_t list_[5];
  size_t len_[5] = {0, 0, 0, 0, 0};
  size_t max_window_ = 1;
  size_t max_protected_ = 0;
  // Hill climber state.
  double step_ = 0;
  double previous_rate_ = 0;
  size_t sample_hits_ = 0;
  size_t sample_requests_ = 0;
  size_t climb_period_ = 0;
  // Miniature-simulation state.
  std::unique_ptr<ShadowBank> bank_;  // the shadows; ARC is member kArcShadow (sim_arc)
  std::unique_ptr<Policy> arc_;       // while the ARC shadow is chosen, the cache runs as ARC
  // The duel (sim_duel): on, ARC behind the cache (null while the cache serves ARC from arc_),
  // both sides' hits as if each served, and their decayed scores.
  bool duel_ = false;
  std::unique_ptr<Policy> duel_arc_;
  uint64_t duel_hits_[2] = {0, 0}, duel_last_[2] = {0, 0};  // [0] own W-TinyLFU, [1] ARC
  double duel_score_[2] = {0, 0};
  double duel_weight_ = 0;  // requests, decayed like the scores
  size_t duel_count_ = 0, duel_every_ = 16;
  double duel_cost_ = 0;  // DuelSwitchCost() when the cache had served duel_cost_at_ requests
  static constexpr uint64_t kNever = ~uint64_t(0);
  uint64_t duel_cost_at_ = kNever;
  // While it runs as ARC: the resident keys a hand-over brought in without their values.
  FlatMap unloaded_{16};
  // Scratch of a hand-over (CollectHeld): the keys whose values the cache holds.
  FlatMap held_{16};
  std::vector<std::pair<Key, uint8_t>> held_keys_;
  std::vector<double> scores_;
  std::vector<double> fast_;  // the same hits with the short horizon (sim_fast_decay)
  double fast_weight_ = 0;    // sampled accesses, decayed like fast_
  double slow_weight_ = 0;    // sampled accesses, decayed like scores_
  // The cache's own hits and requests with both horizons, for sim_reset.
  double own_slow_[2] = {0, 0}, own_fast_[2] = {0, 0};
  uint64_t last_own_hits_ = 0, last_own_requests_ = 0;
  double drop_run_ = 0;  // sampled accesses since the hit ratio first fell (sim_reset)
  std::vector<uint64_t> last_hits_;
  uint64_t sample_below_ = 0;
  size_t sim_period_ = 0;
  size_t sim_count_ = 0;
  size_t decide_every_ = 0;
  int current_ = 0;  // the shadow whose window the cache uses
  // Readmission of rejected candidates (fixed by the option, or chosen by the simulation).
  bool readmit_ = false;
  bool keep_ghosts_ = false;
  bool copy_shadows_ = false;  // the shadows are unsampled at the cache's capacity
  bool share_cells_ = false;   // ... and their sketch has the cache's sketch's width
  // Last access time per node (adapt=sim only; empty otherwise).
  std::vector<uint64_t> stamps_;
  uint64_t clock_ = 0;
  static constexpr uint32_t kNoNode = 0xffffffffu;
};

}  // namespace

bool WTinyLfuHasSlot(const Policy& wtinylfu, Key key) {
  return static_cast<const WTinyLfu&>(wtinylfu).HasSlot(key);
}

bool WTinyLfuRunsAsArc(const Policy& wtinylfu) {
  return static_cast<const WTinyLfu&>(wtinylfu).runs_as_arc();
}

std::unique_ptr<Policy> NewWTinyLfu(size_t capacity, const WTinyLfuOptions& options) {
  return std::make_unique<WTinyLfu>(capacity, options);
}

}  // namespace memory::cache
