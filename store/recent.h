// Writing the "recent" file that ReadRecentEvents (store.h) reads. Private to store/.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "store/store.h"

namespace memory::internal {

// Collects the events to keep, offered newest first: the first kRecentNewest, then an event while
// its session or its directory has fewer than kRecentPerKey kept.
class RecentCollector {
 public:
  static constexpr size_t kScanLimit = 4096;  // newest events offered per rewrite
  void Offer(const Event& e);
  // Replaces <dir>/recent.bin atomically.
  Status Write(const std::string& dir, int64_t db_events) const;

 private:
  std::unordered_map<std::string, int> per_session_, per_cwd_;
  std::vector<Event> kept_;
};

}  // namespace memory::internal
