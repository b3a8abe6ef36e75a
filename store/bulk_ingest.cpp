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

// Sorts one family's entries by key and drops duplicates (the first wins: ids are unique and
// given ids are deduplicated, so this is a safety net).
void SortEntries(SstSink& sink, int cf) {
  auto& v = sink.entries[cf];
  auto key = [&](const Entry& e) { return sink.Key(cf, e); };
  auto less = [&](const Entry& a, const Entry& b) { return key(a) < key(b); };
  if (!std::is_sorted(v.begin(), v.end(), less)) std::stable_sort(v.begin(), v.end(), less);  // events often are
  v.erase(std::unique(v.begin(), v.end(), [&](const Entry& a, const Entry& b) { return key(a) == key(b); }), v.end());
}

// Runs fn(i) for i in [0, n) on this thread and one more, largest jobs first by the caller's order.
template <typename Fn>
void TwoThreads(size_t n, Fn fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
  };
  std::thread other(worker);
  worker();
  other.join();
}

Status RocksStore::WriteSst(SstSink& sink, int cf, size_t begin, size_t end, const std::string& path) {
  const auto& v = sink.entries[cf];
  rocksdb::SstFileWriter w(rocksdb::EnvOptions(), db_->GetOptions(handles_[cf]), handles_[cf]);
  Status st = FromRocks(w.Open(path), "bulk ingest " + path);
  for (size_t i = begin; st.ok() && i < end; ++i) {
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
  // Sort every family, then write key ranges of at most kPart entries as separate files; both
  // steps share two threads. A family's files do not overlap, so they are ingested together.
  constexpr size_t kPart = 250000;
  std::vector<int> families;
  for (int cf = 0; cf < kNumCf; ++cf)
    if (!sink.entries[cf].empty()) families.push_back(cf);
  std::sort(families.begin(), families.end(),
            [&](int a, int b) { return sink.arena[a].size() > sink.arena[b].size(); });
  TwoThreads(families.size(), [&](size_t i) { SortEntries(sink, families[i]); });
  struct Part {
    int cf;
    size_t begin, end;
    std::string path;
    Status status;
  };
  std::vector<Part> parts;
  for (int cf : families)
    for (size_t b = 0; b < sink.entries[cf].size(); b += kPart)
      parts.push_back({cf, b, std::min(b + kPart, sink.entries[cf].size()),
                       tmp + "/" + kFamilies[cf] + "-" + std::to_string(b / kPart) + ".sst", Status()});
  TwoThreads(parts.size(), [&](size_t i) { parts[i].status = WriteSst(sink, parts[i].cf, parts[i].begin, parts[i].end, parts[i].path); });
  std::vector<rocksdb::IngestExternalFileArg> args;
  for (const Part& p : parts) {
    if (!p.status.ok()) {
      next_cmd_id_ = next_cmd_id_before;
      RemoveTree(tmp);
      return p.status;
    }
    if (args.empty() || args.back().column_family != handles_[p.cf]) {
      rocksdb::IngestExternalFileArg arg;
      arg.column_family = handles_[p.cf];
      arg.options.move_files = true;
      arg.options.allow_global_seqno = true;
      arg.options.allow_blocking_flush = true;
      args.push_back(std::move(arg));
    }
    args.back().external_files.push_back(p.path);
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
