// memory tune --param NAME=V1,V2,... [--param ...] [--runs N] [--policy SPEC] -- CMD ARGS...
// memory tune --show [--json] --param ... -- CMD ARGS...
//
// Picks a value for each {NAME} in CMD with a contextual bandit (context: the machine load),
// runs CMD, records the run as a decision (policy, action set, chosen action, probability) with
// its duration, exit status and peak RSS, and learns from it on the next call (the learner is
// rebuilt by replaying the recorded runs of the same template). A failed or killed run is a
// recorded failure (cost 3), not a crash.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/context.h"
#include "policies/decision_log.h"
#include "policies/tune.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

struct TuneOptions {
  std::vector<std::string> params;
  std::vector<std::string> command;
  std::string policy;
  int runs = 1;
  bool show = false;
  bool json = false;
};

std::string Quote(const std::string& w) {
  bool plain = !w.empty();
  for (unsigned char c : w)
    if (!(std::isalnum(c) || std::string_view("_@%+=:,./-{}").find(static_cast<char>(c)) != std::string_view::npos))
      plain = false;
  if (plain) return w;
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i ? " " : "") + Quote(words[i]);
  return out;
}

double LoadPerCpu() {
  double load[1] = {0};
  if (getloadavg(load, 1) != 1) return 0;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return load[0] / std::max(1L, cpus);
}

struct Outcome {
  int exit_code = 0;      // 128+N when killed by signal N, 127 when it could not start
  int64_t duration_us = 0, cpu_us = 0, peak_rss_kb = 0;
  std::string error;
};

Outcome RunChild(const std::vector<std::string>& argv_words) {
  Outcome o;
  std::vector<char*> argv;
  for (const auto& a : argv_words) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(nullptr);
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    o.exit_code = 127;
    o.error = std::string("fork: ") + std::strerror(errno);
    return o;
  }
  if (pid == 0) {
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "memory tune: cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(errno == ENOENT ? 127 : 126);
  }
  int status = 0;
  struct rusage ru;
  std::memset(&ru, 0, sizeof ru);
  while (::wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  o.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  o.cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  o.peak_rss_kb = ru.ru_maxrss;
  if (WIFEXITED(status)) {
    o.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    o.exit_code = 128 + WTERMSIG(status);
    o.error = std::string("killed by signal ") + std::to_string(WTERMSIG(status));
  }
  return o;
}

struct Grid {
  std::vector<policies::TuneParam> params;
  std::vector<std::map<std::string, std::string>> actions;
  std::vector<std::string> names;
  std::string template_text;
};

Status BuildGrid(const TuneOptions& o, Grid* g) {
  if (o.command.empty())
    return Status::InvalidArgument("tune: no command given (usage: memory tune --param jobs=1,2,4 -- make -j{jobs})");
  g->template_text = Join(o.command);
  if (o.params.empty() && o.show) return Status::OK();  // the grid comes from the log
  for (const auto& p : o.params) {
    policies::TuneParam tp;
    MEMORY_RETURN_IF_ERROR(policies::ParseTuneParam(p, &tp));
    g->params.push_back(std::move(tp));
  }
  MEMORY_RETURN_IF_ERROR(policies::TuneActions(g->params, 4096, &g->actions));
  std::vector<std::string> check;
  MEMORY_RETURN_IF_ERROR(policies::ExpandTemplate(o.command, g->actions[0], &check));
  for (const auto& a : g->actions) g->names.push_back(policies::TuneActionName(g->params, a));
  return Status::OK();
}

Status LoadRuns(const Globals& g, const Grid& grid, std::vector<policies::TuneRun>* runs) {
  runs->clear();
  if (::access(g.db.c_str(), F_OK) != 0) return Status::OK();  // nothing recorded yet
  std::unique_ptr<Store> store;
  MEMORY_RETURN_IF_ERROR(OpenStore(g, StoreOptions::Mode::kReadOnly, &store));
  return policies::ReadTuneRuns(*store, grid.template_text, grid.names, runs);
}

