#include "cache/hierarchy.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/transaction_log.h>

#include <cstdio>

#include <algorithm>
#include <filesystem>

#include "cache/cache_dir.h"
#include "cache/flat_map.h"
#include "cache/policies.h"

namespace memory::cache {

// ---- HitRatioCurve ---------------------------------------------------------------------------

HitRatioCurve::HitRatioCurve(std::vector<size_t> sizes, unsigned sample_shift)
    : sizes_(std::move(sizes)), shift_(sample_shift) {
  std::sort(sizes_.begin(), sizes_.end());
  for (size_t s : sizes_) shadows_.push_back(NewLru(std::max<size_t>(1, s >> shift_)));
}

void HitRatioCurve::Record(Key key) {
  uint64_t h = MixKey(key ^ 0x5851f42d4c957f2dULL);
  if (shift_ > 0 && (h >> (64 - shift_)) != 0) return;  // not in the sample
  ++sampled_;
  for (auto& s : shadows_) s->Access(key);
}

std::vector<std::pair<size_t, double>> HitRatioCurve::Points() const {
  std::vector<std::pair<size_t, double>> out;
  for (size_t i = 0; i < sizes_.size(); ++i)
    out.emplace_back(sizes_[i], shadows_[i]->stats().hit_ratio());
  return out;
}

size_t HitRatioCurve::Recommend(double tolerance) const {
  auto pts = Points();
  if (pts.empty()) return 0;
  double best = pts.back().second;
  for (auto& [size, ratio] : pts)
    if (ratio >= best - tolerance) return size;
  return pts.back().first;
}

// ---- MemoryLevel ------------------------------------------------------------------------------

struct MemoryLevel::Values {
  FlatMap index;                   // key -> slot
  std::vector<std::string> slots;
  std::vector<uint32_t> free;
};

MemoryLevel::~MemoryLevel() = default;

size_t MemoryLevel::values() const { return values_->index.size(); }

Status MemoryLevel::Create(const LevelOptions& o, std::unique_ptr<MemoryLevel>* out) {
  out->reset();
  std::unique_ptr<MemoryLevel> l(new MemoryLevel());
  MEMORY_RETURN_IF_ERROR(NewPolicy(o.policy, o.capacity, &l->policy_));
  if (l->policy_->NeedsFuture())
    return Status::InvalidArgument("policy '" + o.policy + "' needs the future; not for a live cache");
  if (o.min_capacity || o.max_capacity) {
    if (!(o.min_capacity >= 1 && o.min_capacity <= o.capacity && o.capacity <= o.max_capacity))
      return Status::InvalidArgument("auto-sizing needs 1 <= min_capacity <= capacity <= max_capacity");
    std::vector<size_t> sizes;
    for (size_t s = o.min_capacity; s < o.max_capacity; s *= 2) sizes.push_back(s);
    sizes.push_back(o.max_capacity);
    unsigned shift = 0;  // sample so the largest shadow holds about 4096 keys
    while ((o.max_capacity >> shift) > 4096 && shift < 16) ++shift;
    l->curve_ = std::make_unique<HitRatioCurve>(sizes, shift);
  }
  l->values_ = std::make_unique<Values>();
  l->options_ = o;
  *out = std::move(l);
  return Status::OK();
}

const std::string* MemoryLevel::Get(Key key) {
  if (curve_) curve_->Record(key);
  uint32_t slot = values_->index.Find(key);
  if (slot == FlatMap::kAbsent) {
    ++stats_.misses;
    return nullptr;
  }
  // One policy lookup, not Contains then Access (Contains was 17 % of a W-TinyLFU hit). A hit
  // refreshes the key. A miss would mean that the policy let the key go without telling us: no
  // Get of the cache tests finds that (hand-over traces included), but if one did, the value
  // goes, and so does the value of a key evicted for it; the access counted the demand miss,
  // and the Put that follows would count once more.
  const AccessResult r = policy_->Access(key);
  if (r.hit) {
    ++stats_.hits;
    return &values_->slots[slot];
  }
  if (r.evicted && r.victim != key) {
    ++stats_.evictions;
    DropValue(r.victim);
  }
  DropValue(key);
  ++stats_.misses;
  return nullptr;
}

void MemoryLevel::DropValue(Key key) {
  uint32_t slot = values_->index.Find(key);
  if (slot == FlatMap::kAbsent) return;
  values_->index.Erase(key);
  values_->slots[slot].clear();
  values_->slots[slot].shrink_to_fit();
  values_->free.push_back(slot);
}

void MemoryLevel::Put(Key key, std::string_view value) {
  uint32_t slot = values_->index.Find(key);
  if (slot != FlatMap::kAbsent) {
    values_->slots[slot].assign(value);
    policy_->Access(key);
    return;
  }
  AccessResult r = policy_->Access(key);
  if (r.evicted) {
    if (r.victim != key) ++stats_.evictions;
    DropValue(r.victim);
  }
  if (!policy_->Contains(key)) return;  // admission refused
  if (values_->free.empty()) {
    slot = static_cast<uint32_t>(values_->slots.size());
    values_->slots.emplace_back(value);
  } else {
    slot = values_->free.back();
    values_->free.pop_back();
    values_->slots[slot].assign(value);
  }
  values_->index.Put(key, slot);
}

bool MemoryLevel::Erase(Key key) {
  policy_->Remove(key);
  bool had = values_->index.Find(key) != FlatMap::kAbsent;
  DropValue(key);
  return had;
}

void MemoryLevel::Clear() {
  std::unique_ptr<Policy> fresh;
  if (NewPolicy(policy_->Name(), policy_->capacity(), &fresh).ok()) policy_ = std::move(fresh);
  values_ = std::make_unique<Values>();
}

Status MemoryLevel::Resize(size_t capacity) {
  std::vector<Key> out;
  MEMORY_RETURN_IF_ERROR(policy_->SetCapacity(capacity, &out));
  for (Key k : out) DropValue(k);
  stats_.evictions += out.size();
  return Status::OK();
}

size_t MemoryLevel::AutoSize(double tolerance) {
  if (!curve_ || curve_->sampled() < 64) return capacity();
  size_t want = std::clamp(curve_->Recommend(tolerance), options_.min_capacity, options_.max_capacity);
  if (want != capacity()) Resize(want);
  return capacity();
}

// ---- Hierarchy --------------------------------------------------------------------------------

std::string CacheDir(const std::string& data_dir) { return data_dir + "/cache"; }

namespace {

class NullLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 32) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

bool IsLockError(const rocksdb::Status& s) {
  return s.IsBusy() || (s.IsIOError() && s.ToString().find("lock") != std::string::npos);
}

CacheStats Minus(const CacheStats& a, const CacheStats& b) {
  return {a.hits - b.hits, a.misses - b.misses, a.evictions - b.evictions,
          a.prefetches_issued - b.prefetches_issued, a.prefetches_used - b.prefetches_used};
}

bool IsZero(const CacheStats& s) {
  return s.hits == 0 && s.misses == 0 && s.evictions == 0 && s.prefetches_issued == 0 && s.prefetches_used == 0;
}

constexpr size_t kMaxWalFiles = 8;

rocksdb::Options L3Options() {
  rocksdb::Options o;
  o.max_open_files = 64;
  o.info_log = std::make_shared<NullLogger>();  // no LOG files from a cache opened by every process
  o.write_buffer_size = 4 << 20;
  o.keep_log_file_num = 1;
  o.env = internal::NoSyncEnv();  // no fsync: a damaged L3 is wiped and rebuilt
  // Every short process opens L3: keep the open cheap (no table-property reads, one
  // file-opening thread).
  o.skip_stats_update_on_db_open = true;
  o.skip_checking_sst_file_sizes_on_db_open = true;
  o.max_file_opening_threads = 1;
  // A read-write open keeps the WALs it recovers instead of writing each into a new table file
  // (one per process, and compactions the closing process waits for); OpenL3 flushes them all
  // at once when there are more than kMaxWalFiles.
  o.avoid_flush_during_recovery = true;
  return o;
}

}  // namespace

