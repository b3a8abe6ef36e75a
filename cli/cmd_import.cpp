// memory import: bulk-load histories (ours, bash, zsh, Schonlau SEA, Purdue PU). Each file is
// checked completely before anything of it is written, then read again in batches of events
// that become visible together when every file is done: a bad file stores nothing of the import
// and loses nothing already stored, and memory stays that of a batch however long the history.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <unordered_map>
#include <unordered_set>
#include <thread>

#include <cstdio>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "env/history.h"
#include "store/privacy.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

constexpr size_t kImportBatch = 100000;  // events in memory at a time (~0.6 KB each)

struct ImportOptions {
  std::string format, user, session;
  std::vector<std::string> files;
  bool json = false;
};

// Leaves out the events the privacy rules ignore and redacts the others, on two threads (the
// filter is thread-safe); adds to the counts.
void ApplyPrivacy(const PrivacyFilter& privacy, std::vector<Event>* batch, size_t* ignored, size_t* redacted) {
  std::vector<Event>& events = *batch;
  std::vector<char> drop(events.size());
  std::atomic<size_t> n_redacted{0};
  auto filter = [&](size_t from, size_t to) {
    size_t r = 0;
    for (size_t i = from; i < to; ++i) {
      drop[i] = !privacy.ShouldRecord(events[i]);
      if (!drop[i] && privacy.Redact(&events[i]) > 0) ++r;
    }
    n_redacted += r;
  };
  std::thread half(filter, events.size() / 2, events.size());
  filter(0, events.size() / 2);
  half.join();
  *redacted += n_redacted;
  size_t w = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (drop[i]) {
      ++*ignored;
      continue;
    }
    if (w != i) events[w] = std::move(events[i]);
    ++w;
  }
  events.resize(w);
}

// Longest L such that `stored` ends with the first L items of `head` (Knuth-Morris-Pratt).
size_t LongestOverlap(const std::vector<uint64_t>& stored, const std::vector<uint64_t>& head) {
  const size_t m = head.size();
  if (m == 0) return 0;
  std::vector<size_t> fail(m, 0);  // fail[i]: longest proper border of head[0, i]
  for (size_t i = 1, k = 0; i < m; ++i) {
    while (k > 0 && head[i] != head[k]) k = fail[k - 1];
    if (head[i] == head[k]) ++k;
    fail[i] = k;
  }
  size_t q = 0;  // head[0, q) is a suffix of what was read of `stored`
  for (uint64_t c : stored) {
    if (q == m) q = fail[q - 1];
    while (q > 0 && c != head[q]) q = fail[q - 1];
    if (c == head[q]) ++q;
  }
  return q;
}

// A history without times of its own (plain bash, Schonlau, Purdue) gets them at import, so its
// events' ids cannot tell a second import from new events. Its events that the session holds
// already are found instead: the longest start of the file (as it would be stored: privacy rules
// applied) that ends the session's stored commands. That covers the same file again, a file that
// grew, and one whose oldest lines were cut since (bash keeps the last HISTFILESIZE lines).
// A short overlap may be chance (another machine's .bash_history is the same session by default,
// and many histories end and start with `ls`): it counts only when it is kMinKnownRun commands
// long, the whole file, or the whole session. A chance overlap would lose commands; a missed one
// stores a few again.
constexpr size_t kMinKnownRun = 8;

// Per session, the commands (hashed) of files without times this import has added so far: they
// end the session once the import commits, so a later file of the same import is matched
// against them too (the same file named twice is stored once).
using AddedTails = std::unordered_map<std::string, std::vector<uint64_t>>;