uint64_t TemplateSeed(const std::string& t, size_t runs) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : t) h = (h ^ c) * 1099511628211ull;
  return h + runs;
}

int Show(const TuneOptions& o, const Globals& g, Grid& grid) {
  if (grid.names.empty()) {  // no --param: the settings of the latest recorded run
    if (::access(g.db.c_str(), F_OK) == 0) {
      std::unique_ptr<Store> store;
      Status s = OpenStore(g, StoreOptions::Mode::kReadOnly, &store);
      if (!s.ok()) return Fail(s);
      s = policies::ReadTuneActionSet(*store, grid.template_text, &grid.names);
      if (!s.ok()) return Fail(s);
    }
    if (grid.names.empty())
      return Fail(Status::NotFound("tune: nothing recorded for '" + grid.template_text + "' (give --param to start)"));
  }
  std::vector<policies::TuneRun> runs;
  Status s = LoadRuns(g, grid, &runs);
  if (!s.ok()) return Fail(s);
  std::unique_ptr<policies::Tuner> tuner;
  s = policies::Tuner::Create(o.policy, static_cast<int>(grid.names.size()), TemplateSeed(grid.template_text, runs.size()), &tuner);
  if (!s.ok()) return Fail(s);
  tuner->Replay(runs);
  double load = LoadPerCpu();
  auto summary = tuner->Summarize(runs, grid.names, load);
  // The best so far is a setting that ran: the one the policy now favours among those (an
  // untried setting may be favoured more, to be tried, but nothing is known of it yet).
  std::optional<size_t> best;
  for (size_t a = 0; a < summary.size(); ++a)
    if (summary[a].runs > 0 && (!best || summary[a].probability > summary[*best].probability)) best = a;
  if (o.json) {
    nlohmann::json j;
    j["template"] = grid.template_text;
    j["policy"] = tuner->Spec();
    j["runs"] = runs.size();
    j["load"] = load;
    j["best"] = best ? nlohmann::json(summary[*best].name) : nlohmann::json(nullptr);
    nlohmann::json acts = nlohmann::json::array();
    for (auto& a : summary) {
      auto mean = [&](double v) { return a.runs > 0 ? nlohmann::json(v) : nlohmann::json(nullptr); };
      acts.push_back({{"action", a.name}, {"runs", a.runs}, {"failures", a.failures}, {"mean_seconds", mean(a.mean_seconds)},
                      {"mean_cost", mean(a.mean_cost)}, {"probability", a.probability}});
    }
    j["actions"] = acts;
    std::printf("%s\n", JsonText(j).c_str());
    return 0;
  }
  std::printf("%s: %zu recorded runs, policy %s\n", grid.template_text.c_str(), runs.size(), tuner->Spec().c_str());
  std::printf("%-32s %6s %8s %10s %9s %7s\n", "setting", "runs", "failed", "mean s", "cost", "p now");
  for (auto& a : summary) {
    if (a.runs == 0) {  // no mean of nothing
      std::printf("%-32s %6d %8d %10s %9s %7.3f\n", a.name.c_str(), a.runs, a.failures, "-", "-", a.probability);
      continue;
    }
    std::printf("%-32s %6d %8d %10.3f %9.3f %7.3f\n", a.name.c_str(), a.runs, a.failures, a.mean_seconds, a.mean_cost,
                a.probability);
  }
  if (best) std::printf("best so far: %s\n", summary[*best].name.c_str());
  return 0;
}