Status Hierarchy::Open(const HierarchyOptions& o, std::unique_ptr<Hierarchy>* out) {
  out->reset();
  if (!ValidName(o.name))
    return Status::InvalidArgument("cache name '" + o.name + "': use 1-32 characters of a-z, 0-9, '_', '-'");
  std::unique_ptr<Hierarchy> h(new Hierarchy());
  h->options_ = o;
  MEMORY_RETURN_IF_ERROR(MemoryLevel::Create(o.l1, &h->l1_));
  MEMORY_RETURN_IF_ERROR(MemoryLevel::Create(o.l2, &h->l2_));
  if (!o.l3_path.empty()) {
    h->l3_mode_ = L3Mode::kNotOpenYet;
    h->generation_ = internal::ReadGeneration(o.l3_path);
  }
  *out = std::move(h);
  return Status::OK();
}

Hierarchy::~Hierarchy() {
  if (l1_ && l2_ && !options_.l3_path.empty()) SaveStats();  // best effort
}

void Hierarchy::FailL3(const std::string& why) {
  l3_.reset();
  l3_mode_ = L3Mode::kFailed;
  l3_error_ = why;
}

std::string Hierarchy::L3Key(Key k) const {
  std::string s = options_.name;
  s.push_back('\0');
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((k >> (56 - 8 * i)) & 0xff));
  return s;
}

