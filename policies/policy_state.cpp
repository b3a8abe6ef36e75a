// Save / load of learned policy state (Policy::Save, LoadPolicy, and every learner's and
// explorer's SaveState / LoadState).
//
// File layout (format 1):
//   "MEMPOLCY"  u32 format  string spec  u64 rng state  explorer state  learner state  u64 FNV-1a
// The checksum covers every byte before it.
#include <algorithm>
#include <cstring>

#include "policies/explorers.h"
#include "policies/learners.h"
#include "policies/policy.h"
#include "policies/state_io.h"

namespace memory::policies {
namespace {
constexpr char kMagic[8] = {'M', 'E', 'M', 'P', 'O', 'L', 'C', 'Y'};

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}
}  // namespace

// ---- defaults -------------------------------------------------------------------------------
Status Learner::SaveState(StateWriter&) const {
  return Status::Unsupported("learner " + Spec() + " cannot be saved");
}
bool Learner::LoadState(StateReader& r) { return r.Fail(); }
Status Explorer::SaveState(StateWriter&) const { return Status::OK(); }
bool Explorer::LoadState(StateReader&, const Learner&) { return true; }

// ---- pieces ---------------------------------------------------------------------------------
void OnlineStandardizer::Save(StateWriter& w) const {
  w.PutVector(mean_);
  w.PutVector(m2_);
  w.PutVector(count_);
}

bool OnlineStandardizer::Load(StateReader& r) {
  if (!r.GetVector(&mean_) || !r.GetVector(&m2_) || !r.GetVector(&count_)) return false;
  if (m2_.size() != mean_.size() || count_.size() != mean_.size() || mean_.size() > kMaxDense) return r.Fail();
  return true;
}

// ---- linear: only the slots that ever changed ----------------------------------------------
Status LinearLearner::SaveState(StateWriter& w) const {
  standardizer_.Save(w);
  w.Put(norm_sum_);
  w.Put(norm_count_);
  uint64_t used = 0;
  for (size_t i = 0; i < w_.size(); ++i)
    used += w_[i] != 0 || state_[i].g2 != 0 || state_[i].scale != 0 || state_[i].seen != 0;
  w.Put(used);
  for (size_t i = 0; i < w_.size(); ++i) {
    const SlotState& st = state_[i];
    if (w_[i] == 0 && st.g2 == 0 && st.scale == 0 && st.seen == 0) continue;
    w.Put(static_cast<uint32_t>(i));
    w.Put(w_[i]);
    w.Put(st);
  }
  return Status::OK();
}

bool LinearLearner::LoadState(StateReader& r) {
  uint64_t used;
  if (!standardizer_.Load(r) || !r.Get(&norm_sum_) || !r.Get(&norm_count_) || !r.Get(&used)) return false;
  if (used > w_.size()) return r.Fail();
  for (uint64_t k = 0; k < used; ++k) {
    uint32_t i;
    if (!r.Get(&i)) return false;
    if (i >= w_.size()) return r.Fail();
    if (!r.Get(&w_[i]) || !r.Get(&state_[i])) return false;
  }
  cache_valid_ = false;
  return true;
}

// ---- ridge ---------------------------------------------------------------------------------
Status RidgeLearner::SaveState(StateWriter& w) const {
  w.Put<int32_t>(dim_);
  w.Put<int32_t>(inputs_);
  standardizer_.Save(w);
  w.Put<uint64_t>(by_id_.size());
  for (const Model& m : by_id_) {
    w.PutVectorXd(m.b);
    w.PutVectorXd(m.theta);
  }
  w.PutMatrix(ainv_by_id_);
  w.Put<uint64_t>(by_key_.size());
  for (const auto& [key, m] : by_key_) {
    w.Put(key);
    w.PutMatrix(m.ainv);
    w.PutVectorXd(m.b);
    w.PutVectorXd(m.theta);
  }
  return Status::OK();
}

