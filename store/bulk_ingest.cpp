// Bulk ingest for `memory import`: the keys of a large batch are sorted per column family,
// written as SST files and ingested into all families in one atomic step. This skips the
// memtable (whose skip-list inserts of random keys dominated the WriteBatch path) and the WAL.
#include <atomic>
#include <thread>

#include <rocksdb/sst_file_writer.h>

#include "store/rocks_store.h"

namespace memory::internal {

// Keys and values live in one arena per family; entries point into it (no allocation per key).
struct Entry {
  size_t offset;
  uint32_t key_size, value_size;
  bool merge;
};

class SstSink : public KvSink {
 public:
  void Put(int cf, std::string_view k, std::string_view v) override { Add(cf, k, v, false); }
  void Merge(int cf, std::string_view k, std::string_view v) override { Add(cf, k, v, true); }
  std::string_view Key(int cf, const Entry& e) const { return {arena[cf].data() + e.offset, e.key_size}; }
  std::string_view Value(int cf, const Entry& e) const { return {arena[cf].data() + e.offset + e.key_size, e.value_size}; }
  std::vector<Entry> entries[kNumCf];
  std::string arena[kNumCf];

  void Reserve(size_t events) {
    entries[kEvents].reserve(events);
    entries[kByCmd].reserve(events);
    entries[kBySession].reserve(events);
    arena[kEvents].reserve(events * 160);
    arena[kByCmd].reserve(events * 24);
    arena[kBySession].reserve(events * 40);
  }

 private:
  void Add(int cf, std::string_view k, std::string_view v, bool merge) {
    entries[cf].push_back({arena[cf].size(), static_cast<uint32_t>(k.size()), static_cast<uint32_t>(v.size()), merge});
    arena[cf].append(k);
    arena[cf].append(v);
  }
};

Status RocksStore::WriteSst(SstSink& sink, int cf, const std::string& path) {
  auto& v = sink.entries[cf];
  auto key = [&](const Entry& e) { return sink.Key(cf, e); };
  std::stable_sort(v.begin(), v.end(), [&](const Entry& a, const Entry& b) { return key(a) < key(b); });
  // Equal keys cannot be written twice; the first wins (ids are unique and given ids are
  // deduplicated, so this is a safety net).
  v.erase(std::unique(v.begin(), v.end(), [&](const Entry& a, const Entry& b) { return key(a) == key(b); }), v.end());
  rocksdb::SstFileWriter w(rocksdb::EnvOptions(), db_->GetOptions(handles_[cf]), handles_[cf]);
  Status st = FromRocks(w.Open(path), "bulk ingest " + path);
  for (size_t i = 0; st.ok() && i < v.size(); ++i) {
    std::string_view k = sink.Key(cf, v[i]), val = sink.Value(cf, v[i]);
    rocksdb::Slice ks(k.data(), k.size()), vs(val.data(), val.size());
    st = FromRocks(v[i].merge ? w.Merge(ks, vs) : w.Put(ks, vs), "bulk ingest");
  }
  if (st.ok()) st = FromRocks(w.Finish(), "bulk ingest " + path);
  return st;
}

Status RocksStore::IngestBulk(Event* events, size_t n) {
  MEMORY_RETURN_IF_ERROR(LoadDictionary());
  SstSink sink;
  sink.Reserve(n);
  std::vector<const Event*> added;
  std::unordered_map<std::string, uint64_t> fresh;
  const uint64_t next_cmd_id_before = next_cmd_id_;
  Status st = EncodeBatch(events, n, &sink, &added, &fresh);
  if (!st.ok() || added.empty()) {
    next_cmd_id_ = next_cmd_id_before;
    return st;
  }
  std::string tmp = dir_ + "/ingest-tmp";
  MEMORY_RETURN_IF_ERROR(RemoveTree(tmp));
  MEMORY_RETURN_IF_ERROR(EnsureDir(tmp));
  // Sort and write each family's file; the families are independent, so two threads share them
  // (the events family, the largest, starts first).
  std::vector<int> families;
  for (int cf = 0; cf < kNumCf; ++cf)
    if (!sink.entries[cf].empty()) families.push_back(cf);
  std::sort(families.begin(), families.end(),
            [&](int a, int b) { return sink.arena[a].size() > sink.arena[b].size(); });
  std::vector<Status> results(kNumCf);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < families.size();) {
      int cf = families[i];
      results[cf] = WriteSst(sink, cf, tmp + "/" + kFamilies[cf] + ".sst");
    }
  };
  std::thread helper(worker);
  worker();
  helper.join();
  std::vector<rocksdb::IngestExternalFileArg> args;
  for (int cf : families) {
    if (!results[cf].ok()) {
      next_cmd_id_ = next_cmd_id_before;
      RemoveTree(tmp);
      return results[cf];
    }
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = handles_[cf];
    arg.external_files.push_back(tmp + "/" + kFamilies[cf] + ".sst");
    arg.options.move_files = true;
    arg.options.allow_global_seqno = true;
    arg.options.allow_blocking_flush = true;
    args.push_back(std::move(arg));
  }
  st = BeginWrite();
  if (st.ok()) st = FromRocks(db_->IngestExternalFiles(args), "bulk ingest");
  RemoveTree(tmp);
  if (!st.ok()) {
    next_cmd_id_ = next_cmd_id_before;
    return st;
  }
  Committed(added, fresh);
  return Status::OK();
}

}  // namespace memory::internal
