// Store::Open, and the RocksStore operations that read or rewrite much of the store: search,
// statistics, forget, clean, backup and restore.
#include "store/rocks_store.h"

#include <algorithm>
#include <filesystem>

#include <re2/re2.h>

#include "store/fuzzy.h"
#include "store/recent.h"

namespace memory {

Status Store::Open(const StoreOptions& options, std::unique_ptr<Store>* store) {
  if (options.dir.empty()) return Status::InvalidArgument("no data directory given");
  ::umask(077);
  auto s = std::make_unique<internal::RocksStore>(options.dir, options.sync);
  if (options.mode == StoreOptions::Mode::kReadOnly && internal::FileExists(internal::DbDir(options.dir) + "/CURRENT"))
    s->DeferOpen(options);
  else
    MEMORY_RETURN_IF_ERROR(s->OpenDb(options));
  *store = std::move(s);
  return Status::OK();
}

namespace internal {

namespace {

// One candidate command of a search, with what the ranking needs.
struct Candidate {
  SearchHit hit;
  uint64_t cmd_id = 0;  // 0 for spooled commands not in the dictionary yet
};

double Rank(const SearchHit& h, int64_t now_us) {
  // fzf-like text score, then frecency: frequent and recent commands first among equals.
  double age_days = std::max<double>(0, static_cast<double>(now_us - h.last_ts_us) / 86400e6);
  return h.score + 4.0 * std::log2(1.0 + static_cast<double>(h.count)) - 2.0 * std::log2(1.0 + age_days);
}

}  // namespace

Status RocksStore::Search(const SearchQuery& q, std::vector<SearchHit>* hits) {
  hits->clear();
  std::unique_ptr<RE2> re;
  if (q.match == SearchQuery::Match::kRegex) {
    RE2::Options ro;
    ro.set_log_errors(false);
    re = std::make_unique<RE2>(q.text, ro);
    if (!re->ok()) return Status::InvalidArgument("bad regular expression '" + q.text + "': " + re->error());
  }
  auto matches = [&](std::string_view text, double* score) -> bool {
    *score = 0;
    switch (q.match) {
      case SearchQuery::Match::kSubstring: return Contains(text, q.text);
      case SearchQuery::Match::kPrefix: return text.substr(0, q.text.size()) == q.text;
      case SearchQuery::Match::kRegex: return RE2::PartialMatch(text, *re);
      case SearchQuery::Match::kFuzzy: {
        int s = FuzzyScore(q.text, text);
        *score = s;
        return s >= 0;
      }
    }
    return false;
  };

  std::unordered_map<std::string, Candidate> by_text;
  const bool filtered = !q.cwd.empty() || q.exit_code || q.failed_only || q.since_us > 0;
  Summary summary;
  const bool from_summary = !filtered && ReadSummary(dir_, &summary).ok();
  if (!from_summary) MEMORY_RETURN_IF_ERROR(EnsureDb());
  auto event_passes = [&](const Event& e) {
    if (!q.cwd.empty() && e.cwd != q.cwd) return false;
    if (q.exit_code && (!e.exit_code || *e.exit_code != *q.exit_code)) return false;
    if (q.failed_only && !e.failed()) return false;
    return e.ts_us >= q.since_us;
  };
  auto add_event = [&](const Event& e) {
    double score;
    if (!event_passes(e) || !matches(e.command, &score)) return;
    auto [it, fresh] = by_text.try_emplace(e.command);
    SearchHit& h = it->second.hit;
    if (fresh) {
      h.command = e.command;
      h.score = score;
    }
    h.count++;
    if (e.ts_us >= h.last_ts_us) {
      h.last_ts_us = e.ts_us;
      h.last_exit = e.exit_code;
      h.last_cwd = e.cwd;
    }
  };

  if (filtered) {
    // Walk events (through the cwd index when given), newest first.
    ScanOptions so;
    so.since_us = q.since_us;
    so.cwd = q.cwd;
    MEMORY_RETURN_IF_ERROR(Scan(so, [&](const Event& e) {
      add_event(e);
      return true;
    }));
  } else {
    // The dictionary holds each distinct command once with its counters: no event walk.
    auto visit = [&](const auto& cs) {
      double score;
      if (!matches(cs.command, &score)) return true;
      Candidate& c = by_text[std::string(cs.command)];
      c.cmd_id = cs.id;
      c.hit.command = cs.command;
      c.hit.score = score;
      c.hit.count = cs.count;
      c.hit.last_ts_us = cs.last_ts_us;
      c.hit.last_exit = cs.last_exit;
      return true;
    };
    if (from_summary) {
      for (const auto& cs : summary.commands) visit(cs);
      MEMORY_RETURN_IF_ERROR(ForEachPending(dir_, add_event));  // the summary predates the spool
    } else {
      MEMORY_RETURN_IF_ERROR(ForEachCommand([&](const CommandStats& cs) { return visit(cs); }));
      MEMORY_RETURN_IF_ERROR(ForEachPendingNotStored(add_event));
    }
  }

  std::vector<Candidate*> all;
  all.reserve(by_text.size());
  for (auto& [text, c] : by_text) all.push_back(&c);
  const int64_t now = NowMicros();
  auto newer = [](const Candidate* a, const Candidate* b) {
    return std::tie(a->hit.last_ts_us, a->hit.command) > std::tie(b->hit.last_ts_us, b->hit.command);
  };
  auto better = [&](const Candidate* a, const Candidate* b) {
    double ra = Rank(a->hit, now), rb = Rank(b->hit, now);
    return ra != rb ? ra > rb : newer(a, b);
  };
  size_t n = std::min(q.limit, all.size());
  if (q.match == SearchQuery::Match::kFuzzy)
    std::partial_sort(all.begin(), all.begin() + static_cast<long>(n), all.end(), better);
  else
    std::partial_sort(all.begin(), all.begin() + static_cast<long>(n), all.end(), newer);
  all.resize(n);

  // Fill exit status and cwd of the newest use from the command index (top hits only).
  for (Candidate* c : all) {
    if (!from_summary && c->cmd_id && c->hit.last_cwd.empty()) {
      std::string prefix = CmdKey(c->cmd_id);
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kByCmd]));
      it->SeekForPrev(prefix + std::string(16, '\xff'));
      if (it->Valid() && it->key().starts_with(prefix) && it->key().size() == 24) {
        Event e;
        if (GetByBytes(std::string(it->key().data() + 8, 16), &e).ok()) {
          c->hit.last_exit = e.exit_code;
          c->hit.last_cwd = e.cwd;
        }
      }
    }
    hits->push_back(c->hit);
  }
  return Status::OK();
}