// Read-only at the first read, read-write at the first write (see the header).
void Hierarchy::OpenL3(bool write) {
  if (l3_mode_ == L3Mode::kNone || l3_mode_ == L3Mode::kFailed || l3_mode_ == L3Mode::kReadWrite) return;
  if (!write && l3_mode_ == L3Mode::kReadOnly) return;
  const std::string& cache_dir = options_.l3_path;
  if (!write) {
    if (l3_unreadable_) return;
    std::string dir = internal::L3Dir(cache_dir, generation_);
    std::error_code ec;
    if (!std::filesystem::exists(dir + "/CURRENT", ec)) return;  // nothing written yet: stays kNotOpenYet
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::OpenForReadOnly(L3Options(), dir, &db);
    if (!s.ok()) {
      // Damaged (or being created): the first write wipes it; until then this process reads
      // nothing from it and does not try again.
      l3_unreadable_ = true;
      l3_error_ = dir + ": cannot read the L3 cache: " + s.ToString();
      return;
    }
    l3_.reset(db);
    l3_mode_ = L3Mode::kReadOnly;
    return;
  }
  if (l3_mode_ == L3Mode::kReadOnly && !l3_error_.empty()) return;  // already found locked
  Status st = internal::EnsureDir(cache_dir);
  if (!st.ok()) return FailL3(st.ToString());
  for (int attempt = 0; attempt < 3; ++attempt) {
    st = internal::RemoveGenerationsBefore(cache_dir, generation_);
    if (!st.ok()) return FailL3(st.ToString());
    std::string dir = internal::L3Dir(cache_dir, generation_);
    rocksdb::Options ro = L3Options();
    ro.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(ro, dir, &db);
    if (IsLockError(s)) {
      l3_error_ = dir + ": in use by another process; this process does not write L3";
      if (l3_mode_ == L3Mode::kNotOpenYet) {
        l3_mode_ = L3Mode::kReadOnly;  // stays read-only even if the read-only open fails below
        rocksdb::DB* rdb = nullptr;
        if (rocksdb::DB::OpenForReadOnly(L3Options(), dir, &rdb).ok()) l3_.reset(rdb);
      }
      return;
    }
    if (!s.ok() && attempt == 0) {  // damaged (corrupt, a file missing): only a cache, start again
      l3_.reset();
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      continue;
    }
    if (!s.ok()) return FailL3(dir + ": cannot open the L3 cache: " + s.ToString());
    // DropAll may have run between reading the generation and the open: never write an old one.
    uint64_t now = internal::ReadGeneration(cache_dir);
    if (now != generation_) {
      delete db;
      l3_.reset();
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      generation_ = now;
      l1_->Clear();
      {
        std::lock_guard<std::mutex> lock(l2_mu_);
        l2_->Clear();
      }
      continue;
    }
    rocksdb::VectorLogPtr wals;
    if (db->GetSortedWalFiles(wals).ok() && wals.size() > kMaxWalFiles) db->Flush(rocksdb::FlushOptions());
    l3_.reset(db);
    l3_mode_ = L3Mode::kReadWrite;
    l3_unreadable_ = false;
    l3_error_.clear();
    return;
  }
  FailL3(cache_dir + ": cannot open the L3 cache (it keeps changing)");
}

