// Constructors of the concrete policies (internal to cache/; use NewPolicy from cache.h).
#pragma once

#include <memory>

#include "cache/cache.h"

namespace memory::cache {

struct WTinyLfuOptions {
  double window = 0.01;
  double protected_share = 0.8;
  bool doorkeeper = false;
  enum class Adapt { kNone, kClimb, kGhost } adapt = Adapt::kGhost;
  double sample = 10.0;        // sketch aging period, multiples of capacity
  double climb_sample = 10.0;  // hill-climber sample period, multiples of capacity
};

std::unique_ptr<Policy> NewLru(size_t capacity);
std::unique_ptr<Policy> NewArc(size_t capacity);
std::unique_ptr<Policy> NewWTinyLfu(size_t capacity, const WTinyLfuOptions& options);
std::unique_ptr<Policy> NewMin(size_t capacity, bool bypass);

}  // namespace memory::cache
