// Internal to cache/: the files of a cache directory (see hierarchy.h for the layout and the
// rules): the generation number, the L3 directory of a generation, the per-use statistics logs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cache/hierarchy.h"
#include "store/status.h"

namespace rocksdb {
class Env;
}

namespace memory::cache::internal {

// The default Env with every file and directory sync a no-op (no_sync_env.cpp): L3 is a cache.
rocksdb::Env* NoSyncEnv();

// The current generation (0 when GENERATION is absent or unreadable).
uint64_t ReadGeneration(const std::string& cache_dir);
std::string L3Dir(const std::string& cache_dir, uint64_t generation);
// mkdir -p with mode 0700 for the directories it creates.
Status EnsureDir(const std::string& dir);
// Deletes every l3-<g> directory with g < generation.
Status RemoveGenerationsBefore(const std::string& cache_dir, uint64_t generation);
// Increments GENERATION (under an exclusive flock of GENERATION.lock); the new value in *out.
Status BumpGeneration(const std::string& cache_dir, uint64_t* out);

// Appends one block of per-level counter deltas (capacity/size/policy as they are now) to
// stats/<name>.log under an exclusive flock of stats/<name>.lock; folds the log when it is large.
Status AppendStats(const std::string& cache_dir, const std::string& name,
                   const std::vector<Hierarchy::LevelReport>& deltas);
// Sums the saved blocks of one use. NotFound when there is no log for `name`.
Status ReadStats(const std::string& cache_dir, const std::string& name, Hierarchy::UseReport* out);
// The names that have a statistics log, sorted.
std::vector<std::string> StatsNames(const std::string& cache_dir);

}  // namespace memory::cache::internal
