// The experience store: every recorded execution, kept durably in RocksDB.
//
// Layout of a data directory (0700, files 0600):
//   db/        RocksDB: events by time, command dictionary, indexes, merge-operator counters
//   spool/     append-only files written by `Recorder` (the fast, lock-free record path)
//   paused     present while recording is paused (`memory learn --disable`)
//
// Concurrency: RocksDB admits one read-write process. Recording never opens RocksDB: it
// appends a framed record to the spool (see recorder.h). Whoever opens the store read-write
// folds the spool in (atomically, exactly once). Readers that cannot get the lock open the
// database read-only and still see the unfolded spool through ReadPending().
//
// Thread-safety: a Store may be used from several threads of one process.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/event.h"
#include "store/status.h"

namespace memory {

struct StoreOptions {
  std::string dir;                 // data directory (created when missing)
  enum class Mode { kReadWrite, kReadOnly, kAuto } mode = Mode::kAuto;
  // kReadWrite: wait up to lock_wait_ms for the writer lock, else Busy.
  // kAuto: read-write when the lock is free (and fold the spool), else read-only.
  int lock_wait_ms = 5000;
  bool sync = false;               // fsync every write (survives power loss), not only kill -9
  bool compress = true;            // zstd; off only for tests that grep raw bytes
};

struct CommandStats {
  uint64_t id = 0;                 // dictionary id (stable until forgotten)
  std::string command;
  int64_t count = 0;
  int64_t failures = 0;
  int64_t last_ts_us = 0;
  int64_t first_ts_us = 0;
  int64_t total_duration_us = 0;
  std::optional<int32_t> last_exit;  // of the newest use
};

struct StoreStats {
  int64_t events = 0;
  int64_t distinct_commands = 0;
  int64_t sessions = 0;
  int64_t users = 0;
  int64_t first_ts_us = 0, last_ts_us = 0;
  int64_t pending_spool_events = 0;  // recorded but not folded in yet
  int64_t raw_bytes = 0;             // uncompressed size of keys + values
  struct Family { std::string name; int64_t keys = 0; int64_t sst_bytes = 0; int64_t memtable_bytes = 0; };
  std::vector<Family> families;
  int64_t disk_bytes = 0;            // every file in the data directory
  bool read_only = false;
  bool paused = false;
  bool deletion_pending = false;  // a forget or clean is running or was interrupted
};

struct ScanOptions {
  bool newest_first = true;
  int64_t since_us = 0;                // inclusive; 0 = from the beginning
  int64_t until_us = INT64_MAX;        // exclusive
  std::string session;                 // only this session ("" = any)
  std::string cwd;                     // only this cwd ("" = any)
  bool include_pending = true;         // also unfolded spool events
};

// What `Store::Forget` matches its glob against.
enum class ForgetScope {
  kCommand,   // the command text (a tool call's tool name), found through the command dictionary
  kAnyField,  // also every other text field: parameters, error, cwd, repository, branch, host,
              // user, session, actor, tags, and a decision's id, policy, model version and
              // actions; reads every event
};

struct SearchQuery {
  std::string text;
  enum class Match { kSubstring, kPrefix, kRegex, kFuzzy } match = Match::kSubstring;
  std::string cwd;                     // only events run in this directory
  std::optional<int> exit_code;        // only this exit status
  bool failed_only = false;            // only non-zero exit statuses
  int64_t since_us = 0;
  size_t limit = 20;
};

struct SearchHit {
  std::string command;
  int64_t last_ts_us = 0;              // newest matching use
  int64_t count = 0;                   // matching uses
  std::optional<int32_t> last_exit;
  std::string last_cwd;
  double score = 0;                    // fuzzy score (higher is better); 0 for other modes
};

class Store {
 public:
  static Status Open(const StoreOptions& options, std::unique_ptr<Store>* store);
  virtual ~Store() = default;

  virtual bool read_only() const = 0;
  virtual const std::string& dir() const = 0;

  // Bulk ingest (import): assigns ids and timestamps where missing, dedups the dictionary,
  // writes indexes and counters in large batches. Events whose id is already stored, or that
  // came earlier with the same id, are skipped. All or nothing: the events become visible
  // together. `progress` (may be null) is called with the number of events written so far.
  virtual Status Ingest(std::vector<Event>& events,
                        const std::function<void(size_t)>& progress = nullptr) = 0;

  // A bulk ingest in several batches (an import larger than memory): the same as one Ingest of
  // all of them, with the memory of one batch. The store is held for writing until the load is
  // committed or destroyed; destroyed without Commit, it stores nothing. Read-write only.
  class BulkLoad {
   public:
    virtual ~BulkLoad() = default;
    // Encodes the batch and writes it aside (events are left as Ingest leaves them).
    virtual Status Add(std::span<Event> events) = 0;
    // Makes every batch visible in one atomic step. After an error of Add or Commit, the load
    // stores nothing (Commit returns that error).
    virtual Status Commit() = 0;
    // Events added so far that Commit stores (not those the store or this load already held).
    virtual size_t new_events() const = 0;
  };
  struct BulkLoadOptions {
    // Events without an id get ContentEventId (the first occurrence not yet in this load) rather
    // than a random one, and are skipped when the store holds that id: an event loaded again (a
    // history imported twice, or grown since) is stored once.
    bool content_ids = false;
  };
  virtual Status StartBulkLoad(std::unique_ptr<BulkLoad>* load, const BulkLoadOptions& options) = 0;

