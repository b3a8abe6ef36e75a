// The adapter of intent_prefetch.h: learner next-command models as cache next-access models.
#include "cli/intent_prefetch.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cache/prefetch.h"
#include "env/cache_trace.h"
#include "learner/gru.h"
#include "learner/model.h"
#include "learner/vocabulary.h"

namespace memory::cli {
namespace {

using cache::Key;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The key a network token stands for: a decimal number (optionally negative, sign-extended as
// the binary trace readers do) is that key, any other text the key a `lines` trace gives it.
Key KeyOfText(const std::string& text) {
  size_t i = !text.empty() && text[0] == '-' ? 1 : 0;
  bool digits = text.size() > i && text.size() - i <= 20;
  for (size_t j = i; digits && j < text.size(); ++j) digits = text[j] >= '0' && text[j] <= '9';
  if (digits) {
    errno = 0;
    char* end = nullptr;
    Key k = i ? static_cast<Key>(std::strtoll(text.c_str(), &end, 10))
              : static_cast<Key>(std::strtoull(text.c_str(), &end, 10));
    if (errno == 0 && end == text.c_str() + text.size()) return k;
  }
  return env::TraceKeyOfString(text);
}

struct AdapterSpec {
  bool neural = false;
  std::string model;  // learner::NewModel spec
  std::string path;   // GRU weights (neural, or intent(gru(path=...)))
  double threshold = 0.2;
  size_t degree = 1;
};

Status Bad(std::string_view spec, const std::string& why) {
  return Status::InvalidArgument("prefetch model '" + std::string(spec) + "': " + why);
}

Status ParseNumber(std::string_view spec, std::string_view key, std::string_view v, double lo,
                   double hi, double* out) {
  std::string s(Trim(v));
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || errno || end != s.c_str() + s.size() || !(d >= lo && d <= hi))
    return Bad(spec, std::string(key) + " must be a number in [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "], not '" + s + "'");
  *out = d;
  return Status::OK();
}

// The value of "path=..." inside a gru(...) model spec, or "".
std::string GruPath(std::string_view model) {
  if (Trim(model.substr(0, model.find('('))) != "gru") return "";
  size_t p = model.find("path=");
  if (p == std::string_view::npos) return "";
  std::string_view rest = model.substr(p + 5);
  size_t end = rest.find_first_of(",)");
  return std::string(Trim(rest.substr(0, end)));
}

Status ParseAdapterSpec(std::string_view spec, AdapterSpec* out) {
  std::string_view t = Trim(spec);
  size_t open = t.find('(');
  std::string_view name = Trim(t.substr(0, open));
  out->neural = name == "neural";
  if (open == std::string_view::npos || t.back() != ')')
    return Bad(spec, out->neural ? "expected neural(path=FILE[,threshold=T][,degree=D])"
                                 : "expected intent(MODEL[,threshold=T][,degree=D]), e.g. "
                                   "intent(ppm(order=3))");
  std::string_view body = t.substr(open + 1, t.size() - open - 2);
  // Split at top-level commas (model specs have their own parentheses and commas).
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= body.size(); ++i) {
    if (i == body.size() || (body[i] == ',' && depth == 0)) {
      parts.push_back(Trim(body.substr(start, i - start)));
      start = i + 1;
    } else if (body[i] == '(') {
      ++depth;
    } else if (body[i] == ')') {
      if (--depth < 0) return Bad(spec, "unbalanced parentheses");
    }
  }
  if (depth != 0) return Bad(spec, "unbalanced parentheses");
  for (std::string_view part : parts) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    size_t paren = part.find('(');
    std::string_view key = eq < paren ? Trim(part.substr(0, eq)) : std::string_view();
    std::string_view value = eq < paren ? part.substr(eq + 1) : part;
    if (key == "threshold") {
      MEMORY_RETURN_IF_ERROR(ParseNumber(spec, key, value, 0, 1, &out->threshold));
    } else if (key == "degree") {
      double d = 1;
      MEMORY_RETURN_IF_ERROR(ParseNumber(spec, key, value, 1, 16, &d));
      out->degree = static_cast<size_t>(d);
    } else if (out->neural && key == "path") {
      out->path = std::string(Trim(value));
      if (out->path.empty()) return Bad(spec, "path= needs the GRU weights file of memory-train");
    } else if (out->neural || !out->model.empty()) {
      return Bad(spec, "unknown parameter '" + std::string(part) + "'");
    } else {
      out->model = std::string(part);
    }
  }
  if (out->neural) {
    if (out->path.empty())
      return Bad(spec, "needs path=FILE, the GRU weights file written by memory-train");
    out->model = "gru(path=" + out->path + ")";
  } else {
    if (out->model.empty())
      return Bad(spec, "needs a next-command model, e.g. intent(ppm(order=3)) or intent(best)");
    out->path = GruPath(out->model);
  }
  return Status::OK();
}

Status LoadWeights(std::string_view spec, const std::string& path, learner::GruWeights* w) {
  Status s = learner::GruWeights::Load(path, w);
  if (s.ok()) return s;
  // A missing or damaged file is bad input to this command: exit 2, naming the file.
  if (s.IsNotFound()) return Bad(spec, "GRU weights " + path + " not found");
  return Bad(spec, s.ToString());
}