class KnownStart {
 public:
  KnownStart(Store* store, const PrivacyFilter& privacy, AddedTails* added)
      : store_(store), privacy_(privacy), added_(added) {}
  // Each event of the check pass, in order.
  void See(const Event& e) {
    if (e.ts_us > 0) timed_ = true;
    if (timed_ || !privacy_.ShouldRecord(e)) return;
    session_ = e.session;
    std::string command = e.command;  // as it will be stored (Redact treats each field alone)
    privacy_.RedactText(&command);
    head_.push_back(std::hash<std::string>()(command));
  }
  // After the check pass: how many of the file's first recorded events the session holds.
  Status Count(size_t* known) {
    *known = 0;
    if (timed_ || head_.empty()) return Status::OK();
    const std::vector<uint64_t>& added = (*added_)[session_];
    std::vector<uint64_t> tail;  // the session's newest commands, as many as the file has
    bool whole_session = true;   // tail holds all of the session
    if (added.size() < head_.size()) {
      ScanOptions so;
      so.session = session_;
      const size_t want = head_.size() - added.size();
      MEMORY_RETURN_IF_ERROR(store_->Scan(so, [&](const Event& e) {
        tail.push_back(std::hash<std::string>()(e.command));
        if (tail.size() < want) return true;
        whole_session = false;  // (perhaps)
        return false;
      }));
      std::reverse(tail.begin(), tail.end());
    } else {
      whole_session = false;
    }
    const size_t from_added = std::min(added.size(), head_.size());
    tail.insert(tail.end(), added.end() - static_cast<std::ptrdiff_t>(from_added), added.end());
    // (When the longest overlap does not count, no shorter one does.)
    const size_t run = LongestOverlap(tail, head_);
    if (run >= kMinKnownRun || run == head_.size() || (whole_session && run == tail.size())) *known = run;
    known_ = *known;
    return Status::OK();
  }
  // Whether the file gives times of its own (known after the check pass).
  bool timed() const { return timed_; }
  // After the file's events were added: its new commands now end the session.
  void Added() {
    if (timed_ || head_.empty()) return;
    std::vector<uint64_t>& added = (*added_)[session_];
    added.insert(added.end(), head_.begin() + static_cast<std::ptrdiff_t>(known_), head_.end());
  }

 private:
  Store* store_;
  const PrivacyFilter& privacy_;
  AddedTails* added_;
  bool timed_ = false;
  std::string session_;
  std::vector<uint64_t> head_;  // the file's recorded commands, hashed
  size_t known_ = 0;
};

// Bash, zsh and fish histories give each command the second it started. The shell hook (or `memory
// run`, `memory record`) may hold the same executions already, with microseconds and an exit
// status: a line of such a history is left out when a live record (one with an exit status,
// which history lines lack) of the same command started in that second or the next (bash stamps
// a line when it reads it, the hook when it starts running). Each live record stands for one
// line at most.
class LiveRecords {
 public:
  explicit LiveRecords(Store* store) : store_(store) {}
  // Leaves out of `batch` (events of a timed history, privacy rules applied, in file order)
  // those the store's live records hold; adds their number to *held.
  Status LeaveOut(std::vector<Event>* batch, size_t* held) {
    if (batch->empty()) return Status::OK();
    ScanOptions so;
    so.newest_first = false;
    so.since_us = INT64_MAX;
    so.until_us = 0;
    for (const Event& e : *batch) {
      so.since_us = std::min(so.since_us, Second(e.ts_us));
      so.until_us = std::max(so.until_us, Second(e.ts_us) + kWindowUs);
    }
    // The live records of that span not yet used, by command: (start, id), oldest first.
    std::unordered_map<std::string, std::vector<std::pair<int64_t, std::string>>> live;
    MEMORY_RETURN_IF_ERROR(store_->Scan(so, [&](const Event& e) {
      if (e.exit_code && !used_.count(e.id)) live[e.command].emplace_back(e.ts_us, e.id);
      return true;
    }));
    if (live.empty()) return Status::OK();
    std::vector<Event>& events = *batch;
    size_t w = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      auto it = live.find(events[i].command);
      bool found = false;
      if (it != live.end()) {
        const int64_t from = Second(events[i].ts_us);
        for (auto& [ts, id] : it->second) {
          if (id.empty() || ts < from || ts >= from + kWindowUs) continue;
          used_.insert(std::move(id));
          id.clear();
          found = true;
          break;
        }
      }
      if (found) {
        ++*held;
        continue;
      }
      if (w != i) events[w] = std::move(events[i]);
      ++w;
    }
    events.resize(w);
    return Status::OK();
  }

 private:
  static constexpr int64_t kWindowUs = 2'000'000;
  static int64_t Second(int64_t ts_us) { return ts_us / 1'000'000 * 1'000'000; }
  Store* store_;
  std::unordered_set<std::string> used_;  // ids of live records that stood for a line
};

