// "respell(INNER,...)": after a rare command, known commands spelt almost the same way.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "learner/model.h"
#include "learner/online_eval.h"
#include "learner/vocabulary.h"
#include "test_util.h"

namespace memory::learner {
namespace {

std::unique_ptr<NextCommandModel> Build(const std::string& spec) {
  std::unique_ptr<NextCommandModel> m;
  Status st = NewModel(spec, &m);
  EXPECT_TRUE(st.ok()) << spec << ": " << st.ToString();
  return m;
}

// Feeds `texts` (interned in *vocab) to `m` in order, as one user's stream; *history keeps them.
void Feed(NextCommandModel* m, Vocabulary* vocab, const std::vector<std::string>& texts,
          std::vector<CommandId>* history) {
  for (const std::string& t : texts) {
    CommandId id = vocab->Intern(t);
    Context ctx;
    ctx.history = *history;
    m->Learn(ctx, id);
    history->push_back(id);
  }
}

std::vector<Prediction> PredictAfter(NextCommandModel* m, const std::vector<CommandId>& history, size_t k = 5) {
  Context ctx;
  ctx.history = history;
  std::vector<Prediction> out;
  m->Predict(ctx, k, &out);
  return out;
}

// mfu and respell(mfu), each fed `stream` (interned in *vocab): their top k after it.
struct PlainAndRespelt {
  std::vector<Prediction> plain, fixed;
};
PlainAndRespelt MfuWithAndWithoutRespell(Vocabulary* vocab, const std::vector<std::string>& stream, size_t k) {
  auto inner = Build("mfu");
  auto model = Build("respell(mfu)");
  model->SetVocabulary(vocab);
  std::vector<CommandId> h1, h2;
  Feed(inner.get(), vocab, stream, &h1);
  Feed(model.get(), vocab, stream, &h2);
  return {PredictAfter(inner.get(), h1, k), PredictAfter(model.get(), h2, k)};
}

TEST(RespellTest, FactoryRoundTrip) {
  for (const std::string spec : {"respell(mfu)", "respell(markov(order=1),edits=1,rare=3)",
                                 "respell(mixture(ppm(order=2),ipam(alpha=0.8)),edits=3)"}) {
    auto m = Build(spec);
    ASSERT_NE(m, nullptr);
    auto again = Build(m->Name());
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(again->Name(), m->Name()) << spec;
    EXPECT_EQ(m->Name().rfind("respell(", 0), 0u) << m->Name();
  }
  EXPECT_EQ(Build("respell(mfu)")->Name(), "respell(mfu,edits=2,rare=1)");
}

TEST(RespellTest, BadSpecsAreRejected) {
  for (const std::string spec : {"respell", "respell()", "respell(mfu,mru)", "respell(mfu,edits=0)",
                                 "respell(mfu,edits=x)", "respell(mfu,rare=-1)", "respell(mfu,speed=2)",
                                 "respell(nosuchmodel)"}) {
    std::unique_ptr<NextCommandModel> m;
    Status st = NewModel(spec, &m);
    EXPECT_FALSE(st.ok()) << spec;
    EXPECT_FALSE(st.ToString().empty());
  }
}

// A person types "ls" often and "clear" a few times, then mistypes "clear": most-frequent alone
// says "ls" next; respell says "clear".
TEST(RespellTest, ProposesTheKnownCommandAfterATypo) {
  Vocabulary vocab;
  const std::vector<std::string> stream = {"ls", "ls", "clear", "ls", "ls", "clear", "ls", "make", "ls", "clera"};
  const auto [plain, fixed] = MfuWithAndWithoutRespell(&vocab, stream, 5);
  ASSERT_FALSE(plain.empty());
  ASSERT_FALSE(fixed.empty());
  EXPECT_EQ(vocab.Text(plain[0].command), "ls");
  EXPECT_EQ(vocab.Text(fixed[0].command), "clear");
  // Still a distribution over the same commands, best first.
  double sum = 0;
  for (size_t i = 0; i < fixed.size(); ++i) {
    sum += fixed[i].prob;
    if (i > 0) {
      EXPECT_GE(fixed[i - 1].prob, fixed[i].prob);
    }
  }
  EXPECT_LE(sum, 1.0 + 1e-9);
  EXPECT_EQ(fixed.size(), plain.size());
}

// Where the rule does not apply (the previous command is common, or no texts are known), the
// predictions are exactly the inner model's.
TEST(RespellTest, ElsewhereItIsTheInnerModel) {
  Vocabulary vocab;
  const std::vector<std::string> stream = {"ls", "cd", "ls", "clear", "ls", "cd", "clear", "make", "ls"};
  auto inner = Build("ipam(alpha=0.8)");
  auto model = Build("respell(ipam(alpha=0.8))");
  auto blind = Build("respell(ipam(alpha=0.8))");  // never told the texts
  model->SetVocabulary(&vocab);
  std::vector<CommandId> h1, h2, h3;
  Feed(inner.get(), &vocab, stream, &h1);
  Feed(model.get(), &vocab, stream, &h2);
  Feed(blind.get(), &vocab, stream, &h3);
  auto a = PredictAfter(inner.get(), h1), b = PredictAfter(model.get(), h2), c = PredictAfter(blind.get(), h3);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), c.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].command, b[i].command);
    EXPECT_EQ(a[i].prob, b[i].prob);
    EXPECT_EQ(a[i].command, c[i].command);
  }
  // The blind model after a typo is still the inner model.
  Feed(inner.get(), &vocab, {"clera"}, &h1);
  Feed(blind.get(), &vocab, {"clera"}, &h3);
  a = PredictAfter(inner.get(), h1), c = PredictAfter(blind.get(), h3);
  ASSERT_EQ(a.size(), c.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].command, c[i].command);
}

