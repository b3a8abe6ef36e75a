// Fuzz target: the history readers of `memory import` / `eval intent` and the cache trace readers
// of `eval cache`. The first byte picks the format (mod 11); the rest is the file. A reader either fails
// with no events or gives events that every store check accepts; the streaming reader of
// `memory import` (two passes, batches of 1-3 events, then again with the first pass's layout)
// gives the same events and the same error as parsing the text whole, with untimed events placed
// from 1 us or from the file's own times.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_util.h"
#include "env/cache_trace.h"
#include "env/history.h"


using namespace memory;

namespace {
std::string g_path;  // the file the streaming reader reads

// StreamHistoryFile's events and status, in batches of `batch`.
Status Stream(env::HistoryFormat format, const env::HistoryReadOptions& options, size_t batch,
              env::HistoryLayout* found, const env::HistoryLayout* checked, std::vector<Event>* out) {
  size_t counted = SIZE_MAX;
  Status s = env::StreamHistoryFile(
      g_path, "fuzz", format, options, batch, nullptr, [&](size_t n) { counted = n; },
      [&](std::vector<Event>* events) {
        FUZZ_CHECK(counted != SIZE_MAX && !events->empty() && events->size() <= batch);
        for (Event& e : *events) out->push_back(std::move(e));
        return Status::OK();
      },
      found, checked);
  if (s.ok()) FUZZ_CHECK(counted == out->size());
  return s;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_path = fuzz::TempPath("history");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int pick = data[0] % 11;  // 0-4 and 10 histories (fish came last), 5-9 cache traces
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (pick < 5 || pick == 10) {
    const env::HistoryFormat formats[] = {env::HistoryFormat::kJsonl, env::HistoryFormat::kBash,
                                          env::HistoryFormat::kZsh, env::HistoryFormat::kSchonlau,
                                          env::HistoryFormat::kPurdue, env::HistoryFormat::kFish};
    const env::HistoryFormat format = formats[pick == 10 ? 5 : pick];
    env::HistoryReadOptions options;
    // 1: untimed events at 1, 2, ... us; 0: after the file's own times, else just before now (the
    // two reads then differ in time only: compared without it).
    options.base_ts_us = data[0] / 30 % 2 ? 0 : 1;
    options.max_line_bytes = 512;  // small, so that the limit is reached too
    std::vector<Event> events;
    const Status s = env::ParseHistory(text, "fuzz", format, options, &events);
    if (!s.ok()) {
      FUZZ_CHECK(events.empty());
    } else {
      FUZZ_CHECK(!events.empty());
      for (const Event& e : events) FUZZ_CHECK(CheckEvent(e).ok());
    }
    fuzz::WriteFile(g_path, text);
    std::vector<Event> streamed, again;
    env::HistoryLayout layout;
    const Status t = Stream(format, options, 1 + data[0] / 10 % 3, &layout, nullptr, &streamed);
    if (t.ToString() != s.ToString()) std::fprintf(stderr, "whole: %s\nstreamed: %s\n", s.ToString().c_str(), t.ToString().c_str());
    FUZZ_CHECK(t.ToString() == s.ToString());
    if (!s.ok()) return 0;
    bool timed_by_now = false;  // some event got a time from the clock
    for (const Event& e : events) timed_by_now |= e.ts_us > NowMicros() - 3'600'000'000;
    auto same = [&](std::vector<Event> a) {
      std::vector<Event> b = events;
      if (options.base_ts_us == 0 && timed_by_now)
        for (auto* v : {&a, &b})
          for (Event& e : *v) e.ts_us = 0;
      return a == b;
    };
    FUZZ_CHECK(same(streamed));
    FUZZ_CHECK(layout.valid && layout.events == events.size());
    FUZZ_CHECK(Stream(format, options, 2, nullptr, &layout, &again).ok() && same(again));
  } else {
    const env::TraceFormat formats[] = {env::TraceFormat::kLirs, env::TraceFormat::kCache2k,
                                        env::TraceFormat::kCorda, env::TraceFormat::kScarab,
                                        env::TraceFormat::kLines};
    std::vector<uint64_t> keys;
    if (env::ParseCacheTrace(text, "fuzz", formats[pick - 5], &keys).ok()) FUZZ_CHECK(!keys.empty());
  }
  return 0;
}
