// memory-core's side of the seam (core.h): this executable opens the database itself.
#include "cli/common.h"
#include "cli/core.h"

namespace memory::cli {

bool LinksDatabase() { return true; }

Status OpenStore(const Globals& g, StoreOptions::Mode mode, std::unique_ptr<Store>* store) {
  Config config;
  MEMORY_RETURN_IF_ERROR(LoadUserConfig(g, &config));
  StoreOptions o;
  o.dir = g.db;
  o.mode = mode;
  o.sync = config.sync;
  return Store::Open(o, store);
}

int FoldPendingNow(const Globals& g, const Config& config) {
  StoreOptions so;
  so.dir = g.db;
  so.mode = StoreOptions::Mode::kReadWrite;
  so.lock_wait_ms = 0;
  so.sync = config.sync;
  std::unique_ptr<Store> store;
  (void)Store::Open(so, &store);  // Busy: someone else is folding; fine
  return 0;
}

}  // namespace memory::cli
