#include <algorithm>
#include <cmath>

#include "cache/policies.h"
#include "cache/prefetch.h"

namespace memory::cache {

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
  MEMORY_RETURN_IF_ERROR(NewPolicy(policy_spec, capacity - area, &c->main_));
  if (area > 0) {
    c->area_ = NewLru(area);
    c->predictor_ = std::move(predictor);
  }
  c->capacity_ = capacity;
  *out = std::move(c);
  return Status::OK();
}

bool PrefetchingCache::Access(Key key) {
  bool hit;
  if (main_->Contains(key)) {
    hit = true;
  } else if (area_ && area_->Remove(key)) {
    hit = true;
    ++stats_.prefetches_used;
  } else {
    hit = false;
  }
  // The main policy sees every demand access (MIN relies on that to follow its trace).
  AccessResult r = main_->Access(key);
  if (hit) ++stats_.hits;
  else ++stats_.misses;
  if (r.evicted && r.victim != key) ++stats_.evictions;
  if (!predictor_) return hit;
  predictor_->Observe(key);
  predictor_->Predict(predictor_->degree(), &guesses_);
  for (const Prediction& p : guesses_) {
    if (main_->Contains(p.key)) continue;
    bool refresh = area_->Contains(p.key);
    area_->Access(p.key);  // loads it, or refreshes a guess already waiting in the area
    if (!refresh) ++stats_.prefetches_issued;
  }
  return hit;
}

}  // namespace memory::cache
