// Readers for recorded and public command histories: our own JSON lines, bash and zsh history
// files, and the Schonlau SEA and Purdue PU data sets (one command per line, one file per user).
// Used by `memory import` and by the evaluation protocols (`memory eval intent`).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/event.h"
#include "store/status.h"

namespace memory::env {

enum class HistoryFormat { kJsonl, kBash, kZsh, kSchonlau, kPurdue };

// "jsonl" | "bash" | "zsh" | "schonlau" | "purdue"; InvalidArgument names the accepted values.
Status ParseHistoryFormat(std::string_view name, HistoryFormat* out);
std::string_view HistoryFormatName(HistoryFormat f);

struct HistoryReadOptions {
  std::string user;          // user of every event; "" = the file's base name
  std::string session;       // session of every event; "" = "<format>:<user>"
  // Events without a time of their own (schonlau, purdue, bash without '#' lines) get
  // base_ts_us + i microseconds for the i-th event, so order is kept. 0 = now minus the count.
  int64_t base_ts_us = 0;
  size_t max_line_bytes = 1 << 20;  // longer lines are an error naming file and line
};

// Reads a whole file in file order. Empty lines are skipped. On any malformed input (binary
// data, invalid UTF-8, a line over max_line_bytes, bad JSON, a truncated zsh record) returns
// InvalidArgument "FILE:LINE: what is wrong" and `events` holds nothing from this file.
Status ReadHistoryFile(const std::string& path, HistoryFormat format,
                       const HistoryReadOptions& options, std::vector<Event>* events);

// Same, from text already in memory (`name` is used in error messages).
Status ParseHistory(std::string_view text, std::string_view name, HistoryFormat format,
                    const HistoryReadOptions& options, std::vector<Event>* events);

// A path that is a directory expands to its regular files (sorted by name); files stay as given.
Status ExpandHistoryPaths(const std::vector<std::string>& paths, std::vector<std::string>* files);

// True when `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);

}  // namespace memory::env