Status RocksStore::ComputeSummary(SummaryTotals* s, std::vector<CommandStats>* commands) {
  commands->clear();
  MEMORY_RETURN_IF_ERROR(ForEachCommand([&](const CommandStats& c) { return commands->push_back(c), true; }));
  return ComputeTotals(s);
}

Status RocksStore::UpdateSummary(const Summary& base, SummaryTotals* totals, std::vector<CommandStats>* commands) {
  commands->clear();
  commands->reserve(base.commands.size() + touched_.size());
  for (const SummaryCommand& c : base.commands) {
    if (touched_.count(c.id)) continue;
    CommandStats cs;
    cs.id = c.id;
    cs.command.assign(c.command);
    cs.count = c.count;
    cs.failures = c.failures;
    cs.last_ts_us = c.last_ts_us;
    cs.last_exit = c.last_exit;
    commands->push_back(std::move(cs));
  }
  // The touched commands as ForEachCommand gives them (those with a count).
  std::vector<uint64_t> ids(touched_.begin(), touched_.end());
  std::sort(ids.begin(), ids.end());
  const size_t kept = commands->size();
  std::string value;
  for (uint64_t id : ids) {
    const std::string key = CmdKey(id);
    rocksdb::Status st = db_->Get(rocksdb::ReadOptions(), handles_[kCounters], "c" + key, &value);
    if (st.IsNotFound()) continue;
    MEMORY_RETURN_IF_ERROR(FromRocks(st, "counters"));
    Counter c;
    Counter::Decode(value, &c);
    if (c.count <= 0) continue;
    CommandStats cs;
    cs.id = id;
    st = db_->Get(rocksdb::ReadOptions(), handles_[kCommands], key, &cs.command);
    if (st.IsNotFound()) continue;  // (ForEachCommand lists the dictionary's commands only)
    MEMORY_RETURN_IF_ERROR(FromRocks(st, "dictionary"));
    SetCounts(c, &cs);
    commands->push_back(std::move(cs));
  }
  std::inplace_merge(commands->begin(), commands->begin() + static_cast<std::ptrdiff_t>(kept), commands->end(),
                     [](const CommandStats& a, const CommandStats& b) { return a.id < b.id; });
  return ComputeTotals(totals);
}

