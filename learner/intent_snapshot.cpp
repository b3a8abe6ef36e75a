#include "learner/intent_snapshot.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <string_view>

#include "learner/builtin_models.h"
#include "learner/ranked_list.h"
#include "learner/registry.h"
#include "learner/template.h"
#include "store/mapped_file.h"
#include "store/store.h"

namespace memory::learner {
namespace {

// Version 04: session rows (features=2) are trained with gaps, positions and actors and served.
// Version 05: the header holds the calibration maps (knots of a ListCalibrator's two Calibrators).
// A file of an older version does not open (Corruption): predict rebuilds the live snapshot.
constexpr char kMagic[8] = {'M', 'E', 'M', 'I', 'N', 'T', '0', '5'};
constexpr uint32_t kMaxKnots = Calibrator::kBins + 2;
constexpr char kMagicPrefix[6] = {'M', 'E', 'M', 'I', 'N', 'T'};
constexpr uint32_t kEndianMark = 0x01020304;

struct Header {
  char magic[8];
  uint32_t endian;
  uint32_t order;
  double decay, escape, base_decay;
  int32_t candidates;
  int32_t features;
  uint32_t num_cwds;       // entries of the cwd table (hash -> id), sorted by hash
  uint32_t num_commands;
  uint64_t num_rows;       // including the order-0 row (row 0)
  uint64_t num_entries;
  int64_t watermark_us;
  int64_t events;
  uint64_t rows_off, entries_off, text_off_off, text_index_off, cwd_off, text_off, file_size;
  // Calibration maps (ListCalibrator): [0] the first prediction's, [1] the others'; knots (x, y),
  // 2..kMaxKnots each.
  uint32_t num_knots[2];
  double knot_x[2][kMaxKnots], knot_y[2][kMaxKnots];
};

struct CwdRec {
  uint64_t hash;
  uint32_t id;
  uint32_t pad;
};

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

struct RowRec {
  uint64_t key;
  uint32_t first;          // index of the first entry
  uint32_t count;          // entries stored (best first)
  double distinct;         // followers seen (before truncation)
  double n;                // times the context was seen
  double sum;              // sum of all decayed scores (before truncation)
};

struct EntryRec {
  uint32_t id;
  uint32_t pad;
  double score;            // decayed score
};

}  // namespace

// Order 6 with the best model's ppm parameters: on the public shell histories (Purdue, Schonlau)
// +0.55 / +3.8 points of top-1 over the former order 3 (every Schonlau user gains), about as good
// as order 8 (-0.1 / -0.3) at half its snapshot size and rebuild memory; see
// bench/results/servespec.md.
std::string PredictModelSpec() {
  return "ppm(order=6,decay=0.9,escape=8,base_decay=0.9,candidates=12,features=2)";
}

// The alternatives: order 8 (the best on the public histories, for a context further back) and
// decay 0.95 (rows forget more slowly: +0.5 to +1.0 points of top-1 on simulated stores, never
// chosen to a real user's loss). The former default, order 3, was tried as one and dropped: chosen
// for 1 of 29 real users, who lost 0.65 points on the held-out slice (bench/results/servespec.md).
std::vector<std::string> PredictModelSpecs() {
  return {PredictModelSpec(), "ppm(order=8,decay=0.9,escape=8,base_decay=0.9,candidates=12,features=2)",
          "ppm(order=6,decay=0.95,escape=8,base_decay=0.9,candidates=12,features=2)"};
}

Status RebuildIntentSnapshot(memory::Store* store, const std::string& path, int64_t* events,
                             const std::string& spec) {
  IntentTrainer trainer(spec);
  MEMORY_RETURN_IF_ERROR(trainer.status());
  ScanOptions so;
  so.newest_first = false;
  so.include_pending = true;
  MEMORY_RETURN_IF_ERROR(store->Scan(so, [&](const Event& e) {
    trainer.Add(e);
    return true;
  }));
  if (events) *events = trainer.events();
  return trainer.Write(path);
}

Status OpenGruNet(const std::string& path, std::shared_ptr<const GruNet>* out) {
  GruWeights w;
  MEMORY_RETURN_IF_ERROR(GruWeights::Load(path, &w));
  if (w.vocab < 2 || w.texts.size() != w.vocab)
    return Status::Corruption(path + ": GRU weight file has no commands");
  *out = std::make_shared<const GruNet>(std::move(w));
  return Status::OK();
}

Status ValidateIntentVersion(const std::string& version_dir) {
  std::error_code ec;
  if (std::filesystem::exists(version_dir + "/" + kGruFile, ec)) {
    std::shared_ptr<const GruNet> net;
    MEMORY_RETURN_IF_ERROR(OpenGruNet(version_dir + "/" + kGruFile, &net));
    std::shared_ptr<const ListCalibrator> calibration;
    return OpenGruCalibration(version_dir, &calibration);
  }
  std::unique_ptr<IntentSnapshot> snap;
  return IntentSnapshot::Open(version_dir + "/" + kIntentSnapshotFile, &snap);
}

Status OpenGruCalibration(const std::string& version_dir, std::shared_ptr<const ListCalibrator>* out) {
  out->reset();
  auto c = std::make_shared<ListCalibrator>();
  Status s = LoadListCalibrator(version_dir + "/" + kGruCalibrationFile, c.get());
  if (s.IsNotFound()) return Status::OK();
  MEMORY_RETURN_IF_ERROR(s);
  *out = std::move(c);
  return Status::OK();
}

void GruSession::Observe(std::string_view template_text) {
  net_->Step(net_->Token(std::string(template_text)), &h_);
}

void GruSession::Top(size_t k, std::vector<std::pair<int32_t, double>>* out) {
  Eigen::VectorXf logits;  // scratch (sessions are many; the vocabulary may be large)
  net_->Top(h_, k, &logits, out);
}

Status OpenServingIntentModel(const std::string& models_dir, ServingIntentModel* out) {
  *out = ServingIntentModel();
  out->spec = PredictModelSpec();
  const std::string live_path = models_dir + "/" + kIntentSnapshotFile;
  std::unique_ptr<IntentSnapshot> live;
  Status live_status = IntentSnapshot::Open(live_path, &live);
  ModelRegistry registry(models_dir);
  std::string champion;
  if (registry.Champion("intent", &champion).ok()) {
    const std::string dir = registry.VersionDir("intent", champion);
    std::error_code ec;
    if (std::filesystem::exists(dir + "/" + kGruFile, ec)) {
      // A GRU champion ranks; the live count snapshot names the commands.
      std::shared_ptr<const GruNet> net;
      Status s = OpenGruNet(dir + "/" + kGruFile, &net);
      std::shared_ptr<const ListCalibrator> calibration;
      if (s.ok()) s = OpenGruCalibration(dir, &calibration);
      if (s.ok()) {
        out->gru = std::move(net);
        out->gru_calibration = std::move(calibration);
        out->version = champion;
        ModelVersionInfo info;
        out->model = registry.Get("intent", champion, &info).ok() && !info.config.empty() ? info.config
                                                                                          : kGruVersionConfig;
      } else {
        out->warning = "the intent champion " + champion + " does not load (" + s.ToString() + "); serving the live model";
      }
    } else {
      std::string path = dir + "/" + kIntentSnapshotFile;
      std::unique_ptr<IntentSnapshot> snap;
      Status s = IntentSnapshot::Open(path, &snap);
      if (s.ok()) {
        out->version = champion;
        out->spec = snap->model();
        if (!live_status.ok() || live->model() != snap->model() || live->watermark_us() < snap->watermark_us()) {
          out->model = snap->model();
          out->snapshot = std::move(snap);
          out->file = path;
          return Status::OK();
        }
      } else {
        out->warning = "the intent champion " + champion + " does not load (" + s.ToString() + "); serving the live model";
      }
    }
  }
  MEMORY_RETURN_IF_ERROR(live_status);
  if (!out->gru) out->model = live->model();
  out->snapshot = std::move(live);
  out->file = live_path;
  out->live = true;
  return Status::OK();
}

std::string SessionKeyOf(const Event& e) { return e.session.empty() ? "cwd:" + e.cwd : e.session; }

bool IsAgentActor(std::string_view actor) { return !actor.empty() && actor != "human"; }

void IntentSessionState::Fill(const Event& e, uint32_t cwd, Context* ctx) const {
  ctx->history = history;
  ctx->cwd = cwd;
  ctx->has_last_exit = has_exit;
  ctx->last_exit = exit;
  // As the evaluation protocol (online_eval.cpp): time since the session's previous event, index
  // within the session, an agent's session when the actor is set and not "human".
  ctx->gap_us = events > 0 ? e.ts_us - last_ts_us : -1;
  ctx->position = events;
  ctx->agent = IsAgentActor(e.actor);
}

void IntentSessionState::Advance(const Event& e, CommandId id) {
  history.push_back(id);
  if (history.size() > 16) history.erase(history.begin(), history.begin() + 8);
  has_exit = e.exit_code.has_value();
  exit = e.exit_code.value_or(0);
  last_ts_us = e.ts_us;
  if (events < UINT32_MAX) ++events;
}

namespace {
// The trainer's calibration sample: one event in kCalibrationEvery, evenly over the whole
// history, each scored on its top kCalibrationTop predictions.
constexpr int64_t kCalibrationEvery = 4;
constexpr size_t kCalibrationTop = 5;
// The maps forget: a list sampled this many lists (x kCalibrationEvery events) before the newest
// counts half as much, so a store whose model has matured is not calibrated by its early,
// differently reliable predictions. Served replays (three simulated 200k stores, first-prediction
// ECE summed): no forgetting 0.0373, half-lives of 2,000 / 5,000 / 7,000 / 10,000 / 14,000 /
// 20,000 lists 0.0356 / 0.0275 / 0.0272 / 0.0273 / 0.0298 / 0.0320 (bench/results/calibration.md).
constexpr double kCalibrationHalfLife = 10000;
}  // namespace

IntentTrainer::IntentTrainer(const std::string& spec) : calibrator_(50, kCalibrationHalfLife) {
  cwds_.Intern("");  // id 0 = unknown
  status_ = NewModel(spec, &model_);
  if (status_.ok() && !ForEachPpmRow(*model_, [](const PpmRowView&) {}, nullptr))
    status_ = Status::InvalidArgument("the predict model must be a ppm model, not " + spec);
}

void IntentTrainer::Add(const Event& e) {
  if (!status_.ok() || e.command.empty()) return;
  CommandId id = templates_.Intern(e.kind == EventKind::kToolCall ? e.command : CommandTemplate(e.command));
  if (id >= display_.size()) display_.resize(id + 1);
  display_[id] = e.command;
  IntentSessionState& st = sessions_[SessionKeyOf(e)];
  Context ctx;
  st.Fill(e, cwds_.Intern(e.cwd), &ctx);
  if (events_ % kCalibrationEvery == 0) {  // the calibration sample
    model_->Predict(ctx, kCalibrationTop, &preds_);
    calibrator_.Observe(preds_, id);
  }
  model_->Learn(ctx, id);
  st.Advance(e, id);
  ++events_;
  watermark_us_ = std::max(watermark_us_, e.ts_us);
}

ListCalibrator IntentTrainer::FittedCalibrator() const {
  ListCalibrator c = calibrator_;
  c.Fit();
  return c;
}

Status IntentTrainer::Write(const std::string& path, int max_entries) const {
  MEMORY_RETURN_IF_ERROR(status_);
  // Rows are written best first: within the ranked head of each model row.
  if (max_entries < 1 || max_entries > static_cast<int>(RankedList::kHead) / 2)
    return Status::InvalidArgument("snapshot rows keep 1.." + std::to_string(RankedList::kHead / 2) + " entries");
  // Only the rows (sorted by key before they are written) are held in memory: the entries, in the
  // order the rows are visited, are streamed to the file as they are read from the model. A first
  // visit counts both, which fixes every offset. (The snapshot of a large store is tens of MB,
  // written beside the model: see `memory train`'s peak memory in bench/results/servespec.md.)
  PpmOptions o;
  auto limit_of = [&](const PpmRowView& v) {
    return v.slot == 0 ? size_t{RankedList::kHead} : static_cast<size_t>(max_entries);
  };
  size_t num_rows = 0, num_base_entries = 0, num_entries = 0;
  ForEachPpmRow(
      *model_,
      [&](const PpmRowView& v) {
        if (v.slot == o.order + 1) return;  // skip rows are not served
        const size_t n = std::min(v.scores->ranked().entries().size(), limit_of(v));
        if (v.slot == 0) {
          num_base_entries = n;
        } else {
          ++num_rows;
          num_entries += n;
        }
      },
      &o);

  const uint32_t nc = static_cast<uint32_t>(templates_.size());
  std::vector<uint64_t> text_offsets;
  std::string texts;
  for (CommandId i = 0; i < nc; ++i) {
    text_offsets.push_back(texts.size());
    texts += templates_.Text(i);
    text_offsets.push_back(texts.size());
    texts += display_[i];
  }
  text_offsets.push_back(texts.size());
  std::vector<uint32_t> index(nc);
  for (uint32_t i = 0; i < nc; ++i) index[i] = i;
  std::sort(index.begin(), index.end(),
            [&](uint32_t a, uint32_t b) { return templates_.Text(a) < templates_.Text(b); });

  std::vector<CwdRec> cwd_table;
  for (uint32_t i = 1; i < cwds_.size(); ++i) cwd_table.push_back({Fnv1a(cwds_.Text(i)), i, 0});
  std::sort(cwd_table.begin(), cwd_table.end(), [](const CwdRec& a, const CwdRec& b) { return a.hash < b.hash; });

  Header h{};
  std::memcpy(h.magic, kMagic, 8);
  h.endian = kEndianMark;
  h.order = static_cast<uint32_t>(o.order);
  h.decay = o.decay;
  h.escape = o.escape;
  h.base_decay = o.base_decay;
  h.candidates = o.candidates;
  h.features = o.features;
  h.num_cwds = static_cast<uint32_t>(cwd_table.size());
  h.num_commands = nc;
  h.num_rows = num_rows + 1;
  h.num_entries = num_base_entries + num_entries;
  h.watermark_us = watermark_us_;
  h.events = events_;
  h.rows_off = sizeof(Header);
  h.entries_off = h.rows_off + h.num_rows * sizeof(RowRec);
  h.text_off_off = h.entries_off + h.num_entries * sizeof(EntryRec);
  h.text_index_off = h.text_off_off + text_offsets.size() * sizeof(uint64_t);
  h.cwd_off = h.text_index_off + index.size() * sizeof(uint32_t);
  h.text_off = h.cwd_off + cwd_table.size() * sizeof(CwdRec);
  h.file_size = h.text_off + texts.size();
  const ListCalibrator calibrator = FittedCalibrator();
  for (int m = 0; m < 2; ++m) {
    const std::vector<Calibrator::Knot>& knots = (m == 0 ? calibrator.first() : calibrator.rest()).knots();
    if (knots.size() > kMaxKnots || !Calibrator::ValidKnots(knots)) return Status::Aborted("calibration map out of shape");
    h.num_knots[m] = static_cast<uint32_t>(knots.size());
    for (size_t i = 0; i < knots.size(); ++i) h.knot_x[m][i] = knots[i].x, h.knot_y[m][i] = knots[i].y;
  }

  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
  if (!f) return Status::IOError(tmp + ": cannot create: " + std::strerror(errno));
  auto put = [&f](const auto* data, size_t n) {
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof *data));
  };
  auto fail = [&](const std::string& why) {
    f.close();
    ::unlink(tmp.c_str());
    return Status::IOError(tmp + ": " + why);
  };
  // Row 0 is the order-0 row; its entries come first, then the other rows' in visiting order.
  RowRec base{};
  std::vector<EntryRec> base_entries;
  std::vector<RowRec> rows;
  rows.reserve(num_rows);
  uint32_t next_entry = static_cast<uint32_t>(num_base_entries);
  f.seekp(static_cast<std::streamoff>(h.entries_off + num_base_entries * sizeof(EntryRec)));
  std::vector<EntryRec> chunk;  // written in blocks: one stream call per entry costs ~5 % of a rebuild
  chunk.reserve(8192);
  ForEachPpmRow(
      *model_,
      [&](const PpmRowView& v) {
        if (v.slot == o.order + 1) return;
        RowRec r{v.key, 0, 0, static_cast<double>(v.scores->size()), v.n, v.scores->Sum()};
        const size_t limit = limit_of(v);
        r.first = v.slot == 0 ? 0 : next_entry;
        for (const auto& e : v.scores->ranked().entries()) {
          if (r.count >= limit) break;
          const EntryRec rec{e.id, 0, e.val * v.scores->scale()};
          if (v.slot == 0) {
            base_entries.push_back(rec);
          } else {
            chunk.push_back(rec);
            if (chunk.size() == chunk.capacity()) put(chunk.data(), chunk.size()), chunk.clear();
          }
          ++r.count;
        }
        if (v.slot == 0) {
          base = r;
        } else {
          next_entry += r.count;
          rows.push_back(r);
        }
      },
      &o);
  put(chunk.data(), chunk.size());
  if (rows.size() != num_rows || base_entries.size() != num_base_entries ||
      next_entry != num_base_entries + num_entries)
    return fail("the model changed while it was written");
  std::sort(rows.begin(), rows.end(), [](const RowRec& a, const RowRec& b) { return a.key < b.key; });
  f.seekp(0);
  put(&h, 1);
  put(&base, 1);
  put(rows.data(), rows.size());
  put(base_entries.data(), base_entries.size());
  f.seekp(static_cast<std::streamoff>(h.text_off_off));
  put(text_offsets.data(), text_offsets.size());
  put(index.data(), index.size());
  put(cwd_table.data(), cwd_table.size());
  put(texts.data(), texts.size());
  if (!f.flush()) return fail("write failed (disk full?)");
  f.close();
  ::chmod(tmp.c_str(), 0600);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Status::IOError(path + ": rename failed: " + std::strerror(errno));
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::OK();
}