bool RidgeLearner::LoadState(StateReader& r) {
  int32_t dim, inputs;
  uint64_t ids, keys;
  if (!r.Get(&dim) || !r.Get(&inputs) || !standardizer_.Load(r) || !r.Get(&ids)) return false;
  if (dim < -1 || dim == 0 || dim > (1 << 20) || inputs < 0 || (dim > 0 && inputs >= dim) || (dim < 0 && inputs != 0) ||
      ids > r.Remaining())
    return r.Fail();
  dim_ = dim;
  inputs_ = inputs;
  by_id_.resize(ids);
  auto sized = [&](const Eigen::VectorXd& v) { return v.size() == std::max(dim_, 0); };
  for (Model& m : by_id_)
    if (!r.GetVectorXd(&m.b) || !r.GetVectorXd(&m.theta) || !sized(m.b) || !sized(m.theta)) return r.Fail();
  if (!r.GetMatrix(&ainv_by_id_)) return false;
  if (ids > 0 && (ainv_by_id_.rows() != dim_ || ainv_by_id_.cols() != static_cast<Eigen::Index>(ids) * dim_))
    return r.Fail();
  if (!r.Get(&keys) || keys > r.Remaining()) return r.Fail();
  by_key_.resize(keys);
  for (auto& [key, m] : by_key_) {
    if (!r.Get(&key) || !r.GetMatrix(&m.ainv) || !r.GetVectorXd(&m.b) || !r.GetVectorXd(&m.theta)) return r.Fail();
    if (m.ainv.rows() != dim_ || m.ainv.cols() != dim_ || !sized(m.b) || !sized(m.theta)) return r.Fail();
  }
  cache_valid_ = false;
  return true;
}

// ---- auto: which model it chose, then that model ------------------------------------------
Status AutoLearner::SaveState(StateWriter& w) const {
  if (!chosen_) {
    w.Put<uint8_t>(0);
    return Status::OK();
  }
  if (auto* ridge = dynamic_cast<const RidgeLearner*>(chosen_.get())) {
    w.Put<uint8_t>(1);
    w.PutString(ridge->Spec());  // carries the quadratic choice
  } else {
    w.Put<uint8_t>(2);
  }
  return chosen_->SaveState(w);
}

bool AutoLearner::LoadState(StateReader& r) {
  uint8_t kind;
  if (!r.Get(&kind)) return false;
  if (kind == 0) {
    chosen_.reset();
    return true;
  }
  if (kind == 1) {
    std::string spec;
    if (!r.GetString(&spec)) return false;
    RidgeOptions o = ridge_;
    if (spec.find("quadratic=1") != std::string::npos) o.quadratic = true;
    else if (spec.find("quadratic=0") != std::string::npos) o.quadratic = false;
    else return r.Fail();
    chosen_ = std::make_unique<RidgeLearner>(o);
  } else if (kind == 2) {
    chosen_ = std::make_unique<LinearLearner>(linear_);
  } else {
    return r.Fail();
  }
  return chosen_->LoadState(r);
}

// ---- mlp -----------------------------------------------------------------------------------
namespace {
struct SparseRow {
  uint32_t key;
  int32_t row;
};

void SaveTable(const MlpLearner::Table& t, StateWriter& w) {
  w.Put<int32_t>(t.width);
  w.Put<int32_t>(t.rows);
  w.PutVector(t.w);
  w.PutVector(t.m);
  w.PutVector(t.v);
  w.PutVector(t.seen);
  w.PutVector(t.dense);
  std::vector<SparseRow> sparse;
  for (const auto& [key, row] : t.sparse) sparse.push_back({key, row});
  std::sort(sparse.begin(), sparse.end(), [](const SparseRow& a, const SparseRow& b) { return a.key < b.key; });
  w.PutVector(sparse);
}

bool LoadTable(MlpLearner::Table* t, StateReader& r) {
  int32_t width, rows;
  std::vector<SparseRow> sparse;
  if (!r.Get(&width) || !r.Get(&rows) || !r.GetVector(&t->w) || !r.GetVector(&t->m) || !r.GetVector(&t->v) ||
      !r.GetVector(&t->seen) || !r.GetVector(&t->dense) || !r.GetVector(&sparse))
    return false;
  const size_t n = static_cast<size_t>(std::max(rows, 0)) * static_cast<size_t>(std::max(width, 0));
  if (width != t->width || rows < 0 || t->w.size() != n || t->m.size() != n || t->v.size() != n || t->seen.size() != n)
    return r.Fail();
  for (int row : t->dense)
    if (row < -1 || row >= rows) return r.Fail();
  t->sparse.clear();
  for (auto [key, row] : sparse) {
    if (row < -1 || row >= rows) return r.Fail();
    t->sparse[key] = row;
  }
  t->rows = rows;
  return true;
}
}  // namespace

Status MlpLearner::SaveState(StateWriter& w) const {
  standardizer_.Save(w);
  SaveTable(in_, w);
  SaveTable(out_, w);
  w.Put(step_);
  w.Put(version_);
  w.Put<int32_t>(base_only_);
  w.Put<uint8_t>(base_ ? 1 : 0);
  if (base_) return base_->SaveState(w);
  return Status::OK();
}

