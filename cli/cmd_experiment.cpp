// `memory experiment FILE.yaml`: runs the grid a config names (environments x models x seeds, see
// learner/experiment.h) on a pool of threads, prints a summary table and writes results.csv,
// results.json and a plot into --out. Calls the same library code as `memory eval intent|bandit|
// cache`; the simulator kind replays env/ simulator users through the online protocol and
// reports accuracy by event index (learning over time).
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "cache/cache.h"
#include "cache/simulator.h"
#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "env/cache_trace.h"
#include "env/cb_data.h"
#include "env/history.h"
#include "env/simulator.h"
#include "learner/experiment.h"
#include "learner/model.h"
#include "learner/online_eval.h"
#include "policies/cb_eval.h"
#include "policies/policy.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

using learner::ExperimentConfig;
using learner::ExperimentJob;
using learner::ExperimentRow;

struct ExperimentOptions {
  std::string config;
  std::string out;
  int jobs = 1;
  bool json = false;
  bool check = false;
};

// Schonlau / Purdue files are Latin-1: bytes >= 0x80 become UTF-8 (as `memory eval intent` does).

// The same status with `prefix` before its message.
Status Prefixed(const Status& s, const std::string& prefix) {
  const std::string m = prefix + s.message();
  switch (s.code()) {
    case Status::Code::kNotFound: return Status::NotFound(m);
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(m);
    case Status::Code::kCorruption: return Status::Corruption(m);
    case Status::Code::kUnsupported: return Status::Unsupported(m);
    default: return Status::IOError(m);
  }
}

// Data of one environment, loaded once and shared read-only by its jobs.
struct LoadedEnv {
  learner::StreamVocabularies vocab;
  std::vector<learner::UserStream> users;  // intent
  env::CbDataset cb;                       // bandit
  std::vector<uint64_t> trace;             // cache
};

// The store's own history (--db), oldest first, one stream per user.
Status LoadStoreHistory(const Globals& g, LoadedEnv* out) {
  std::unique_ptr<Store> store;
  MEMORY_RETURN_IF_ERROR(OpenStore(g, StoreOptions::Mode::kReadOnly, &store));
  std::vector<std::string> order;
  std::unordered_map<std::string, std::vector<Event>> by_user;
  ScanOptions so;
  so.newest_first = false;
  MEMORY_RETURN_IF_ERROR(store->Scan(so, [&](const Event& e) {
    if (e.command.empty()) return true;
    auto [it, added] = by_user.try_emplace(e.user);
    if (added) order.push_back(e.user);
    it->second.push_back(e);
    return true;
  }));
  if (order.empty()) return Status::InvalidArgument(g.db + ": the store holds no events");
  for (const auto& u : order)
    out->users.push_back(learner::StreamFromEvents(u.empty() ? "(no user)" : u, by_user[u], &out->vocab));
  return Status::OK();
}

Status LoadIntent(const learner::ExperimentEnvironment& e, LoadedEnv* out) {
  env::HistoryFormat format;
  MEMORY_RETURN_IF_ERROR(env::ParseHistoryFormat(e.format, &format));
  std::vector<std::string> files;
  MEMORY_RETURN_IF_ERROR(env::ExpandHistoryPaths({e.path}, format, &files));
  std::vector<Event> events;
  for (const auto& f : files) {
    events.clear();
    MEMORY_RETURN_IF_ERROR(env::ReadProtocolHistory(f, format, &events));
    out->users.push_back(learner::StreamFromEvents(std::filesystem::path(f).filename().string(), events, &out->vocab));
  }
  return Status::OK();
}

Status LoadEnv(const Globals& g, const ExperimentConfig& c, const learner::ExperimentEnvironment& e, LoadedEnv* out) {
  if (c.kind == "intent") return e.store ? LoadStoreHistory(g, out) : LoadIntent(e, out);
  if (c.kind == "bandit")
    return e.format == "csv" ? env::ReadCbCsv(e.path, &out->cb) : env::ReadNl2BashBandit(e.path, &out->cb);
  if (c.kind == "cache") {
    env::TraceFormat f;
    MEMORY_RETURN_IF_ERROR(e.format == "auto" ? env::GuessTraceFormat(e.path, &f) : env::ParseTraceFormat(e.format, &f));
    return env::ReadCacheTrace(e.path, f, &out->trace);
  }
  return Status::OK();  // simulator: generated per seed by the job
}

// Validates every factory string before any data is read.
Status CheckSpecs(const ExperimentConfig& c) {
  for (const auto& m : c.models) {
    Status s;
    if (c.kind == "intent" || c.kind == "simulator") {
      std::unique_ptr<learner::NextCommandModel> model;
      s = learner::NewModel(m, &model);
    } else if (c.kind == "cache") {
      std::unique_ptr<cache::Policy> p;
      s = cache::NewPolicy(m, 64, &p);
    } else if (c.kind == "bandit") {
      std::unique_ptr<policies::Policy> p;
      s = policies::MakePolicy(m, 1, &p);
    }
    if (!s.ok()) return Status::InvalidArgument(c.file + ": model '" + m + "': " + s.ToString());
  }
  return Status::OK();
}

