// "calibrate(INNER,prior=50)": INNER's predictions, in INNER's order, with probabilities mapped
// through a ListCalibrator learned online from this model's own lists and what came next (see
// calibration.h). Top-k hits are INNER's exactly; only the probabilities change.
#include <memory>
#include <string>
#include <vector>

#include "learner/builtin_models.h"
#include "learner/calibration.h"

namespace memory::learner {
namespace {

class CalibratedModel final : public NextCommandModel {
 public:
  CalibratedModel(std::unique_ptr<NextCommandModel> inner, double prior)
      : inner_(std::move(inner)), calibrator_(prior) {}
  CalibratedModel(const CalibratedModel& o)
      : inner_(o.inner_->Clone()), calibrator_(o.calibrator_), since_fit_(o.since_fit_), scored_(o.scored_) {}

  void Predict(const Context& ctx, size_t k, std::vector<Prediction>* out) override {
    inner_->Predict(ctx, k, out);
    pending_.assign(out->begin(), out->end());
    calibrator_.Apply(out);
  }

  // The list of the last Predict (for this context) is scored against `actual`.
  void Learn(const Context& ctx, CommandId actual) override {
    if (!pending_.empty()) {
      calibrator_.Observe(pending_, actual);
      pending_.clear();
      if (++since_fit_ >= (scored_ < kWarmUp ? kRefitEarly : kRefitLater)) {
        calibrator_.Fit();
        since_fit_ = 0;
      }
      ++scored_;
    }
    inner_->Learn(ctx, actual);
  }

  std::string Name() const override {
    return "calibrate(" + inner_->Name() + ",prior=" + FormatNumber(calibrator_.prior()) + ")";
  }
  std::unique_ptr<NextCommandModel> Clone() const override { return std::make_unique<CalibratedModel>(*this); }
  void SetVocabulary(const Vocabulary* vocab) override { inner_->SetVocabulary(vocab); }

 private:
  // Scored events between refits: few while the map is young, more once it has settled (a fit
  // costs two passes over the bins; every 16 events it was ~250 instructions per event).
  static constexpr int kRefitEarly = 16, kRefitLater = 256;
  static constexpr int64_t kWarmUp = 2048;
  std::unique_ptr<NextCommandModel> inner_;
  ListCalibrator calibrator_;
  int since_fit_ = 0;
  int64_t scored_ = 0;
  std::vector<Prediction> pending_;  // the last Predict's list, raw probabilities
};

}  // namespace

std::unique_ptr<NextCommandModel> NewCalibratedModel(std::unique_ptr<NextCommandModel> inner, double prior) {
  return std::make_unique<CalibratedModel>(std::move(inner), prior);
}

}  // namespace memory::learner
