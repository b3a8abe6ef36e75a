#include <gtest/gtest.h>

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
      if (i) EXPECT_GE(p[i - 1].prob, p[i].prob);
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
}

}  // namespace
}  // namespace memory::learner