int RunImport(const ImportOptions& o, const Globals& g) {
  env::HistoryFormat format;
  Status s = env::ParseHistoryFormat(o.format, &format);
  if (!s.ok()) return Fail(s);
  Config config;
  std::unique_ptr<PrivacyFilter> privacy;
  s = LoadPrivacy(g, &config, &privacy);
  if (!s.ok()) return Fail(s);

  std::vector<std::string> files;
  std::vector<std::string> named;
  for (const auto& f : o.files)
    if (f != "-") named.push_back(f);
  s = env::ExpandHistoryPaths(named, format, &files);
  if (!s.ok()) return Fail(s);
  if (std::find(o.files.begin(), o.files.end(), "-") != o.files.end()) files.insert(files.begin(), "-");

  std::unique_ptr<Store> store;
  s = OpenStore(g, StoreOptions::Mode::kReadWrite, &store);
  if (!s.ok()) return Fail(s);

  auto read_options = [&](const std::string& file) {
    env::HistoryReadOptions ro;
    ro.user = o.user;
    ro.session = o.session;
    // A JSON line carries more than the command (context, parameters): allow it 16x the room.
    ro.max_line_bytes = std::max<size_t>(config.max_command_bytes, 1) * (format == env::HistoryFormat::kJsonl ? 16 : 1);
    if (file == "-" && ro.user.empty()) ro.user = "stdin";
    return ro;
  };
  auto fail = [&](const Status& st) {
    const int rc = Fail(st);
    if (files.size() > 1 && !g.quiet) std::fprintf(stderr, "memory: nothing was imported (an import stores all its files or none)\n");
    return rc;
  };
  const int64_t start = NowMicros();
  AddedTails added;
  LiveRecords live(store.get());
  // Per file: what its check pass saw (the known start of a history without times, the layout
  // that lets the load skip a second check).
  std::vector<std::unique_ptr<KnownStart>> known_starts(files.size());
  std::vector<env::HistoryLayout> layouts(files.size());
  for (auto& k : known_starts) k = std::make_unique<KnownStart>(store.get(), *privacy, &added);
  auto see = [&](size_t i) -> std::function<void(const Event&)> {
    if (format == env::HistoryFormat::kJsonl) return nullptr;
    KnownStart* k = known_starts[i].get();
    return [k](const Event& e) { k->See(e); };
  };
  // Several files: each is checked before any is loaded, so a bad one (or a directory named by
  // mistake) fails at once rather than after the others were read and written aside. Pipes
  // (standard input, <(...)) can be read only once: they are checked on their turn.
  if (files.size() > 1) {
    Progress progress(g, "checking files", files.size());
    for (size_t i = 0; i < files.size(); ++i) {
      struct stat st;
      if (files[i] == "-" || ::stat(files[i].c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      s = env::StreamHistoryFile(files[i], "", format, read_options(files[i]), 0, see(i), nullptr, nullptr,
                                 &layouts[i]);
      if (!s.ok()) return fail(s);
      progress.Update(i + 1);
    }
  }
  // Batches of events go through the privacy rules into one bulk load for all the files (started
  // after the first check pass): memory stays that of a batch, and the import is stored whole or
  // not at all. What the store holds already is left out: by id for histories with times of
  // their own, else the known start of each file.
  size_t imported = 0, ignored = 0, redacted = 0, parsed = 0, already = 0;
  int64_t parse_us = 0, filter_us = 0, ingest_us = 0;
  std::unique_ptr<Store::BulkLoad> load;
  Store::BulkLoadOptions load_options;
  load_options.content_ids = true;
  size_t kept = 0;  // events handed to the load
  // The load writes a set of files per Add, and sets from different Adds overlap (they go to
  // level 0): small files' events are pooled into Adds of up to kImportBatch, so that a
  // directory of many small histories does not pile up level-0 files (Schonlau SEA's 25 files:
  // 25 -> 5 in by_cmd and in counters; RocksDB slows writes at 40 and stops them at 64).
  std::vector<Event> pool;
  auto flush_pool = [&]() -> Status {
    if (pool.empty()) return Status::OK();
    Status st = load->Add(pool);
    pool.clear();
    return st;
  };
  auto add = [&](std::vector<Event>* events) -> Status {
    const bool large = events->size() >= kImportBatch / 2;
    if (large || pool.size() + events->size() > kImportBatch) MEMORY_RETURN_IF_ERROR(flush_pool());  // in order
    if (large) return load->Add(*events);
    pool.insert(pool.end(), std::make_move_iterator(events->begin()), std::make_move_iterator(events->end()));
    return Status::OK();
  };
  for (size_t f = 0; f < files.size(); ++f) {
    const std::string& file = files[f];
    const env::HistoryReadOptions ro = read_options(file);
    KnownStart& known_start = *known_starts[f];
    size_t known = 0;  // events at the start of the file to leave out
    Status start_status;
    std::unique_ptr<Progress> progress;
    size_t file_parsed = 0, file_known = 0, file_live = 0;
    auto counted = [&](size_t total) {
      start_status = known_start.Count(&known);
      if (start_status.ok() && !load) start_status = store->StartBulkLoad(&load, load_options);
      progress = std::make_unique<Progress>(g, "importing " + file, total);
    };
    int64_t t0 = NowMicros();
    auto store_batch = [&](std::vector<Event>* batch) -> Status {
      MEMORY_RETURN_IF_ERROR(start_status);
      int64_t t1 = NowMicros();
      parse_us += t1 - t0;
      file_parsed += batch->size();
      ApplyPrivacy(*privacy, batch, &ignored, &redacted);
      const size_t leave_out = std::min(known - file_known, batch->size());
      batch->erase(batch->begin(), batch->begin() + static_cast<std::ptrdiff_t>(leave_out));
      file_known += leave_out;
      if ((format == env::HistoryFormat::kBash || format == env::HistoryFormat::kZsh ||
           format == env::HistoryFormat::kFish) && known_start.timed())
        MEMORY_RETURN_IF_ERROR(live.LeaveOut(batch, &file_live));
      int64_t t2 = NowMicros();
      filter_us += t2 - t1;
      kept += batch->size();
      Status st = add(batch);
      t0 = NowMicros();
      ingest_us += t0 - t2;
      if (progress) progress->Update(file_parsed);
      return st;
    };
    // (A file checked above is not checked again: its layout says what the check found.)
    s = env::StreamHistoryFile(file, file == "-" ? "stdin" : "", format, ro, kImportBatch, see(f),
                               counted, store_batch, nullptr, &layouts[f]);
    parse_us += NowMicros() - t0;
    if (s.ok()) s = start_status;  // a start that failed before any batch came
    if (!s.ok()) break;
    known_start.Added();
    parsed += file_parsed;
    already += file_known + file_live;
  }
  if (s.ok() && load) {
    int64_t t3 = NowMicros();
    s = flush_pool();
    if (s.ok()) s = load->Commit();
    ingest_us += NowMicros() - t3;
  }
  if (!s.ok()) return fail(s);
  imported = load ? load->new_events() : 0;
  already += kept - imported;
  load.reset();  // the store's writer lock goes with it
  double secs = static_cast<double>(NowMicros() - start) / 1e6;
  double rate = secs > 0 ? static_cast<double>(imported) / secs : 0;
  if (o.json) {
    nlohmann::ordered_json j;
    j["files"] = files.size();
    j["events"] = imported;
    j["parsed"] = parsed;
    j["ignored"] = ignored;
    j["already_stored"] = already;
    j["redacted"] = redacted;
    j["seconds"] = secs;
    j["events_per_s"] = rate;
    j["parse_seconds"] = static_cast<double>(parse_us) / 1e6;
    j["privacy_seconds"] = static_cast<double>(filter_us) / 1e6;
    j["store_seconds"] = static_cast<double>(ingest_us) / 1e6;
    std::printf("%s\n", JsonText(j).c_str());
  } else if (!g.quiet) {
    std::fprintf(stderr, "imported %zu events from %zu file(s) in %.2f s (%.0f events/s)", imported, files.size(), secs, rate);
    if (already) std::fprintf(stderr, ", %zu already stored", already);
    if (ignored) std::fprintf(stderr, ", %zu ignored by privacy rules", ignored);
    if (redacted) std::fprintf(stderr, ", %zu with secrets redacted", redacted);
    std::fprintf(stderr, "\n");
  }
  return 0;
}

void SetupImport(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("import", "Import histories: jsonl (ours), bash, zsh, fish, schonlau, purdue; all the files or none, skipping what the store holds already");
  auto o = std::make_shared<ImportOptions>();
  sub->add_option("--format", o->format, "jsonl | bash | zsh | fish | schonlau | purdue")->required();
  sub->add_option("--user", o->user, "User of the imported events (default: the file name)");
  sub->add_option("--session", o->session, "Session of the imported events");
  sub->add_option("files", o->files, "Files or directories ('-' = stdin)")->required();
  sub->add_flag("--json", o->json, "Print a JSON summary");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunImport(*o, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(40, "import", SetupImport);
}  // namespace memory::cli