int RunTune(const TuneOptions& o, const Globals& g) {
  Grid grid;
  Status s = BuildGrid(o, &grid);
  if (!s.ok()) return Fail(s);
  if (o.show) return Show(o, g, grid);
  if (o.runs < 1) return Fail(Status::InvalidArgument("tune: --runs must be at least 1"));
  if (grid.names.empty()) return Fail(Status::InvalidArgument("tune: give at least one --param NAME=V1,V2,..."));
  Config config;
  s = LoadUserConfig(g, &config);
  if (!s.ok()) return Fail(s);
  int last_exit = 0;
  nlohmann::json all = nlohmann::json::array();
  for (int r = 0; r < o.runs; ++r) {
    std::vector<policies::TuneRun> runs;
    s = LoadRuns(g, grid, &runs);
    if (!s.ok()) return Fail(s);
    std::unique_ptr<policies::Tuner> tuner;
    s = policies::Tuner::Create(o.policy, static_cast<int>(grid.names.size()), TemplateSeed(grid.template_text, runs.size()),
                                &tuner);
    if (!s.ok()) return Fail(s);
    tuner->Replay(runs);
    double load = LoadPerCpu();
    policies::Choice c = tuner->Choose(load);
    std::vector<std::string> argv;
    s = policies::ExpandTemplate(o.command, grid.actions[c.action], &argv);
    if (!s.ok()) return Fail(s);
    if (!g.quiet && !o.json)
      std::fprintf(stderr, "memory tune: %s (p=%.2f): %s\n", grid.names[c.action].c_str(), c.probability, Join(argv).c_str());
    Event e;
    e.ts_us = NowMicros();
    e.id = NewEventId(e.ts_us);
    Outcome out = RunChild(argv);
    e.command = Join(argv);
    e.exit_code = out.exit_code;
    e.duration_us = out.duration_us;
    e.cpu_us = out.cpu_us;
    e.peak_rss_kb = out.peak_rss_kb;
    e.error = out.error;
    e.actor = "memory tune";
    e.tags = {policies::kTuneTag};
    nlohmann::json pj = {{"template", grid.template_text}, {"params", grid.actions[c.action]}, {"load", load}};
    e.params_json = JsonText(pj);
    Decision d;
    d.decision_id = e.id;
    d.policy = tuner->Spec();
    d.model_version = "replay:" + std::to_string(runs.size());
    d.action_set = grid.names;
    d.action = grid.names[c.action];
    d.probability = c.probability;
    d.reward = out.exit_code == 0 ? 1.0 : 0.0;
    e.decision = d;
    FillContext(&e);
    std::vector<Event> events{e};
    s = RecordToSpool(g, config, events);
    if (!s.ok()) return Fail(s);
    if (!g.quiet && !o.json)
      std::fprintf(stderr, "memory tune: %s took %.3f s, exit %d%s\n", grid.names[c.action].c_str(), out.duration_us / 1e6,
                   out.exit_code, out.error.empty() ? "" : (" (" + out.error + ")").c_str());
    all.push_back({{"decision", e.id}, {"action", d.action}, {"probability", c.probability},
                   {"seconds", out.duration_us / 1e6}, {"exit", out.exit_code}, {"peak_rss_kb", out.peak_rss_kb}});
    last_exit = out.exit_code;
  }
  if (o.json) std::printf("%s\n", JsonText(all).c_str());
  return last_exit;
}

void SetupTune(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("tune", "Tune a command's parameters with a bandit: run it, record, learn");
  auto o = std::make_shared<TuneOptions>();
  sub->add_option("--param", o->params, "NAME=V1,V2,... (repeatable); write {NAME} in the command")
      ->allow_extra_args(false);
  sub->add_option("--policy", o->policy,
                  "Bandit policy string (default " + std::string(policies::Tuner::DefaultSpec()) + ")");
  sub->add_option("--runs", o->runs, "Run the command this many times, learning after each")->capture_default_str();
  sub->add_flag("--show", o->show, "Print what has been learned for this command; run nothing");
  sub->add_flag("--json", o->json, "Print JSON");
  sub->add_option("command", o->command, "The command template, after --")->required();
  sub->footer("Example: memory tune --param jobs=1,2,4,8 -- make -j{jobs}\n"
              "Exit status: the command's (128+N when killed by signal N); 2 for bad usage.");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunTune(*o, g); }; });
}
}  // namespace
MEMORY_REGISTER_COMMAND(70, "tune", SetupTune);
}  // namespace memory::cli