bool MlpLearner::LoadState(StateReader& r) {
  int32_t base_only;
  uint8_t has_base;
  if (!standardizer_.Load(r) || !LoadTable(&in_, r) || !LoadTable(&out_, r) || !r.Get(&step_) || !r.Get(&version_) ||
      !r.Get(&base_only) || !r.Get(&has_base))
    return false;
  if (base_only < -1 || base_only > 1 || (has_base != 0) != (base_ != nullptr)) return r.Fail();
  base_only_ = base_only;
  cache_valid_ = false;
  base_valid_ = false;
  forward_version_ = ~0ull;
  return !base_ || base_->LoadState(r);
}

// ---- explorers -----------------------------------------------------------------------------
Status ScoreExplorer::SaveState(StateWriter& w) const {
  w.Put(rounds_);
  return Status::OK();
}
bool ScoreExplorer::LoadState(StateReader& r, const Learner&) { return r.Get(&rounds_); }

Status BagExplorer::SaveState(StateWriter& w) const {
  w.Put<uint64_t>(extra_.size());
  for (const auto& l : extra_) MEMORY_RETURN_IF_ERROR(l->SaveState(w));
  return Status::OK();
}

bool BagExplorer::LoadState(StateReader& r, const Learner& main) {
  uint64_t n;
  if (!r.Get(&n) || n > static_cast<uint64_t>(std::max<long>(n_ - 1, 0))) return r.Fail();
  extra_.clear();
  for (uint64_t i = 0; i < n; ++i) {
    extra_.push_back(main.CloneFresh());
    if (!extra_.back()->LoadState(r)) return r.Fail();
  }
  return true;
}

Status CoverExplorer::SaveState(StateWriter& w) const {
  w.Put(rounds_);
  w.Put<uint64_t>(cover_.size());
  for (const auto& l : cover_) MEMORY_RETURN_IF_ERROR(l->SaveState(w));
  return Status::OK();
}

bool CoverExplorer::LoadState(StateReader& r, const Learner& main) {
  uint64_t n;
  if (!r.Get(&rounds_) || !r.Get(&n) || n > static_cast<uint64_t>(n_)) return r.Fail();
  cover_.clear();
  for (uint64_t i = 0; i < n; ++i) {
    cover_.push_back(main.CloneFresh());
    if (!cover_.back()->LoadState(r)) return r.Fail();
  }
  cached_context_ = nullptr;
  return true;
}

// ---- the policy ----------------------------------------------------------------------------
Status Policy::Save(std::string* out) const {
  StateWriter w;
  w.buffer().append(kMagic, sizeof kMagic);
  w.Put<uint32_t>(kPolicyStateFormat);
  w.PutString(Spec());
  w.Put<uint64_t>(rng_.state());
  MEMORY_RETURN_IF_ERROR(explorer_->SaveState(w));
  MEMORY_RETURN_IF_ERROR(learner_->SaveState(w));
  w.Put<uint64_t>(Fnv1a(w.buffer()));
  out->append(w.buffer());
  return Status::OK();
}

Status LoadPolicy(std::string_view bytes, const std::string& name, std::unique_ptr<Policy>* out) {
  if (bytes.size() < sizeof kMagic + 4 + 8 || std::string_view(bytes.data(), sizeof kMagic) != std::string_view(kMagic, sizeof kMagic))
    return Status::Corruption(name + ": not a saved policy (bad magic)");
  StateReader header(bytes.substr(sizeof kMagic));
  uint32_t format = 0;
  header.Get(&format);
  if (format != kPolicyStateFormat)
    return Status::Unsupported(name + ": saved policy format " + std::to_string(format) + " (this build reads " +
                               std::to_string(kPolicyStateFormat) + ")");
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  uint64_t sum;
  std::memcpy(&sum, bytes.data() + body.size(), sizeof sum);
  if (sum != Fnv1a(body)) return Status::Corruption(name + ": checksum mismatch (truncated or corrupt)");
  StateReader r(body.substr(sizeof kMagic + 4));
  std::string spec;
  uint64_t rng_state;
  if (!r.GetString(&spec) || !r.Get(&rng_state)) return Status::Corruption(name + ": truncated header");
  std::unique_ptr<Policy> p;
  Status s = MakePolicy(spec, 0, &p);
  if (!s.ok()) return Status::InvalidArgument(name + ": saved spec '" + spec + "' is not a policy of this build: " + s.message());
  if (p->Spec() != spec) return Status::Unsupported(name + ": saved spec '" + spec + "' reads back as '" + p->Spec() + "'");
  p->rng_.set_state(rng_state);
  if (!p->explorer_->LoadState(r, *p->learner_)) return Status::Corruption(name + ": malformed explorer state");
  if (!p->learner_->LoadState(r)) return Status::Corruption(name + ": malformed learner state");
  if (r.Remaining() != 0) return Status::Corruption(name + ": " + std::to_string(r.Remaining()) + " unexpected trailing bytes");
  *out = std::move(p);
  return Status::OK();
}

}  // namespace memory::policies
