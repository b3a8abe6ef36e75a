// Factory strings from the command line (--model, --policy, bandit specs): any text is either
// rejected or builds an object that runs a few steps and whose canonical name builds again.
#include <cstdio>
#include <cstdlib>
#include <string>
#include "tests/fuzz/fuzz_util.h"
#include "learner/model.h"
#include "cache/cache.h"
#include "policies/policy.h"
using namespace memory;
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  if (n < 1) return 0;
  const int sel = d[0] % 3;
  std::string text(reinterpret_cast<const char*>(d + 1), n - 1);
  if (sel == 0) {
    std::unique_ptr<learner::NextCommandModel> m;
    if (!learner::NewModel(text, &m).ok()) return 0;
    if (text.find("gru") != std::string::npos) return 0;
    std::vector<learner::CommandId> hist = {1, 2, 3, 1, 2, 4, 1, 2, 3, 5, 1};
    std::vector<learner::Prediction> out;
    for (size_t i = 0; i < hist.size(); ++i) {
      learner::Context ctx;
      ctx.history = std::span<const learner::CommandId>(hist.data(), i);
      ctx.position = static_cast<uint32_t>(i);
      m->Predict(ctx, 5, &out);
      for (const auto& p : out) FUZZ_CHECK(p.prob >= 0 && p.prob <= 1 + 1e-9);
      m->Learn(ctx, hist[i]);
    }
    std::unique_ptr<learner::NextCommandModel> again;
    Status s = learner::NewModel(m->Name(), &again);
    if (!s.ok()) fprintf(stderr, "%s -> %s: %s\n", text.c_str(), m->Name().c_str(), s.ToString().c_str());
    FUZZ_CHECK(s.ok());
  } else if (sel == 1) {
    std::unique_ptr<cache::Policy> p;
    if (!cache::NewPolicy(text, 64, &p).ok()) return 0;
    if (text.rfind("min", 0) == 0) return 0;  // needs the future (Prepare)
    for (uint64_t k = 0; k < 2000; ++k) p->Access((k * 2654435761u) % 150);
    FUZZ_CHECK(p->size() <= 64);
    std::unique_ptr<cache::Policy> again;
    Status s = cache::NewPolicy(p->Name(), 64, &again);
    if (!s.ok()) fprintf(stderr, "%s -> %s: %s\n", text.c_str(), p->Name().c_str(), s.ToString().c_str());
    FUZZ_CHECK(s.ok());
  } else {
    std::unique_ptr<policies::Policy> p;
    if (!policies::MakePolicy(text, 1, &p).ok()) return 0;
    std::vector<policies::Feature> ctx = {{1, 1.0f}, {7, 0.5f}};
    std::vector<double> probs;
    for (int i = 0; i < 30; ++i) {
      policies::Example ex;
      ex.context = ctx;
      ex.num_actions = 1 + i % 4;
      p->Distribution(ex, &probs);
      double sum = 0;
      for (double q : probs) { FUZZ_CHECK(q >= 0 && q <= 1 + 1e-9); sum += q; }
      FUZZ_CHECK(std::abs(sum - 1) < 1e-6);
      auto c = p->Choose(ex);
      p->Learn(ex, c.action, i % 3 == 0 ? 1.0 : 0.0, c.probability);
    }
    std::unique_ptr<policies::Policy> again;
    Status s = policies::MakePolicy(p->Spec(), 1, &again);
    if (!s.ok()) fprintf(stderr, "%s -> %s: %s\n", text.c_str(), p->Spec().c_str(), s.ToString().c_str());
    FUZZ_CHECK(s.ok());
  }
  return 0;
}
