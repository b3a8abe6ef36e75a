// Helpers shared by the `memory` subcommands: config and store access, formatting, progress.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "store/config.h"
#include "store/privacy.h"
#include "store/store.h"

namespace memory::cli {

// Loads the config named by --config (or the default location).
Status LoadUserConfig(const Globals& g, Config* config);
// Loads the config and builds the privacy filter it describes (every path that writes events).
Status LoadPrivacy(const Globals& g, Config* config, std::unique_ptr<PrivacyFilter>* privacy);

// Spools `events` into --db with the config's durability (store/recorder.h; ids are assigned).
Status RecordToSpool(const Globals& g, const Config& config, std::vector<Event>& events);

// Opens the store of --db. kReadOnly readers never block writers; kReadWrite waits briefly for
// the writer lock and folds the spool. In the front end (cli/core.h) it does not return on
// success: the process continues as memory-core with the same arguments, so call it before
// printing anything. Defined in links_database.cpp / front_end.cpp.
Status OpenStore(const Globals& g, StoreOptions::Mode mode, std::unique_ptr<Store>* store);

// *exists = false when the data directory does not exist: read commands then show an empty
// store instead of creating one (a mistyped --db must not leave directories behind).
// InvalidArgument when the path names something else (a file: --db given a file by mistake).
Status CheckDataDir(const Globals& g, bool* exists);

// Why a training run skipped: `n` events in its range, `need` wanted, and SinceHint.
std::string TooFewEventsReason(int64_t n, int64_t need, int64_t since_us, Store* store);
// When --since (since_us > 0) left events of the store out of a range that held `n`: "; --since
// leaves N older events out (...)"; else "".
std::string SinceHint(int64_t n, int64_t since_us, Store* store);

// All of stdin, which must be JSON text, into *out; InvalidArgument naming `what` if it holds
// more than `limit` bytes or a NUL byte (read no further, so hostile input such as /dev/zero
// cannot exhaust memory or time).
Status ReadStdinJson(size_t limit, const std::string& what, std::string* out);

std::string FormatLocalTime(int64_t ts_us);   // "2026-11-24 21:47:03"
std::string FormatAge(int64_t ts_us);         // "3m ago", "2d ago"
std::string FormatBytes(int64_t bytes);       // "1.4 MiB"

// Asks "question [y/N]" on the terminal. False when stdin is not a terminal.
bool Confirm(const std::string& question);

// Progress on stderr, only when stderr is a terminal and not --quiet; rate-limited to 10 Hz.
class Progress {
 public:
  Progress(const Globals& g, std::string what, size_t total = 0);
  ~Progress();
  void Update(size_t done);
  void Done();

 private:
  bool enabled_;
  std::string what_;
  size_t total_;
  int64_t start_us_, last_us_ = 0;
  bool printed_ = false;
};

}  // namespace memory::cli
