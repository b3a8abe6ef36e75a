// "gru(path=FILE)": the GRU network of gru.h as a next-command model. It is a population model
// trained offline by memory-train: Learn() only advances its hidden state along the stream (reset
// at the start of each stream), it does not change weights. Combine it with count models in a
// mixture to adapt to a user.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>

#include "learner/builtin_models.h"
#include "learner/gru.h"
#include "learner/vocabulary.h"

namespace memory::learner {
namespace {

class GruModel final : public NextCommandModel {
 public:
  GruModel(std::string path, std::shared_ptr<const GruNet> net)
      : path_(std::move(path)), net_(std::move(net)), h_(net_->Zero()) {}

  void SetVocabulary(const Vocabulary* vocab) override {
    vocab_ = vocab;
    id_to_token_.clear();
    token_to_id_.assign(net_->weights().vocab, kUnmapped);
  }

  void Predict(const Context& ctx, size_t k, std::vector<Prediction>* out) override {
    out->clear();
    if (vocab_ == nullptr) return;
    net_->Logits(ctx.history.empty() ? net_->Zero() : h_, &logits_);
    const float mx = logits_.maxCoeff();
    double z = 0;
    for (Eigen::Index i = 0; i < logits_.size(); ++i) z += std::exp(static_cast<double>(logits_[i] - mx));
    // Best k tokens that name a known command (token 0 is <unk>).
    order_.clear();
    for (int32_t t = 1; t < static_cast<int32_t>(logits_.size()); ++t) order_.push_back(t);
    size_t want = std::min(order_.size(), k + 8);
    std::partial_sort(order_.begin(), order_.begin() + want, order_.end(),
                      [&](int32_t a, int32_t b) { return logits_[a] > logits_[b]; });
    for (size_t i = 0; i < want && out->size() < k; ++i) {
      CommandId id = IdOf(order_[i]);
      if (id == kNoCommand) continue;
      out->push_back({id, std::exp(static_cast<double>(logits_[order_[i]] - mx)) / z});
    }
  }

  void Learn(const Context& ctx, CommandId actual) override {
    if (ctx.history.empty()) h_ = net_->Zero();
    net_->Step(TokenOf(actual), &h_);
  }

  std::string Name() const override { return "gru(path=" + path_ + ")"; }
  std::unique_ptr<NextCommandModel> Clone() const override { return std::make_unique<GruModel>(*this); }

 private:
  static constexpr CommandId kUnmapped = kNoCommand - 1;
  int32_t TokenOf(CommandId id) {
    if (vocab_ == nullptr) return 0;
    if (id >= id_to_token_.size()) id_to_token_.resize(id + 1, -1);
    if (id_to_token_[id] < 0) id_to_token_[id] = net_->Token(vocab_->Text(id));
    return id_to_token_[id];
  }
  CommandId IdOf(int32_t token) {
    CommandId& c = token_to_id_[token];
    if (c == kUnmapped) c = vocab_->Find(net_->weights().texts[token]);
    return c;
  }

  std::string path_;
  std::shared_ptr<const GruNet> net_;
  Eigen::VectorXf h_;
  const Vocabulary* vocab_ = nullptr;
  std::vector<int32_t> id_to_token_;
  std::vector<CommandId> token_to_id_;
  Eigen::VectorXf logits_;
  std::vector<int32_t> order_;
};

}  // namespace

Status NewGruModel(const std::string& path, std::unique_ptr<NextCommandModel>* out) {
  // Weight files are loaded once per process and shared by every copy of the model.
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const GruNet>> cache;
  std::shared_ptr<const GruNet> net;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(path);
    if (it != cache.end()) net = it->second;
  }
  if (!net) {
    GruWeights w;
    MEMORY_RETURN_IF_ERROR(GruWeights::Load(path, &w));
    net = std::make_shared<const GruNet>(std::move(w));
    std::lock_guard<std::mutex> lock(mu);
    cache.emplace(path, net);
  }
  *out = std::make_unique<GruModel>(path, std::move(net));
  return Status::OK();
}

}  // namespace memory::learner
