// memory simulate: seeded synthetic histories of shell users and LLM agents, as JSON lines that
// `memory import --format jsonl -` reads (the bundled sample data on a machine without data).
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "env/simulator.h"
#include "store/privacy.h"

namespace memory::cli {
namespace {

struct SimulateOptions {
  uint64_t seed = 1;
  int users = 0;
  int64_t events = 10000;
  double agent_share = 0.2;
  std::string start;
  std::string out = "-";
  bool recent = false;
  bool to_store = false;
};

// "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" (UTC) or Unix seconds -> µs since the epoch.
Status ParseStart(const std::string& text, int64_t* us) {
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (seconds <= 0) return Status::InvalidArgument("--start must be after 1970, got '" + text + "'");
    *us = seconds * 1'000'000;
    return Status::OK();
  }
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%d", &tm);
  if (rest && *rest == 'T') rest = strptime(rest + 1, "%H:%M:%S", &tm);
  if (rest && *rest == 'Z') ++rest;
  if (!rest || *rest != '\0') {
    return Status::InvalidArgument("--start: expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or Unix seconds, got '" +
                                   text + "'");
  }
  const std::tm asked = tm;
  time_t t = timegm(&tm);  // normalizes out-of-range fields, so compare: 2026-02-30 is an error
  if (tm.tm_year != asked.tm_year || tm.tm_mon != asked.tm_mon || tm.tm_mday != asked.tm_mday ||
      tm.tm_hour != asked.tm_hour || tm.tm_min != asked.tm_min || tm.tm_sec != asked.tm_sec) {
    return Status::InvalidArgument("--start: no such date or time '" + text + "'");
  }
  if (t <= 0) return Status::InvalidArgument("--start must be after 1970, got '" + text + "'");
  *us = static_cast<int64_t>(t) * 1'000'000;
  return Status::OK();
}

// --to-store: straight into the store of --db, in batches, through the user's privacy rules
// like `import` (no JSON on the way: the quick way to build a large sample store).
int SimulateIntoStore(env::Simulator& sim, int64_t total, const Globals& g) {
  Config config;
  std::unique_ptr<PrivacyFilter> privacy;
  Status s = LoadPrivacy(g, &config, &privacy);
  if (!s.ok()) return Fail(s);
  std::unique_ptr<Store> store;
  s = OpenStore(g, StoreOptions::Mode::kReadWrite, &store);
  if (!s.ok()) return Fail(s);
  const int64_t start = NowMicros();
  constexpr size_t kBatch = 50000;
  Progress progress(g, "simulating into " + g.db, static_cast<size_t>(total));
  std::vector<Event> batch;
  batch.reserve(kBatch);
  size_t stored = 0, ignored = 0;
  Event e;
  for (bool more = true; more;) {
    batch.clear();
    while (batch.size() < kBatch && (more = sim.Next(&e))) {
      if (!privacy->ShouldRecord(e)) {
        ++ignored;
        continue;
      }
      privacy->Redact(&e);
      batch.push_back(std::move(e));
    }
    if (batch.empty()) continue;
    s = store->Ingest(batch);
    if (!s.ok()) return Fail(s);
    stored += batch.size();
    progress.Update(static_cast<size_t>(sim.produced()));
  }
  progress.Done();
  if (!g.quiet) {
    double secs = static_cast<double>(NowMicros() - start) / 1e6;
    std::fprintf(stderr, "simulated %lld events, stored %zu in %s in %.2f s (%.0f events/s)",
                 static_cast<long long>(sim.produced()), stored, g.db.c_str(), secs,
                 secs > 0 ? static_cast<double>(stored) / secs : 0.0);
    if (ignored) std::fprintf(stderr, ", %zu ignored by privacy rules", ignored);
    std::fprintf(stderr, "\n");
  }
  return 0;
}

int RunSimulate(const SimulateOptions& o, const Globals& g) {
  if (o.to_store && o.out != "-") {
    return Fail(Status::InvalidArgument("--to-store and --out exclude each other"));
  }
  env::SimulatorOptions so;
  so.seed = o.seed;
  so.users = o.users;
  so.events = o.events;
  so.agent_share = o.agent_share;
  if (!o.start.empty()) {
    Status s = ParseStart(o.start, &so.start_ts_us);
    if (!s.ok()) return Fail(s);
  }
  if (o.recent) {
    if (!o.start.empty()) return Fail(Status::InvalidArgument("--recent and --start exclude each other"));
    Status s = env::StartEndingBefore(so, NowMicros(), &so.start_ts_us);
    if (!s.ok()) return Fail(s);
  }
  std::unique_ptr<env::Simulator> sim;
  Status s = env::Simulator::Create(so, &sim);
  if (!s.ok()) return Fail(s);

  if (o.to_store) return SimulateIntoStore(*sim, o.events, g);

  FILE* out = stdout;
  if (o.out != "-") {
    out = std::fopen(o.out.c_str(), "w");
    if (!out) return Fail(Status::IOError(o.out + ": cannot create: " + std::strerror(errno)));
  }
  std::string buf;
  buf.reserve(1 << 20);
  bool write_ok = true;
  auto flush = [&] {
    if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) write_ok = false;
    buf.clear();
  };
  Progress progress(g, "simulating", static_cast<size_t>(o.events));
  Event e;
  while (write_ok && sim->Next(&e)) {
    buf += EventToJson(e);
    buf += '\n';
    if (buf.size() >= (1 << 20) - 4096) {
      flush();
      progress.Update(static_cast<size_t>(sim->produced()));
    }
  }
  flush();
  progress.Done();
  if (std::fflush(out) != 0) write_ok = false;
  if (out != stdout && std::fclose(out) != 0) write_ok = false;
  if (!write_ok) {
    return Fail(Status::IOError((o.out == "-" ? std::string("stdout") : o.out) + ": write failed: " +
                                std::strerror(errno)));
  }
  if (!g.quiet && StderrIsTerminal()) {
    std::fprintf(stderr, "simulated %lld events (seed %llu) to %s\n",
                 static_cast<long long>(sim->produced()), static_cast<unsigned long long>(o.seed),
                 o.out == "-" ? "stdout" : o.out.c_str());
  }
  return 0;
}

