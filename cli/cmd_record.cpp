// memory record: the fast path. Appends one event (or JSON lines from stdin) to the spool;
// never opens RocksDB unless the spool has grown past the fold threshold.
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/context.h"
#include "cli/core.h"
#include "store/privacy.h"
#include "store/recorder.h"

namespace memory::cli {
namespace {

constexpr int64_t kFoldThresholdBytes = 1 << 20;

struct RecordOptions {
  std::string cmd, json_input, cwd, session, actor, user, kind, params, error, repo, branch;
  std::vector<std::string> tags;
  std::optional<int> exit_code;
  std::optional<double> duration_ms, cpu_ms;
  std::optional<int64_t> rss_kb, ts_us;
  bool print_json = false;
  bool fold_pending = false;  // only fold (the front end's hand-over to memory-core)
  bool from_hook = false;     // the shell hook records a typed line
};

// True when `line` only runs `memory run` (a path ending in "memory", -q/--quiet/--db/--config
// options, then "run"): that command records what it runs, with CPU time and peak RSS, so the
// hook leaves the line to it. A line with any of ; & | < > ( ) ` $ \ or a newline, even quoted,
// may do more than that and is recorded as usual.
bool OnlyRunsMemoryRun(std::string_view line) {
  if (line.find_first_of(";&|<>()`$\\\n") != std::string_view::npos) return false;
  std::vector<std::string_view> words;
  for (size_t pos = 0; pos < line.size();) {
    size_t b = line.find_first_not_of(" \t", pos);
    if (b == std::string_view::npos) break;
    size_t e = line.find_first_of(" \t", b);
    if (e == std::string_view::npos) e = line.size();
    words.push_back(line.substr(b, e - b));
    pos = e;
  }
  if (words.empty()) return false;
  std::string_view bin = words[0];
  if (bin.size() >= 2 && (bin.front() == '\'' || bin.front() == '"') && bin.back() == bin.front())
    bin = bin.substr(1, bin.size() - 2);  // 'memory', "/opt/x/memory"
  if (size_t slash = bin.rfind('/'); slash != std::string_view::npos) bin.remove_prefix(slash + 1);
  if (bin != "memory") return false;
  size_t i = 1;
  while (i < words.size()) {
    const std::string_view w = words[i];
    if (w == "-q" || w == "--quiet" || w.starts_with("--db=") || w.starts_with("--config=")) {
      ++i;
    } else if (w == "--db" || w == "--config") {
      i += 2;
    } else {
      break;
    }
  }
  return i < words.size() && words[i] == "run";
}

constexpr size_t kMaxStdinBytes = size_t(256) << 20;  // events piped to `record --json -`

Status ReadStdinEvents(std::vector<Event>* events) {
  std::string text;
  MEMORY_RETURN_IF_ERROR(ReadStdinJson(kMaxStdinBytes, "stdin", &text));
  {
    // One event, possibly pretty-printed over several lines.
    Event e;
    size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] == '{' && EventFromJson(text, &e).ok()) {
      events->push_back(std::move(e));
      return Status::OK();
    }
  }
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    Event e;
    Status s = EventFromJson(line, &e);
    if (!s.ok()) return Status::InvalidArgument("stdin:" + std::to_string(line_no) + ": " + s.message());
    events->push_back(std::move(e));
  }
  if (events->empty()) return Status::InvalidArgument("stdin: no event (expected a JSON object per line)");
  return Status::OK();
}

