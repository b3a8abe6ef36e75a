#include <algorithm>
#include <cmath>

#include "cache/flat_map.h"
#include "cache/policies.h"
#include "cache/prefetch.h"

namespace memory::cache {

PrefetchingCache::~PrefetchingCache() = default;

Status PrefetchingCache::Create(std::string_view policy_spec, size_t capacity,
                                std::unique_ptr<Predictor> predictor, double area_fraction,
                                std::unique_ptr<PrefetchingCache>* out) {
  out->reset();
  if (capacity == 0) return Status::InvalidArgument("cache capacity must be at least 1");
  if (!(area_fraction > 0 && area_fraction < 1))
    return Status::InvalidArgument("prefetch area fraction must lie in (0, 1)");
  size_t area = 0;
  if (predictor && capacity >= 2)
    area = std::clamp<size_t>(std::lround(area_fraction * double(capacity)), 1, capacity / 2);
  std::unique_ptr<PrefetchingCache> c(new PrefetchingCache());
  c->guessed_ = std::make_unique<FlatMap>();
  MEMORY_RETURN_IF_ERROR(NewPolicy(policy_spec, capacity - area, &c->main_));
  if (area > 0) {
    c->area_ = NewLru(area);
    c->guess_shadow_ = NewLru(area);
    c->victim_shadow_ = NewLru(area);
    // See the class comment: guesses at the far end, or victims an eighth of the area away from
    // a change to guesses.
    const int64_t limit = static_cast<int64_t>(area);
    c->use_prefetch_ = predictor->TrainedBeforehand();
    c->lean_ = c->use_prefetch_ ? limit : limit - std::max<int64_t>(1, limit / 8);
    c->predictor_ = std::move(predictor);
  }
  c->capacity_ = capacity;
  *out = std::move(c);
  return Status::OK();
}

bool PrefetchingCache::Access(Key key) {
  bool hit;
  const bool in_main = main_->Contains(key);
  if (in_main) {
    hit = true;
  } else if (area_ && area_->Remove(key)) {
    hit = true;
    ++(guessed_->Erase(key) ? stats_.prefetches_used : stats_.victim_hits);
  } else {
    hit = false;
  }
  if (area_ && !in_main) {  // what each use of the area would have served
    if (guess_shadow_->Remove(key)) Lean(+1);
    if (victim_shadow_->Remove(key)) Lean(-1);
  }
  // The main policy sees every demand access (MIN relies on that to follow its trace).
  AccessResult r = main_->Access(key);
  if (hit) ++stats_.hits;
  else ++stats_.misses;
  if (r.evicted && r.victim != key) ++stats_.evictions;
  if (!predictor_) return hit;
  if (r.evicted) {  // a victim (or a key the main refused) may come back soon
    victim_shadow_->Access(r.victim);
    if (!use_prefetch_) LoadIntoArea(r.victim, false);
  }
  predictor_->Observe(key);
  predictor_->Predict(predictor_->degree(), &guesses_);
  for (const Prediction& p : guesses_) {
    if (main_->Contains(p.key)) continue;
    guess_shadow_->Access(p.key);
    if (use_prefetch_) LoadIntoArea(p.key, true);
  }
  return hit;
}

void PrefetchingCache::LoadIntoArea(Key key, bool guess) {
  const bool refresh = area_->Contains(key);
  AccessResult r = area_->Access(key);  // loads it, or refreshes an entry already waiting
  if (r.evicted) guessed_->Erase(r.victim);
  if (guess) {
    if (!refresh || guessed_->Find(key) == FlatMap::kAbsent) ++stats_.prefetches_issued;
    guessed_->Put(key, 0);
  } else {
    guessed_->Erase(key);
  }
}

void PrefetchingCache::Lean(int step) {
  const int64_t limit = static_cast<int64_t>(area_->capacity());
  lean_ = std::clamp<int64_t>(lean_ + step, -limit, limit);
  if (lean_ == (use_prefetch_ ? -limit : limit)) {
    use_prefetch_ = !use_prefetch_;
    ++switches_;
  }
}

}  // namespace memory::cache