Status RocksStore::ComputeTotals(SummaryTotals* s) {
  *s = SummaryTotals();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kCounters]));
  for (it->Seek("g"); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    Counter c;
    Counter::Decode(std::string_view(it->value().data(), it->value().size()), &c);
    if (c.count <= 0) continue;
    if (k == rocksdb::Slice("g:events")) s->events = c.count;
    else if (k.starts_with("s")) s->sessions++;
    else if (k.starts_with("u")) s->users++;
  }
  MEMORY_RETURN_IF_ERROR(FromRocks(it->status(), "counters"));
  std::unique_ptr<rocksdb::Iterator> ev(db_->NewIterator(rocksdb::ReadOptions(), handles_[kEvents]));
  ev->SeekToFirst();
  if (ev->Valid() && ev->key().size() == 16) s->first_ts_us = static_cast<int64_t>(coding::GetFixed64BE(ev->key().data()));
  ev->SeekToLast();
  if (ev->Valid() && ev->key().size() == 16) s->last_ts_us = static_cast<int64_t>(coding::GetFixed64BE(ev->key().data()));
  return FromRocks(ev->status(), "events");
}

Status RocksStore::WriteRecent(int64_t db_events) {
  RecentCollector recent;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kEvents]));
  size_t offered = 0;
  for (it->SeekToLast(); it->Valid() && offered < RecentCollector::kScanLimit; it->Prev(), ++offered) {
    Event e;
    MEMORY_RETURN_IF_ERROR(DecodeStored(it->key(), it->value(), &e));
    recent.Offer(e);
  }
  MEMORY_RETURN_IF_ERROR(FromRocks(it->status(), "events"));
  return recent.Write(dir_, db_events);
}

Status RocksStore::Stats(StoreStats* st) {
  *st = StoreStats();
  MEMORY_RETURN_IF_ERROR(EnsureDb());
  st->read_only = read_only_;
  st->paused = RecordingPaused(dir_);
  st->deletion_pending = DeletionPending();
  Summary sum;
  SummaryTotals totals;
  if (ReadSummary(dir_, &sum, /*with_commands=*/false).ok()) {
    totals = sum.totals;
    st->distinct_commands = static_cast<int64_t>(sum.command_count);
  } else {
    std::vector<CommandStats> commands;
    MEMORY_RETURN_IF_ERROR(ComputeSummary(&totals, &commands));
    st->distinct_commands = static_cast<int64_t>(commands.size());
  }
  st->events = totals.events;
  st->sessions = totals.sessions;
  st->users = totals.users;
  st->first_ts_us = totals.first_ts_us;
  st->last_ts_us = totals.last_ts_us;

  MEMORY_RETURN_IF_ERROR(ForEachPendingNotStored([&](Event& e) {
    st->pending_spool_events++;
    st->events++;
    if (!st->first_ts_us || e.ts_us < st->first_ts_us) st->first_ts_us = e.ts_us;
    st->last_ts_us = std::max(st->last_ts_us, e.ts_us);
  }));

  for (int i = 0; i < kNumCf; ++i) {
    StoreStats::Family f;
    f.name = kFamilies[i];
    uint64_t v = 0;
    // Keys: entries of the table files (from their properties) plus the memtables'. Estimates
    // (deletions and overwrites not yet compacted count until they are).
    if (db_->GetIntProperty(handles_[i], "rocksdb.num-entries-active-mem-table", &v)) f.keys += static_cast<int64_t>(v);
    if (db_->GetIntProperty(handles_[i], "rocksdb.num-entries-imm-mem-tables", &v)) f.keys += static_cast<int64_t>(v);
    if (db_->GetIntProperty(handles_[i], "rocksdb.total-sst-files-size", &v)) f.sst_bytes = static_cast<int64_t>(v);
    if (db_->GetIntProperty(handles_[i], "rocksdb.cur-size-all-mem-tables", &v)) f.memtable_bytes = static_cast<int64_t>(v);
    rocksdb::TablePropertiesCollection props;
    if (db_->GetPropertiesOfAllTables(handles_[i], &props).ok())
      for (const auto& [name, p] : props) {
        st->raw_bytes += static_cast<int64_t>(p->raw_key_size + p->raw_value_size);
        f.keys += static_cast<int64_t>(p->num_entries) - static_cast<int64_t>(p->num_deletions);
      }
    st->families.push_back(f);
  }
  st->disk_bytes = DirBytes(dir_);
  return Status::OK();
}