void SetupSimulate(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand(
      "simulate",
      "Generate a seeded synthetic history of shell users and LLM agents as JSON lines "
      "(pipe into `memory import --format jsonl -`)");
  auto opts = std::make_shared<SimulateOptions>();
  sub->add_option("--seed", opts->seed, "Random seed; the same seed gives the same events")
      ->default_val(1)
      ->check(CLI::Validator(
          [](std::string& v) { return !v.empty() && v[0] == '-' ? std::string("must not be negative") : std::string(); },
          "UINT"));
  sub->add_option("--users", opts->users, "Number of simulated people (0 = about one per 25,000 events, 3 to 200)")
      ->default_val(0);
  sub->add_option("--events", opts->events, "Number of events to produce")->default_val(10000);
  sub->add_option("--agents-share", opts->agent_share,
                  "Fraction of events that come from agent runs (0 to 1)")
      ->default_val(0.2);
  sub->add_option("--start", opts->start,
                  "Start of the simulated period: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or Unix seconds "
                  "(default 2026-01-05)");
  sub->add_flag("--recent", opts->recent,
                "Move the period by whole weeks so that it ends within the past week (for demos; "
                "the times then depend on today's date, the rest does not)");
  sub->add_flag("--to-store", opts->to_store,
                "Write the events into the store (--db) instead of printing JSON lines");
  sub->add_option("-o,--out", opts->out, "Output file, or - for stdout")->default_val("-");
  sub->callback([opts, &g, action] { *action = [opts, &g] { return RunSimulate(*opts, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(90, "simulate", SetupSimulate);
}  // namespace memory::cli
