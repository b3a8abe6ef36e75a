#include "cache/hierarchy.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <cstdio>

#include <algorithm>
#include <filesystem>

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
  if (!policy_->Contains(key)) {  // evicted in a multi-key eviction we were not told about
    DropValue(key);
    ++stats_.misses;
    return nullptr;
  }
  policy_->Access(key);  // refresh recency / frequency
  ++stats_.hits;
  return &values_->slots[slot];
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

namespace {
std::string KeyBytes(Key k) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((k >> (56 - 8 * i)) & 0xff);
  return s;
}
}  // namespace

namespace {
const char* const kStatsKeys[3] = {"cache-stats:L1", "cache-stats:L2", "cache-stats:L3"};  // not 8 bytes: no data key

std::string EncodeStats(const CacheStats& s) {
  return std::to_string(s.hits) + " " + std::to_string(s.misses) + " " +
         std::to_string(s.evictions) + " " + std::to_string(s.prefetches_issued) + " " +
         std::to_string(s.prefetches_used);
}
bool DecodeStats(const std::string& v, CacheStats* s) {
  unsigned long long a[5];
  if (std::sscanf(v.c_str(), "%llu %llu %llu %llu %llu", &a[0], &a[1], &a[2], &a[3], &a[4]) != 5)
    return false;
  *s = CacheStats{a[0], a[1], a[2], a[3], a[4]};
  return true;
}
CacheStats Sum(const CacheStats& a, const CacheStats& b) {
  return {a.hits + b.hits, a.misses + b.misses, a.evictions + b.evictions,
          a.prefetches_issued + b.prefetches_issued, a.prefetches_used + b.prefetches_used};
}
}  // namespace

Hierarchy::~Hierarchy() {
  if (l3_) SaveStats();  // best effort
}

Status Hierarchy::SaveStats() {
  if (!l3_) return Status::OK();
  const CacheStats now[3] = {l1_->stats(), l2_->stats(), l3_stats_};
  rocksdb::WriteBatch batch;
  for (int i = 0; i < 3; ++i) batch.Put(kStatsKeys[i], EncodeStats(Sum(saved_[i], now[i])));
  rocksdb::Status s = l3_->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) return Status::IOError("L3 cache: saving statistics: " + s.ToString());
  return Status::OK();
}

Status Hierarchy::ReadSavedStats(const std::string& l3_path, std::vector<LevelReport>* out) {
  out->clear();
  if (!std::filesystem::exists(l3_path + "/CURRENT"))
    return Status::NotFound(l3_path + ": no L3 cache there");
  rocksdb::Options ro;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(ro, l3_path, &raw);
  if (!s.ok()) return Status::IOError(l3_path + ": cannot read L3 cache: " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  for (int i = 0; i < 3; ++i) {
    std::string v;
    s = db->Get(rocksdb::ReadOptions(), kStatsKeys[i], &v);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return Status::IOError(l3_path + ": " + s.ToString());
    LevelReport r;
    r.name = std::string(kStatsKeys[i]).substr(12);
    if (!DecodeStats(v, &r.stats)) return Status::Corruption(l3_path + ": bad saved statistics");
    out->push_back(r);
  }
  if (out->empty()) return Status::NotFound(l3_path + ": no statistics saved yet");
  return Status::OK();
}

Status Hierarchy::Open(const HierarchyOptions& o, std::unique_ptr<Hierarchy>* out) {
  out->reset();
  std::unique_ptr<Hierarchy> h(new Hierarchy());
  h->options_ = o;
  MEMORY_RETURN_IF_ERROR(MemoryLevel::Create(o.l1, &h->l1_));
  MEMORY_RETURN_IF_ERROR(MemoryLevel::Create(o.l2, &h->l2_));
  if (!o.l3_path.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(o.l3_path).parent_path(), ec);
    rocksdb::Options ro;
    ro.create_if_missing = true;
    ro.max_open_files = 64;
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(ro, o.l3_path, &db);
    if (s.IsBusy() || (s.IsIOError() && s.ToString().find("lock") != std::string::npos))
      return Status::Busy(o.l3_path + ": L3 cache is in use by another process");
    if (!s.ok()) return Status::IOError(o.l3_path + ": cannot open L3 cache: " + s.ToString());
    h->l3_.reset(db);
    for (int i = 0; i < 3; ++i) {
      std::string v;
      if (db->Get(rocksdb::ReadOptions(), kStatsKeys[i], &v).ok() && !DecodeStats(v, &h->saved_[i]))
        return Status::Corruption(o.l3_path + ": bad saved statistics");
    }
  }
  *out = std::move(h);
  return Status::OK();
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
  if (!l3_) return Status::NotFound("key not cached");
  rocksdb::Status s = l3_->Get(rocksdb::ReadOptions(), KeyBytes(key), value);
  if (s.IsNotFound()) {
    ++l3_stats_.misses;
    return Status::NotFound("key not cached");
  }
  if (!s.ok()) return Status::IOError("L3 cache: " + s.ToString());
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
  if (l3_) {
    rocksdb::Status s = l3_->Put(rocksdb::WriteOptions(), KeyBytes(key),
                                 rocksdb::Slice(value.data(), value.size()));
    if (!s.ok()) return Status::IOError("L3 cache: " + s.ToString());
  }
  return Status::OK();
}

Status Hierarchy::Erase(Key key) {
  l1_->Erase(key);
  {
    std::lock_guard<std::mutex> lock(l2_mu_);
    l2_->Erase(key);
  }
  if (l3_) {
    rocksdb::Status s = l3_->Delete(rocksdb::WriteOptions(), KeyBytes(key));
    if (!s.ok()) return Status::IOError("L3 cache: " + s.ToString());
  }
  return Status::OK();
}

std::vector<Hierarchy::LevelReport> Hierarchy::Report() const {
  std::vector<LevelReport> r;
  r.push_back({"L1", l1_->policy().Name(), l1_->capacity(), l1_->size(), l1_->stats()});
  {
    std::lock_guard<std::mutex> lock(l2_mu_);
    r.push_back({"L2", l2_->policy().Name(), l2_->capacity(), l2_->size(), l2_->stats()});
  }
  if (l3_) r.push_back({"L3", "rocksdb", 0, 0, l3_stats_});
  return r;
}

}  // namespace memory::cache