// Simulator: users' streams through the online protocol, hits counted per bucket of the user's
// event index (how accuracy grows as a model sees more of a user).
Status RunSimulatorJob(const ExperimentConfig& c, const learner::ExperimentEnvironment& e, const ExperimentJob& job,
                       std::vector<ExperimentRow>* rows) {
  env::SimulatorOptions so;
  so.seed = job.seed;
  so.events = e.events;
  so.users = e.users;
  so.agent_share = e.agent_share;
  std::vector<Event> events;
  MEMORY_RETURN_IF_ERROR(env::Simulate(so, &events));
  std::vector<std::string> order;
  std::unordered_map<std::string, std::vector<Event>> by_user;
  for (Event& ev : events) {
    auto [it, added] = by_user.try_emplace(ev.user);
    if (added) order.push_back(ev.user);
    it->second.push_back(std::move(ev));
  }
  learner::StreamVocabularies vocab;
  std::vector<learner::UserStream> users;
  for (const auto& u : order) users.push_back(learner::StreamFromEvents(u, by_user[u], &vocab));
  const size_t bucket = static_cast<size_t>(c.bucket);
  std::vector<int64_t> scored, hits1, hits3, hits5;
  std::vector<learner::Prediction> preds;
  for (const auto& s : users) {
    std::unique_ptr<learner::NextCommandModel> model;
    MEMORY_RETURN_IF_ERROR(learner::NewModel(job.model, &model));
    model->SetVocabulary(&vocab.commands);
    uint32_t session_start = 0;
    learner::Context ctx;
    for (size_t i = 0; i < s.commands.size(); ++i) {
      ctx.history = std::span<const learner::CommandId>(s.commands.data(), i);
      if (!s.sessions.empty() && i > 0 && s.sessions[i] != s.sessions[i - 1]) session_start = static_cast<uint32_t>(i);
      ctx.position = static_cast<uint32_t>(i) - session_start;
      ctx.cwd = s.cwds.empty() ? 0 : s.cwds[i];
      ctx.has_last_exit = i > 0 && !s.exits.empty() && s.exits[i - 1] != INT32_MIN;
      ctx.last_exit = ctx.has_last_exit ? s.exits[i - 1] : 0;
      ctx.gap_us = (i > 0 && !s.ts_us.empty()) ? s.ts_us[i] - s.ts_us[i - 1] : -1;
      ctx.agent = !s.agent.empty() && s.agent[i] != 0;
      if (i > 0) {
        model->Predict(ctx, 5, &preds);
        size_t rank = 5;
        for (size_t r = 0; r < preds.size(); ++r)
          if (preds[r].command == s.commands[i]) { rank = r; break; }
        size_t b = i / bucket;
        if (b >= scored.size()) {
          scored.resize(b + 1, 0), hits1.resize(b + 1, 0), hits3.resize(b + 1, 0), hits5.resize(b + 1, 0);
        }
        ++scored[b];
        hits1[b] += rank < 1;
        hits3[b] += rank < 3;
        hits5[b] += rank < 5;
      }
      model->Learn(ctx, s.commands[i]);
    }
  }
  for (size_t b = 0; b < scored.size(); ++b) {
    if (scored[b] == 0) continue;
    ExperimentRow r{e.name, job.model, job.seed, static_cast<double>((b + 1) * bucket), {}};
    const double n = static_cast<double>(scored[b]);
    r.metrics = {{"top1", hits1[b] / n}, {"top3", hits3[b] / n}, {"top5", hits5[b] / n}};
    rows->push_back(std::move(r));
  }
  return Status::OK();
}

Status RunJob(const ExperimentConfig& c, const std::vector<LoadedEnv>& data, const ExperimentJob& job,
              std::vector<ExperimentRow>* rows) {
  const auto& e = c.environments[job.env];
  const LoadedEnv& d = data[job.env];
  ExperimentRow r{e.name, job.model, job.seed, 0, {}};
  if (c.kind == "intent") {
    learner::EvalResult res;
    MEMORY_RETURN_IF_ERROR(learner::EvaluateOnline(job.model, d.users, {}, 5, &res, &d.vocab.commands));
    r.metrics = {{"top1", res.total.Rate(0)},
                 {"top3", res.total.Rate(1)},
                 {"top5", res.total.Rate(2)},
                 {"macro_top1", res.Macro(0)},
                 {"events_per_s", res.seconds > 0 ? res.total.events / res.seconds : 0}};
  } else if (c.kind == "bandit") {
    policies::CbEvalOptions o;
    o.policy = job.model;
    o.seed = job.seed;
    policies::CbEvalResult res;
    MEMORY_RETURN_IF_ERROR(policies::RunCbEval(d.cb, o, &res));
    r.metrics = {{"pv_loss", res.pv_loss}, {"supervised_loss", res.supervised_loss}, {"examples_per_s", res.examples_per_s}};
  } else if (c.kind == "cache") {
    cache::SimulationOptions o;
    o.policy = job.model;
    o.capacity = job.capacity;
    o.prefetch = c.prefetch;
    cache::SimulationResult res;
    MEMORY_RETURN_IF_ERROR(cache::Simulate(d.trace, o, &res));
    r.x = static_cast<double>(job.capacity);
    if (res.prefetch != "none") r.model = job.model + " + " + res.prefetch;
    r.metrics = {{"hit_ratio", res.total.hit_ratio()},
                 {"prefetch_accuracy", res.total.prefetch_accuracy()},
                 {"accesses_per_s", res.accesses_per_s}};
  } else {
    return RunSimulatorJob(c, e, job, rows);
  }
  // Keep only the metrics the config asked for (the table and files list those).
  rows->push_back(std::move(r));
  return Status::OK();
}

