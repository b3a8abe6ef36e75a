#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include "learner/gru.h"
#include "learner/model.h"
#include "learner/vocabulary.h"

namespace memory::learner {
namespace {

GruWeights RandomWeights(uint32_t V, uint32_t E, uint32_t H, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  GruWeights w;
  w.vocab = V, w.embed = E, w.hidden = H;
  auto fill = [&](std::vector<float>* v, size_t n) { v->resize(n); for (auto& x : *v) x = u(rng); };
  fill(&w.embedding, V * E);
  fill(&w.w_ih, 3 * H * E);
  fill(&w.w_hh, 3 * H * H);
  fill(&w.b_ih, 3 * H);
  fill(&w.b_hh, 3 * H);
  fill(&w.out_w, V * H);
  fill(&w.out_b, V);
  w.texts.push_back("<unk>");
  for (uint32_t i = 1; i < V; ++i) w.texts.push_back("c" + std::to_string(i));
  return w;
}

TEST(GruTest, WeightsRoundTripAndDamageIsDetected) {
  std::string path = ::testing::TempDir() + "/gru_rt.bin";
  GruWeights w = RandomWeights(20, 4, 6, 1);
  ASSERT_TRUE(w.Save(path).ok());
  GruWeights back;
  ASSERT_TRUE(GruWeights::Load(path, &back).ok());
  EXPECT_EQ(back.vocab, 20u);
  EXPECT_EQ(back.w_hh, w.w_hh);
  EXPECT_EQ(back.texts, w.texts);
  std::string bytes;
  { std::ifstream f(path, std::ios::binary); bytes.assign(std::istreambuf_iterator<char>(f), {}); }
  std::string cut = ::testing::TempDir() + "/gru_cut.bin";
  { std::ofstream f(cut, std::ios::binary); f.write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 3)); }
  EXPECT_EQ(GruWeights::Load(cut, &back).code(), Status::Code::kCorruption);
  EXPECT_TRUE(GruWeights::Load(::testing::TempDir() + "/none.bin", &back).IsNotFound());
  // The magic is read first: /dev/zero (read until memory ran out before) is refused at once.
  EXPECT_EQ(GruWeights::Load("/dev/zero", &back).code(), Status::Code::kCorruption);
}

// A hand-checkable step: with all weights zero, r = z = 0.5, n = 0, so h' = h / 2.
TEST(GruTest, StepFollowsTheGateEquations) {
  GruWeights w = RandomWeights(3, 2, 2, 2);
  for (auto* v : {&w.w_ih, &w.w_hh, &w.b_ih, &w.b_hh}) std::fill(v->begin(), v->end(), 0.0f);
  GruNet net(w);
  Eigen::VectorXf h(2);
  h << 0.8f, -0.4f;
  net.Step(1, &h);
  EXPECT_FLOAT_EQ(h[0], 0.4f);
  EXPECT_FLOAT_EQ(h[1], -0.2f);
}

// Top() against the definition: softmax over every logit in double, tokens sorted by logit
// (the lower token first on a tie), <unk> left out, at most k.
TEST(GruTest, TopIsTheSoftmaxsBestTokens) {
  GruWeights w = RandomWeights(300, 6, 10, 4);
  for (int t : {7, 8, 9}) {  // three tokens with equal logits, among the best
    std::copy_n(&w.out_w[size_t(5) * 10], 10, &w.out_w[size_t(t) * 10]);
    w.out_b[size_t(t)] = w.out_b[5] = 4.0f;
  }
  w.out_b[0] = 9.0f;  // <unk> is the most probable token but never listed
  GruNet net(w);
  Eigen::VectorXf h = net.Zero(), logits;
  for (int step = 0; step < 6; ++step) {
    std::vector<std::pair<int32_t, double>> top;
    for (size_t k : {size_t(0), size_t(1), size_t(5), size_t(13), size_t(299), size_t(1000)}) {
      net.Top(h, k, &logits, &top);
      net.Logits(h, &logits);
      double mx = logits.maxCoeff(), z = 0;
      for (int t = 0; t < 300; ++t) z += std::exp(double(logits[t]) - mx);
      std::vector<int32_t> want(299);
      for (int t = 1; t < 300; ++t) want[size_t(t - 1)] = t;
      std::stable_sort(want.begin(), want.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
      want.resize(std::min<size_t>(k, 299));
      ASSERT_EQ(top.size(), want.size()) << "k=" << k;
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(top[i].first, want[i]) << "k=" << k << " rank " << i;
        const double p = std::exp(double(logits[want[i]]) - mx) / z;
        EXPECT_NEAR(top[i].second, p, 1e-6 * p) << "k=" << k << " rank " << i;
      }
    }
    net.Step(step + 1, &h);
  }
}

TEST(GruTest, ModelFromFactoryPredictsKnownCommands) {
  std::string path = ::testing::TempDir() + "/gru_model.bin";
  ASSERT_TRUE(RandomWeights(30, 5, 8, 3).Save(path).ok());
  std::unique_ptr<NextCommandModel> m;
  ASSERT_TRUE(NewModel("gru(path=" + path + ")", &m).ok());
  EXPECT_EQ(m->Name(), "gru(path=" + path + ")");
  Vocabulary vocab;
  for (int i = 29; i >= 10; --i) vocab.Intern("c" + std::to_string(i));  // ids differ from tokens
  vocab.Intern("not-in-the-network");
  m->SetVocabulary(&vocab);
  std::vector<CommandId> hist;
  std::vector<Prediction> p, before;
  for (int step = 0; step < 10; ++step) {
    Context ctx;
    ctx.history = hist;
    m->Predict(ctx, 5, &p);
    ASSERT_EQ(p.size(), 5u);
    double sum = 0;
    for (size_t i = 0; i < p.size(); ++i) {
      EXPECT_LT(p[i].command, 20u) << "only commands the network knows";
      if (i) {
        EXPECT_GE(p[i - 1].prob, p[i].prob);
      }
      sum += p[i].prob;
    }
    EXPECT_LT(sum, 1.0);
    if (step == 1) before = p;
    CommandId next = static_cast<CommandId>(step % 20);
    m->Learn(ctx, next);
    hist.push_back(next);
  }
  EXPECT_NE(before[0].prob, p[0].prob);  // the hidden state moved
  std::unique_ptr<NextCommandModel> bad;
  EXPECT_TRUE(NewModel("gru(path=/nonexistent/w.bin)", &bad).IsNotFound());
  EXPECT_FALSE(NewModel("gru", &bad).ok());
  // A directory is bad input (reading one used to throw: "internal error", exit 1).
  EXPECT_TRUE(NewModel("gru(path=" + ::testing::TempDir() + ")", &bad).IsInvalidArgument());
}

}  // namespace
}  // namespace memory::learner
