// `memory predict --stream`: for agents that ask at every step. Reads one JSON context per line
// on stdin and writes one JSON answer per line on stdout (flushed), with the model kept warm:
// no process start per step. Answers are cached per context in the "predict" use of the cache
// hierarchy (L1 in-process LRU, L2 W-TinyLFU, L3 <db>/cache; cache/hierarchy.h), and after each
// answer the likely next contexts (this one followed by each of its top predictions) are
// computed ahead (prefetched), so the agent's next question is usually answered from the cache.
// Each answer says how it was served: "cache": "miss" | "hit" | "prefetched".
//
// A new champion or a refreshed live snapshot is picked up at the next line (no restart): the
// served files are stat'ed before every answer, and cached answers of an older model are dropped.
// A malformed line gets {"error": ...} and the stream goes on. Counters are saved for
// `memory status` at the end.
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include <cstdio>
#include <memory>
#include <string>
#include <unordered_set>

#include "cache/hierarchy.h"
#include "cli/predict_core.h"
#include "store/store.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

constexpr size_t kPrefetch = 3;          // next contexts computed ahead per answer
constexpr size_t kStreamHistory = 8;     // context commands used (as `predict --context current`)
constexpr uint64_t kStaleCheckEvery = 256;  // answers between checks for a stale live snapshot

// Changes when the champion pointer or the live snapshot is replaced.
std::string ServingStamp(const std::string& models_dir) {
  std::string stamp;
  for (const std::string& f : {models_dir + "/intent/CHAMPION", models_dir + "/" + learner::kIntentSnapshotFile}) {
    struct stat st;
    if (::stat(f.c_str(), &st) != 0) {
      stamp += "-;";
      continue;
    }
    stamp += std::to_string(st.st_ino) + "." + std::to_string(st.st_mtim.tv_sec) + "." +
             std::to_string(st.st_mtim.tv_nsec) + "." + std::to_string(st.st_size) + ";";
  }
  return stamp;
}

// What decides an answer: the model, cwd, exit status, top, the session row (not the exact gap
// or position, which change at every step) and the history.
std::string ContextKeyText(const std::string& model, const learner::ServingIntentModel& served, const CallContext& c,
                           size_t top) {
  std::string k = model;
  k += '\0' + c.cwd + '\0' + (c.has_last_exit ? std::to_string(c.last_exit) : "-") + '\0' + std::to_string(top);
  if (!served.gru) {
    std::vector<learner::CommandId> ids;
    k += '\0' + std::to_string(served.snapshot->SessionRow(ModelContext(*served.snapshot, c, &ids)));
  }
  for (const std::string& h : c.history) k += '\0' + h;
  return k;
}

constexpr int kIdleMs = 2000;  // no input for this long: release L3

constexpr size_t kMaxLineBytes = size_t(4) << 20;  // a context line; longer ones get an error answer

