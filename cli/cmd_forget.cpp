// memory clean --age 30d / memory forget --pattern GLOB: delete for real (then compact, so the
// bytes leave every file of the data directory).
#include <cstdio>
#include <filesystem>
#include <thread>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "cache/hierarchy.h"
#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "learner/registry.h"
#include "store/internal.h"

namespace memory::cli {
namespace {

struct DeleteOptions {
  std::string pattern, age;
  bool yes = false, dry_run = false, json = false;
  bool any_field = false;  // forget: match every text field, not only the command
};

// Models derived from the store hold command texts too. After a deletion every model file is
// deleted (the served snapshot and each registry version's), the registry marks its versions
// trained on the removed data as stale, and `memory predict` / `memory train` rebuild from what is
// left. `removed_until_us`: events up to this time were removed (INT64_MAX for forget).
Status DropDerivedModels(const Globals& g, int64_t removed_until_us) {
  namespace fs = std::filesystem;
  MEMORY_RETURN_IF_ERROR(cache::Hierarchy::DropAll(cache::CacheDir(g.db)));  // cached results hold command texts
  std::string models = g.db + "/models";
  std::error_code ec;
  if (!fs::exists(models, ec)) return Status::OK();
  // A background rebuild (`predict --rebuild`) may have read the store before the deletion:
  // let it finish writing, then delete what it wrote.
  for (int i = 0; i < 600 && fs::exists(models + "/intent.rebuild.lock", ec); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Every model file goes (snapshots, GRU weights, bandit policies and their tool lines, and
  // whatever a future kind writes); only the registry's bookkeeping stays.
  auto bookkeeping = [](const fs::path& p) {
    std::string name = p.filename().string(), ext = p.extension().string();
    return name == "metadata.json" || name == "CHAMPION" || name == "STALE" || ext == ".lock" || ext == ".log";
  };
  std::vector<fs::path> files, kinds;
  for (auto it = fs::recursive_directory_iterator(models, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && !bookkeeping(it->path())) files.push_back(it->path());
    if (it.depth() == 0 && it->is_directory()) kinds.push_back(it->path().filename());
  }
  if (ec) return Status::IOError(models + ": " + ec.message());
  for (const auto& p : files)
    if (!fs::remove(p, ec) && ec) return Status::IOError(p.string() + ": " + ec.message());
  for (const auto& kind : kinds)
    MEMORY_RETURN_IF_ERROR(learner::ModelRegistry(models).MarkStale(kind.string(), removed_until_us));
  return internal::WriteFileAtomic(models + "/STALE", "events were deleted by forget/clean; retrain\n");
}

int Finish(const DeleteOptions& o, const char* verb, size_t n, const Globals& g) {
  if (o.json) std::printf("{\"%s\":%zu,\"dry_run\":%s}\n", verb, n, o.dry_run ? "true" : "false");
  else if (!g.quiet) std::fprintf(stderr, "%s %zu events%s\n", o.dry_run ? "would delete" : "deleted", n, o.dry_run ? " (dry run)" : "");
  return 0;
}

int RunForget(const DeleteOptions& o, const Globals& g) {
  if (o.pattern.empty()) return Fail(Status::InvalidArgument("--pattern GLOB is required"));
  std::unique_ptr<Store> store;
  Status s = OpenStore(g, StoreOptions::Mode::kReadWrite, &store);
  if (!s.ok()) return Fail(s);
  const ForgetScope scope = o.any_field ? ForgetScope::kAnyField : ForgetScope::kCommand;
  size_t matching = 0, commands = 0;
  if (o.any_field) {
    std::unordered_set<std::string> distinct;
    s = store->Scan(ScanOptions{}, [&](const Event& e) {
      if (GlobMatchesAnyField(o.pattern, e)) ++matching, distinct.insert(e.command);
      return true;
    });
    commands = distinct.size();
  } else {
    s = store->ForEachCommand([&](const CommandStats& c) {
      if (GlobMatch(o.pattern, c.command)) matching += static_cast<size_t>(c.count), ++commands;
      return true;
    });
  }
  if (!s.ok()) return Fail(s);
  if (o.dry_run) return Finish(o, "forgotten", matching, g);
  if (matching == 0 && !store->DeletionPending()) {
    // Nothing stored matches, but a cached search may hold the pattern's text as its query.
    if (Status d = cache::Hierarchy::DropAll(cache::CacheDir(g.db)); !d.ok()) return Fail(d);
    return Finish(o, "forgotten", 0, g);
  }
  if (matching > 0 && !o.yes && !Confirm("Forget " + std::to_string(matching) + " events of " + std::to_string(commands) +
                         " distinct commands " + (o.any_field ? "holding" : "matching") + " '" + o.pattern +
                         "'? This cannot be undone."))
    return Fail(Status::Aborted("nothing forgotten (confirm on a terminal, or pass --yes)"));
  size_t removed = 0;
  s = store->Forget(o.pattern, scope, &removed);
  if (s.ok()) s = DropDerivedModels(g, INT64_MAX);
  if (!s.ok()) return Fail(s);
  return Finish(o, "forgotten", removed, g);
}

int RunClean(const DeleteOptions& o, const Globals& g) {
  int64_t age;
  Status s = ParseDuration(o.age, &age);
  if (!s.ok()) return Fail(s);
  int64_t before = NowMicros() - age;
  std::unique_ptr<Store> store;
  s = OpenStore(g, StoreOptions::Mode::kReadWrite, &store);
  if (!s.ok()) return Fail(s);
  size_t older = 0;
  ScanOptions so;
  so.newest_first = false;
  so.until_us = before;
  s = store->Scan(so, [&](const Event&) { return ++older, true; });
  if (!s.ok()) return Fail(s);
  if (o.dry_run || (older == 0 && !store->DeletionPending()))
    return Finish(o, "cleaned", o.dry_run ? older : 0, g);
  if (older > 0 && !o.yes && !Confirm("Delete " + std::to_string(older) + " events older than " + o.age + "?"))
    return Fail(Status::Aborted("nothing deleted (confirm on a terminal, or pass --yes)"));
  size_t removed = 0;
  const bool interrupted_before = store->DeletionPending();  // its age is unknown: drop every model
  s = store->Clean(before, &removed);
  if (s.ok()) s = DropDerivedModels(g, interrupted_before ? INT64_MAX : before);
  if (!s.ok()) return Fail(s);
  return Finish(o, "cleaned", removed, g);
}

void SetupForget(CLI::App& app, Globals& g, Action* action) {
  auto* f = app.add_subcommand("forget", "Delete every event whose command (with --any-field: any text it holds) matches a glob, for real");
  auto fo = std::make_shared<DeleteOptions>();
  f->add_option("--pattern", fo->pattern, "Glob over the whole command text, e.g. '*secret*' (backups keep what they hold)")->required();
  f->add_flag("--any-field", fo->any_field,
              "Match the glob against every text field too: parameters, error, cwd, repository, branch, host, user, "
              "session, actor, tags, decisions (reads every event)");
  f->add_flag("-y,--yes", fo->yes, "Do not ask for confirmation");
  f->add_flag("--dry-run", fo->dry_run, "Only count what would be deleted");
  f->add_flag("--json", fo->json, "Print JSON");
  f->callback([fo, &g, action] { *action = [fo, &g] { return RunForget(*fo, g); }; });

  auto* c = app.add_subcommand("clean", "Delete events older than an age");
  auto co = std::make_shared<DeleteOptions>();
  c->add_option("--age", co->age, "e.g. 30d, 12w, 1y")->required();
  c->add_flag("-y,--yes", co->yes, "Do not ask for confirmation");
  c->add_flag("--dry-run", co->dry_run, "Only count what would be deleted");
  c->add_flag("--json", co->json, "Print JSON");
  c->callback([co, &g, action] { *action = [co, &g] { return RunClean(*co, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(70, "forget clean", SetupForget);
}  // namespace memory::cli