struct IntentSnapshot::Impl {
  MappedFile file;  // replaced by rename, never truncated
  const char* base = nullptr;
  size_t size = 0;
  const Header* h = nullptr;
  const RowRec* rows = nullptr;
  const EntryRec* entries = nullptr;
  const uint64_t* text_offsets = nullptr;
  const uint32_t* index = nullptr;
  const char* cwds = nullptr;  // CwdRec records, 4-byte aligned only (after the uint32 index): read with memcpy
  const char* texts = nullptr;
  ListCalibrator calibrator;

  // A row that Predict can blend: its entries inside the table, its counts finite and its sum
  // positive (a damaged file's NaN or infinite numbers would otherwise reach the probabilities).
  bool RowOk(const RowRec& r) const {
    return static_cast<uint64_t>(r.first) + r.count <= h->num_entries && r.sum > 0 && std::isfinite(r.sum) &&
           r.n >= 0 && std::isfinite(r.n) && r.distinct >= 0 && std::isfinite(r.distinct);
  }
  // Row keys are 64-bit hashes, spread evenly: a row's place is guessed from its key and the
  // range narrowed by interpolation (rows[1..num_rows) are sorted by key). A lookup touches two or
  // three pages of the table, where a binary search touched ~log2(rows / 100); the file is mapped
  // MADV_RANDOM, so each page touched is a page fault. After a few guesses (keys that are not
  // spread evenly, e.g. a damaged file) it finishes with a binary search.
  const RowRec* FindRow(uint64_t key) const {
    if (h->num_rows < 2) return nullptr;
    size_t lo = 1, hi = h->num_rows;          // the row, if any, is in [lo, hi)
    uint64_t key_lo = 0, key_hi = UINT64_MAX;  // bounds of the keys in [lo, hi)
    for (int guess = 0; guess < 4 && hi - lo > 8; ++guess) {
      if (key < key_lo || key > key_hi) return nullptr;
      const unsigned __int128 span = static_cast<unsigned __int128>(key_hi - key_lo) + 1;
      size_t pos = lo + static_cast<size_t>(static_cast<unsigned __int128>(key - key_lo) * (hi - lo) / span);
      const uint64_t k = rows[pos].key;
      if (k == key) return RowOk(rows[pos]) ? rows + pos : nullptr;
      if (k < key) lo = pos + 1, key_lo = k;
      else hi = pos, key_hi = k;
    }
    const RowRec* end = rows + hi;
    const RowRec* it = std::lower_bound(rows + lo, end, key, [](const RowRec& r, uint64_t k) { return r.key < k; });
    return (it != end && it->key == key && RowOk(*it)) ? it : nullptr;
  }
  // The entry's score; 0 when absent, or when damage made it negative, not finite or larger than
  // the row's sum (in a sound file no score exceeds it; the slack covers rounding), so that every
  // probability Predict blends stays within [0, 1].
  static double Score(const EntryRec* e, const RowRec& r, CommandId id) {
    for (uint32_t i = 0; i < r.count; ++i)
      if (e[r.first + i].id == id) {
        const double s = e[r.first + i].score;
        return s > 0 && s - r.sum <= r.sum * 1e-9 ? s : 0;  // false for NaN and inf too (sum is finite)
      }
    return 0;
  }
};

