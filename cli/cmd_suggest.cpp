// memory suggest --task "TEXT" [--top K] [--json]: tools (with an example command) for a task in
// the current directory, from a contextual bandit rebuilt from the store's log. The suggestion
// is logged as a decision (id printed with --json) so it learns from what is run next or from
// `memory reward --decision ID --value X`.
// When `memory train` has registered a bandit champion (<db>/models/bandit/CHAMPION, read on
// every call), the policy is loaded from it and learns only the events newer than it; a model
// that does not load is reported on stderr and the policy is rebuilt from the store as before.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/context.h"
#include "learner/registry.h"
#include "policies/suggest.h"
#include "policies/suggest_train.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

struct SuggestCliOptions {
  std::string task;
  int top = 5;
  std::string policy;
  size_t history = 20000;
  bool json = false;
};

// Loads the bandit champion, if there is one; a broken one is reported and skipped.
std::unique_ptr<policies::SuggestModel> LoadChampion(const Globals& g, const policies::SuggestOptions& so,
                                                     std::string* version) {
  learner::ModelRegistry reg(g.db + "/models");
  if (!reg.Champion(policies::kBanditKind, version).ok()) return nullptr;
  learner::ModelVersionInfo info;
  if (reg.Get(policies::kBanditKind, *version, &info).ok() && info.stale) {
    version->clear();  // trained on events since removed (forget / clean): never served
    return nullptr;
  }
  std::unique_ptr<policies::SuggestModel> model;
  Status s = policies::SuggestModel::Load(reg.VersionDir(policies::kBanditKind, *version), so, &model);
  if (!s.ok()) {
    std::fprintf(stderr, "memory: suggest: bandit model %s cannot be used (%s); rebuilding from the store\n",
                 version->c_str(), s.ToString().c_str());
    version->clear();
    return nullptr;
  }
  return model;
}

int RunSuggest(const SuggestCliOptions& o, const Globals& g) {
  if (o.top < 1) return Fail(Status::InvalidArgument("suggest: --top must be at least 1"));
  policies::SuggestOptions so;
  so.policy = o.policy;
  so.top = static_cast<size_t>(o.top);
  so.now_us = NowMicros();
  std::string version;
  std::unique_ptr<policies::SuggestModel> model;
  const bool have_db = ::access(g.db.c_str(), F_OK) == 0;
  if (have_db && o.policy.empty()) model = LoadChampion(g, so, &version);
  std::vector<Event> events;
  if (have_db) {
    std::unique_ptr<Store> store;
    Status s = OpenStore(g, StoreOptions::Mode::kReadOnly, &store);
    if (!s.ok()) return Fail(s);
    ScanOptions scan;
    scan.newest_first = true;
    if (model) scan.since_us = std::max<int64_t>(0, model->suggestions_to_us() + 1);
    s = store->Scan(scan, [&](const Event& e) {
      events.push_back(e);
      return events.size() < o.history;
    });
    if (!s.ok()) return Fail(s);
    std::reverse(events.begin(), events.end());
  }
  char buf[PATH_MAX];
  std::string cwd = getcwd(buf, sizeof buf) ? buf : "";
  policies::SuggestResult r;
  Status s;
  if (model) {
    so.seed = model->learned_commands() + model->learned_suggestions() + events.size() + 1;
    model->Reseed(so.seed);
    for (const Event& e : events) model->Count(e);
    for (const Event& e : events) model->Learn(e);
    model->Finish(so.now_us, /*eager=*/true);
    s = model->Answer(o.task, cwd, &r);
  } else {
    so.seed = events.size() + 1;
    s = policies::Suggest(events, o.task, cwd, so, &r);
  }
  if (!s.ok()) return Fail(s);

  Config config;
  s = LoadUserConfig(g, &config);
  if (!s.ok()) return Fail(s);
  Event e;
  e.ts_us = NowMicros();
  e.id = NewEventId(e.ts_us);
  e.kind = EventKind::kToolCall;
  e.command = "memory suggest";
  e.actor = "memory suggest";
  e.tags = {policies::kSuggestTag};
  e.params_json = JsonText(nlohmann::json({{"task", o.task}}));
  e.exit_code = 0;
  Decision d;
  d.decision_id = e.id;
  d.policy = r.policy;
  d.model_version = version.empty() ? "replay:" + std::to_string(r.learned_commands) + "+" + std::to_string(r.learned_suggestions)
                                    : "bandit:" + version + "+" + std::to_string(events.size());
  d.action_set = r.action_set;
  d.action = r.chosen;
  d.probability = r.probability;
  e.decision = d;
  FillContext(&e);
  std::vector<Event> batch{e};
  s = RecordToSpool(g, config, batch);
  if (!s.ok()) return Fail(s);

  if (o.json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& it : r.items) items.push_back({{"tool", it.tool}, {"example", it.example}, {"cost", it.cost}});
    nlohmann::json j = {{"decision", e.id}, {"task", o.task}, {"policy", r.policy}, {"probability", r.probability},
                        {"suggestions", items}, {"model", version}, {"replayed_events", events.size()},
                        {"learned_commands", r.learned_commands}, {"learned_suggestions", r.learned_suggestions}};
    std::printf("%s\n", JsonText(j).c_str());
    return 0;
  }
  for (size_t i = 0; i < r.items.size(); ++i)
    std::printf("%zu. %-12s %s\n", i + 1, r.items[i].tool.c_str(), r.items[i].example.c_str());
  if (!g.quiet) std::fprintf(stderr, "(decision %s: `memory reward --decision %s --value 1` if it helped)\n", e.id.c_str(), e.id.c_str());
  return 0;
}

void SetupSuggest(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("suggest", "Suggest tools/commands for a task description (learns from what you run; "
                                          "serves the bandit champion of `memory train` when there is one)");
  auto o = std::make_shared<SuggestCliOptions>();
  sub->add_option("--task", o->task, "What you want to do, in words")->required();
  sub->add_option("--top", o->top, "Number of suggestions")->capture_default_str();
  sub->add_option("--policy", o->policy,
                  "Bandit policy string (default " + std::string(policies::SuggestOptions::DefaultSpec()) +
                      "); given, the policy is rebuilt from the store instead of loading the champion");
  sub->add_flag("--json", o->json, "Print JSON");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunSuggest(*o, g); }; });
}
}  // namespace
MEMORY_REGISTER_COMMAND(68, "suggest", SetupSuggest);
}  // namespace memory::cli
