// The front end's side of the seam (core.h): no database engine in this executable. Linked only
// into build/memory.
#include "cli/common.h"
#include "cli/core.h"
#include "cli/predict_core.h"

namespace memory::cli {

bool LinksDatabase() { return false; }

Status OpenStore(const Globals& g, StoreOptions::Mode mode, std::unique_ptr<Store>* store) {
  int code = RunInCore();
  return Status::IOError("memory-core did not start (exit " + std::to_string(code) + ")");
}

int FoldPendingNow(const Globals& g, const Config& config) { return RunInCore({"--fold-pending"}); }

int RunPredictStream(const Globals& g, size_t top, bool no_refresh) { return RunInCore(); }

}  // namespace memory::cli
