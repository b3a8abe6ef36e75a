// memory suggest --task "TEXT" [--top K] [--json]: tools (with an example command) for a task in
// the current directory, from a contextual bandit rebuilt from the store's log. The suggestion
// is logged as a decision (id printed with --json) so it learns from what is run next or from
// `memory reward --decision ID --value X`.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/context.h"
#include "policies/suggest.h"
#include "store/recorder.h"

namespace memory::cli {
namespace {

struct SuggestCliOptions {
  std::string task;
  int top = 5;
  std::string policy;
  size_t history = 20000;
  bool json = false;
};

int RunSuggest(const SuggestCliOptions& o, const Globals& g) {
  if (o.top < 1) return Fail(Status::InvalidArgument("suggest: --top must be at least 1"));
  std::vector<Event> events;
  if (::access(g.db.c_str(), F_OK) == 0) {
    std::unique_ptr<Store> store;
    Status s = OpenStore(g, StoreOptions::Mode::kReadOnly, &store);
    if (!s.ok()) return Fail(s);
    ScanOptions so;
    so.newest_first = true;
    s = store->Scan(so, [&](const Event& e) {
      events.push_back(e);
      return events.size() < o.history;
    });
    if (!s.ok()) return Fail(s);
    std::reverse(events.begin(), events.end());
  }
  char buf[PATH_MAX];
  std::string cwd = getcwd(buf, sizeof buf) ? buf : "";
  policies::SuggestOptions so;
  so.policy = o.policy;
  so.top = static_cast<size_t>(o.top);
  so.seed = events.size() + 1;
  so.now_us = NowMicros();
  policies::SuggestResult r;
  Status s = policies::Suggest(events, o.task, cwd, so, &r);
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
  e.params_json = nlohmann::json({{"task", o.task}}).dump();
  e.exit_code = 0;
  Decision d;
  d.decision_id = e.id;
  d.policy = r.policy;
  d.model_version = "replay:" + std::to_string(r.learned_commands) + "+" + std::to_string(r.learned_suggestions);
  d.action_set = r.action_set;
  d.action = r.chosen;
  d.probability = r.probability;
  e.decision = d;
  FillContext(&e);
  std::vector<Event> batch{e};
  RecorderOptions ro;
  ro.dir = g.db;
  ro.sync = config.sync;
  s = RecordEvents(ro, batch);
  if (!s.ok()) return Fail(s);

  if (o.json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& it : r.items) items.push_back({{"tool", it.tool}, {"example", it.example}, {"cost", it.cost}});
    nlohmann::json j = {{"decision", e.id}, {"task", o.task}, {"policy", r.policy}, {"probability", r.probability},
                        {"suggestions", items}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  for (size_t i = 0; i < r.items.size(); ++i)
    std::printf("%zu. %-12s %s\n", i + 1, r.items[i].tool.c_str(), r.items[i].example.c_str());
  if (!g.quiet) std::fprintf(stderr, "(decision %s: `memory reward --decision %s --value 1` if it helped)\n", e.id.c_str(), e.id.c_str());
  return 0;
}

void SetupSuggest(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("suggest", "Suggest tools/commands for a task description (learns from what you run)");
  auto o = std::make_shared<SuggestCliOptions>();
  sub->add_option("--task", o->task, "What you want to do, in words")->required();
  sub->add_option("--top", o->top, "Number of suggestions")->capture_default_str();
  sub->add_option("--policy", o->policy,
                  "Bandit policy string (default " + std::string(policies::SuggestOptions::DefaultSpec()) + ")");
  sub->add_flag("--json", o->json, "Print JSON");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunSuggest(*o, g); }; });
}
}  // namespace
MEMORY_REGISTER_COMMAND(68, SetupSuggest);
}  // namespace memory::cli
