// The Env of the L3 cache: the default file system with every sync turned into a no-op. A cache
// needs no durability (a damaged L3 is wiped and rebuilt, see hierarchy.h), and the syncs of a
// RocksDB read-write open (new MANIFEST, CURRENT, OPTIONS, directory) cost tens of milliseconds,
// which a short `memory search` would pay on every cache miss.
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include "cache/cache_dir.h"

namespace memory::cache::internal {
namespace {

using rocksdb::FileOptions;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;

class NoSyncFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  using FSWritableFileOwnerWrapper::FSWritableFileOwnerWrapper;
  IOStatus Sync(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
  IOStatus Fsync(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
  IOStatus RangeSync(uint64_t, uint64_t, const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
};

class NoSyncDir : public rocksdb::FSDirectoryWrapper {
 public:
  using FSDirectoryWrapper::FSDirectoryWrapper;
  IOStatus Fsync(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
  IOStatus FsyncWithDirOptions(const IOOptions&, IODebugContext*, const rocksdb::DirFsyncOptions&) override {
    return IOStatus::OK();
  }
};

class NoSyncFileSystem : public rocksdb::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  const char* Name() const override { return "NoSyncFileSystem"; }
  IOStatus NewWritableFile(const std::string& f, const FileOptions& o, std::unique_ptr<rocksdb::FSWritableFile>* r,
                           IODebugContext* dbg) override {
    return Wrap(target()->NewWritableFile(f, o, r, dbg), r);
  }
  IOStatus ReopenWritableFile(const std::string& f, const FileOptions& o, std::unique_ptr<rocksdb::FSWritableFile>* r,
                              IODebugContext* dbg) override {
    return Wrap(target()->ReopenWritableFile(f, o, r, dbg), r);
  }
  IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const FileOptions& o,
                             std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* dbg) override {
    return Wrap(target()->ReuseWritableFile(f, old, o, r, dbg), r);
  }
  IOStatus NewDirectory(const std::string& name, const IOOptions& o, std::unique_ptr<rocksdb::FSDirectory>* r,
                        IODebugContext* dbg) override {
    IOStatus s = target()->NewDirectory(name, o, r, dbg);
    if (s.ok() && *r) *r = std::make_unique<NoSyncDir>(std::move(*r));
    return s;
  }

 private:
  static IOStatus Wrap(IOStatus s, std::unique_ptr<rocksdb::FSWritableFile>* r) {
    if (s.ok() && *r) *r = std::make_unique<NoSyncFile>(std::move(*r));
    return s;
  }
};

}  // namespace

rocksdb::Env* NoSyncEnv() {
  static std::unique_ptr<rocksdb::Env> env =
      rocksdb::NewCompositeEnv(std::make_shared<NoSyncFileSystem>(rocksdb::FileSystem::Default()));
  return env.get();
}

}  // namespace memory::cache::internal