int RunExperiment(const ExperimentOptions& o, const Globals& g) {
  if (o.jobs < 1 || o.jobs > 256) return Fail(Status::InvalidArgument("--jobs must be between 1 and 256"));
  ExperimentConfig c;
  if (Status s = learner::ParseExperimentConfig(o.config, !o.check, &c); !s.ok()) return Fail(s);
  if (Status s = CheckSpecs(c); !s.ok()) return Fail(s);
  if (o.check) {
    std::printf("%s: ok (%s, %zu environments, %zu models, %zu seeds)\n", o.config.c_str(), c.kind.c_str(),
                c.environments.size(), c.models.size(), c.seeds.size());
    return 0;
  }
  const bool progress = !g.quiet && !o.json && StderrIsTerminal();
  for (const auto& e : c.environments)
    if (e.missing) std::fprintf(stderr, "memory: skipping environment '%s': %s not found\n", e.name.c_str(), e.path.c_str());
  std::vector<LoadedEnv> data(c.environments.size());
  for (size_t i = 0; i < c.environments.size(); ++i) {
    if (c.environments[i].missing) continue;
    if (progress) std::fprintf(stderr, "loading %s ...\033[K\r", c.environments[i].name.c_str());
    if (Status s = LoadEnv(g, c, c.environments[i], &data[i]); !s.ok()) {
      if (progress) std::fprintf(stderr, "\033[K");
      return Fail(s);
    }
  }
  const auto jobs = learner::ExpandGrid(c);
  if (jobs.empty()) return Fail(Status::InvalidArgument(o.config + ": nothing to run (every environment skipped)"));
  std::vector<std::vector<ExperimentRow>> results(jobs.size());
  std::vector<Status> statuses(jobs.size());
  std::atomic<size_t> next{0}, done{0};
  std::mutex progress_mu;
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      statuses[i] = RunJob(c, data, jobs[i], &results[i]);
      size_t n = ++done;
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mu);
        std::fprintf(stderr, "ran %zu/%zu jobs\033[K\r", n, jobs.size());
      }
    }
  };
  const size_t threads = std::min<size_t>(static_cast<size_t>(o.jobs), jobs.size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (progress) std::fprintf(stderr, "\033[K");
  std::vector<ExperimentRow> rows;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (!statuses[i].ok()) {
      const auto& e = c.environments[jobs[i].env];
      return Fail(Prefixed(statuses[i], c.file + ":" + std::to_string(e.line) + ": environment '" + e.name +
                                            "', model '" + jobs[i].model + "': "));
    }
    for (auto& r : results[i]) {
      std::map<std::string, double> kept;
      for (const auto& m : c.metrics)
        if (r.metrics.count(m)) kept[m] = r.metrics[m];
      r.metrics = std::move(kept);
      rows.push_back(std::move(r));
    }
  }
  const std::string out = o.out.empty() ? "experiments/" + c.name : o.out;
  std::string plot_note;
  if (Status s = learner::WriteExperimentResults(c, rows, out, &plot_note); !s.ok()) return Fail(s);
  if (o.json) {
    std::ifstream in(out + "/results.json");
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    j["out"] = out;
    j["plot"] = plot_note;
    std::printf("%s\n", JsonText(j).c_str());
    return 0;
  }
  std::printf("experiment %s (%s): %zu jobs\n\n", c.name.c_str(), c.kind.c_str(), jobs.size());
  std::printf("%s\n", learner::FormatSummaryTable(c, learner::Summarize(c, rows)).c_str());
  std::printf("wrote %s/results.csv, %s/results.json\n%s\n", out.c_str(), out.c_str(), plot_note.c_str());
  return 0;
}

void SetupExperiment(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand(
      "experiment",
      "Run a YAML-defined grid (environments x models/policies x seeds): table, results.csv/json, plot");
  auto o = std::make_shared<ExperimentOptions>();
  sub->add_option("config", o->config, "Experiment file, e.g. configs/experiments/intent.yaml")->required();
  sub->add_option("--out", o->out, "Output folder (default experiments/<name>)");
  sub->add_option("--jobs", o->jobs, "Grid cells run in parallel (threads)")->capture_default_str();
  sub->add_flag("--check", o->check, "Only validate the config (syntax, keys, types, factory strings)");
  sub->add_flag("--json", o->json, "Print the results as JSON");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunExperiment(*o, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(80, "experiment", SetupExperiment);
}  // namespace memory::cli