Status RocksStore::RemoveEvents(const std::vector<std::string>& ids, size_t* removed) {
  *removed = 0;
  std::unordered_map<std::string, Counter> deltas;
  std::unordered_map<uint64_t, int64_t> removed_per_cmd;
  std::unordered_set<std::string> touched = {"g:events"};  // counters that lost an event
  rocksdb::WriteBatch batch;
  size_t pending = 0;  // deletions in `batch`
  auto flush = [&]() -> Status {
    if (batch.Count() == 0) return Status::OK();
    std::string enc;
    for (auto& [key, c] : deltas) {
      enc.clear();
      c.Encode(&enc);
      batch.Merge(handles_[kCounters], key, enc);
    }
    deltas.clear();
    rocksdb::WriteOptions wo;
    wo.sync = sync_;
    MEMORY_RETURN_IF_ERROR(BeginWrite());
    MEMORY_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &batch), "delete"));
    batch.Clear();
    pending = 0;
    return Status::OK();
  };
  for (const auto& id_bytes : ids) {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), handles_[kEvents], id_bytes, &v);
    if (s.IsNotFound()) continue;
    MEMORY_RETURN_IF_ERROR(FromRocks(s, "event lookup"));
    coding::Reader r(v);
    uint64_t cmd_id = 0;
    r.GetVarint(&cmd_id);
    Event e;
    MEMORY_RETURN_IF_ERROR(DecodeStored(rocksdb::Slice(id_bytes), rocksdb::Slice(v), &e));
    batch.Delete(handles_[kEvents], id_bytes);
    std::string ck = CmdKey(cmd_id);
    batch.Delete(handles_[kByCmd], ck + id_bytes);
    EventKeys k = KeysOf(e, id_bytes);
    if (!k.cwd_key.empty()) batch.Delete(handles_[kByCwd], k.cwd_key);
    if (!k.session_key.empty()) batch.Delete(handles_[kBySession], k.session_key);
    Counter c = CounterOf(e, -1);
    deltas["c" + ck].Add(c);
    if (!e.session.empty()) deltas["s" + e.session].Add(c);
    if (!e.user.empty()) deltas["u" + e.user].Add(c);
    deltas["g:events"].Add(c);
    touched.insert("c" + ck);
    if (!e.session.empty()) touched.insert("s" + e.session);
    if (!e.user.empty()) touched.insert("u" + e.user);
    removed_per_cmd[cmd_id]++;
    ++pending;
    ++*removed;
    if (pending >= kBatchEvents) MEMORY_RETURN_IF_ERROR(flush());
  }
  MEMORY_RETURN_IF_ERROR(flush());
  // (With nothing removed the loop below still runs: it ends what a killed deletion left.)
  std::unordered_map<std::string, Counter> times;
  if (*removed > 0) MEMORY_RETURN_IF_ERROR(TimesOfStoredEvents(touched, &times));

  // Commands, sessions and users left with no event leave the dictionary and counters; those
  // left with some take the times of what is left (not a deleted event's).
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kCounters]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Counter c;
    Counter::Decode(std::string_view(it->value().data(), it->value().size()), &c);
    if (c.count > 0) {
      auto t = times.find(it->key().ToString());
      if (t == times.end()) continue;
      c.first_ts_us = t->second.first_ts_us;
      c.last_ts_us = t->second.last_ts_us;
      c.last_exit = t->second.last_exit;
      std::string enc;
      c.Encode(&enc);
      batch.Put(handles_[kCounters], it->key(), enc);
      continue;
    }
    rocksdb::Slice k = it->key();
    batch.Delete(handles_[kCounters], k);
    if (k.starts_with("c") && k.size() == 9) {
      std::string id_key(k.data() + 1, 8);
      std::string text;
      if (db_->Get(rocksdb::ReadOptions(), handles_[kCommands], id_key, &text).ok()) {
        batch.Delete(handles_[kCommandIds], text);
        std::lock_guard<std::mutex> l(text_mu_);
        id_cache_.erase(text);
        text_cache_.erase(coding::GetFixed64BE(id_key.data()));
      }
      batch.Delete(handles_[kCommands], id_key);
    }
  }
  MEMORY_RETURN_IF_ERROR(FromRocks(it->status(), "counters"));
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  return FromRocks(db_->Write(wo, &batch), "delete");
}

