#include "cache/search_cache.h"

#include "cache/cache_dir.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "store/event.h"

namespace memory::cache {
namespace {

void PutU64(std::string* s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutStr(std::string* s, const std::string& v) {
  PutU64(s, v.size());
  s->append(v);
}

struct Reader {
  const std::string& s;
  size_t pos = 0;
  bool U64(uint64_t* v) {
    if (s.size() - pos < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v |= static_cast<uint64_t>(static_cast<unsigned char>(s[pos + i])) << (8 * i);
    pos += 8;
    return true;
  }
  bool I64(int64_t* v) {
    uint64_t u;
    if (!U64(&u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  bool Str(std::string* v) {
    uint64_t n;
    if (!U64(&n) || s.size() - pos < n) return false;
    v->assign(s, pos, n);
    pos += n;
    return true;
  }
};

constexpr char kMagic[] = "search-cache-v1";

// Small hint files next to L3 (plain files: read without opening RocksDB).
std::string ReadSmall(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return s;
}
void WriteSmall(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f) return;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

}  // namespace

std::string SearchCache::KeyText(const SearchQuery& q, const std::string& token) {
  std::string k;
  PutStr(&k, kMagic);
  PutU64(&k, static_cast<uint64_t>(q.match));
  PutStr(&k, q.text);
  PutStr(&k, q.cwd);
  PutU64(&k, q.exit_code ? 1 : 0);
  PutU64(&k, q.exit_code ? static_cast<uint64_t>(static_cast<int64_t>(*q.exit_code)) : 0);
  PutU64(&k, q.failed_only ? 1 : 0);
  PutU64(&k, static_cast<uint64_t>(q.since_us));
  PutU64(&k, q.limit);
  PutStr(&k, token);
  return k;
}

std::string SearchCache::Encode(const std::string& key_text, int64_t computed_us, const std::vector<SearchHit>& hits) {
  std::string v;
  PutStr(&v, key_text);
  PutU64(&v, static_cast<uint64_t>(computed_us));
  PutU64(&v, hits.size());
  for (const SearchHit& h : hits) {
    PutStr(&v, h.command);
    PutU64(&v, static_cast<uint64_t>(h.last_ts_us));
    PutU64(&v, static_cast<uint64_t>(h.count));
    PutU64(&v, h.last_exit ? 1 : 0);
    PutU64(&v, h.last_exit ? static_cast<uint64_t>(static_cast<int64_t>(*h.last_exit)) : 0);
    PutStr(&v, h.last_cwd);
    uint64_t bits;
    std::memcpy(&bits, &h.score, sizeof bits);
    PutU64(&v, bits);
  }
  return v;
}

bool SearchCache::Decode(const std::string& value, std::string* key_text, int64_t* computed_us,
                         std::vector<SearchHit>* hits) {
  hits->clear();
  Reader r{value};
  uint64_t n;
  if (!r.Str(key_text) || !r.I64(computed_us) || !r.U64(&n) || n > value.size()) return false;
  for (uint64_t i = 0; i < n; ++i) {
    SearchHit h;
    uint64_t has_exit, exit, bits;
    if (!r.Str(&h.command) || !r.I64(&h.last_ts_us) || !r.I64(&h.count) || !r.U64(&has_exit) || !r.U64(&exit) ||
        !r.Str(&h.last_cwd) || !r.U64(&bits))
      return false;
    if (has_exit) h.last_exit = static_cast<int32_t>(static_cast<int64_t>(exit));
    std::memcpy(&h.score, &bits, sizeof bits);
    hits->push_back(std::move(h));
  }
  return r.pos == value.size();
}

std::unique_ptr<SearchCache> SearchCache::Open(const std::string& data_dir, SaveRule rule) {
  std::unique_ptr<SearchCache> c(new SearchCache());
  c->data_dir_ = data_dir;
  c->rule_ = rule;
  HierarchyOptions o;
  o.name = "search";
  o.l1 = {"lru", 64, 0, 0};  // one process asks a few queries: the upper levels stay small
  o.l2 = {"lru", 256, 0, 0};
  o.l3_path = CacheDir(data_dir);
  Hierarchy::Open(o, &c->hierarchy_);  // cannot fail with these options
  return c;
}

SearchCache::~SearchCache() {
  if (save_started_us_ == 0) return;
  hierarchy_.reset();  // closing a read-write L3 is part of the cost of a save (flush, compaction)
  const int64_t took = std::max<int64_t>(1, NowMicros() - save_started_us_);
  const int64_t ewma = write_us_ > 0 ? (3 * write_us_ + took) / 4 : took;
  WriteSmall(CacheDir(data_dir_) + "/search.write_us", std::to_string(ewma) + "\n");
}

bool SearchCache::Lookup(const SearchQuery& q, std::vector<SearchHit>* hits) {
  token_.clear();
  looked_up_.clear();
  if (!Cacheable(q)) return false;
  std::string token;
  if (!StoreContentToken(data_dir_, &token).ok()) return false;  // being written: no cache
  std::string key_text = KeyText(q, token);
  token_ = token;
  looked_up_ = key_text;
  // L3 holds the results of one store state: of another one (the hint says), nothing to read.
  if (ReadSmall(CacheDir(data_dir_) + "/search.state") != token) {
    hierarchy_->CountMiss();
    return false;
  }
  std::string value, stored_key;
  int64_t computed_us = 0;
  if (!hierarchy_->Get(KeyOfString(key_text), &value).ok()) return false;
  if (!Decode(value, &stored_key, &computed_us, hits) || stored_key != key_text) {
    hits->clear();
    return false;
  }
  if (q.match == SearchQuery::Match::kFuzzy) {
    int64_t age = NowMicros() - computed_us;
    if (age < 0 || age > kFuzzyTtlUs) {
      hits->clear();
      return false;
    }
  }
  return true;
}

// The doorkeeper: true when `query` is among the last kSeenQueries queries; otherwise remembers
// it (the oldest is forgotten). Concurrent searches may lose an entry: it only delays a save.
bool SearchCache::SeenBefore(const std::string& query) const {
  const std::string path = CacheDir(data_dir_) + "/search.seen";
  const std::string hash = std::to_string(KeyOfString(query));
  std::istringstream in(ReadSmall(path));
  std::vector<std::string> seen;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) seen.push_back(line);
  if (std::find(seen.begin(), seen.end(), hash) != seen.end()) return true;
  seen.push_back(hash);
  if (!internal::EnsureDir(CacheDir(data_dir_)).ok()) return false;
  if (seen.size() > kSeenQueries) seen.erase(seen.begin(), seen.end() - kSeenQueries);
  std::string out;
  for (const std::string& h : seen) out += h + "\n";
  WriteSmall(path, out);
  return false;
}

bool SearchCache::Save(const SearchQuery& q, const std::vector<SearchHit>& hits, int64_t search_us) {
  if (token_.empty() || !Cacheable(q)) return false;
  std::string key_text = KeyText(q, token_);
  if (key_text != looked_up_) return false;  // not the query of the last Lookup
  std::string now_token;
  if (!StoreContentToken(data_dir_, &now_token).ok() || now_token != token_) return false;  // changed meanwhile
  const std::string write_file = CacheDir(data_dir_) + "/search.write_us";
  write_us_ = std::strtoll(ReadSmall(write_file).c_str(), nullptr, 10);
  if (rule_ == SaveRule::kAuto) {
    if (search_us >= 0 && write_us_ > 0 && search_us < write_us_) return false;
    if (!SeenBefore(KeyText(q, ""))) return false;
  }
  const int64_t start = NowMicros();
  // L3 keeps the results of one store state only: a new state drops the older results first
  // (they can never be asked for again), so the cache does not grow with every recorded event.
  // The hint file answers "another state" without opening L3 read-only first.
  const std::string state_file = CacheDir(data_dir_) + "/search.state";
  std::string state;
  if (ReadSmall(state_file) != token_ || !hierarchy_->GetMeta("state", &state).ok() || state != token_) {
    if (!hierarchy_->EraseAll().ok()) return false;  // another process writes L3 now
    hierarchy_->PutMeta("state", token_);
  }
  hierarchy_->Put(KeyOfString(key_text), Encode(key_text, NowMicros(), hits));
  if (hierarchy_->l3_mode() != Hierarchy::L3Mode::kReadWrite) return false;
  WriteSmall(state_file, token_);
  save_started_us_ = start;  // only a save that wrote is measured (with the close, see above)
  return true;
}

}  // namespace memory::cache
