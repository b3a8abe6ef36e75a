// Fuzz target: the history readers of `memory import` / `eval intent` and the cache trace readers
// of `eval cache`. The first byte picks the format; the rest is the file. A reader either fails
// with no events or gives events that every store check accepts.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "env/cache_trace.h"
#include "env/history.h"

#define FUZZ_CHECK(c)                                                   \
  do {                                                                  \
    if (!(c)) {                                                         \
      std::fprintf(stderr, "fuzz check failed: %s (line %d)\n", #c, __LINE__); \
      std::abort();                                                     \
    }                                                                   \
  } while (0)

using namespace memory;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int pick = data[0] % 10;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (pick < 5) {
    const env::HistoryFormat formats[] = {env::HistoryFormat::kJsonl, env::HistoryFormat::kBash,
                                          env::HistoryFormat::kZsh, env::HistoryFormat::kSchonlau,
                                          env::HistoryFormat::kPurdue};
    env::HistoryReadOptions options;
    options.base_ts_us = 1;
    options.max_line_bytes = 512;  // small, so that the limit is reached too
    std::vector<Event> events;
    const Status s = env::ParseHistory(text, "fuzz", formats[pick], options, &events);
    if (!s.ok()) {
      FUZZ_CHECK(events.empty());
      return 0;
    }
    FUZZ_CHECK(!events.empty());
    for (const Event& e : events) FUZZ_CHECK(CheckEvent(e).ok());
  } else {
    const env::TraceFormat formats[] = {env::TraceFormat::kLirs, env::TraceFormat::kCache2k,
                                        env::TraceFormat::kCorda, env::TraceFormat::kScarab,
                                        env::TraceFormat::kLines};
    std::vector<uint64_t> keys;
    if (env::ParseCacheTrace(text, "fuzz", formats[pick - 5], &keys).ok()) FUZZ_CHECK(!keys.empty());
  }
  return 0;
}