Status RocksStore::TimesOfStoredEvents(const std::unordered_set<std::string>& keys,
                                       std::unordered_map<std::string, Counter>* times) {
  times->clear();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kEvents]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {  // oldest first
    Event e;
    MEMORY_RETURN_IF_ERROR(DecodeStored(it->key(), it->value(), &e));
    coding::Reader r(std::string_view(it->value().data(), it->value().size()));
    uint64_t cmd_id = 0;
    r.GetVarint(&cmd_id);
    const std::string counter_keys[] = {"g:events", "c" + CmdKey(cmd_id), e.session.empty() ? "" : "s" + e.session,
                                        e.user.empty() ? "" : "u" + e.user};
    for (const std::string& k : counter_keys)
      if (!k.empty() && keys.count(k)) times->try_emplace(k).first->second.Add(CounterOf(e, 1));
  }
  return FromRocks(it->status(), "events");
}

Status RocksStore::CompactAway() {
  // Flush memtables (so the WAL that held the data becomes obsolete and is deleted), then
  // rewrite every file so no deleted value or tombstone survives in any SST.
  rocksdb::FlushOptions fo;
  fo.wait = true;
  MEMORY_RETURN_IF_ERROR(FromRocks(db_->Flush(fo, handles_), "flush"));
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  co.exclusive_manual_compaction = true;
  for (auto* h : handles_) MEMORY_RETURN_IF_ERROR(FromRocks(db_->CompactRange(co, h, nullptr, nullptr), "compact"));
  MEMORY_RETURN_IF_ERROR(FromRocks(db_->FlushWAL(true), "flush WAL"));
  // A second flush switches to a fresh WAL so the one written during deletion goes too.
  MEMORY_RETURN_IF_ERROR(FromRocks(db_->Flush(fo, handles_), "flush"));
  return Reopen();
}

// Forget and Clean are bracketed by a marker file: written before the first deletion, removed
// once the bytes are gone. Finding it at the start means a deletion was killed half-way: its
// tombstones (which made every seek of the next run slow) are compacted away first.
std::string RocksStore::DeletionMarker() const { return dir_ + "/deletion-pending"; }
bool RocksStore::DeletionPending() const { return internal::FileExists(DeletionMarker()); }

Status RocksStore::BeginDeletion() {
  if (DeletionPending()) MEMORY_RETURN_IF_ERROR(CompactAway());
  return internal::WriteFileAtomic(DeletionMarker(), "a forget or clean is deleting events\n");
}

// Also removes what may hold deleted values outside the database: the database a restore
// replaced or the copy a killed restore left (the table files of a killed import went when this
// writer opened the store).
Status RocksStore::FinishDeletion() {
  MEMORY_RETURN_IF_ERROR(internal::RemoveTree(dir_ + "/db.before-restore"));
  if (!internal::FileExists(internal::RestoreReadyFile(dir_)))  // a copy a killed restore left
    MEMORY_RETURN_IF_ERROR(internal::RemoveTree(internal::RestoreStagedDir(dir_)));
  MEMORY_RETURN_IF_ERROR(FinishWrite());
  MEMORY_RETURN_IF_ERROR(CompactAway());
  if (::unlink(DeletionMarker().c_str()) != 0 && errno != ENOENT)
    return Status::IOError("unlink " + DeletionMarker() + ": " + internal::ErrnoText());
  return Status::OK();
}