IntentSnapshot::~IntentSnapshot() = default;

Status IntentSnapshot::Open(const std::string& path, std::unique_ptr<IntentSnapshot>* out) {
  std::unique_ptr<IntentSnapshot> s(new IntentSnapshot());
  s->impl_ = std::make_unique<Impl>();
  Impl& m = *s->impl_;
  MEMORY_RETURN_IF_ERROR(m.file.Open(path));
  const size_t size = m.file.data().size();
  auto bad = [&](const char* what) { return Status::Corruption(path + ": " + what); };
  if (size < sizeof(Header)) return bad("too short for an intent snapshot");
  // A prediction reads a handful of rows found by binary search: without read-around, a cold file
  // costs those pages, not a window around each (see bench/results/servespec.md).
  m.file.AdviseRandom();
  m.base = m.file.data().data();
  m.size = size;
  m.h = reinterpret_cast<const Header*>(m.base);
  const Header& h = *m.h;
  if (std::memcmp(h.magic, kMagicPrefix, 6) == 0 && std::memcmp(h.magic, kMagic, 8) != 0)
    return bad("intent snapshot of an older format, written by an older version of memory (a live snapshot is "
               "rebuilt on its own; a registry version is replaced by the next `memory train`)");
  if (std::memcmp(h.magic, kMagic, 8) != 0 || h.endian != kEndianMark) return bad("not an intent snapshot");
  if (!(h.escape >= 0 && std::isfinite(h.escape))) return bad("inconsistent model parameters");
  // Each table fits in the file before any offset is computed from its size (no wrap-around).
  if (h.num_rows > size / sizeof(RowRec) || h.num_entries > size / sizeof(EntryRec) ||
      h.num_commands > size / sizeof(uint64_t) || h.num_cwds > size / sizeof(CwdRec))
    return bad("inconsistent header (truncated or damaged file)");
  if (h.file_size != size || h.num_rows < 1 || h.order > 8 || h.rows_off != sizeof(Header) ||
      h.entries_off != h.rows_off + h.num_rows * sizeof(RowRec) ||
      h.text_off_off != h.entries_off + h.num_entries * sizeof(EntryRec) ||
      h.text_index_off != h.text_off_off + (2ull * h.num_commands + 1) * sizeof(uint64_t) ||
      h.cwd_off != h.text_index_off + static_cast<uint64_t>(h.num_commands) * sizeof(uint32_t) ||
      h.text_off != h.cwd_off + static_cast<uint64_t>(h.num_cwds) * sizeof(CwdRec) ||
      h.text_off > size)
    return bad("inconsistent header (truncated or damaged file)");
  m.rows = reinterpret_cast<const RowRec*>(m.base + h.rows_off);
  m.entries = reinterpret_cast<const EntryRec*>(m.base + h.entries_off);
  m.text_offsets = reinterpret_cast<const uint64_t*>(m.base + h.text_off_off);
  m.index = reinterpret_cast<const uint32_t*>(m.base + h.text_index_off);
  m.cwds = m.base + h.cwd_off;
  m.texts = m.base + h.text_off;
  Calibrator maps[2];
  for (int c = 0; c < 2; ++c) {
    if (h.num_knots[c] < 2 || h.num_knots[c] > kMaxKnots) return bad("inconsistent calibration map");
    std::vector<Calibrator::Knot> knots(h.num_knots[c]);
    for (uint32_t i = 0; i < h.num_knots[c]; ++i) knots[i] = {h.knot_x[c][i], h.knot_y[c][i]};
    if (!Calibrator::ValidKnots(knots)) return bad("inconsistent calibration map");
    maps[c] = Calibrator::FromKnots(std::move(knots));
  }
  m.calibrator = ListCalibrator(std::move(maps[0]), std::move(maps[1]));
  // Rows, entries and texts are checked when used (Open must not touch every page of the file).
  *out = std::move(s);
  return Status::OK();
}