void Hierarchy::CloseL3() {
  if (l3_mode_ == L3Mode::kNone) return;
  l3_.reset();
  l3_mode_ = L3Mode::kNotOpenYet;
  l3_unreadable_ = false;
  l3_error_.clear();
}

bool Hierarchy::Refresh() {
  if (options_.l3_path.empty()) return false;
  uint64_t g = internal::ReadGeneration(options_.l3_path);
  if (g == generation_) return false;
  generation_ = g;
  l1_->Clear();
  {
    std::lock_guard<std::mutex> lock(l2_mu_);
    l2_->Clear();
  }
  l3_.reset();
  l3_mode_ = L3Mode::kNotOpenYet;
  l3_unreadable_ = false;
  l3_error_.clear();
  return true;
}

Status Hierarchy::SaveStats() {
  if (options_.l3_path.empty()) return Status::OK();
  std::vector<LevelReport> deltas;
  CacheStats now[3];
  auto levels = Report();
  for (size_t i = 0; i < levels.size() && i < 3; ++i) {
    now[i] = levels[i].stats;
    LevelReport d = levels[i];
    d.stats = Minus(now[i], saved_[i]);
    if (!IsZero(d.stats)) deltas.push_back(d);
  }
  if (deltas.empty()) return Status::OK();
  MEMORY_RETURN_IF_ERROR(internal::AppendStats(options_.l3_path, options_.name, deltas));
  for (int i = 0; i < 3; ++i) saved_[i] = now[i];
  return Status::OK();
}

Status Hierarchy::ReadSavedStats(const std::string& cache_dir, const std::string& name, UseReport* out) {
  return internal::ReadStats(cache_dir, name, out);
}

Status Hierarchy::ReadAllSavedStats(const std::string& cache_dir, std::vector<UseReport>* out) {
  out->clear();
  for (const std::string& name : internal::StatsNames(cache_dir)) {
    UseReport r;
    Status s = internal::ReadStats(cache_dir, name, &r);
    if (s.IsNotFound()) continue;  // deleted meanwhile
    MEMORY_RETURN_IF_ERROR(s);
    out->push_back(std::move(r));
  }
  return Status::OK();
}

Status Hierarchy::DropAll(const std::string& cache_dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(cache_dir, ec)) return Status::OK();
  uint64_t gen = 0;
  MEMORY_RETURN_IF_ERROR(internal::BumpGeneration(cache_dir, &gen));
  return internal::RemoveGenerationsBefore(cache_dir, gen);
}

void Hierarchy::MaybeResize() {
  if (++requests_ % std::max<size_t>(options_.resize_every, 1) != 0) return;
  l1_->AutoSize(options_.tolerance);
  std::lock_guard<std::mutex> lock(l2_mu_);
  l2_->AutoSize(options_.tolerance);
}

Status Hierarchy::Get(Key key, std::string* value) {
  MaybeResize();
  if (const std::string* v = l1_->Get(key)) {
    value->assign(*v);
    return Status::OK();
  }
  {
    std::lock_guard<std::mutex> lock(l2_mu_);
    if (const std::string* v = l2_->Get(key)) {
      value->assign(*v);
      l1_->Put(key, *value);  // promote
      return Status::OK();
    }
  }
  if (l3_mode_ == L3Mode::kNone) return Status::NotFound("key not cached");
  OpenL3(false);
  if (!l3_) {
    ++l3_stats_.misses;
    return Status::NotFound("key not cached");
  }
  rocksdb::Status s = l3_->Get(rocksdb::ReadOptions(), L3Key(key), value);
  if (!s.ok()) {
    if (!s.IsNotFound()) FailL3("L3 cache: " + s.ToString());
    ++l3_stats_.misses;
    return Status::NotFound("key not cached");
  }
  ++l3_stats_.hits;
  {
    std::lock_guard<std::mutex> lock(l2_mu_);
    l2_->Put(key, *value);
  }
  l1_->Put(key, *value);
  return Status::OK();
}

Status Hierarchy::Put(Key key, std::string_view value) {
  l1_->Put(key, value);
  {
    std::lock_guard<std::mutex> lock(l2_mu_);
    l2_->Put(key, value);
  }
  OpenL3(true);
  if (l3_mode_ == L3Mode::kReadWrite) {
    rocksdb::Status s = l3_->Put(rocksdb::WriteOptions(), L3Key(key), rocksdb::Slice(value.data(), value.size()));
    if (!s.ok()) FailL3("L3 cache: " + s.ToString());
  }
  return Status::OK();
}

