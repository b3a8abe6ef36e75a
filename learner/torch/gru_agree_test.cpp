// The Eigen GRU (learner/gru.h, served by `memory`) computes what the LibTorch network computes.
#include <gtest/gtest.h>

#include "learner/torch/gru_torch.h"

namespace memory::learner {
namespace {

TEST(GruAgreementTest, EigenMatchesLibTorchOnRandomInputs) {
  torch::set_num_threads(1);
  for (int seed : {1, 2, 3}) {
    torch::manual_seed(seed);
    const int64_t V = 57, E = 12, H = 24, T = 40;
    torchnet::GruLm net(V, E, H);
    // Larger than default weights so the gates leave their linear region.
    {
      torch::NoGradGuard g;
      for (auto& p : net->parameters()) p.uniform_(-0.8, 0.8);
    }
    std::vector<std::string> texts;
    for (int64_t i = 0; i < V; ++i) texts.push_back(i == 0 ? "<unk>" : "cmd" + std::to_string(i));
    std::string path = ::testing::TempDir() + "/gru_agree_" + std::to_string(seed) + ".bin";
    ASSERT_TRUE(torchnet::Export(net, texts).Save(path).ok());
    GruWeights w;
    ASSERT_TRUE(GruWeights::Load(path, &w).ok());
    GruNet eigen(std::move(w));

    auto tokens = torch::randint(0, V, {1, T}, torch::kLong);
    torch::Tensor logits;
    {
      torch::NoGradGuard g;
      logits = net->forward(tokens).contiguous();
    }
    auto acc = logits.accessor<float, 3>();
    Eigen::VectorXf h = eigen.Zero(), out;
    double worst = 0;
    for (int64_t t = 0; t < T; ++t) {
      eigen.Step(static_cast<int32_t>(tokens[0][t].item<int64_t>()), &h);
      eigen.Logits(h, &out);
      for (int64_t v = 0; v < V; ++v) worst = std::max(worst, std::abs(static_cast<double>(out[v]) - acc[0][t][v]));
    }
    EXPECT_LE(worst, 1e-5) << "seed " << seed;
    EXPECT_EQ(eigen.Token("cmd5"), 5);
    EXPECT_EQ(eigen.Token("nope"), 0);
  }
}

}  // namespace
}  // namespace memory::learner
