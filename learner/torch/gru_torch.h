// The GRU next-command network in LibTorch and its export to the flat weights of learner/gru.h.
// Included by memory-train and its agreement test only (each including TU costs ~20 s to build).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "learner/gru.h"

namespace memory::learner::torchnet {

struct GruLmImpl : torch::nn::Module {
  GruLmImpl(int64_t vocab, int64_t embed, int64_t hidden)
      : emb(register_module("emb", torch::nn::Embedding(vocab, embed))),
        gru(register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(embed, hidden).batch_first(true)))),
        out(register_module("out", torch::nn::Linear(hidden, vocab))) {}

  // tokens [B, T] (int64) -> logits [B, T, V].
  torch::Tensor forward(const torch::Tensor& tokens) {
    auto y = std::get<0>(gru->forward(emb->forward(tokens)));
    return out->forward(y);
  }

  torch::nn::Embedding emb;
  torch::nn::GRU gru;
  torch::nn::Linear out;
};
TORCH_MODULE(GruLm);

inline std::vector<float> Flat(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// Copies the network's parameters (PyTorch layout: gate rows r, z, n) into GruWeights.
inline GruWeights Export(GruLm& m, std::vector<std::string> texts) {
  GruWeights w;
  w.vocab = static_cast<uint32_t>(m->emb->weight.size(0));
  w.embed = static_cast<uint32_t>(m->emb->weight.size(1));
  w.hidden = static_cast<uint32_t>(m->out->weight.size(1));
  w.embedding = Flat(m->emb->weight);
  auto params = m->gru->named_parameters();
  w.w_ih = Flat(params["weight_ih_l0"]);
  w.w_hh = Flat(params["weight_hh_l0"]);
  w.b_ih = Flat(params["bias_ih_l0"]);
  w.b_hh = Flat(params["bias_hh_l0"]);
  w.out_w = Flat(m->out->weight);
  w.out_b = Flat(m->out->bias);
  w.texts = std::move(texts);
  return w;
}

}  // namespace memory::learner::torchnet
