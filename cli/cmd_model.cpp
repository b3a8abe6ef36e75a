// `memory model list|show VERSION|promote VERSION|rollback|prune`: the registry of trained models
// (learner/registry.h). promote and rollback validate the model files first, so a corrupt or
// incompatible version never becomes champion; they and prune take the training lock (exit 3
// while a training runs). prune keeps the champion, the previous champions rollback returns to
// and the newest other versions (config models.keep / models.keep_rollback, or --keep /
// --keep-rollback); `memory train` runs the same prune after registering (cli/model_prune.h).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "learner/intent_snapshot.h"
#include "policies/suggest_train.h"
#include "learner/registry.h"
#include "cli/model_prune.h"
#include "cli/train_prefetch.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

struct ModelOptions {
  std::string kind = "intent";
  std::string version;
  bool json = false;
};

Status ValidateVersion(const std::string& kind, const std::string& dir) {
  if (kind == policies::kBanditKind) return policies::ValidateBanditVersion(dir);
  if (kind == kPrefetchKind) return ValidatePrefetchVersion(dir);  // prefetch.json parses, its spec builds
  if (kind != "intent") return Status::OK();
  return learner::ValidateIntentVersion(dir);  // intent.snap, or gru.bin for a GRU version
}

Status CheckKind(const std::string& kind) {
  if (kind != "intent" && kind != policies::kBanditKind && kind != kPrefetchKind)
    return Status::InvalidArgument("--kind must be intent, bandit or prefetch, not '" + kind + "'");
  return Status::OK();
}

// The headline metric of a kind: top-1 for intent, the SNIPS value for bandit, the hit ratio for prefetch.
const char* MetricOf(const std::string& kind) {
  return kind == policies::kBanditKind ? "value_snips" : kind == kPrefetchKind ? "hit_ratio" : "top1";
}

std::string Top1(const std::map<std::string, double>& m, const char* key = "top1") {
  auto it = m.find(key);
  if (it == m.end()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", it->second);
  return buf;
}

int RunList(const ModelOptions& o, const Globals& g) {
  if (Status s = CheckKind(o.kind); !s.ok()) return Fail(s);
  learner::ModelRegistry reg(g.db + "/models");
  std::vector<learner::ModelVersionInfo> all;
  if (Status s = reg.List(o.kind, &all); !s.ok()) return Fail(s);
  if (o.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& m : all) {
      nlohmann::json v = nlohmann::json::parse(learner::ModelVersionJson(m));
      j.push_back(v);
    }
    std::printf("%s\n", JsonText(j).c_str());
    return 0;
  }
  if (all.empty()) {
    std::printf("no %s models yet (run `memory train`)\n", o.kind.c_str());
    return 0;
  }
  std::printf("%-20s %-9s %-12s %8s %9s %9s  %s\n", "version", "status", "decision", "events", o.kind == policies::kBanditKind ? "value" : o.kind == kPrefetchKind ? "hit_ratio" : "top1", "champion",
              "trained");
  for (const auto& m : all) {
    std::string when = m.created_us ? FormatLocalTime(m.created_us) : "-";
    std::printf("%-20s %-9s %-12s %8lld %9s %9s  %s%s\n", m.version.c_str(), m.status.c_str(),
                m.decision.substr(0, 12).c_str(), static_cast<long long>(m.events), Top1(m.metrics, MetricOf(o.kind)).c_str(),
                Top1(m.champion_metrics, MetricOf(o.kind)).c_str(), when.c_str(), m.stale ? "  (stale: data removed)" : "");
    if (m.status == "corrupt") std::printf("    %s\n", m.reason.c_str());
  }
  return 0;
}

