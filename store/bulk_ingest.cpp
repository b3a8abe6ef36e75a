// Bulk ingest for `memory import`: the keys of a large batch are sorted per column family,
// written as SST files (on a background thread, while the next batch is encoded) and ingested
// into all families in one atomic step. This skips the memtable (whose skip-list inserts of
// random keys dominated the WriteBatch path) and the WAL.
#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>

#include <rocksdb/sst_file_writer.h>

#include "store/rocks_store.h"

namespace memory::internal {

// Keys and values live in one arena per family; entries point into it (no allocation per key).
struct Entry {
  size_t offset;
  uint64_t head[2];  // the key's first 16 bytes as two big-endian numbers (zeros after the key)
  uint32_t key_size, value_size;
  bool merge;
};

// Key order: by the heads first (a difference there is the keys' order), then by the whole key.
// Most pairs the sort compares differ in their heads (by_cmd's keys: command id, then the event's
// time), and are ordered without reading the arena.
static uint64_t KeyHead(std::string_view k, size_t from) {
  uint64_t h = 0;
  for (size_t i = from; i < from + 8; ++i) h = h << 8 | (i < k.size() ? static_cast<unsigned char>(k[i]) : 0);
  return h;
}

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
    entries[cf].push_back({arena[cf].size(), {KeyHead(k, 0), KeyHead(k, 8)}, static_cast<uint32_t>(k.size()),
                           static_cast<uint32_t>(v.size()), merge});
    arena[cf].append(k);
    arena[cf].append(v);
  }
};

// Sorts one family's entries by key and drops duplicates (the first wins: ids are unique and
// given ids are deduplicated, so this is a safety net).
void SortEntries(SstSink& sink, int cf) {
  auto& v = sink.entries[cf];
  auto key = [&](const Entry& e) { return sink.Key(cf, e); };
  auto less = [&](const Entry& a, const Entry& b) {
    if (a.head[0] != b.head[0]) return a.head[0] < b.head[0];
    if (a.head[1] != b.head[1]) return a.head[1] < b.head[1];
    return key(a) < key(b);
  };
  if (!std::is_sorted(v.begin(), v.end(), less)) std::stable_sort(v.begin(), v.end(), less);  // events often are
  v.erase(std::unique(v.begin(), v.end(), [&](const Entry& a, const Entry& b) { return key(a) == key(b); }), v.end());
}

Status RocksStore::WriteSst(SstSink& sink, int cf, size_t begin, size_t end, const std::string& path) {
  const auto& v = sink.entries[cf];
  // SstFileWriter compresses as for the last level (zstd -3): an import's files are new files,
  // compressed as a flush's (zstd -1), which took a third of the instructions of writing them.
  rocksdb::Options options = db_->GetOptions(handles_[cf]);
  options.bottommost_compression_opts = options.compression_opts;
  rocksdb::SstFileWriter w(rocksdb::EnvOptions(), options, handles_[cf]);
  Status st = FromRocks(w.Open(path), "bulk ingest " + path);
  for (size_t i = begin; st.ok() && i < end; ++i) {
    std::string_view k = sink.Key(cf, v[i]), val = sink.Value(cf, v[i]);
    rocksdb::Slice ks(k.data(), k.size()), vs(val.data(), val.size());
    st = FromRocks(v[i].merge ? w.Merge(ks, vs) : w.Put(ks, vs), "bulk ingest");
  }
  if (st.ok()) st = FromRocks(w.Finish(), "bulk ingest " + path);
  return st;
}

// Each Add encodes one batch's keys per family; a background thread then sorts them and writes
// them as SST files aside (key ranges of at most kPart entries, on two threads) while the caller
// reads and the next Add encodes the next batch; Commit ingests every file of every batch in
// one atomic step. Files of different batches overlap (their keys interleave), so RocksDB gives
// each its own sequence number, in batch order: a later batch's counter operands and values
// come after.
class SstBulkLoad final : public Store::BulkLoad {
 public:
  SstBulkLoad(RocksStore* store, const Store::BulkLoadOptions& options)
      : s_(store), options_(options), lock_(store->mu_), tmp_(store->dir_ + "/ingest-tmp") {}
  ~SstBulkLoad() override {
    FinishWriting();  // its files are removed below when the load was not committed
    if (committed_) return;
    s_->next_cmd_id_ = next_cmd_id_before_;  // the ids given to new commands were not used
    RemoveTree(tmp_);
  }

