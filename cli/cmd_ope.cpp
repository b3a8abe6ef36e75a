// memory ope --policy SPEC [--since 30d] [--json]: off-policy evaluation of a candidate policy
// on the decisions logged in the store (IPS, SNIPS, DM, DR with bootstrap intervals), next to
// the logging policy's observed reward. The candidate learns along the log (as it would have
// online) unless --frozen.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "policies/decision_log.h"
#include "policies/ope.h"
#include "policies/policy.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

struct OpeCliOptions {
  std::string policy;
  std::string since;
  int bootstrap = 500;
  uint64_t seed = 1;
  bool frozen = false;
  bool json = false;
};

// Reward view of a cost estimate (reward = 1 - cost).
nlohmann::json RewardJson(const policies::Estimate& e) {
  return {{"value", 1 - e.value}, {"lo", 1 - e.hi}, {"hi", 1 - e.lo}};
}

int RunOpe(const OpeCliOptions& o, const Globals& g) {
  std::unique_ptr<policies::Policy> check;
  Status s = policies::MakePolicy(o.policy, o.seed, &check);
  if (!s.ok()) return Fail(s);
  if (o.bootstrap < 0) return Fail(Status::InvalidArgument("ope: --bootstrap must be >= 0"));
  int64_t since_us = 0;
  if (!o.since.empty()) {
    int64_t span = 0;
    s = ParseDuration(o.since, &span);
    if (!s.ok()) return Fail(Status::InvalidArgument("ope: bad --since '" + o.since + "' (e.g. 30d, 12h)"));
    since_us = NowMicros() - span;
  }
  std::unique_ptr<Store> store;
  s = OpenStore(g, StoreOptions::Mode::kReadOnly, &store);
  if (!s.ok()) return Fail(s);
  std::vector<Event> decisions;
  s = policies::ReadDecisions(*store, since_us, &decisions);
  if (!s.ok()) return Fail(s);
  std::vector<policies::LoggedDecision> log;
  size_t skipped = 0;
  policies::ToLoggedDecisions(decisions, &log, &skipped);
  if (log.empty())
    return Fail(Status::NotFound("ope: no logged decisions with a reward" +
                                 std::string(o.since.empty() ? "" : " in the last " + o.since) +
                                 " (decisions come from `memory tune`; rewards from outcomes or `memory reward`)"));
  policies::OpeOptions oo;
  oo.bootstrap = o.bootstrap;
  oo.seed = o.seed;
  policies::OpeResult r;
  s = policies::EvaluatePolicySpec(log, o.policy, !o.frozen, oo, &r);
  if (!s.ok()) return Fail(s);
  if (o.json) {
    nlohmann::json j;
    j["policy"] = check->Spec();
    j["decisions"] = r.decisions;
    j["skipped"] = skipped;
    j["effective_sample_size"] = r.effective_sample_size;
    j["logged"] = RewardJson(r.logged);
    j["ips"] = RewardJson(r.ips);
    j["snips"] = RewardJson(r.snips);
    j["dm"] = RewardJson(r.dm);
    j["dr"] = RewardJson(r.dr);
    std::printf("%s\n", JsonText(j).c_str());
    return 0;
  }
  std::printf("candidate %s on %zu logged decisions (%zu without reward skipped), effective sample size %.1f\n",
              check->Spec().c_str(), r.decisions, skipped, r.effective_sample_size);
  std::printf("%-28s %8s   %s\n", "estimate (mean reward)", "value", "95% interval");
  auto row = [](const char* name, const policies::Estimate& e) {
    std::printf("%-28s %8.4f   [%.4f, %.4f]\n", name, 1 - e.value, 1 - e.hi, 1 - e.lo);
  };
  row("logging policy (observed)", r.logged);
  row("candidate IPS", r.ips);
  row("candidate SNIPS", r.snips);
  row("candidate DM", r.dm);
  row("candidate DR", r.dr);
  return 0;
}

void SetupOpe(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("ope", "Estimate a candidate bandit policy's reward on the logged decisions");
  auto o = std::make_shared<OpeCliOptions>();
  sub->add_option("--policy", o->policy, "Candidate policy string, e.g. 'squarecb(gamma=10)/linear()'")->required();
  sub->add_option("--since", o->since, "Only decisions newer than this (e.g. 30d, 12h)");
  sub->add_option("--bootstrap", o->bootstrap, "Bootstrap resamples for the intervals")->capture_default_str();
  sub->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  sub->add_flag("--frozen", o->frozen, "Do not let the candidate learn along the log");
  sub->add_flag("--json", o->json, "Print JSON");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunOpe(*o, g); }; });
}
}  // namespace
MEMORY_REGISTER_COMMAND(74, "ope", SetupOpe);
}  // namespace memory::cli