Status RocksStore::Forget(const std::string& glob, ForgetScope scope, size_t* removed) {
  if (read_only_) return Status::Busy("the store is open read-only");
  std::lock_guard<std::mutex> l(mu_);
  MEMORY_RETURN_IF_ERROR(FoldLocked(nullptr));
  std::vector<std::string> ids;
  if (scope == ForgetScope::kAnyField) {  // iterators must be gone before CompactAway reopens the database
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kEvents]));
    Event e;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      MEMORY_RETURN_IF_ERROR(DecodeStored(it->key(), it->value(), &e));
      if (GlobMatchesAnyField(glob, e)) ids.push_back(it->key().ToString());
    }
    MEMORY_RETURN_IF_ERROR(FromRocks(it->status(), "events"));
  } else {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kCommands]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!GlobMatch(glob, std::string_view(it->value().data(), it->value().size()))) continue;
      std::string prefix = it->key().ToString();
      std::unique_ptr<rocksdb::Iterator> ix(db_->NewIterator(rocksdb::ReadOptions(), handles_[kByCmd]));
      for (ix->Seek(prefix); ix->Valid() && ix->key().starts_with(prefix); ix->Next())
        if (ix->key().size() == 24) ids.emplace_back(ix->key().data() + 8, 16);
    }
    MEMORY_RETURN_IF_ERROR(FromRocks(it->status(), "dictionary"));
  }
  return DeleteEvents(ids, removed);
}

Status RocksStore::DeleteEvents(const std::vector<std::string>& ids, size_t* removed) {
  *removed = 0;
  if (ids.empty() && !DeletionPending()) return Status::OK();  // nothing to delete or finish: no compaction
  MEMORY_RETURN_IF_ERROR(BeginDeletion());
  MEMORY_RETURN_IF_ERROR(RemoveEvents(ids, removed));
  return FinishDeletion();
}

Status RocksStore::Clean(int64_t before_us, size_t* removed) {
  if (read_only_) return Status::Busy("the store is open read-only");
  std::lock_guard<std::mutex> l(mu_);
  MEMORY_RETURN_IF_ERROR(FoldLocked(nullptr));
  std::vector<std::string> ids;
  std::string hi;
  coding::PutFixed64BE(&hi, static_cast<uint64_t>(std::max<int64_t>(0, before_us)));
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kEvents]));
    for (it->SeekToFirst(); it->Valid() && it->key().compare(hi) < 0; it->Next())
      ids.push_back(it->key().ToString());
    MEMORY_RETURN_IF_ERROR(FromRocks(it->status(), "events"));
  }
  return DeleteEvents(ids, removed);
}

