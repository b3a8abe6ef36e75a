// A GRU next-command network served without LibTorch: the weights that `memory-train` exports
// (learner/torch/) are loaded into Eigen and run one step per command.
//
// Network: token embedding (V x E) -> one GRU layer (hidden H, PyTorch's gate equations and
// weight layout: rows ordered r, z, n) -> linear layer to V logits. Token 0 is "<unk>".
//
// File: "MEMGRU01", uint32 V, E, H, then float32 arrays embedding[V*E], w_ih[3H*E], w_hh[3H*H],
// b_ih[3H], b_hh[3H], out_w[V*H], out_b[V] (all row-major), then V texts (uint32 length + bytes).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "store/status.h"

namespace memory::learner {

struct GruWeights {
  uint32_t vocab = 0, embed = 0, hidden = 0;
  std::vector<float> embedding, w_ih, w_hh, b_ih, b_hh, out_w, out_b;
  std::vector<std::string> texts;  // token -> command text (texts[0] = "<unk>")

  Status Save(const std::string& path) const;
  static Status Load(const std::string& path, GruWeights* out);
};

class GruNet {
 public:
  explicit GruNet(GruWeights w);
  const GruWeights& weights() const { return w_; }
  int32_t Token(const std::string& text) const;  // 0 when unknown

  // h <- GRU(h, embedding[token]).
  void Step(int32_t token, Eigen::VectorXf* h) const;
  // Logits of the next token given hidden state h.
  void Logits(const Eigen::VectorXf& h, Eigen::VectorXf* logits) const;
  // Up to k (token, probability) pairs after hidden state h, best first, never <unk> (token 0):
  // the softmax over all tokens; equal logits rank the lower token first. `logits` is scratch
  // (a caller that asks often keeps it, so no allocation per call).
  void Top(const Eigen::VectorXf& h, size_t k, Eigen::VectorXf* logits,
           std::vector<std::pair<int32_t, double>>* out) const;
  Eigen::VectorXf Zero() const { return Eigen::VectorXf::Zero(w_.hidden); }

 private:
  using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  GruWeights w_;
  Mat emb_, w_ih_, w_hh_, out_w_;
  Eigen::VectorXf b_ih_, b_hh_, out_b_;
  std::unordered_map<std::string, int32_t> tokens_;
};

}  // namespace memory::learner
