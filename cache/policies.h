// Constructors of the concrete policies (internal to cache/; use NewPolicy from cache.h).
#pragma once

#include <memory>
#include <vector>

#include "cache/cache.h"

namespace memory::cache {

struct WTinyLfuOptions {
  double window = 0.05;
  double protected_share = 0.8;
  bool doorkeeper = false;
  bool readmit = false;        // admit a rejected candidate that comes back (adapt=sim chooses)
  enum class Adapt { kNone, kClimb, kGhost, kSim } adapt = Adapt::kSim;
  double sample = 10.0;        // sketch aging period, multiples of capacity
  double climb_sample = 10.0;  // hill-climber sample period, multiples of capacity
  // Miniature simulation (adapt=sim): shadow caches of at most `sim_size` entries over a
  // hash-sampled share of the keys, one per (window share, readmit) in kSim (wtinylfu.cpp); hits
  // are scored with a decay of `sim_decay` per `sim_period` × (shadow capacity) sampled
  // accesses, and the cache takes the best shadow's window and readmit setting when its score
  // beats the current shadow's by more than the relative `sim_margin`.
  double sim_size = 500;
  double sim_period = 1.0;
  double sim_decay = 0.99;
  double sim_margin = 0.005;
  // Phase changes: hits are also scored with the short-horizon decay `sim_fast_decay` per period;
  // when another shadow's short-horizon hit ratio leads the current one's by `sim_fast_lead`
  // (absolute, 0.08 = 8 points), the long-run scores restart from the short-horizon ones
  // and the cache switches to the leader (sim_fast_lead=1 never fires).
  double sim_fast_decay = 0.8;
  double sim_fast_lead = 0.08;
  // When the cache's own hit ratio over the short horizon stays `sim_reset` (absolute) below
  // its long-run one for a period, the frequency sketches are cleared (stale counts of a past
  // working set would keep the new one out) and both score horizons restart (sim_reset=1
  // never fires).
  double sim_reset = 0.12;
  // Policy selection: where the shadows see every key at the cache's capacity (capacity <=
  // sim_size), an ARC shadow is scored beside them; the cache starts as ARC, and takes the
  // contents of whichever shadow leads (ARC or a W-TinyLFU configuration) from then on.
  bool sim_arc = true;
  // ... and also where the shadows see at most a share `sim_arc_sampled` of the keys (capacity
  // >= sim_size / sim_arc_sampled: 1,923 entries by default, so that the main of a prefetching
  // cache of 2,000 entries, 1,980, has it too; 0 = never). The cache cannot take a sampled shadow's
  // contents, so it turns its own into ARC's (window and probation become T1, protected T2,
  // ghosts empty, the ARC shadow's target p scaled up) and back; such a switch needs a
  // relative lead of `sim_arc_margin` (sampled shadows tell ARC from W-TinyLFU poorly).
  double sim_arc_sampled = 0.26;
  double sim_arc_margin = 0.02;
  // A switch out of ARC there also waits until the scores hold `sim_arc_evidence` periods of
  // sampled accesses (decayed as the scores), unless a change of regime restarted them.
  double sim_arc_evidence = 6;
  // The duel: where the shadows are sampled and score no ARC (sim_size < capacity <
  // sim_size / sim_arc_sampled, 501-1,922 entries by default; every sampled capacity with
  // sim_arc_sampled=0), an exact ARC of the cache's capacity runs beside the cache's own
  // W-TinyLFU on every key, and the cache serves from whichever of the two has scored more hits
  // (decayed as the shadows' scores) by the relative margin `sim_duel_margin`, and by more than a
  // switch is expected to cost; the other side keeps running behind it. The cache starts on its
  // W-TinyLFU. Off with sim_duel=0 or sim_arc=0.
  bool sim_duel = true;
  double sim_duel_margin = 0.002;
};

std::unique_ptr<Policy> NewLru(size_t capacity);
std::unique_ptr<Policy> NewArc(size_t capacity);

// ARC's lists, each from the least to the most recently used key, and its target size p of T1:
// how W-TinyLFU's policy selection hands contents between the two.
struct ArcState {
  std::vector<Key> t1, t2, b1, b2;
  size_t p = 0;
};
// An ARC holding `state` (|T1| + |B1| <= capacity, all four lists <= 2 × capacity, T1 + T2
// <= capacity, keys distinct; checked with assert only).
std::unique_ptr<Policy> NewArc(size_t capacity, const ArcState& state);
// The lists of `arc`, which must come from NewArc.
void GetArcState(const Policy& arc, ArcState* out);
std::unique_ptr<Policy> NewWTinyLfu(size_t capacity, const WTinyLfuOptions& options);
// Whether `key` takes one of the slots of `wtinylfu` (which must come from NewWTinyLfu): a key it
// Contains(), or one that a hand-over brought in without its value (wtinylfu.cpp). For tests.
bool WTinyLfuHasSlot(const Policy& wtinylfu, Key key);
// Whether `wtinylfu` (from NewWTinyLfu) runs as ARC now (policy selection). For tests.
bool WTinyLfuRunsAsArc(const Policy& wtinylfu);
std::unique_ptr<Policy> NewMin(size_t capacity, bool bypass);

}  // namespace memory::cache