Status Hierarchy::Erase(Key key) {
  l1_->Erase(key);
  {
    std::lock_guard<std::mutex> lock(l2_mu_);
    l2_->Erase(key);
  }
  if (l3_mode_ == L3Mode::kNone) return Status::OK();
  OpenL3(true);
  if (l3_mode_ == L3Mode::kReadWrite) {
    rocksdb::Status s = l3_->Delete(rocksdb::WriteOptions(), L3Key(key));
    if (s.ok()) return Status::OK();
    FailL3("L3 cache: " + s.ToString());
  }
  if (l3_mode_ == L3Mode::kNotOpenYet) return Status::OK();  // no L3 written yet
  if (l3_) {
    std::string v;
    if (l3_->Get(rocksdb::ReadOptions(), L3Key(key), &v).IsNotFound()) return Status::OK();
  }
  return Status::Busy("L3 cache: cannot delete a key: " + l3_error_);
}

void Hierarchy::CountMiss() {
  l1_->CountMiss();
  {
    std::lock_guard<std::mutex> lock(l2_mu_);
    l2_->CountMiss();
  }
  if (l3_mode_ != L3Mode::kNone) ++l3_stats_.misses;
}

Status Hierarchy::EraseAll() {
  l1_->Clear();
  {
    std::lock_guard<std::mutex> lock(l2_mu_);
    l2_->Clear();
  }
  if (l3_mode_ == L3Mode::kNone) return Status::OK();
  std::error_code ec;
  if (!std::filesystem::exists(internal::L3Dir(options_.l3_path, generation_) + "/CURRENT", ec)) return Status::OK();
  OpenL3(true);
  if (l3_mode_ == L3Mode::kReadWrite) {
    std::string begin = options_.name, end = options_.name;
    begin.push_back('\0');
    end.push_back('\1');
    rocksdb::Status s = l3_->DeleteRange(rocksdb::WriteOptions(), l3_->DefaultColumnFamily(), begin, end);
    if (s.ok()) return Status::OK();
    FailL3("L3 cache: " + s.ToString());
  }
  return Status::Busy("L3 cache: cannot delete entries: " + l3_error_);
}

namespace {
std::string MetaKey(const std::string& name, std::string_view key) {
  std::string k = name;
  k.push_back('\1');
  k.append(key);
  return k;
}
}  // namespace

Status Hierarchy::GetMeta(std::string_view key, std::string* value) {
  if (l3_mode_ == L3Mode::kNone) return Status::NotFound("no L3");
  OpenL3(false);
  if (!l3_) return Status::NotFound("no L3");
  rocksdb::Status s = l3_->Get(rocksdb::ReadOptions(), MetaKey(options_.name, key), value);
  if (s.IsNotFound()) return Status::NotFound(std::string(key));
  if (!s.ok()) {
    FailL3("L3 cache: " + s.ToString());
    return Status::NotFound("no L3");
  }
  return Status::OK();
}

Status Hierarchy::PutMeta(std::string_view key, std::string_view value) {
  if (l3_mode_ == L3Mode::kNone) return Status::OK();
  OpenL3(true);
  if (l3_mode_ != L3Mode::kReadWrite) return Status::OK();
  rocksdb::Status s = l3_->Put(rocksdb::WriteOptions(), MetaKey(options_.name, key),
                               rocksdb::Slice(value.data(), value.size()));
  if (!s.ok()) FailL3("L3 cache: " + s.ToString());
  return Status::OK();
}

std::vector<Hierarchy::LevelReport> Hierarchy::Report() const {
  std::vector<LevelReport> r;
  r.push_back({"L1", l1_->policy().Name(), l1_->capacity(), l1_->size(), 0, l1_->stats()});
  {
    std::lock_guard<std::mutex> lock(l2_mu_);
    r.push_back({"L2", l2_->policy().Name(), l2_->capacity(), l2_->size(), 0, l2_->stats()});
  }
  if (l3_mode_ != L3Mode::kNone) r.push_back({"L3", "rocksdb", 0, 0, 0, l3_stats_});
  return r;
}

}  // namespace memory::cache