Status RocksStore::Backup(const std::string& backup_dir) {
  if (read_only_) return Status::Busy("the store is open read-only");
  {  // a backup inside the data directory would go with it (and keep what forget removes there)
    std::error_code ec;
    auto resolved = [&ec](const std::string& p) {  // no "." or "..", links resolved, no trailing "/"
      std::filesystem::path r = std::filesystem::weakly_canonical(p, ec).lexically_normal();
      return r.has_filename() ? r : r.parent_path();
    };
    const std::filesystem::path store = resolved(dir_), backup = resolved(backup_dir);
    if (!ec) {
      auto [s, b] = std::mismatch(store.begin(), store.end(), backup.begin(), backup.end());
      if (s == store.end())
        return Status::InvalidArgument("backup directory " + backup_dir + " is inside the data directory " + dir_ +
                                       " (a backup must outlive the store)");
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> names;
  if (FileExists(backup_dir)) {
    struct stat st;
    if (::stat(backup_dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
      return Status::InvalidArgument(backup_dir + " is a file, not a directory");
    MEMORY_RETURN_IF_ERROR(ListDir(backup_dir, &names));
    if (!names.empty()) return Status::InvalidArgument("backup directory " + backup_dir + " is not empty");
  }
  MEMORY_RETURN_IF_ERROR(EnsureDir(backup_dir));
  MEMORY_RETURN_IF_ERROR(FoldLocked(nullptr));
  rocksdb::Checkpoint* cp = nullptr;
  MEMORY_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &cp), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> owner(cp);
  MEMORY_RETURN_IF_ERROR(FromRocks(cp->CreateCheckpoint(DbDir(backup_dir), /*log_size_for_flush=*/0), "checkpoint"));
  // A checkpoint hard-links the table files: damage to one (a bad disk block, a stray write)
  // would be in the store and its backup at once. A backup owns its bytes.
  MEMORY_RETURN_IF_ERROR(UnshareHardLinks(DbDir(backup_dir)));
  // Events appended to the spool after the fold above are copied too (restore folds them).
  std::string spool = SpoolDir(dir_);
  MEMORY_RETURN_IF_ERROR(ListDir(spool, &names));
  if (!names.empty()) MEMORY_RETURN_IF_ERROR(EnsureDir(SpoolDir(backup_dir)));
  for (const auto& n : names) {
    std::string data;
    Status s = ReadFile(spool + "/" + n, &data);
    if (s.IsNotFound()) continue;
    MEMORY_RETURN_IF_ERROR(s);
    MEMORY_RETURN_IF_ERROR(WriteFileAtomic(SpoolDir(backup_dir) + "/" + n, data));
  }
  MEMORY_RETURN_IF_ERROR(FinishWrite());
  return WriteFileAtomic(backup_dir + "/BACKUP", "llmunix-memory backup\ncreated_us " + std::to_string(NowMicros()) + "\n");
}


}  // namespace internal

Status CheckBackupDir(const std::string& backup_dir) {
  using namespace internal;
  if (!FileExists(backup_dir + "/BACKUP") || !FileExists(DbDir(backup_dir) + "/CURRENT"))
    return Status::InvalidArgument(backup_dir + " is not a memory backup (no BACKUP or db/CURRENT)");
  return Status::OK();
}

Status RestoreStore(const std::string& backup_dir, const std::string& data_dir) {
  using namespace internal;
  MEMORY_RETURN_IF_ERROR(CheckBackupDir(backup_dir));
  {
    // Verify the backup opens before touching anything.
    StoreOptions o;
    o.dir = backup_dir;
    o.mode = StoreOptions::Mode::kReadOnly;
    std::unique_ptr<Store> probe;
    Status s = Store::Open(o, &probe);
    if (s.ok()) s = probe->Verify();
    if (!s.ok()) return Status::Corruption("backup " + backup_dir + " is damaged: " + s.message());
  }
  MEMORY_RETURN_IF_ERROR(EnsureDir(data_dir));
  const std::string db = DbDir(data_dir), staged = RestoreStagedDir(data_dir);
  // The copy is made beside the store first: a restore killed during it leaves the store as it
  // was (it used to copy into the store's place, leaving a partial database or none).
  MEMORY_RETURN_IF_ERROR(RemoveTree(staged));
  MEMORY_RETURN_IF_ERROR(CopyTree(DbDir(backup_dir), staged));
  if (FileExists(db + "/CURRENT")) {
    // Holding the writer lock proves nobody else writes while we swap.
    StoreOptions o;
    o.dir = data_dir;
    o.mode = StoreOptions::Mode::kReadWrite;
    o.lock_wait_ms = 0;
    std::unique_ptr<Store> current;
    Status s = Store::Open(o, &current);
    // Busy: another process writes. Any other failure is a damaged database (RocksDB takes its
    // lock before reading anything), which the restore moves aside.
    if (s.IsBusy()) {
      RemoveTree(staged);
      return s;
    }
  }
  MEMORY_RETURN_IF_ERROR(MarkSummaryDirty(data_dir));  // the summary describes the old database
  // From here the restore is decided: a process killed now has its swap finished by the next
  // writer's open.
  MEMORY_RETURN_IF_ERROR(WriteFileAtomic(RestoreReadyFile(data_dir), "a restore is swapping databases\n"));
  MEMORY_RETURN_IF_ERROR(FinishRestoreSwap(data_dir));
  if (FileExists(SpoolDir(backup_dir))) MEMORY_RETURN_IF_ERROR(CopyTree(SpoolDir(backup_dir), SpoolDir(data_dir)));
  return Status::OK();
}

}  // namespace memory
