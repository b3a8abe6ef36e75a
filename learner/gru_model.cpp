// "gru(path=FILE)": the GRU network of gru.h as a next-command model. It is a population model
// trained offline by memory-train: Learn() only advances its hidden state along the stream (reset
// at the start of each stream), it does not change weights. Combine it with count models in a
// mixture to adapt to a user.
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
      : path_(std::move(path)), net_(std::move(net)), h_(net_->Zero()), zero_(net_->Zero()) {}

  void SetVocabulary(const Vocabulary* vocab) override {
    vocab_ = vocab;
    id_to_token_.clear();
    token_to_id_.assign(net_->weights().vocab, kUnmapped);
  }

  void Predict(const Context& ctx, size_t k, std::vector<Prediction>* out) override {
    out->clear();
    if (vocab_ == nullptr) return;
    // The best k + 8 tokens: some may name commands this user never ran (skipped).
    net_->Top(ctx.history.empty() ? zero_ : h_, k + 8, &logits_, &top_);
    for (const auto& [token, prob] : top_) {
      if (out->size() == k) break;
      CommandId id = IdOf(token);
      if (id != kNoCommand) out->push_back({id, prob});
    }
  }

  void Learn(const Context& ctx, CommandId actual) override {
    if (ctx.history.empty()) h_ = zero_;
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
  Eigen::VectorXf zero_;  // the state at a stream's start
  const Vocabulary* vocab_ = nullptr;
  std::vector<int32_t> id_to_token_;
  std::vector<CommandId> token_to_id_;
  Eigen::VectorXf logits_;                       // scratch of Predict
  std::vector<std::pair<int32_t, double>> top_;  // scratch of Predict
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