class IntentPredictor final : public cache::Predictor {
 public:
  IntentPredictor(const AdapterSpec& spec, std::unique_ptr<learner::NextCommandModel> model,
                  const std::vector<std::string>* network_texts)
      : Predictor(spec.threshold, spec.degree), neural_(spec.neural), path_(spec.path),
        model_(std::move(model)) {
    // Every token of the network gets an id up front, so the network can predict a key before
    // the trace has shown it (token 0 is <unk> and stays out).
    if (network_texts != nullptr)
      for (size_t t = 1; t < network_texts->size(); ++t) {
        const std::string& text = (*network_texts)[t];
        Key k = KeyOfText(text);
        if (ids_.count(k)) continue;
        learner::CommandId id = vocab_.Intern(text);
        ids_.emplace(k, id);
        if (keys_.size() <= id) keys_.resize(id + 1);
        keys_[id] = k;
      }
    model_->SetVocabulary(&vocab_);
  }

  std::string Name() const override {
    char params[96];
    std::snprintf(params, sizeof params, "threshold=%g,degree=%zu", threshold_, degree_);
    if (neural_) return "neural(path=" + path_ + "," + params + ")";
    return "intent(" + model_->Name() + "," + params + ")";
  }

  bool TrainedBeforehand() const override { return !path_.empty(); }  // a GRU weights file

  void Observe(Key key) override {
    auto [it, added] = ids_.try_emplace(key, learner::kNoCommand);
    if (added) {
      it->second = vocab_.Intern(std::to_string(key));
      if (keys_.size() <= it->second) keys_.resize(it->second + 1);
      keys_[it->second] = key;
    }
    learner::Context ctx = MakeContext();
    model_->Learn(ctx, it->second);
    if (history_.size() >= kMaxHistory)  // keep the recent part; models look back a few steps
      history_.erase(history_.begin(), history_.end() - kKeepHistory);
    history_.push_back(it->second);
    ++seen_;
  }

  void Predict(size_t max, std::vector<cache::Prediction>* out) const override {
    out->clear();
    learner::Context ctx = MakeContext();
    model_->Predict(ctx, max, &guesses_);
    for (const learner::Prediction& p : guesses_)
      if (p.prob >= threshold_ && p.command < keys_.size())
        out->push_back({keys_[p.command], p.prob});
  }

 private:
  static constexpr size_t kMaxHistory = 8192, kKeepHistory = 256;
  learner::Context MakeContext() const {
    learner::Context ctx;
    ctx.history = history_;
    ctx.position = static_cast<uint32_t>(seen_);
    return ctx;
  }

  bool neural_;
  std::string path_;
  std::unique_ptr<learner::NextCommandModel> model_;  // Predict is non-const in learner
  learner::Vocabulary vocab_;
  std::unordered_map<Key, learner::CommandId> ids_;
  std::vector<Key> keys_;  // id -> key
  std::vector<learner::CommandId> history_;
  size_t seen_ = 0;
  mutable std::vector<learner::Prediction> guesses_;
};

Status NewIntentPredictor(std::string_view spec, std::unique_ptr<cache::Predictor>* out) {
  AdapterSpec a;
  MEMORY_RETURN_IF_ERROR(ParseAdapterSpec(spec, &a));
  learner::GruWeights weights;
  if (!a.path.empty()) MEMORY_RETURN_IF_ERROR(LoadWeights(spec, a.path, &weights));
  std::unique_ptr<learner::NextCommandModel> model;
  Status s = learner::NewModel(a.model, &model);
  if (!s.ok()) return Bad(spec, s.ToString());
  *out = std::make_unique<IntentPredictor>(a, std::move(model),
                                           a.path.empty() ? nullptr : &weights.texts);
  return Status::OK();
}

}  // namespace

void RegisterIntentPredictors() {
  static std::once_flag once;
  std::call_once(once, [] {
    cache::RegisterPredictorFactory("intent", NewIntentPredictor);
    cache::RegisterPredictorFactory("neural", NewIntentPredictor);
  });
}

Status CountUnknownKeys(std::string_view spec, std::span<const uint64_t> keys, bool* applies,
                        size_t* unknown, size_t* vocab) {
  *applies = false;
  *unknown = *vocab = 0;
  std::string_view name = Trim(spec.substr(0, spec.find('(')));
  if (name != "neural" && name != "intent") return Status::OK();
  AdapterSpec a;
  MEMORY_RETURN_IF_ERROR(ParseAdapterSpec(spec, &a));
  if (a.path.empty()) return Status::OK();
  learner::GruWeights w;
  MEMORY_RETURN_IF_ERROR(LoadWeights(spec, a.path, &w));
  std::unordered_set<Key> known;
  for (size_t t = 1; t < w.texts.size(); ++t) known.insert(KeyOfText(w.texts[t]));
  std::unordered_set<Key> missing;
  for (uint64_t k : keys)
    if (!known.count(k)) missing.insert(k);
  *applies = true;
  *unknown = missing.size();
  *vocab = w.texts.empty() ? 0 : w.texts.size() - 1;
  return Status::OK();
}

}  // namespace memory::cli
