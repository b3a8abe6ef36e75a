// Event: one recorded execution (a shell command or an agent's tool call) with its context and
// outcome. Part of the store's public interface (see store.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace memory {

enum class EventKind : uint8_t { kShell = 0, kToolCall = 1 };

std::string_view EventKindName(EventKind k);                 // "shell" | "tool"
bool ParseEventKind(std::string_view s, EventKind* out);    // accepts "shell", "tool", "tool_call"

// Set when a policy suggested the action (bandit decisions, predictions that were followed).
struct Decision {
  std::string decision_id;              // id given back to `memory reward --decision`
  std::string policy;                   // factory string of the policy that chose
  std::string model_version;
  std::vector<std::string> action_set;  // the actions it chose from (may be empty)
  std::string action;                   // the chosen action
  double probability = 1.0;             // probability with which `action` was chosen
  std::optional<double> reward;         // known once the outcome arrives
  bool operator==(const Decision&) const = default;
};

struct Event {
  std::string id;             // 32 lowercase hex digits; assigned by the store when empty
  int64_t ts_us = 0;          // start time, microseconds since the Unix epoch (UTC)
  EventKind kind = EventKind::kShell;
  std::string command;        // command line, or the tool name for a tool call
  std::string params_json;    // tool-call parameters as JSON text (shell commands: "" unless given)
  std::string cwd;
  std::string repo_root;      // git work tree root when inside one
  std::string branch;         // git branch when inside a repository
  std::string host;
  std::string user;           // whose history (imported data sets name their user here)
  std::string session;        // shell or agent session id
  std::string actor;          // "human" or the agent's name
  std::optional<int32_t> exit_code;
  std::optional<int64_t> duration_us;
  std::optional<int64_t> cpu_us;       // user + system CPU time
  std::optional<int64_t> peak_rss_kb;
  std::string error;          // error text (stderr excerpt, tool error)
  std::vector<std::string> tags;
  std::optional<Decision> decision;

  bool failed() const { return exit_code.has_value() && *exit_code != 0; }
  bool operator==(const Event&) const = default;
};  // (a new field is also cleared by ClearEvent)

// *e becomes Event() with its strings' buffers kept, so a parser that fills one event after
// another allocates only when a field outgrows its buffer.
void ClearEvent(Event* e);

// Compact, versioned binary encoding used on disk (spool and store). Decode accepts every
// version written so far and rejects anything else with Corruption.
void EncodeEvent(const Event& e, std::string* out);   // appends to *out
Status DecodeEvent(std::string_view in, Event* e);

// The fields a reader filters and orders events by, read without decoding the rest (views into
// the encoded bytes). OK for whatever DecodeEvent accepts; a record damaged after these fields
// may peek OK and still fail to decode.
struct EventKey {
  int64_t ts_us = 0;
  std::string_view id, cwd, session;
};
Status PeekEvent(std::string_view in, EventKey* key);

// JSON form used by `record --json`, `import --format jsonl` and `export`.
// Field names: id, ts (µs), time (ISO-8601, output only), kind, command|tool, params, cwd, repo,
// branch, host, user, session, actor, exit, duration_ms, cpu_ms, peak_rss_kb, error, tags,
// decision{id, policy, model_version, actions, action, probability, reward}.
std::string EventToJson(const Event& e);
Status EventFromJson(std::string_view json_text, Event* e);

// What every stored event satisfies (record, import and the spool's fold check it): a
// non-empty command; a start time from 1970 to the end of year 9999 (0 = now, filled in when
// stored); durations, CPU time and peak RSS not negative. InvalidArgument names the field.
Status CheckEvent(const Event& e);
inline constexpr int64_t kLatestEventTimeUs = 253402300799999999;  // 9999-12-31 23:59:59.999999 UTC
// Nesting of arrays and objects EventFromJson accepts (deeper JSON is InvalidArgument).
inline constexpr int kMaxJsonDepth = 64;

// 16 random bytes as 32 hex digits; the first 16 digits are the timestamp so ids sort by time.
std::string NewEventId(int64_t ts_us);
// The id of an event read from a file: the timestamp, then a hash of what the event is (user,
// session, cwd, command, parameters) and of `occurrence` (0 for the first such event at that
// time, 1 for the next...). The same event read again gets the same id, so a history imported
// twice is stored once. The hash is part of the store's format: it never changes.
std::string ContentEventId(const Event& e, uint32_t occurrence);
int64_t NowMicros();

// Times for a sequence of events whose order matters. The store orders events by time, then by
// id, and an id's second half is random or a hash: events given the same time (a clock's
// microsecond; the one-second times of bash and zsh histories) would be stored in any order.
// Next(t) returns t, or 1 µs after the previous result when t is not after it while the times
// given do not go back (t >= the previous t): a run of equal times keeps its order. A time
// earlier than the one before is kept as it is. Results stay within kLatestEventTimeUs.
class TimeSpreader {
 public:
  int64_t Next(int64_t t) {
    int64_t out = t;
    if (t >= last_given_ && t <= last_out_ && last_out_ < kLatestEventTimeUs) out = last_out_ + 1;
    last_given_ = t;
    last_out_ = out;
    return out;
  }
  // For an event without a time of its own after one with: Next(the previous time given).
  int64_t After() { return Next(last_given_); }
  // An event that keeps its time t (it has an id of its own): later times follow it.
  void Keep(int64_t t) {
    last_out_ = t < last_given_ ? t : std::max(last_out_, t);
    last_given_ = t;
  }

 private:
  int64_t last_given_ = INT64_MIN;
  int64_t last_out_ = INT64_MIN;
};

}  // namespace memory
