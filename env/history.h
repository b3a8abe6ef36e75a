// Readers for recorded and public command histories: our own JSON lines, bash, zsh and fish
// history files, and the Schonlau SEA and Purdue PU data sets (one command per line, one file per user).
// Used by `memory import` and by the evaluation protocols (`memory eval intent`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/event.h"
#include "store/status.h"

namespace memory::env {

enum class HistoryFormat { kJsonl, kBash, kZsh, kFish, kSchonlau, kPurdue };

// "jsonl" | "bash" | "zsh" | "fish" | "schonlau" | "purdue"; InvalidArgument names the accepted
// values.
Status ParseHistoryFormat(std::string_view name, HistoryFormat* out);
std::string_view HistoryFormatName(HistoryFormat f);

struct HistoryReadOptions {
  std::string user;          // user of every event (jsonl: of those without one); "" = the file's base name
  std::string session;       // session of every event (jsonl: idem); "" = "<format>:<user>"
  // Events without a time of their own (schonlau, purdue, bash without '#' lines) get
  // base_ts_us + i microseconds for the i-th event, so order is kept. 0 = now minus the count,
  // or, in a file where other events have times, 1 us after the previous timed event (before
  // the first one for those that come first).
  int64_t base_ts_us = 0;
  size_t max_line_bytes = 1 << 20;  // longer lines are an error naming file and line
};

// Reads a whole file in file order. Empty lines are skipped. On any malformed input (binary
// data, invalid UTF-8, a line over max_line_bytes, bad JSON, a truncated zsh record) returns
// InvalidArgument "FILE:LINE: what is wrong" for the first bad line, and `events` holds nothing
// from this file.
// A file without any command is InvalidArgument too; a missing file is NotFound.
// Events are appended to *events. Shell formats set command, ts_us, user, session, actor="human"
// (zsh extended history also duration_us); bash '#<seconds>' lines give the time of the next
// command, and the lines up to the following '#<seconds>' line form one multi-line command;
// fish entries ("- cmd: " with '\\' and '\n' escapes, then "  when: <seconds>") give their own.
// jsonl keeps each event's own fields (user and session included, so a piped `memory simulate`
// keeps its users); events without user / session / ts get the defaults above.
Status ReadHistoryFile(const std::string& path, HistoryFormat format,
                       const HistoryReadOptions& options, std::vector<Event>* events);

// The same events and errors as ReadHistoryFile, handed to `sink` in file order at most `batch`
// at a time (each batch is the sink's to move from), so memory stays bounded however long the
// file is. The file is read twice: a first pass checks all of it, so any error in it comes before
// the first batch, shows each event to `checked` (may be null; its time is its own, or 0 when it
// has none) and calls `counted` (may be null) with the number of events; the second hands them
// out. A sink's error stops the read and is returned. Both passes read the bytes the file
// had when opened; a file rewritten in between is Aborted (after batches may have gone out). A
// file that cannot be read twice (a pipe) is read into memory first. `path` "-" is standard
// input. `name` ("" = path, "stdin" for "-") names the input in errors and gives the default user.
// A null `sink` stops after the check pass.
// What a check pass found, for a later read that skips it: the number of events, where the
// first with a time of its own is and that time, and how many bytes were checked. Filled by
// StreamHistoryFile's `found` (regular files only; pipes leave it untouched).
struct HistoryLayout {
  size_t events = 0;
  size_t first_timed = SIZE_MAX;
  int64_t first_ts = 0;
  uint64_t bytes = 0;
  uint64_t device = 0, inode = 0;  // the file checked (one replaced since is Aborted)
  bool valid = false;              // set by a check pass
};
// With `checked_layout` (valid, from a check pass of this file with the same format and
// options) a regular file's check pass is skipped: `counted` gets its count and the events come
// from its first `bytes` bytes (lines appended since are left for the next import), so each
// file of a multi-file import is read twice, not three times. A file replaced since, shorter
// than what was checked, or whose count changed is Aborted.
Status StreamHistoryFile(const std::string& path, std::string_view name, HistoryFormat format,
                         const HistoryReadOptions& options, size_t batch,
                         const std::function<void(const Event&)>& checked,
                         const std::function<void(size_t)>& counted,
                         const std::function<Status(std::vector<Event>*)>& sink,
                         HistoryLayout* found = nullptr, const HistoryLayout* checked_layout = nullptr);

// Same as ReadHistoryFile, from text already in memory (`name` is used in error messages).
Status ParseHistory(std::string_view text, std::string_view name, HistoryFormat format,
                    const HistoryReadOptions& options, std::vector<Event>* events);

// A path that is a directory expands to its regular files (sorted by name, digit runs compared
// as numbers: User9 < User10), leaving out hidden files and README* / *.md; files and "-" stay
// as given. A missing path is NotFound; a directory with no history file is InvalidArgument.
Status ExpandHistoryPaths(const std::vector<std::string>& paths, std::vector<std::string>* files);
// Same; for schonlau and purdue (one file per user, named like User7 / USER3) files whose name
// has an extension (e.g. masquerade_labels_odd_users.txt) are left out too.
Status ExpandHistoryPaths(const std::vector<std::string>& paths,
                          std::optional<HistoryFormat> format, std::vector<std::string>* files);

// Reads one user's file the way the evaluation protocols do (`memory eval intent`, experiments):
// Schonlau and Purdue files are Latin-1 (the reference reads them so), so bytes >= 0x80 are
// re-encoded as UTF-8, which keeps equal commands equal and different ones different; times are
// synthesized from 1 µs so results never depend on the wall clock. Empty file: InvalidArgument.
Status ReadProtocolHistory(const std::string& path, HistoryFormat format, std::vector<Event>* events);

// True when `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);

}  // namespace memory::env
