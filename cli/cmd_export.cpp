// memory export: every event as JSON lines or one JSON array, oldest first. Round-trips through
// `memory import --format jsonl`.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "store/internal.h"

namespace memory::cli {
namespace {

struct ExportOptions {
  std::string format = "jsonl", out, since;
};

int RunExport(const ExportOptions& o, const Globals& g) {
  if (o.format != "jsonl" && o.format != "json")
    return Fail(Status::InvalidArgument("unknown export format '" + o.format + "' (jsonl or json)"));
  ScanOptions so;
  so.newest_first = false;
  if (!o.since.empty()) {
    int64_t us;
    Status s = ParseDuration(o.since, &us);
    if (!s.ok()) return Fail(s);
    so.since_us = NowMicros() - us;
  }
  std::unique_ptr<Store> store;
  if (DataDirExists(g)) {
    Status s = OpenStore(g, StoreOptions::Mode::kReadOnly, &store);
    if (!s.ok()) return Fail(s);
  }

  const bool to_stdout = o.out.empty() || o.out == "-";
  std::string buf;
  size_t n = 0;
  Progress progress(g, "exporting");
  bool json = o.format == "json";
  if (json) buf += "[\n";
  auto flush = [&]() {
    if (to_stdout) {
      std::fwrite(buf.data(), 1, buf.size(), stdout);
      buf.clear();
    }
  };
  Status s = !store ? Status::OK() : store->Scan(so, [&](const Event& e) {
    if (json && n) buf += ",\n";
    buf += EventToJson(e);
    if (!json) buf += '\n';
    ++n;
    if (buf.size() > (1 << 20)) flush();
    progress.Update(n);
    return true;
  });
  if (!s.ok()) return Fail(s);
  if (json) buf += n ? "\n]\n" : "]\n";
  progress.Done();
  if (to_stdout) {
    flush();
    if (std::fflush(stdout) != 0) return Fail(Status::IOError("writing stdout failed"));
  } else {
    s = internal::WriteFileAtomic(o.out, buf);  // all or nothing
    if (!s.ok()) return Fail(s);
    if (!g.quiet) std::fprintf(stderr, "exported %zu events to %s\n", n, o.out.c_str());
  }
  return 0;
}

void SetupExport(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("export", "Export events (JSON lines or a JSON array), oldest first");
  auto o = std::make_shared<ExportOptions>();
  sub->add_option("--format", o->format, "jsonl (default) or json");
  sub->add_option("--out", o->out, "Output file (default: stdout); written atomically");
  sub->add_option("--since", o->since, "Only the last 7d, 12h ...");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunExport(*o, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(45, "export", SetupExport);
}  // namespace memory::cli