// Reads lines from stdin; calls on_idle once when no input arrived for idle_ms, then waits on.
// A line longer than kMaxLineBytes comes back empty with *too_long set (its bytes are dropped
// as they arrive, so memory stays bounded).
class LineReader {
 public:
  template <typename F>
  bool Next(int idle_ms, F&& on_idle, std::string* line, bool* too_long) {
    bool idle_called = false;
    for (;;) {
      size_t nl = buf_.find('\n', scanned_);
      if (nl != std::string::npos) {
        *too_long = skipping_;
        if (skipping_) line->clear();
        else line->assign(buf_, 0, nl);
        buf_.erase(0, nl + 1);
        scanned_ = 0;
        skipping_ = false;
        return true;
      }
      scanned_ = buf_.size();  // searched already: each byte is searched once
      if (buf_.size() > kMaxLineBytes) {
        skipping_ = true;
        buf_.clear();
        scanned_ = 0;
      }
      if (eof_) {
        if (buf_.empty() && !skipping_) return false;
        *too_long = skipping_;
        if (skipping_) line->clear();
        else line->swap(buf_);
        buf_.clear();
        scanned_ = 0;
        skipping_ = false;
        return true;
      }
      struct pollfd p = {0, POLLIN, 0};
      int r = ::poll(&p, 1, idle_called ? -1 : idle_ms);
      if (r == 0) {
        on_idle();
        idle_called = true;
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      char chunk[65536];
      ssize_t n = ::read(0, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) eof_ = true;
      else buf_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  std::string buf_;
  size_t scanned_ = 0;  // buf_[0, scanned_) holds no newline
  bool skipping_ = false;  // dropping the rest of a line longer than kMaxLineBytes
  bool eof_ = false;
};

void Emit(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace

int RunPredictStream(const Globals& g, size_t top, bool no_refresh) {
  const std::string models_dir = ModelsDir(g);
  learner::ServingIntentModel served;
  std::string stamp, model_id;
  bool have_model = false;
  auto open_model = [&]() -> Status {
    Status s = OpenOrBuildServedModel(g, &served);
    have_model = s.ok();
    if (!served.warning.empty() && !g.quiet) std::fprintf(stderr, "memory: %s\n", served.warning.c_str());
    stamp = ServingStamp(models_dir);
    model_id = have_model ? served.file + "@" + stamp : "";
    return s.IsNotFound() ? Status::OK() : s;
  };
  if (Status s = open_model(); !s.ok()) return Fail(s);

  std::unique_ptr<cache::Hierarchy> cache;
  cache::HierarchyOptions ho;
  ho.name = "predict";
  ho.l1 = {"lru", 256, 0, 0};
  ho.l2 = {"wtinylfu", 4096, 0, 0};
  ho.l3_path = cache::CacheDir(g.db);
  if (Status s = cache::Hierarchy::Open(ho, &cache); !s.ok() && !g.quiet)
    std::fprintf(stderr, "memory: predict cache unavailable (%s); answering without it\n", s.ToString().c_str());
  std::unordered_set<cache::Key> prefetched;  // computed ahead, not asked for yet
  // L3 keeps the answers of one model only: those of an older model are dropped.
  auto adopt_model = [&] {
    prefetched.clear();
    if (!cache || !have_model) return;
    std::string current;
    if (!cache->GetMeta("model", &current).ok() || current != model_id) {
      (void)cache->EraseAll();
      (void)cache->PutMeta("model", model_id);
    }
  };
  adopt_model();

  auto answer = [&](const std::vector<RankedCommand>& ranked, const CallContext& c) {
    return JsonText(PredictionsJson(ranked, served, c));
  };

  // Lines are read with read(2) so that an idle stream can release L3 (RocksDB admits one
  // writer per directory: `memory search` could not save its results meanwhile).
  LineReader reader;
  auto idle = [&] {
    if (cache) cache->CloseL3();
  };
  std::string line;
  uint64_t lineno = 0, answered = 0;
  bool too_long = false;
  while (reader.Next(kIdleMs, idle, &line, &too_long)) {
    ++lineno;
    if (too_long) {
      Emit(JsonText(nlohmann::json{{"error", "line longer than " + std::to_string(kMaxLineBytes >> 20) + " MiB"},
                                   {"line", lineno}}));
      continue;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (cache && cache->Refresh()) prefetched.clear();  // `forget` / `clean` dropped the cache
    if (ServingStamp(models_dir) != stamp) {
      if (Status s = open_model(); !s.ok() && !g.quiet)
        std::fprintf(stderr, "memory: %s\n", s.ToString().c_str());
      adopt_model();
    }
    CallContext c;
    if (Status s = ParseContextJson(line, "stdin line " + std::to_string(lineno), &c); !s.ok()) {
      Emit(JsonText(nlohmann::json{{"error", s.message()}, {"line", lineno}}));
      continue;
    }
    if (!have_model) {
      Emit(JsonText(nlohmann::json{{"predictions", nlohmann::json::array()}, {"note", "the store is empty (nothing recorded yet)"}}));
      continue;
    }
    if (c.history.size() > kStreamHistory) {
      c.history.erase(c.history.begin(), c.history.end() - kStreamHistory);
      c.recent.resize(kStreamHistory);
    }
    const cache::Key key = cache::KeyOfString(ContextKeyText(model_id, served, c, top));
    std::string value;
    const char* how = "miss";
    std::vector<RankedCommand> ranked;
    bool have_ranked = false;
    if (cache && cache->Get(key, &value).ok()) {
      how = prefetched.erase(key) ? "prefetched" : "hit";
    } else {
      ranked = RankNextCommands(served, c, top);
      have_ranked = true;
      value = answer(ranked, c);
      if (cache) cache->Put(key, value);
    }
    Emit(std::string("{\"cache\":\"") + how + "\"," + value.substr(1));
    ++answered;

    // Prefetch: the agent's next context is most likely this one followed by a predicted command
    // (one step later in the session, a moment later).
    if (cache) {
      if (!have_ranked) ranked = RankNextCommands(served, c, top);
      for (size_t i = 0; i < ranked.size() && i < kPrefetch; ++i) {
        CallContext next = c;
        next.history.push_back(ranked[i].command);
        if (next.history.size() > kStreamHistory) next.history.erase(next.history.begin());
        next.recent.assign(next.history.rbegin(), next.history.rend());
        next.last_exit = 0;
        if (next.position < UINT32_MAX) ++next.position;
        next.gap_us = -1;
        const cache::Key k = cache::KeyOfString(ContextKeyText(model_id, served, next, top));
        if (prefetched.count(k)) continue;
        cache->Put(k, answer(RankNextCommands(served, next, top), next));
        prefetched.insert(k);
      }
    }
    // Keep the live snapshot current, with the rule of one-shot calls.
    if (!no_refresh && answered % kStaleCheckEvery == 1) {
      RecentEvents r;
      const int64_t store_events = ReadRecentEvents(g.db, "", "", 0, &r).ok() ? r.events : -1;
      if (!served.live || LiveSnapshotStale(served.snapshot->events(), store_events, FileAgeUs(served.file)))
        RefreshInBackground(g);
    }
  }
  if (cache) (void)cache->SaveStats();
  return 0;
}

}  // namespace memory::cli