int64_t IntentSnapshot::watermark_us() const { return impl_->h->watermark_us; }
int64_t IntentSnapshot::events() const { return impl_->h->events; }
const ListCalibrator& IntentSnapshot::calibrator() const { return impl_->calibrator; }
size_t IntentSnapshot::commands() const { return impl_->h->num_commands; }
std::string IntentSnapshot::model() const {
  const Header& h = *impl_->h;
  return "ppm(order=" + std::to_string(h.order) + ",decay=" + FormatNumber(h.decay) + ",escape=" +
         FormatNumber(h.escape) + ",base_decay=" + FormatNumber(h.base_decay) +
         ",candidates=" + std::to_string(h.candidates) + ",skip=0,features=" + std::to_string(h.features) + ")";
}

namespace {
// Text i of the offsets table, empty when the offsets are damaged.
std::string_view TextAt(const uint64_t* offsets, const char* texts, uint64_t text_size, uint64_t i) {
  uint64_t a = offsets[i], b = offsets[i + 1];
  if (a > b || b > text_size) return {};
  return std::string_view(texts + a, b - a);
}
}  // namespace

uint32_t IntentSnapshot::FindCwd(std::string_view cwd) const {
  if (cwd.empty()) return 0;
  const uint64_t hash = Fnv1a(cwd);
  auto at = [&](size_t i) {
    CwdRec r;
    std::memcpy(&r, impl_->cwds + i * sizeof(CwdRec), sizeof r);
    return r;
  };
  size_t lo = 0, hi = impl_->h->num_cwds;  // the first record whose hash is >= hash
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (at(mid).hash < hash) lo = mid + 1;
    else hi = mid;
  }
  if (lo == impl_->h->num_cwds) return 0;
  const CwdRec r = at(lo);
  return r.hash == hash ? r.id : 0;
}

