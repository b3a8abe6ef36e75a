// A seeded simulator of people and LLM agents working in shells: it produces memory::Event
// streams with full context (cwd, repository, branch, host, session, outcome, resources).
//
// What it models, so next-command models, bandits and caches have structure to learn:
//   * users with habits: preferred editor, aliases, `ls` style, build/test tools per project,
//     working hours, commit-message style, some use docker/kubectl;
//   * 2-5 projects per user under ~/src/<project> (C++, Rust, Node, Python or Go), each with its
//     files, a current branch, and hot files that get most of the edits;
//   * shell sessions on working days: cd into a project, then tasks until the session ends:
//     edit -> build -> (failure with compiler-style error text -> fix edit -> rebuild) -> test ->
//     (failure -> fix -> rerun); git status/diff/add/commit -m "<message>"/push (push rejected
//     -> pull --rebase -> push), feature branches; exploring (ls, cat, grep -rn <word>, git log);
//     docker/kubectl; python scripts with varying arguments; the odd typo (exit 127, retyped);
//   * agent runs (actor "agent:<name>", session "<user>:<agent>:<n>"): tens of steps, mostly tool
//     calls (list_dir, search_code, read_file, edit_file, run_tests with params_json) and a few
//     shell commands (build, git diff, git commit), with fail -> read -> edit -> rerun loops.
// Every event has id (32 hex digits, deterministic), ts_us, kind, command, cwd, repo_root (when
// in a project; always for agents), branch (idem), host, user, session, actor, exit_code,
// duration_us, cpu_us, peak_rss_kb and the tag "sim"; failures carry error text.
//
// Determinism: the same options give the same events, byte for byte, on any platform with IEEE
// doubles and a correctly rounded libm (distributions are our own, over std::mt19937_64).
// Events come out in time order (ts_us non-decreasing). Thread-compatible (one thread at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/event.h"
#include "store/status.h"

namespace memory::env {

struct SimulatorOptions {
  uint64_t seed = 1;
  int users = 0;                // 0 = automatic: max(3, min(200, events / 25000))
  int64_t events = 10000;       // exactly this many events are produced (>= 0)
  // Start of the simulated period (µs since the epoch, UTC); 0 = Monday 2026-01-05 00:00 UTC.
  // Activity happens in working hours on (mostly) working days from there on.
  int64_t start_ts_us = 0;
  double agent_share = 0.2;     // fraction of events from agent runs, in [0, 1]
};

// InvalidArgument naming the option when a value is out of range.
Status ValidateSimulatorOptions(const SimulatorOptions& options);

// The default start (Monday 2026-01-05 00:00 UTC) in µs.
inline constexpr int64_t kDefaultSimulationStartUs = 1767571200LL * 1000000;

class Simulator {
 public:
  // Fails with InvalidArgument on bad options.
  static Status Create(const SimulatorOptions& options, std::unique_ptr<Simulator>* out);
  virtual ~Simulator() = default;

  // Writes the next event into *e and returns true, or returns false once options.events
  // events were produced. Memory stays small however many events are asked for.
  virtual bool Next(Event* e) = 0;

  // Events produced so far.
  virtual int64_t produced() const = 0;
};

// A start time for `options` such that the simulated period ends in the week before end_us:
// the options' start moved by whole weeks (so days of the week, hours and every event stay the
// same, shifted). Runs the simulation once to find its end (about 1 s per million events).
Status StartEndingBefore(const SimulatorOptions& options, int64_t end_us, int64_t* start_us);

// Convenience: all events at once (options.events of them) appended to *out.
Status Simulate(const SimulatorOptions& options, std::vector<Event>* out);

}  // namespace memory::env
