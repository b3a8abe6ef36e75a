// memory backup DIR / memory restore DIR.
#include <cstdio>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/json_text.h"
#include "store/internal.h"

namespace memory::cli {
namespace {

int RunBackup(const std::string& dir, bool json, const Globals& g) {
  const int64_t start = NowMicros();
  std::unique_ptr<Store> store;
  Status s = OpenStore(g, StoreOptions::Mode::kReadWrite, &store);
  if (!s.ok()) return Fail(s);
  s = store->Backup(dir);
  if (!s.ok()) return Fail(s);
  const int64_t bytes = internal::DirBytes(dir);
  const double secs = static_cast<double>(NowMicros() - start) / 1e6;
  if (json) {
    nlohmann::ordered_json j;
    j["backup"] = dir;
    j["bytes"] = bytes;
    j["seconds"] = secs;
    std::printf("%s\n", JsonText(j).c_str());
  } else if (!g.quiet) {
    std::fprintf(stderr, "backup written to %s (%s in %.2f s)\n", dir.c_str(), FormatBytes(bytes).c_str(), secs);
  }
  return 0;
}

int RunRestore(const std::string& dir, bool yes, bool json, const Globals& g) {
  const int64_t start = NowMicros();
  Status checked = CheckBackupDir(dir);  // before asking
  if (!checked.ok()) return Fail(checked);
  if (!yes && !Confirm("Replace the store in " + g.db + " by the backup in " + dir + "?"))
    return Fail(Status::Aborted("restore not confirmed (use --yes to skip the question)"));
  Status s = RestoreStore(dir, g.db);
  if (!s.ok()) return Fail(s);
  if (json) {
    nlohmann::ordered_json j;
    j["restored"] = g.db;
    j["backup"] = dir;
    j["previous"] = g.db + "/db.before-restore";
    j["seconds"] = static_cast<double>(NowMicros() - start) / 1e6;
    std::printf("%s\n", JsonText(j).c_str());
  } else if (!g.quiet) {
    std::fprintf(stderr, "restored %s from %s (previous database kept in db.before-restore)\n", g.db.c_str(), dir.c_str());
  }
  return 0;
}

void SetupBackup(CLI::App& app, Globals& g, Action* action) {
  auto* b = app.add_subcommand("backup", "Consistent copy of the store into DIR while recording continues");
  auto bdir = std::make_shared<std::string>();
  auto bjson = std::make_shared<bool>(false);
  b->add_option("dir", *bdir, "Backup directory (must not exist or be empty)")->required();
  b->add_flag("--json", *bjson, "Print a JSON summary: backup, bytes, seconds");
  b->callback([bdir, bjson, &g, action] { *action = [bdir, bjson, &g] { return RunBackup(*bdir, *bjson, g); }; });

  auto* r = app.add_subcommand("restore", "Replace the store by a backup made with `memory backup`");
  auto rdir = std::make_shared<std::string>();
  auto yes = std::make_shared<bool>(false);
  r->add_option("dir", *rdir, "Backup directory")->required();
  auto rjson = std::make_shared<bool>(false);
  r->add_flag("-y,--yes", *yes, "Do not ask for confirmation");
  r->add_flag("--json", *rjson, "Print a JSON summary: restored, backup, previous, seconds");
  r->callback([rdir, yes, rjson, &g, action] {
    *action = [rdir, yes, rjson, &g] { return RunRestore(*rdir, *yes, *rjson, g); };
  });
}

}  // namespace
MEMORY_REGISTER_COMMAND(60, "backup restore", SetupBackup);
}  // namespace memory::cli
