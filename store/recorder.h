// Recorder: the fast record path. Appends events to the spool of a data directory without
// opening RocksDB, so any number of processes record at once and never wait on each other.
//
// Durability: an acknowledged Record() survives kill -9 of the recording process (the bytes are
// in the kernel); with sync=true it also survives power loss (fdatasync before returning).
// Privacy: callers apply the user's ignore rules and redaction (see privacy.h) before Record().
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "store/event.h"
#include "store/status.h"

namespace memory {

struct RecorderOptions {
  std::string dir;      // data directory
  bool sync = false;
};

// Appends one or more events as one atomic append (all or nothing). Assigns ids and
// timestamps where missing.
Status RecordEvents(const RecorderOptions& options, std::vector<Event>& events);

// True when recording is paused in `dir` (`memory learn --disable`).
bool RecordingPaused(const std::string& dir);
Status SetRecordingPaused(const std::string& dir, bool paused);

// Events spooled but not folded yet, oldest first (readers merge them with the database).
Status ReadPending(const std::string& dir, std::vector<Event>* events);
// The same events one at a time, each decoded into a scratch Event that `fn` may change or move
// from: for readers that keep few of them (the spool holds up to ~10,000 events before a fold).
Status ForEachPending(const std::string& dir, const std::function<void(Event&)>& fn);
// The same events still encoded (DecodeEvent / PeekEvent; the view is valid during the call), for
// readers that decode only the few they keep.
Status ForEachPendingRecord(const std::string& dir, const std::function<void(std::string_view)>& fn);

// Number of bytes waiting in the spool (cheap: one stat per spool file).
int64_t PendingSpoolBytes(const std::string& dir);

}  // namespace memory
