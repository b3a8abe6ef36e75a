// memory export: every event as JSON lines or one JSON array, oldest first. Round-trips through
// `memory import --format jsonl`.
#include <sys/stat.h>

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
  bool exists = false;
  if (Status s = CheckDataDir(g, &exists); !s.ok()) return Fail(s);
  if (exists) {
    Status s = OpenStore(g, StoreOptions::Mode::kReadOnly, &store);
    if (!s.ok()) return Fail(s);
  }

  // Written in 1 MiB pieces (a whole store used to be held in memory first); a file is written
  // aside and renamed at the end, so it is all or nothing.
  const bool to_stdout = o.out.empty() || o.out == "-";
  internal::AtomicFileWriter file;
  if (!to_stdout) {
    struct stat st;
    if (::stat(o.out.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      return Fail(Status::InvalidArgument(o.out + " is a directory; --out names the file to write"));
    Status s = file.Open(o.out);
    if (!s.ok()) return Fail(s);
  }
  std::string buf;
  size_t n = 0;
  Progress progress(g, "exporting");
  bool json = o.format == "json";
  if (json) buf += "[\n";
  Status written;
  auto flush = [&]() {
    if (to_stdout) {
      if (std::fwrite(buf.data(), 1, buf.size(), stdout) != buf.size()) written = Status::IOError("writing stdout failed");
    } else {
      written = file.Append(buf);
    }
    buf.clear();
    return written.ok();
  };
  Status s = !store ? Status::OK() : store->Scan(so, [&](const Event& e) {
    if (json && n) buf += ",\n";
    buf += EventToJson(e);
    if (!json) buf += '\n';
    ++n;
    progress.Update(n);
    return buf.size() < (1 << 20) || flush();
  });
  if (!s.ok()) return Fail(s);
  if (!written.ok()) return Fail(written);
  if (json) buf += n ? "\n]\n" : "]\n";
  progress.Done();
  if (!flush()) return Fail(written);
  if (to_stdout) {
    if (std::fflush(stdout) != 0) return Fail(Status::IOError("writing stdout failed"));
  } else {
    s = file.Commit();
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
