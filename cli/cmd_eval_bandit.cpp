// `memory eval bandit`: the supervised-to-bandit protocol (Bietti et al., Contextual Bandit
// Bake-off) on a multiclass CSV or on NL2Bash (description -> utility).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "env/cb_data.h"
#include "policies/cb_eval.h"
#include "policies/policy.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

struct EvalBanditOptions {
  std::string format = "csv";
  std::string data;
  std::string policy;
  uint64_t seed = 1;
  int runs = 1;
  bool supervised = true;
  bool json = false;
};

int RunEvalBandit(const EvalBanditOptions& o, const Globals& g) {
  if (o.format != "csv" && o.format != "nl2bash")
    return Fail(Status::InvalidArgument("unknown --format '" + o.format + "' (expected csv or nl2bash)"));
  if (o.runs < 1) return Fail(Status::InvalidArgument("--runs must be at least 1"));
  env::CbDataset data;
  Status s = o.format == "csv" ? env::ReadCbCsv(o.data, &data) : env::ReadNl2BashBandit(o.data, &data);
  if (!s.ok()) return Fail(s);

  std::vector<policies::CbEvalResult> results;
  for (int r = 0; r < o.runs; ++r) {
    policies::CbEvalOptions eo;
    eo.policy = o.policy;
    eo.seed = o.seed + r;
    eo.supervised = o.supervised && r == 0;  // deterministic: one pass is enough
    policies::CbEvalResult res;
    s = policies::RunCbEval(data, eo, &res);
    if (!s.ok()) return Fail(s);
    if (r > 0) res.supervised_loss = results[0].supervised_loss;
    results.push_back(res);
    if (!g.quiet && !o.json && StderrIsTerminal() && o.runs > 1)
      std::fprintf(stderr, "\rrun %d/%d", r + 1, o.runs);
  }
  if (!g.quiet && !o.json && StderrIsTerminal() && o.runs > 1) std::fprintf(stderr, "\r\033[K");
  double mean = 0, mean_speed = 0;
  for (auto& r : results) {
    mean += r.pv_loss / results.size();
    mean_speed += r.examples_per_s / results.size();
  }
  double var = 0;
  for (auto& r : results) var += (r.pv_loss - mean) * (r.pv_loss - mean);
  double sd = results.size() > 1 ? std::sqrt(var / (results.size() - 1)) : 0.0;
  std::vector<double> speeds;
  for (auto& r : results) speeds.push_back(r.examples_per_s);
  std::sort(speeds.begin(), speeds.end());
  double median_speed = speeds[speeds.size() / 2];
  if (speeds.size() % 2 == 0) median_speed = (speeds[speeds.size() / 2 - 1] + speeds[speeds.size() / 2]) / 2;
  const auto& first = results[0];

  if (o.json) {
    nlohmann::json j;
    j["data"] = o.data;
    j["format"] = o.format;
    j["policy"] = first.policy;
    j["seed"] = o.seed;
    j["runs"] = o.runs;
    j["examples"] = first.examples;
    j["actions"] = first.actions;
    j["pv_loss"] = mean;
    j["pv_loss_sd"] = sd;
    j["examples_per_s"] = median_speed;
    if (o.supervised) j["supervised_loss"] = first.supervised_loss;
    nlohmann::json per = nlohmann::json::array();
    for (size_t r = 0; r < results.size(); ++r)
      per.push_back({{"seed", o.seed + r}, {"pv_loss", results[r].pv_loss}, {"examples_per_s", results[r].examples_per_s},
                     {"seconds", results[r].seconds}, {"mean_probability", results[r].mean_probability}});
    j["per_seed"] = per;
    std::printf("%s\n", JsonText(j).c_str());
    return 0;
  }
  std::printf("policy           %s\n", first.policy.c_str());
  std::printf("data             %s (%zu examples, %d actions)\n", o.data.c_str(), first.examples, first.actions);
  if (o.runs > 1)
    std::printf("pv_loss          %.4f ± %.4f (seeds %llu..%llu)\n", mean, sd, (unsigned long long)o.seed,
                (unsigned long long)(o.seed + o.runs - 1));
  else
    std::printf("pv_loss          %.4f (seed %llu)\n", mean, (unsigned long long)o.seed);
  std::printf("examples/s       %.0f%s\n", median_speed, o.runs > 1 ? " (median)" : "");
  if (o.supervised) std::printf("supervised loss  %.4f (same learner, full information)\n", first.supervised_loss);
  return 0;
}

void SetupEvalBandit(CLI::App& app, Globals& g, Action* action) {
  CLI::App* group = EvalGroup(app);
  auto* sub = group->add_subcommand(
      "bandit", "Contextual-bandit policy on a supervised data set (Bake-off protocol): progressive loss, speed");
  auto o = std::make_shared<EvalBanditOptions>();
  sub->add_option("--format", o->format, "csv (label,f0,... as in ../shared/cb-data) or nl2bash (a directory)")
      ->capture_default_str();
  sub->add_option("--data", o->data, "Data file (csv, may be gzip) or NL2Bash directory")->required();
  sub->add_option("--policy", o->policy,
                  "Policy string, e.g. 'squarecb(gamma=10)/linear(bits=18)' (default: " +
                      std::string(policies::DefaultPolicySpec()) + ")");
  sub->add_option("--seed", o->seed, "Random seed (first seed with --runs)")->capture_default_str();
  sub->add_option("--runs", o->runs, "Number of seeds to average (seed, seed+1, ...)")->capture_default_str();
  sub->add_flag("!--no-supervised", o->supervised, "Skip the full-information reference pass");
  sub->add_flag("--json", o->json, "Print JSON");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunEvalBandit(*o, g); }; });
}
}  // namespace
MEMORY_REGISTER_COMMAND(62, "eval", SetupEvalBandit);
}  // namespace memory::cli
