// Counter: the statistics kept per command, session, user and globally, updated with a RocksDB
// merge operator on ingest (no read-modify-write). Private to store/.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/coding.h"

namespace memory::internal {

struct Counter {
  int64_t count = 0;
  int64_t failures = 0;
  int64_t total_duration_us = 0;
  int64_t first_ts_us = 0;  // 0 = unknown
  int64_t last_ts_us = 0;
  int64_t last_exit = kUnknownExit;  // exit status of the newest event (the one at last_ts_us)
  static constexpr int64_t kUnknownExit = INT64_MIN;

  // Counts add up; first/last time take the min/max of the known ones; the exit status goes
  // with the newest time.
  void Add(const Counter& o) {
    count += o.count;
    failures += o.failures;
    total_duration_us += o.total_duration_us;
    if (o.first_ts_us && (!first_ts_us || o.first_ts_us < first_ts_us)) first_ts_us = o.first_ts_us;
    if (o.last_ts_us && o.last_ts_us >= last_ts_us) {
      last_ts_us = o.last_ts_us;
      last_exit = o.last_exit;
    }
  }
  void Encode(std::string* out) const {
    for (int64_t v : {count, failures, total_duration_us, first_ts_us, last_ts_us, last_exit})
      coding::PutFixed64LE(out, static_cast<uint64_t>(v));
  }
  // Unknown or short values decode as zero (never fails: the merge operator must not).
  static void Decode(std::string_view in, Counter* c) {
    *c = Counter();
    if (in.size() < 40) return;
    int64_t* f[] = {&c->count, &c->failures, &c->total_duration_us, &c->first_ts_us, &c->last_ts_us, &c->last_exit};
    for (size_t i = 0; i < 6 && 8 * (i + 1) <= in.size(); ++i)
      *f[i] = static_cast<int64_t>(coding::GetFixed64LE(in.data() + 8 * i));
  }
};

}  // namespace memory::internal
