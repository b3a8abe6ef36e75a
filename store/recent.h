// Writing the "recent" file that ReadRecentEvents (store.h) reads. Private to store/.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "store/store.h"

namespace memory::internal {

// Collects the events to keep, offered newest first: the first kRecentNewest, then an event while
// its session or its directory has fewer than kRecentPerKey kept. Also counts every offered
// event per session and per directory (up to kRecentCountCap).
class RecentCollector {
 public:
  static constexpr size_t kScanLimit = 4096;  // newest events offered per rewrite
  void Offer(const Event& e);
  // Replaces <dir>/recent.bin atomically. `db_events`: events in the database (when every one
  // was offered, the counts are exact).
  Status Write(const std::string& dir, int64_t db_events) const;

 private:
  std::unordered_map<std::string, int> per_session_, per_cwd_;  // kept
  std::unordered_map<std::string, uint32_t> session_count_, cwd_count_;  // offered (capped)
  int64_t offered_ = 0;
  std::vector<Event> kept_;
};

}  // namespace memory::internal