std::string_view IntentSnapshot::TemplateText(CommandId id) const {
  if (id >= impl_->h->num_commands) return {};
  return TextAt(impl_->text_offsets, impl_->texts, impl_->size - impl_->h->text_off, 2ull * id);
}
std::string_view IntentSnapshot::DisplayText(CommandId id) const {
  if (id >= impl_->h->num_commands) return {};
  return TextAt(impl_->text_offsets, impl_->texts, impl_->size - impl_->h->text_off, 2ull * id + 1);
}

CommandId IntentSnapshot::Find(std::string_view t) const {
  const uint32_t* lo = impl_->index;
  const uint32_t* hi = lo + impl_->h->num_commands;
  const uint32_t* it = std::lower_bound(lo, hi, t, [&](uint32_t id, std::string_view k) { return TemplateText(id) < k; });
  return (it != hi && *it < impl_->h->num_commands && TemplateText(*it) == t) ? *it : kNoCommand;
}

uint64_t IntentSnapshot::SessionRow(const Context& ctx) const {
  return impl_->h->features >= 2 ? SessionKey(ctx) : 0;
}

void IntentSnapshot::Predict(const Context& ctx, size_t k, std::vector<Prediction>* out,
                             std::vector<int>* order_used) const {
  out->clear();
  if (order_used) order_used->clear();
  const Impl& m = *impl_;
  const Header& h = *m.h;
  const RowRec& base = m.rows[0];
  if (base.count == 0 || base.sum <= 0 || !m.RowOk(base)) return;
  struct Active { const RowRec* row; double lambda; int order; };
  std::vector<Active> active;
  int n = std::min<int>(static_cast<int>(h.order), static_cast<int>(ctx.history.size()));
  auto add = [&](uint64_t key, int order) {
    const RowRec* r = m.FindRow(key);
    if (r == nullptr || !(r->n > 0)) return;  // every stored context row was seen (n >= 1)
    active.push_back({r, r->n / (r->n + h.escape * r->distinct), order});
  };
  // Same rows in the same order as the "ppm" model (features: an agent's step first, then cwd,
  // exit after order 1, a session start last).
  const uint64_t session_key = h.features >= 2 ? SessionKey(ctx) : 0;
  const bool session_first = session_key != 0 && !IsSessionStart(ctx);
  if (session_first) add(session_key, kSessionOrder);
  if (h.features && ctx.cwd != 0) add(CwdKey(ctx), -1);
  uint64_t key = kContextKeySeed;
  for (int j = 1; j <= n; ++j) {
    if (ctx.prev(j) == kNoCommand) break;  // unknown command: longer contexts cannot exist
    key = NextContextKey(key, ctx.prev(j));
    add(key, j);
    if (j == 1 && h.features && ctx.has_last_exit) add(ExitKey(ctx), 1);
  }
  if (session_key != 0 && !session_first) add(session_key, kSessionOrder);
  std::vector<CommandId> cands;
  auto take = [&](const RowRec& r) {
    for (uint32_t i = 0; i < r.count && static_cast<int>(i) < h.candidates; ++i) {
      CommandId c = m.entries[r.first + i].id;
      if (c >= h.num_commands) continue;  // damaged entry
      if (std::find(cands.begin(), cands.end(), c) == cands.end()) cands.push_back(c);
    }
  };
  for (size_t a = active.size(); a-- > 0;) take(*active[a].row);
  take(base);
  std::vector<std::pair<Prediction, int>> scored;
  const double base_inv = 1.0 / base.sum;
  for (CommandId c : cands) {
    double p = Impl::Score(m.entries, base, c) * base_inv;
    int used = 0;
    for (const Active& a : active) {
      double s = Impl::Score(m.entries, *a.row, c);
      if (s > 0) used = a.order;
      p = a.lambda * s * (1.0 / a.row->sum) + (1 - a.lambda) * p;
    }
    if (!(p >= 0 && p <= 1 + 1e-9)) continue;  // damage Score cannot see (a row sum near 0)
    scored.push_back({{c, p}, used});
  }
  size_t keep = std::min(k, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + keep, scored.end(),
                    [](const auto& a, const auto& b) { return a.first.prob > b.first.prob; });
  for (size_t i = 0; i < keep; ++i) {
    out->push_back(scored[i].first);
    if (order_used) order_used->push_back(scored[i].second);
  }
}

}  // namespace memory::learner