int RunShow(const ModelOptions& o, const Globals& g) {
  if (Status s = CheckKind(o.kind); !s.ok()) return Fail(s);
  learner::ModelRegistry reg(g.db + "/models");
  learner::ModelVersionInfo m;
  if (Status s = reg.Get(o.kind, o.version, &m); !s.ok()) return Fail(s);
  if (o.json) {
    std::printf("%s\n", learner::ModelVersionJson(m, -1).c_str());
    return 0;
  }
  std::printf("version    %s (%s)\n", m.version.c_str(), m.status.c_str());
  std::printf("model      %s %s, code %s\n", m.kind.c_str(), m.config.c_str(), m.code_version.c_str());
  std::printf("trained    %s on %lld events from %s to %s%s\n", FormatLocalTime(m.created_us).c_str(),
              static_cast<long long>(m.events), FormatLocalTime(m.data_from_us).c_str(),
              FormatLocalTime(m.data_to_us).c_str(), m.stale ? " (stale: some of that data was removed)" : "");
  std::printf("evaluated  on %lld events from %s: %s %s (champion then: %s)\n", static_cast<long long>(m.eval_events),
              FormatLocalTime(m.eval_from_us).c_str(), MetricOf(m.kind), Top1(m.metrics, MetricOf(m.kind)).c_str(),
              Top1(m.champion_metrics, MetricOf(m.kind)).c_str());
  std::printf("decision   %s: %s\n", m.decision.c_str(), m.reason.c_str());
  return 0;
}

int RunPromote(const ModelOptions& o, const Globals& g) {
  if (Status s = CheckKind(o.kind); !s.ok()) return Fail(s);
  learner::ModelRegistry reg(g.db + "/models");
  std::unique_ptr<learner::RegistryLock> lock;
  if (Status s = learner::RegistryLock::Acquire(reg.root() + "/train.lock", &lock); !s.ok()) return Fail(s);
  auto validate = [&](const std::string& dir) { return ValidateVersion(o.kind, dir); };
  if (Status s = reg.Promote(o.kind, o.version, "promoted by hand", "memory model promote", validate); !s.ok())
    return Fail(s);
  if (o.json) std::printf("%s\n", JsonText(nlohmann::json({{"champion", o.version}})).c_str());
  else std::printf("%s: %s is the champion\n", o.kind.c_str(), o.version.c_str());
  return 0;
}

int RunRollback(const ModelOptions& o, const Globals& g) {
  if (Status s = CheckKind(o.kind); !s.ok()) return Fail(s);
  learner::ModelRegistry reg(g.db + "/models");
  std::unique_ptr<learner::RegistryLock> lock;
  if (Status s = learner::RegistryLock::Acquire(reg.root() + "/train.lock", &lock); !s.ok()) return Fail(s);
  std::string previous, restored;
  if (Status s = reg.Champion(o.kind, &previous); !s.ok()) return Fail(s);
  auto validate = [&](const std::string& dir) { return ValidateVersion(o.kind, dir); };
  if (Status s = reg.Rollback(o.kind, validate, &restored); !s.ok()) return Fail(s);
  if (o.json)
    std::printf("%s\n", JsonText(nlohmann::json({{"champion", restored}, {"retired", previous}})).c_str());
  else
    std::printf("%s: rolled back from %s to %s\n", o.kind.c_str(), previous.c_str(), restored.c_str());
  return 0;
}

struct PruneCliOptions {
  std::string kind = "all";
  int64_t keep = -1, keep_rollback = -1;  // -1: from the config
  bool dry_run = false, json = false;
};

