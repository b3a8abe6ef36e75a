// memory reward --decision ID --value X: the outcome of a logged bandit decision, given later
// (e.g. whether a suggestion was useful). Recorded as an event tagged "reward"; readers attach
// the latest reward to the decision (policies/decision_log.h).
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/context.h"
#include "policies/decision_log.h"
#include "store/recorder.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

struct RewardOptions {
  std::string decision;
  std::string value;
  bool json = false;
};

bool IsEventId(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Status FindDecision(const Globals& g, const std::string& id, Event* found) {
  std::unique_ptr<Store> store;
  MEMORY_RETURN_IF_ERROR(OpenStore(g, StoreOptions::Mode::kReadOnly, &store));
  Event e;
  Status s = store->Get(id, &e);
  if (s.ok() && e.decision) {
    *found = e;
    return Status::OK();
  }
  std::vector<Event> pending;
  MEMORY_RETURN_IF_ERROR(ReadPending(g.db, &pending));
  for (const Event& p : pending)
    if (p.decision && p.decision->decision_id == id && p.id == id) {
      *found = p;
      return Status::OK();
    }
  return Status::NotFound("no decision with id " + id + " (ids are printed by `memory tune --json` and `memory export`)");
}

int RunReward(const RewardOptions& o, const Globals& g) {
  if (!IsEventId(o.decision))
    return Fail(Status::InvalidArgument("reward: --decision must be a 32-digit lowercase hex id, got '" + o.decision + "'"));
  char* end = nullptr;
  double v = std::strtod(o.value.c_str(), &end);
  if (o.value.empty() || end != o.value.c_str() + o.value.size() || !std::isfinite(v))
    return Fail(Status::InvalidArgument("reward: --value must be a finite number, got '" + o.value + "'"));
  Event decided;
  Status s = FindDecision(g, o.decision, &decided);
  if (!s.ok()) return Fail(s);
  Config config;
  s = LoadUserConfig(g, &config);
  if (!s.ok()) return Fail(s);
  Event e;
  e.kind = EventKind::kToolCall;
  e.command = "memory reward";
  e.actor = "memory reward";
  e.tags = {policies::kRewardTag};
  e.exit_code = 0;
  Decision d;
  d.decision_id = o.decision;
  d.policy = decided.decision->policy;
  d.model_version = decided.decision->model_version;
  d.action = decided.decision->action;
  d.probability = decided.decision->probability;
  d.reward = v;
  e.decision = d;
  FillContext(&e);
  std::vector<Event> events{e};
  s = RecordToSpool(g, config, events);
  if (!s.ok()) return Fail(s);
  if (o.json) {
    nlohmann::json j = {{"decision", o.decision}, {"reward", v}, {"action", d.action}, {"event", events[0].id}};
    std::printf("%s\n", JsonText(j).c_str());
  } else if (!g.quiet) {
    std::printf("reward %g recorded for decision %s (%s)\n", v, o.decision.c_str(), d.action.c_str());
  }
  return 0;
}

void SetupReward(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("reward", "Give the reward of a logged decision (a suggestion, a tuned run)");
  auto o = std::make_shared<RewardOptions>();
  sub->add_option("--decision", o->decision, "Decision id")->required();
  sub->add_option("--value", o->value, "Reward (higher is better; 1 = success, 0 = failure)")->required();
  sub->add_flag("--json", o->json, "Print JSON");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunReward(*o, g); }; });
}
}  // namespace
MEMORY_REGISTER_COMMAND(72, "reward", SetupReward);
}  // namespace memory::cli
