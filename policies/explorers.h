// The exploration strategies behind MakeExplorer (internal to policies/; use policy.h).
#pragma once

#include <memory>
#include <vector>

#include "policies/policy.h"

namespace memory::policies {

// Uniform over the lowest-cost actions (ties share the mass), written into probs.
void GreedyDistribution(const std::vector<double>& costs, std::vector<double>* probs);

// Explorers that only look at the predicted costs and update the learner with weight 1/p.
class ScoreExplorer : public Explorer {
 public:
  void Distribution(const Example& ex, Learner& learner, Rng& rng, std::vector<double>* probs) override;
  void Learn(const Example& ex, Learner& learner, int action, double cost, double probability, Rng& rng) override;
  Status SaveState(StateWriter& w) const override;
  bool LoadState(StateReader& r, const Learner& main) override;

 protected:
  virtual void FromCosts(const std::vector<double>& costs, std::vector<double>* probs) = 0;
  uint64_t rounds_ = 0;  // Learn calls so far
  std::vector<double> costs_;
};

class GreedyExplorer final : public ScoreExplorer {
 public:
  std::string Spec() const override { return "greedy()"; }
 protected:
  void FromCosts(const std::vector<double>& c, std::vector<double>* p) override { GreedyDistribution(c, p); }
};

class EpsilonGreedyExplorer final : public ScoreExplorer {
 public:
  explicit EpsilonGreedyExplorer(double epsilon) : epsilon_(epsilon) {}
  std::string Spec() const override;
 protected:
  void FromCosts(const std::vector<double>& c, std::vector<double>* p) override;
 private:
  double epsilon_;
};

class EpsilonFirstExplorer final : public ScoreExplorer {
 public:
  explicit EpsilonFirstExplorer(long n) : n_(n) {}
  std::string Spec() const override;
 protected:
  void FromCosts(const std::vector<double>& c, std::vector<double>* p) override;
 private:
  long n_;
};

class SoftmaxExplorer final : public ScoreExplorer {
 public:
  explicit SoftmaxExplorer(double lambda) : lambda_(lambda) {}
  std::string Spec() const override;
 protected:
  void FromCosts(const std::vector<double>& c, std::vector<double>* p) override;
 private:
  double lambda_;
};

class SquareCbExplorer final : public ScoreExplorer {
 public:
  explicit SquareCbExplorer(double gamma) : gamma_(gamma) {}
  std::string Spec() const override;
 protected:
  void FromCosts(const std::vector<double>& c, std::vector<double>* p) override;
 private:
  double gamma_;
};

class LinUcbExplorer final : public Explorer {
 public:
  explicit LinUcbExplorer(double alpha) : alpha_(alpha) {}
  void Distribution(const Example& ex, Learner& learner, Rng& rng, std::vector<double>* probs) override;
  void Learn(const Example& ex, Learner& learner, int action, double cost, double probability, Rng& rng) override;
  std::string Spec() const override;
 private:
  double alpha_;
  std::vector<double> costs_, widths_;
};

class ThompsonExplorer final : public Explorer {
 public:
  ThompsonExplorer(double scale, long draws) : scale_(scale), draws_(draws) {}
  void Distribution(const Example& ex, Learner& learner, Rng& rng, std::vector<double>* probs) override;
  void Learn(const Example& ex, Learner& learner, int action, double cost, double probability, Rng& rng) override;
  std::string Spec() const override;
 private:
  double scale_;
  long draws_;
  std::vector<double> costs_, widths_, sample_;
};

class BagExplorer final : public Explorer {
 public:
  explicit BagExplorer(long n) : n_(n) {}
  void Distribution(const Example& ex, Learner& learner, Rng& rng, std::vector<double>* probs) override;
  void Learn(const Example& ex, Learner& learner, int action, double cost, double probability, Rng& rng) override;
  std::string Spec() const override;
  Status SaveState(StateWriter& w) const override;
  bool LoadState(StateReader& r, const Learner& main) override;
 private:
  void EnsureBag(const Learner& learner);
  long n_;
  std::vector<std::unique_ptr<Learner>> extra_;  // learners 1..n-1 (learner 0 is the policy's)
  std::vector<double> costs_, greedy_;
};

class CoverExplorer final : public Explorer {
 public:
  CoverExplorer(long n, double psi, double epsilon) : n_(n), psi_(psi), epsilon_(epsilon) {}
  void Distribution(const Example& ex, Learner& learner, Rng& rng, std::vector<double>* probs) override;
  void Learn(const Example& ex, Learner& learner, int action, double cost, double probability, Rng& rng) override;
  std::string Spec() const override;
  Status SaveState(StateWriter& w) const override;
  bool LoadState(StateReader& r, const Learner& main) override;
 private:
  double MinProbability(int k) const;
  long n_;
  double psi_, epsilon_;
  uint64_t rounds_ = 0;
  std::vector<std::unique_ptr<Learner>> cover_;
  std::vector<double> costs_, greedy_, mix_;
  // From the last Distribution call, reused by Learn on the same example: the main learner's
  // costs and every cover learner's greedy distribution.
  const Feature* cached_context_ = nullptr;
  int cached_actions_ = 0;
  std::vector<double> cached_costs_;
  std::vector<std::vector<double>> cached_greedy_;
};

}  // namespace memory::policies