int RunPrune(const PruneCliOptions& o, const Globals& g) {
  if (o.kind != "all" && !CheckKind(o.kind).ok())
    return Fail(Status::InvalidArgument("--kind must be intent, bandit, prefetch or all, not '" + o.kind + "'"));
  Config config;
  if (Status s = LoadUserConfig(g, &config); !s.ok()) return Fail(s);
  learner::PruneOptions po = PruneOptionsFrom(config);
  if (o.keep >= 0) po.keep = static_cast<size_t>(o.keep);
  if (o.keep_rollback >= 0) po.keep_rollback = static_cast<size_t>(o.keep_rollback);
  po.dry_run = o.dry_run;
  learner::ModelRegistry reg(g.db + "/models");
  std::vector<std::string> kinds = o.kind == "all" ? ModelKinds() : std::vector<std::string>{o.kind};
  std::vector<learner::PruneResult> results;
  {
    std::error_code ec;
    if (!std::filesystem::is_directory(reg.root(), ec)) {
      // Nothing trained yet (or a mistyped --db): report empty results, create nothing.
      for (const auto& k : kinds) results.push_back(learner::PruneResult{k, {}, {}, 0});
    } else {
      std::unique_ptr<learner::RegistryLock> lock;
      if (Status s = learner::RegistryLock::Acquire(reg.root() + "/train.lock", &lock); !s.ok()) return Fail(s);
      for (const auto& k : kinds) {
        learner::PruneResult r;
        if (Status s = reg.Prune(k, po, &r); !s.ok()) return Fail(s);
        results.push_back(std::move(r));
      }
    }
  }
  if (o.json) {
    nlohmann::json j = {{"dry_run", o.dry_run}, {"keep", po.keep}, {"keep_rollback", po.keep_rollback},
                        {"kinds", nlohmann::json::array()}};
    for (const auto& r : results) j["kinds"].push_back(nlohmann::json::parse(learner::PruneResultJson(r)));
    std::printf("%s\n", JsonText(j).c_str());
    return 0;
  }
  for (const auto& r : results) {
    for (const auto& v : r.kept)
      std::printf("%-8s %-20s %-9s kept (%s)\n", r.kind.c_str(), v.version.c_str(), v.status.c_str(), v.why.c_str());
    for (const auto& v : r.removed)
      std::printf("%-8s %-20s %-9s %s (%s)\n", r.kind.c_str(), v.version.c_str(), v.status.c_str(),
                  o.dry_run ? "would remove" : "removed", FormatBytes(v.bytes).c_str());
    std::printf("%s\n", PruneSummary(r, o.dry_run).c_str());
  }
  return 0;
}

void SetupModel(CLI::App& app, Globals& g, Action* action) {
  auto* group = app.add_subcommand("model", "List, inspect, promote, roll back or prune trained models (the registry)");
  group->require_subcommand(1);
  auto add = [&](const char* name, const char* help, bool needs_version, int (*run)(const ModelOptions&, const Globals&)) {
    auto* sub = group->add_subcommand(name, help);
    auto o = std::make_shared<ModelOptions>();
    sub->add_option("--kind", o->kind, "Model kind (intent | bandit | prefetch)")->capture_default_str();
    if (needs_version) sub->add_option("version", o->version, "Version, as `memory model list` shows it")->required();
    sub->add_flag("--json", o->json, "Print JSON");
    sub->callback([o, &g, action, run] { *action = [o, &g, run] { return run(*o, g); }; });
  };
  add("list", "Every version, newest first: status (champion | rejected | retired), decision, metrics", false, RunList);
  add("show", "One version's metadata: data range, config, metrics of champion and challenger, decision", true, RunShow);
  add("promote", "Make VERSION the champion (its files are validated first)", true, RunPromote);
  add("rollback", "Re-instate the previous champion", false, RunRollback);

  auto* prune = group->add_subcommand(
      "prune", "Delete old versions: keeps the champion, the previous champions rollback returns to, and the newest "
               "--keep other versions (memory train does this after registering)");
  auto p = std::make_shared<PruneCliOptions>();
  prune->add_option("--kind", p->kind, "Model kind (intent | bandit | prefetch | all)")->capture_default_str();
  prune->add_option("--keep", p->keep, "Newest other versions kept per kind (default: config models.keep, 5)")
      ->check(CLI::NonNegativeNumber);
  prune->add_option("--keep-rollback", p->keep_rollback,
                    "Previous champions kept for `model rollback` (default: config models.keep_rollback, 5)")
      ->check(CLI::NonNegativeNumber);
  prune->add_flag("--dry-run", p->dry_run, "Show what would be deleted; delete nothing");
  prune->add_flag("--json", p->json, "Print JSON");
  prune->callback([p, &g, action] { *action = [p, &g] { return RunPrune(*p, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(72, "model", SetupModel);
}  // namespace memory::cli