  Status Start() {
    next_cmd_id_before_ = s_->next_cmd_id_;
    MEMORY_RETURN_IF_ERROR(RemoveTree(tmp_));  // a killed load's files
    return EnsureDir(tmp_);
  }

  Status Add(std::span<Event> events) override {
    if (!status_.ok()) return status_;
    return status_ = AddBatch(events);
  }

  size_t new_events() const override { return new_events_; }

  Status Commit() override {
    if (!status_.ok()) return status_;
    if (committed_) return Status::OK();
    if (!(status_ = FinishWriting()).ok()) return status_;
    std::vector<rocksdb::IngestExternalFileArg> args;
    for (int cf = 0; cf < kNumCf; ++cf) {
      if (files_[cf].empty()) continue;
      rocksdb::IngestExternalFileArg arg;
      arg.column_family = s_->handles_[cf];
      arg.external_files = files_[cf];
      arg.options.move_files = true;
      arg.options.allow_global_seqno = true;
      arg.options.allow_blocking_flush = true;
      args.push_back(std::move(arg));
    }
    if (!args.empty()) {
      Status st = s_->BeginWrite(/*adds_only=*/true);
      if (st.ok()) st = FromRocks(s_->db_->IngestExternalFiles(args), "bulk ingest");
      if (!st.ok()) return status_ = st;
      s_->Committed(fresh_);
    }
    committed_ = true;
    RemoveTree(tmp_);
    status_ = s_->FinishWrite();
    if (status_.ok() && !args.empty()) CompactPiledLevel0();
    return status_;
  }

 private:
  // The files of different batches overlap, so they land in level 0, where RocksDB slows every
  // write at 40 files and stops them at 64 until a compaction: an import of 6.4M events (64
  // batches) would stall the next writer's first write. A family left with kPiledLevel0 files
  // or more is compacted now, while the user waits for the import anyway. The load is committed
  // before: a compaction that fails (a full disk) is left to RocksDB to retry later.
  static constexpr size_t kPiledLevel0 = 32;
  void CompactPiledLevel0() {
    for (int cf = 0; cf < kNumCf; ++cf) {
      if (files_[cf].empty()) continue;
      rocksdb::ColumnFamilyMetaData meta;
      s_->db_->GetColumnFamilyMetaData(s_->handles_[cf], &meta);
      if (meta.levels.empty() || meta.levels[0].files.size() < kPiledLevel0) continue;
      if (!s_->db_->CompactRange(rocksdb::CompactRangeOptions(), s_->handles_[cf], nullptr, nullptr).ok()) return;
    }
  }

  // The whole text -> id dictionary is loaded (no lookup per command after that) once the load
  // has half as many events as the dictionary has commands; before, each command the cache lacks
  // is looked up. Loading costs ~2 us per command: a 2-line import into a store of 4M events and
  // 400k distinct commands took 1.46 s, now 0.61 s.
  Status UseDictionary(size_t events) {
    events_ += events;
    if (s_->dictionary_complete_) return Status::OK();
    // Command ids are given in order from 1 (RocksDB's estimate of the keys is 0 for ingested files).
    const uint64_t dictionary_size = next_cmd_id_before_ - 1;
    return 2 * events_ >= dictionary_size ? s_->LoadDictionary() : Status::OK();
  }

  // One SST file to write: a key range of one family's sorted entries.
  struct Part {
    int cf;
    size_t begin, end;
    std::string path;
    Status status;
  };
  // A batch whose files the background thread writes (Writing) from its encoded keys.
  struct Batch {
    std::unique_ptr<SstSink> sink;
    size_t number = 0;
    std::vector<Part> parts;
    Status error;  // what stopped Write (out of memory), else OK
  };

  Status AddBatch(std::span<Event> events) {
    if (events.empty()) return Status::OK();
    MEMORY_RETURN_IF_ERROR(UseDictionary(events.size()));
    auto batch = std::make_unique<Batch>();
    batch->sink = std::make_unique<SstSink>();
    batch->sink->Reserve(events.size());
    size_t added = 0;
    MEMORY_RETURN_IF_ERROR(s_->EncodeBatch(events.data(), events.size(), batch->sink.get(), &added,
                                           &fresh_, &given_, options_.content_ids));
    new_events_ += added;
    if (added == 0) return Status::OK();
    MEMORY_RETURN_IF_ERROR(FinishWriting());  // the batch before, written while this one was encoded
    batch->number = batches_++;
    writing_ = std::move(batch);
    writer_ = std::thread([this, b = writing_.get()] { Write(b); });
    return Status::OK();
  }