int RunRecord(const RecordOptions& o, const Globals& g) {
  if (RecordingPaused(g.db)) return 0;  // `memory learn --disable`: record nothing, quietly
  Config config;
  std::unique_ptr<PrivacyFilter> privacy;
  Status s = LoadPrivacy(g, &config, &privacy);
  if (!s.ok()) return Fail(s);
  if (o.fold_pending) return FoldPendingNow(g, config);

  std::vector<Event> events;
  if (!o.json_input.empty()) {
    if (o.json_input != "-") return Fail(Status::InvalidArgument("--json takes '-' (read events from stdin)"));
    s = ReadStdinEvents(&events);
    if (!s.ok()) return Fail(s);
  } else {
    if (o.cmd.empty()) return Fail(Status::InvalidArgument("nothing to record: give --cmd TEXT or --json -"));
    if (o.from_hook && OnlyRunsMemoryRun(o.cmd)) return 0;  // `memory run` records it
    Event e;
    e.command = o.cmd;
    if (!o.kind.empty() && !ParseEventKind(o.kind, &e.kind))
      return Fail(Status::InvalidArgument("--kind must be shell or tool"));
    e.params_json = o.params;
    e.cwd = o.cwd;
    e.session = o.session;
    e.actor = o.actor;
    e.user = o.user;
    e.repo_root = o.repo;
    e.branch = o.branch;
    e.error = o.error;
    e.tags = o.tags;
    e.exit_code = o.exit_code;
    for (const auto& [ms, name] : {std::pair{o.duration_ms, "--duration-ms"}, {o.cpu_ms, "--cpu-ms"}})
      if (ms && !(*ms >= 0 && *ms <= 9e15))  // also NaN
        return Fail(Status::InvalidArgument(std::string(name) + " must be a number of milliseconds from 0 to 9e15"));
    if (o.duration_ms) e.duration_us = std::llround(*o.duration_ms * 1000);
    if (o.cpu_ms) e.cpu_us = std::llround(*o.cpu_ms * 1000);
    e.peak_rss_kb = o.rss_kb;
    if (o.ts_us) {
      e.ts_us = *o.ts_us;
    } else if (e.duration_us) {  // it just ended (the fish hook knows no start): now minus its duration
      e.ts_us = std::max<int64_t>(1, NowMicros() - *e.duration_us);
    }
    events.push_back(std::move(e));
  }

  std::vector<Event> keep;
  for (auto& e : events) {
    if (!privacy->ShouldRecord(e)) continue;
    FillContext(&e);
    privacy->Redact(&e);  // before cutting: a cut secret would no longer be recognised
    if (e.command.size() > config.max_command_bytes) {
      size_t cut = config.max_command_bytes;  // not inside a UTF-8 character
      while (cut > 0 && (static_cast<unsigned char>(e.command[cut]) & 0xC0) == 0x80) --cut;
      if (cut == 0) cut = config.max_command_bytes;  // not UTF-8 anyway
      e.command.resize(cut);
      e.tags.push_back("truncated");
    }
    keep.push_back(std::move(e));
  }
  s = RecordToSpool(g, config, keep);
  if (!s.ok()) return Fail(s);
  if (o.print_json) {
    std::string out = "{\"recorded\":" + std::to_string(keep.size()) + ",\"ids\":[";
    for (size_t i = 0; i < keep.size(); ++i) out += (i ? ",\"" : "\"") + keep[i].id + "\"";
    std::printf("%s]}\n", out.c_str());
  }
  // The next writer folds the spool in; when it has grown large, this one does (if free).
  if (PendingSpoolBytes(g.db) > kFoldThresholdBytes) return FoldPendingNow(g, config);
  return 0;
}

void SetupRecord(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("record", "Record one execution (the shell hook and agents call this)");
  auto o = std::make_shared<RecordOptions>();
  sub->add_option("--cmd", o->cmd, "Command text (or tool name with --kind tool)");
  sub->add_option("--json", o->json_input, "Read events from stdin: '-' (one JSON object per line)");
  sub->add_option("--exit", o->exit_code, "Exit status");
  sub->add_option("--duration-ms", o->duration_ms, "Wall time in milliseconds");
  sub->add_option("--cpu-ms", o->cpu_ms, "CPU time (user + system) in milliseconds");
  sub->add_option("--rss-kb", o->rss_kb, "Peak resident set size in KiB");
  sub->add_option("--cwd", o->cwd, "Working directory (default: the current one)");
  sub->add_option("--session", o->session, "Session id (default: $MEMORY_SESSION)");
  sub->add_option("--actor", o->actor, "human, or the agent's name (default: human)");
  sub->add_option("--user", o->user, "User (default: $USER)");
  sub->add_option("--kind", o->kind, "shell (default) or tool");
  sub->add_option("--params", o->params, "Tool-call parameters as JSON");
  sub->add_option("--error", o->error, "Error text");
  sub->add_option("--repo", o->repo, "Git repository root (default: detected from cwd)");
  sub->add_option("--branch", o->branch, "Git branch (default: detected)");
  sub->add_option("--tag", o->tags, "Tag (repeatable)");
  sub->add_option("--ts-us", o->ts_us, "Start time in µs since the epoch (default: now, or now minus --duration-ms: it just ended)");
  sub->add_flag("--print-json", o->print_json, "Print the recorded ids as JSON");
  sub->add_flag("--fold-pending", o->fold_pending, "Record nothing; fold the spool into the database if it is free")
      ->group("");  // how the front end hands a fold to memory-core (cli/core.h)
  sub->add_flag("--from-hook", o->from_hook, "The shell hook records a typed line: one that only runs `memory run` is left to it")
      ->group("");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunRecord(*o, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(10, "record", SetupRecord);
}  // namespace memory::cli
