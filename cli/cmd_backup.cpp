// memory backup DIR / memory restore DIR.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"

namespace memory::cli {
namespace {

int RunBackup(const std::string& dir, const Globals& g) {
  std::unique_ptr<Store> store;
  Status s = OpenStore(g, StoreOptions::Mode::kReadWrite, &store);
  if (!s.ok()) return Fail(s);
  s = store->Backup(dir);
  if (!s.ok()) return Fail(s);
  if (!g.quiet) std::fprintf(stderr, "backup written to %s\n", dir.c_str());
  return 0;
}

int RunRestore(const std::string& dir, bool yes, const Globals& g) {
  Status checked = CheckBackupDir(dir);  // before asking
  if (!checked.ok()) return Fail(checked);
  if (!yes && !Confirm("Replace the store in " + g.db + " by the backup in " + dir + "?"))
    return Fail(Status::Aborted("restore not confirmed (use --yes to skip the question)"));
  Status s = RestoreStore(dir, g.db);
  if (!s.ok()) return Fail(s);
  if (!g.quiet) std::fprintf(stderr, "restored %s from %s (previous database kept in db.before-restore)\n", g.db.c_str(), dir.c_str());
  return 0;
}

void SetupBackup(CLI::App& app, Globals& g, Action* action) {
  auto* b = app.add_subcommand("backup", "Consistent copy of the store into DIR while recording continues");
  auto bdir = std::make_shared<std::string>();
  b->add_option("dir", *bdir, "Backup directory (must not exist or be empty)")->required();
  b->callback([bdir, &g, action] { *action = [bdir, &g] { return RunBackup(*bdir, g); }; });

  auto* r = app.add_subcommand("restore", "Replace the store by a backup made with `memory backup`");
  auto rdir = std::make_shared<std::string>();
  auto yes = std::make_shared<bool>(false);
  r->add_option("dir", *rdir, "Backup directory")->required();
  r->add_flag("-y,--yes", *yes, "Do not ask for confirmation");
  r->callback([rdir, yes, &g, action] { *action = [rdir, yes, &g] { return RunRestore(*rdir, *yes, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(60, "backup restore", SetupBackup);
}  // namespace memory::cli
