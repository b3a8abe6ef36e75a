// memory optimize: fold the spool and compact the store into few files.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"

namespace memory::cli {
namespace {

int RunOptimize(bool json, const Globals& g) {
  std::unique_ptr<Store> store;
  Status s = OpenStore(g, StoreOptions::Mode::kReadWrite, &store);
  if (!s.ok()) return Fail(s);
  StoreStats before, after;
  s = store->Stats(&before);
  if (s.ok()) s = store->Optimize();
  if (s.ok()) s = store->Stats(&after);
  if (!s.ok()) return Fail(s);
  if (json)
    std::printf("{\"disk_bytes_before\":%lld,\"disk_bytes_after\":%lld}\n", static_cast<long long>(before.disk_bytes),
                static_cast<long long>(after.disk_bytes));
  else if (!g.quiet)
    std::fprintf(stderr, "optimized %s: %s -> %s on disk\n", g.db.c_str(), FormatBytes(before.disk_bytes).c_str(),
                 FormatBytes(after.disk_bytes).c_str());
  return 0;
}

void SetupOptimize(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("optimize", "Fold pending records and compact the store into few files");
  auto json = std::make_shared<bool>(false);
  sub->add_flag("--json", *json, "Print JSON");
  sub->callback([json, &g, action] { *action = [json, &g] { return RunOptimize(*json, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(65, "optimize", SetupOptimize);
}  // namespace memory::cli
