// cache::RegisterPredictorFactory: next-access models built outside cache/ (the cli registers
// "neural" and "intent") reach NewPredictor and the simulator.
#include <gtest/gtest.h>

#include <string>

#include "cache/prefetch.h"
#include "cache/simulator.h"

namespace memory::cache {
namespace {

// Predicts key + 1 after key, with confidence 1; remembers the spec it was built from.
class PlusOne final : public Predictor {
 public:
  explicit PlusOne(std::string spec) : Predictor(0.5, 1), spec_(std::move(spec)) {}
  std::string Name() const override { return spec_; }
  bool TrainedBeforehand() const override { return true; }  // a fixed rule: the area starts with guesses
  void Observe(Key key) override { last_ = key; seen_ = true; }
  void Predict(size_t max, std::vector<Prediction>* out) const override {
    out->clear();
    if (seen_ && max > 0) out->push_back({last_ + 1, 1.0});
  }

 private:
  std::string spec_;
  Key last_ = 0;
  bool seen_ = false;
};

TEST(PredictorRegistry, RegisteredNameGetsTheWholeSpecAndDrivesTheSimulator) {
  std::unique_ptr<Predictor> p;
  EXPECT_TRUE(NewPredictor("plusone_test", &p).IsInvalidArgument());  // unknown before
  RegisterPredictorFactory("plusone_test", [](std::string_view spec, std::unique_ptr<Predictor>* out) {
    if (spec.find("bad") != std::string_view::npos) return Status::InvalidArgument("bad plusone");
    *out = std::make_unique<PlusOne>(std::string(spec));
    return Status::OK();
  });
  ASSERT_TRUE(NewPredictor("plusone_test(a=(1,2),b=3)", &p).ok());  // nested parentheses pass
  EXPECT_EQ(p->Name(), "plusone_test(a=(1,2),b=3)");
  EXPECT_TRUE(NewPredictor("plusone_test(bad)", &p).IsInvalidArgument());
  // Built-in models are untouched.
  ASSERT_TRUE(NewPredictor("successor", &p).ok());
  EXPECT_EQ(p->Name().rfind("successor(", 0), 0u);

  // A scan 0, 1, 2, ... never hits LRU; predicting key + 1 makes every access after the first hit.
  std::vector<Key> scan(1000);
  for (size_t i = 0; i < scan.size(); ++i) scan[i] = i;
  SimulationOptions so;
  so.policy = "lru";
  so.capacity = 100;
  SimulationResult plain, learned;
  ASSERT_TRUE(Simulate(scan, so, &plain).ok());
  so.prefetch = "plusone_test";
  ASSERT_TRUE(Simulate(scan, so, &learned).ok());
  EXPECT_EQ(plain.total.hits, 0u);
  EXPECT_EQ(learned.total.hits, scan.size() - 1);
  EXPECT_EQ(learned.prefetch, "plusone_test");

  // Registering again replaces the factory.
  RegisterPredictorFactory("plusone_test", [](std::string_view, std::unique_ptr<Predictor>*) {
    return Status::Unsupported("replaced");
  });
  EXPECT_EQ(NewPredictor("plusone_test", &p).code(), Status::Code::kUnsupported);
}

}  // namespace
}  // namespace memory::cache