// Two users with the same counts: one types the intended command right after each typo, the other
// something else first. After a new typo, respell weighs the look-alike far more for the first.
TEST(RespellTest, LearnsHowOftenThisUserRespells) {
  Vocabulary vocab;
  auto respeller = Build("respell(mfu)");
  auto other = Build("respell(mfu)");
  respeller->SetVocabulary(&vocab);
  other->SetVocabulary(&vocab);
  std::vector<CommandId> h1, h2;
  Feed(respeller.get(), &vocab, {"make", "make", "ls"}, &h1);
  Feed(other.get(), &vocab, {"make", "make", "ls"}, &h2);
  for (char c = 'f'; c < 'f' + 20; ++c) {  // "makf", "makg", ...: each new, one edit from "make"
    const std::string typo = std::string("mak") + c;
    Feed(respeller.get(), &vocab, {typo, "make", "ls"}, &h1);
    Feed(other.get(), &vocab, {typo, "ls", "make"}, &h2);
  }
  Feed(respeller.get(), &vocab, {"mkae"}, &h1);
  Feed(other.get(), &vocab, {"mkae"}, &h2);
  auto prob_of = [&](NextCommandModel* m, const std::vector<CommandId>& h, const std::string& text) {
    for (const Prediction& p : PredictAfter(m, h))
      if (vocab.Text(p.command) == text) return p.prob;
    return 0.0;
  };
  const double p1 = prob_of(respeller.get(), h1, "make"), p2 = prob_of(other.get(), h2, "make");
  EXPECT_GT(p1, 0.9);
  EXPECT_LT(p2, 0.6);
  EXPECT_EQ(vocab.Text(PredictAfter(respeller.get(), h1)[0].command), "make");
}

// With many known commands of one length (say `job-000` .. `job-099`), only the most used of
// that length are compared with the typo: a similar command used least is not a respelling, one
// used as much as the rest is.
TEST(RespellTest, ComparesOnlyTheMostUsedCommandsOfALength) {
  Vocabulary vocab;
  std::vector<std::string> stream;
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 100; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "job-%03d", i);
      stream.push_back(name);
      stream.push_back("ls");
    }
  stream.insert(stream.end(), {"job-04y", "ls", "job-04y", "ls", "job-04z"});  // job-04y: used least
  const auto [plain, fixed] = MfuWithAndWithoutRespell(&vocab, stream, 300);
  auto prob = [&](const std::vector<Prediction>& p, const std::string& text) {
    for (const Prediction& x : p)
      if (vocab.Text(x.command) == text) return x.prob;
    ADD_FAILURE() << text << " not listed";
    return 0.0;
  };
  // (1 - beta) scales every inner probability; respellings get more on top.
  const double keep = prob(fixed, "ls") / prob(plain, "ls");
  ASSERT_LT(keep, 1.0);
  EXPECT_NEAR(prob(fixed, "job-04y") / prob(plain, "job-04y"), keep, 1e-12);  // not compared
  EXPECT_GT(prob(fixed, "job-041") / prob(plain, "job-041"), keep + 0.01);    // one edit away
}

TEST(RespellTest, CloneBehavesLikeTheOriginal) {
  Vocabulary vocab;
  auto model = Build("respell(mixture(ppm(order=2),mfu))");
  model->SetVocabulary(&vocab);
  std::vector<CommandId> h;
  Feed(model.get(), &vocab, {"ls", "clear", "ls", "make", "clear", "ls", "clera"}, &h);
  auto copy = model->Clone();
  auto a = PredictAfter(model.get(), h), b = PredictAfter(copy.get(), h);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].command, b[i].command);
    EXPECT_EQ(a[i].prob, b[i].prob);
  }
  // Learning on the copy does not change the original.
  Feed(copy.get(), &vocab, {"clear", "clera", "clear", "clera", "clear"}, &h);
  h.resize(7);
  auto c = PredictAfter(model.get(), h);
  ASSERT_EQ(a.size(), c.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].prob, c[i].prob);
}

// On the public Purdue users (skipped without ../shared): respell (the outer layer of the project's
// best model) helps the mixture inside it on top-1 for every user, and on top-5 overall.
TEST(RespellTest, HelpsBestOnPurdueUsers) {
  Vocabulary vocab;
  auto users = testing::ReadUsers(testing::SharedDir() + "/data/purdue-pu", "USER", &vocab);
  if (users.empty()) GTEST_SKIP() << "../shared/data/purdue-pu is not available";
  // best = calibrate(respell(MIXTURE),prior=P): calibration leaves the hits as they are.
  const std::string best = BestModelSpec();
  const std::string outer = "calibrate(respell(";
  ASSERT_EQ(best.rfind(outer, 0), 0u) << best;
  const size_t close = best.rfind("),prior=");
  ASSERT_NE(close, std::string::npos) << best;
  const std::string inner = best.substr(outer.size(), close - outer.size());
  EvalResult plain, fixed;
  ASSERT_TRUE(EvaluateOnline(inner, users, {}, 5, &plain, &vocab, DefaultEvalJobs()).ok());
  ASSERT_TRUE(EvaluateOnline("best", users, {}, 5, &fixed, &vocab, DefaultEvalJobs()).ok());
  ASSERT_EQ(plain.users.size(), fixed.users.size());
  for (size_t u = 0; u < plain.users.size(); ++u)
    EXPECT_GT(fixed.users[u].counts.hits[0], plain.users[u].counts.hits[0]) << plain.users[u].name;
  EXPECT_GT(fixed.total.Rate(2), plain.total.Rate(2));  // top-5 as well
}

}  // namespace
}  // namespace memory::learner