  // On the background thread: sorts each family's entries, then writes them as files. An
  // exception (out of memory) becomes the batch's error, for FinishWriting to return.
  void Write(Batch* b) {
    try {
      WriteFiles(b);
    } catch (const std::exception& e) {
      b->error = Status::IOError(std::string("bulk load: writing a batch failed: ") + e.what());
    }
  }
  void WriteFiles(Batch* b) {
    SstSink& sink = *b->sink;
    std::vector<int> families;
    for (int cf = 0; cf < kNumCf; ++cf)
      if (!sink.entries[cf].empty()) families.push_back(cf);
    std::sort(families.begin(), families.end(),
              [&](int a, int b) { return sink.arena[a].size() > sink.arena[b].size(); });
    TwoThreads(families.size(), [&](size_t i) { SortEntries(sink, families[i]); });
    constexpr size_t kPart = 250000;
    for (int cf : families)
      for (size_t begin = 0; begin < sink.entries[cf].size(); begin += kPart)
        b->parts.push_back({cf, begin, std::min(begin + kPart, sink.entries[cf].size()),
                            tmp_ + "/" + kFamilies[cf] + "-" + std::to_string(b->number) + "-" +
                                std::to_string(begin / kPart) + ".sst",
                            Status()});
    TwoThreads(b->parts.size(), [&](size_t i) {
      Part& p = b->parts[i];
      p.status = s_->WriteSst(sink, p.cf, p.begin, p.end, p.path);
    });
  }

  // Waits for the batch being written, if any, and lists its files (in batch order).
  Status FinishWriting() {
    if (!writing_) return Status::OK();
    writer_.join();
    std::unique_ptr<Batch> b = std::move(writing_);
    MEMORY_RETURN_IF_ERROR(b->error);
    for (const Part& p : b->parts) MEMORY_RETURN_IF_ERROR(p.status);
    std::sort(b->parts.begin(), b->parts.end(), [](const Part& x, const Part& y) { return x.begin < y.begin; });
    for (const Part& p : b->parts) files_[p.cf].push_back(p.path);
    return Status::OK();
  }

  RocksStore* s_;
  const Store::BulkLoadOptions options_;
  std::lock_guard<std::mutex> lock_;  // the store's writer mutex, for the load's life
  const std::string tmp_;
  uint64_t next_cmd_id_before_ = 0;
  std::unordered_map<std::string, uint64_t> fresh_;  // commands new to the dictionary
  IdSet given_;  // ids of this load's events so far (given or from their content)
  std::vector<std::string> files_[kNumCf];  // per family, in batch order
  size_t batches_ = 0;
  size_t events_ = 0;  // in the batches so far
  size_t new_events_ = 0;
  bool committed_ = false;
  Status status_;
  std::unique_ptr<Batch> writing_;  // the batch the writer thread has (null: none)
  std::thread writer_;
};

Status RocksStore::StartBulkLoad(std::unique_ptr<BulkLoad>* load, const BulkLoadOptions& options) {
  if (read_only_) return Status::Busy("the store is open read-only (another process is writing)");
  auto l = std::make_unique<SstBulkLoad>(this, options);
  MEMORY_RETURN_IF_ERROR(l->Start());
  *load = std::move(l);
  return Status::OK();
}

Status RocksStore::Ingest(std::vector<Event>& events, const std::function<void(size_t)>& progress) {
  std::unique_ptr<BulkLoad> load;
  MEMORY_RETURN_IF_ERROR(StartBulkLoad(&load, BulkLoadOptions()));
  for (size_t done = 0; done < events.size();) {
    size_t n = std::min(kBulkEvents, events.size() - done);
    MEMORY_RETURN_IF_ERROR(load->Add(std::span<Event>(events).subspan(done, n)));
    done += n;
    if (progress) progress(done);
  }
  return load->Commit();
}

}  // namespace memory::internal
