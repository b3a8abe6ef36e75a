// The model registry: every trained model is a version directory
//
//   <root>/<kind>/<version>/            e.g. <db>/models/intent/20261124T231500Z/
//       metadata.json                   what, when, on which data, metrics, decision, status
//       <model files>                   intent: intent.snap (count model) or gru.bin (GRU, config
//                                       "gru(path=gru.bin)", + memory-train.log); bandit: policy.bin
//                                       + suggest.json
//   <root>/<kind>/CHAMPION              the serving version's name (replaced atomically)
//
// Atomicity: a version is built in a staging directory (<root>/<kind>/.staging-*), its files and
// metadata fsynced, then renamed into place, so a half-written version is never listed or
// loaded; leftovers of a crash are staging (and tombstone) directories that Clean removes. The champion pointer
// is written to a temporary file, fsynced and renamed over CHAMPION. The pointer is the truth:
// a version's status is "champion" iff CHAMPION names it (metadata may lag after a crash).
//
// Pruning (Prune) keeps the champion, the previous champions Rollback returns to and the newest
// other versions; a pruned version is renamed to a tombstone (<root>/<kind>/.deleted-*) and
// then deleted, so it disappears from List/Get at once and is never seen half-deleted. The
// champion (and whatever CHAMPION names, even a corrupt version) is never pruned. A reader that
// read CHAMPION just before a promotion opens the previous champion, which is rollback target 1
// and kept unless keep_rollback is 0 (then it may find it gone and must fall back, as `memory
// predict` does for a champion that does not load); files already open stay readable.
//
// Thread-safety: none; processes serialise writers with RegistryLock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "store/status.h"

namespace memory::learner {

inline constexpr int kRegistryFormat = 1;

struct ModelVersionInfo {
  std::string kind;                  // "intent", "bandit"
  std::string version;               // assigned at commit: UTC time "20261124T231500Z" (+ "-N")
  std::string status;                // champion | rejected | retired
  int64_t created_us = 0;
  int64_t promoted_us = 0;           // last time it became champion (0 = never)
  int64_t data_from_us = 0, data_to_us = 0;  // training data range
  int64_t events = 0;                // training events
  int64_t eval_events = 0;           // events of the evaluation slice
  int64_t eval_from_us = 0, eval_to_us = 0;  // the evaluation slice's time range
  std::string config;                // model factory string
  std::string code_version;          // MEMORY_VERSION of the code that trained it
  std::string decision;              // promoted | rejected | forced | first | rolled back ...
  std::string reason;                // why, in words (e.g. the CI of the difference)
  std::map<std::string, double> metrics;             // this model's metrics on the slice
  std::map<std::string, double> champion_metrics;    // the champion's at the time (empty if none)
  bool stale = false;                // trained on data since removed (forget / clean)
};

// How many versions Prune keeps besides the champion (config models.keep / models.keep_rollback).
struct PruneOptions {
  size_t keep = 5;           // newest versions that are neither champion nor rollback targets
  size_t keep_rollback = 5;  // previous champions, in the order Rollback returns to them
  bool dry_run = false;      // decide and report, delete nothing
};

struct PrunedVersion {
  std::string version;
  std::string status;        // as List gives it
  std::string why;           // kept: "champion" | "rollback N" | "newest N"; removed: "older"
  int64_t bytes = 0;         // size of its files
};

struct PruneResult {
  std::string kind;
  std::vector<PrunedVersion> kept, removed;  // each newest first
  int64_t bytes_removed = 0;                 // (would be) freed
};

// flock on a file: two trainings (or a training and a promote) never overlap.
class RegistryLock {
 public:
  // Busy when another process holds it; IOError when the file cannot be created.
  static Status Acquire(const std::string& path, std::unique_ptr<RegistryLock>* out);
  ~RegistryLock();

 private:
  explicit RegistryLock(int fd) : fd_(fd) {}
  int fd_;
};

class ModelRegistry {
 public:
  explicit ModelRegistry(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string KindDir(const std::string& kind) const { return root_ + "/" + kind; }
  std::string VersionDir(const std::string& kind, const std::string& version) const {
    return KindDir(kind) + "/" + version;
  }

  // Creates an empty staging directory for a new version's files.
  Status Stage(const std::string& kind, std::string* staging_dir);
  // fsyncs the staged files, writes metadata.json (info->version is assigned here), and renames
  // the directory into place. Does not change the champion.
  Status Commit(const std::string& staging_dir, ModelVersionInfo* info);
  // Removes leftover staging and tombstone directories (crashed trainings and prunes).
  Status Clean(const std::string& kind);

  // Versions of `kind`, newest first. A version whose metadata does not parse is listed with
  // status "corrupt" and the error in `reason`. An absent kind gives an empty list.
  Status List(const std::string& kind, std::vector<ModelVersionInfo>* out) const;
  // NotFound naming the version; Corruption for unreadable metadata.
  Status Get(const std::string& kind, const std::string& version, ModelVersionInfo* out) const;
  // The serving version; NotFound when there is none.
  Status Champion(const std::string& kind, std::string* version) const;

  // Makes `version` the champion after `validate(version_dir)` succeeds (e.g. the model file
  // loads); the previous champion becomes "retired". On any error the champion is unchanged.
  Status Promote(const std::string& kind, const std::string& version, const std::string& decision,
                 const std::string& reason, const std::function<Status(const std::string&)>& validate);
  // Re-instates the champion before the current one (the retired version promoted most recently
  // before it); the current one becomes "retired" with decision "rolled back". NotFound when
  // there is no earlier champion. `validate` as in Promote.
  Status Rollback(const std::string& kind, const std::function<Status(const std::string&)>& validate,
                  std::string* restored);
  // Deletes the versions of `kind` that `options` does not keep (see the top comment); with
  // dry_run only fills `out`. The caller holds the RegistryLock. Rollback still works afterwards
  // for up to keep_rollback steps.
  Status Prune(const std::string& kind, const PruneOptions& options, PruneResult* out);
  // Rewrites a version's metadata (atomically).
  Status Update(const ModelVersionInfo& info);
  // Marks stale every version trained on data from before `until_us` (data_from_us < until_us):
  // what forget / clean call after removing events; the next `memory train` rebuilds.
  Status MarkStale(const std::string& kind, int64_t until_us);

 private:
  Status WriteMetadata(const std::string& dir, const ModelVersionInfo& info) const;
  Status SetChampion(const std::string& kind, const std::string& version);
  std::string root_;
};

// JSON text of one version's metadata (what metadata.json holds, and `model show --json`).
std::string ModelVersionJson(const ModelVersionInfo& info, int indent = 2);

// JSON object of a prune: {"kind", "kept": [{"version","status","why","bytes"}...], "removed": [...],
// "bytes_removed"} (`model prune --json`, `train --json`).
std::string PruneResultJson(const PruneResult& result, int indent = -1);

// Writes `text` to `path` atomically: temporary file in the same folder, fsync, rename, fsync
// of the folder.
Status WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace memory::learner