  // Moves every spooled event into the database (exactly once, crash-safe). Read-write only.
  virtual Status Fold(size_t* folded = nullptr) = 0;

  // Visits events in time order; `fn` returns false to stop.
  virtual Status Scan(const ScanOptions& options, const std::function<bool(const Event&)>& fn) = 0;
  virtual Status Get(const std::string& id, Event* e) = 0;

  // Visits the command dictionary (each distinct command text once, with its counters).
  virtual Status ForEachCommand(const std::function<bool(const CommandStats&)>& fn) = 0;

  virtual Status Search(const SearchQuery& q, std::vector<SearchHit>* hits) = 0;
  virtual Status Stats(StoreStats* stats) = 0;

  // Deletes every event that matches the glob in `scope` (with its dictionary entry, index
  // entries and counters, and spooled copies), then compacts and flushes so the bytes are gone
  // from every file of the data directory. Observers are told of each event removed.
  virtual Status Forget(const std::string& glob, ForgetScope scope, size_t* removed) = 0;
  // Deletes events older than `before_us` the same way.
  virtual Status Clean(int64_t before_us, size_t* removed) = 0;
  // True when a Forget or Clean was interrupted (killed) after it began deleting: the next
  // Forget or Clean finishes it first (compaction, the replaced database of a restore, the
  // files of an interrupted import), also when nothing matches any more.
  virtual bool DeletionPending() const = 0;

  // Folds the spool and compacts every family into as few files as possible (faster opens and
  // scans after many small imports). Read-write only.
  virtual Status Optimize() = 0;

  // Consistent copy of the store (database checkpoint + spool) into `backup_dir` (must not exist
  // or be empty), while recording continues.
  virtual Status Backup(const std::string& backup_dir) = 0;

  // Reads every file of the database and checks its checksums: Corruption names the first
  // damaged one (a read-only open alone reads only the MANIFEST, and that only when needed).
  virtual Status Verify() = 0;
};

// Replaces the store in `data_dir` by the backup in `backup_dir`, after checking every file of
// the backup (Corruption, nothing touched, if one is damaged). Fails with Busy when another
// process has the store open read-write. The previous database is kept as db.before-restore,
// also when it is itself damaged (which is when a restore is needed). A restore killed while
// copying leaves the store as it was; killed while swapping, the next writer's open finishes it.
Status RestoreStore(const std::string& backup_dir, const std::string& data_dir);
// InvalidArgument unless `backup_dir` looks like a backup (its marker and database are there);
// cheap, for asking before a restore. RestoreStore checks this and every file.
Status CheckBackupDir(const std::string& backup_dir);

// A short text that changes whenever the store's content may have changed: a writer committed
// (events, forget, clean, import, restore) or an event was spooled. Cheap (a few stat calls, no
// database open), for caches of derived results: a result computed under token T is still valid
// while the token is T. "empty" for a missing data directory. Busy while a writer is between
// commit and summary (or the summary is missing): callers must then not trust cached results.
Status StoreContentToken(const std::string& data_dir, std::string* token);

// The newest events of one session and of one working directory, read without opening the
// database: every writer rewrites a small "recent" file after it commits (the newest events of the
// newest few thousand, at most kRecentPerKey per session and per directory), and spooled events
// are merged in. For `memory predict`, whose context is this shell's last commands.
inline constexpr size_t kRecentPerKey = 8;
inline constexpr size_t kRecentNewest = 64;
// Events of a session (or directory) are counted up to this cap (the intent model's session row
// tells an agent's steps 1..15 apart, then 16+).
inline constexpr uint32_t kRecentCountCap = 16;
struct RecentEvents {
  std::vector<Event> session;  // newest first, at most the limit asked for
  std::vector<Event> cwd;      // newest first
  std::vector<Event> newest;   // the store's newest events whatever their context (up to kRecentNewest)
  int64_t events = 0;          // events in the store, spooled ones included
  // Events of the session and of the directory (spooled ones included), at most kRecentCountCap.
  // A count below the cap is exact when *_count_exact; otherwise it is a lower bound (the file
  // counts among the store's newest few thousand events: an older part of the session is not seen).
  uint32_t session_count = 0;
  uint32_t cwd_count = 0;
  bool session_count_exact = true;
  bool cwd_count_exact = true;
};
// NotFound when the file cannot answer (missing, of an older format, being rewritten, damaged):
// use Store::Scan. With no database yet (only spooled events) the spool answers alone.
// `limit` is at most kRecentPerKey. An empty session or cwd gives no events for it. Events carry
// their ts_us, id, exit_code, session / cwd (when the ones asked for), actor and command.
Status ReadRecentEvents(const std::string& data_dir, const std::string& session, const std::string& cwd,
                        size_t limit, RecentEvents* out);

// Default data directory: $MEMORY_DB, else $XDG_DATA_HOME/llmunix-memory, else
// ~/.local/share/llmunix-memory.
std::string DefaultDataDir();

// "30d", "12h", "15m", "45s", "2w" -> microseconds. InvalidArgument otherwise.
Status ParseDuration(const std::string& text, int64_t* us);

// Shell-style glob match ('*', '?', '[...]') over the whole string.
bool GlobMatch(std::string_view pattern, std::string_view text);
// Whether the glob matches one of the event's text fields as ForgetScope::kAnyField names them.
bool GlobMatchesAnyField(std::string_view pattern, const Event& e);

}  // namespace memory
