// The summary: a flat file beside the database with the command dictionary and its counters and
// the store's totals, rewritten by every writer after it commits. Readers that only need these
// (unfiltered `search`, counts in `status`) read one file instead of opening RocksDB.
// A "summary.dirty" marker exists while a writer may have committed more than the file says;
// readers then fall back to the database, and the next writer rebuilds the file. Private to store/.
#pragma once

#include <string>
#include <vector>

#include "store/mapped_file.h"
#include "store/status.h"
#include "store/store.h"

namespace memory::internal {

struct SummaryTotals {
  int64_t events = 0, sessions = 0, users = 0, first_ts_us = 0, last_ts_us = 0;
};

// A command as read back: the text points into Summary::file (no allocation per command).
struct SummaryCommand {
  uint64_t id = 0;
  int64_t count = 0, failures = 0, last_ts_us = 0;
  std::optional<int32_t> last_exit;
  std::string_view command;
};

struct Summary {
  SummaryTotals totals;
  MappedFile file;                       // the summary's bytes (replaced by rename, never truncated)
  size_t command_count = 0;
  std::vector<SummaryCommand> commands;  // empty when read without them
};

Status WriteSummary(const std::string& data_dir, const SummaryTotals& totals, const std::vector<CommandStats>& commands);
// NotFound when there is no usable summary (missing, dirty or damaged). Without `with_commands`
// the commands are checked and counted but not listed (status needs only their number).
Status ReadSummary(const std::string& data_dir, Summary* s, bool with_commands = true);
std::string SummaryPath(const std::string& data_dir);
Status MarkSummaryDirty(const std::string& data_dir);
bool SummaryDirty(const std::string& data_dir);

}  // namespace memory::internal
