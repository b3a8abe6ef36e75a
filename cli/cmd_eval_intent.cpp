// `memory eval intent`: next-command prediction with the standard online protocol on history
// files (one file = one user), e.g. the Schonlau SEA or Purdue PU data sets. Does not touch the
// store.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <malloc.h>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "env/history.h"
#include "learner/model.h"
#include "learner/online_eval.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

struct EvalIntentOptions {
  std::string format;
  std::string model;
  size_t top = 5;
  std::vector<std::string> pretrain;
  std::vector<std::string> files;
  std::string by = "file";
  int jobs = learner::DefaultEvalJobs();
  bool json = false;
};

// Files found in a folder that are documentation, not histories.
bool IsDocFile(const std::filesystem::path& p) {
  std::string name = p.filename().string();
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string ext = p.extension().string();
  return lower.rfind("readme", 0) == 0 || lower.rfind("license", 0) == 0 || lower == "sha256sums" ||
         ext == ".md" || ext == ".txt" || ext == ".csv";
}

// Name order with trailing numbers compared as numbers (User2 before User10).
bool NaturalLess(const std::string& a, const std::string& b) {
  auto split = [](const std::string& s) {
    size_t i = s.size();
    while (i > 0 && std::isdigit(static_cast<unsigned char>(s[i - 1]))) --i;
    long long n = (i < s.size() && s.size() - i < 18) ? std::stoll(s.substr(i)) : -1;
    return std::make_pair(s.substr(0, i), n);
  };
  auto [pa, na] = split(a);
  auto [pb, nb] = split(b);
  if (pa != pb) return a < b;
  return na != nb ? na < nb : a < b;
}

// Expands files and folders (a folder's history files, documentation skipped) in a stable order.
Status ExpandInputs(const std::vector<std::string>& paths, std::vector<std::string>* files) {
  for (const std::string& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::string> inside;
      MEMORY_RETURN_IF_ERROR(env::ExpandHistoryPaths({p}, &inside));
      std::vector<std::string> keep;
      for (auto& f : inside)
        if (!IsDocFile(f)) keep.push_back(f);
      std::sort(keep.begin(), keep.end(), NaturalLess);
      if (keep.empty()) return Status::InvalidArgument(p + ": folder holds no history files");
      files->insert(files->end(), keep.begin(), keep.end());
    } else {
      files->push_back(p);
    }
  }
  return Status::OK();
}


Status ReadStreams(const std::vector<std::string>& files, env::HistoryFormat format, bool by_session,
                   learner::StreamVocabularies* vocab, std::vector<learner::UserStream>* out) {
  std::vector<Event> events;
  for (const std::string& f : files) {
    events.clear();
    MEMORY_RETURN_IF_ERROR(env::ReadProtocolHistory(f, format, &events));
    std::string name = std::filesystem::path(f).filename().string();
    if (!by_session) {
      out->push_back(learner::StreamFromEvents(name, events, vocab));
      continue;
    }
    // One stream per session, in order of first appearance.
    std::vector<std::string> order;
    std::unordered_map<std::string, std::vector<Event>> groups;
    for (Event& e : events) {
      auto [it, added] = groups.try_emplace(e.session);
      if (added) order.push_back(e.session);
      it->second.push_back(std::move(e));
    }
    for (const std::string& sess : order)
      out->push_back(learner::StreamFromEvents(name + ":" + sess, groups[sess], vocab));
  }
  return Status::OK();
}

// How well the listed probabilities match how often the commands came: expected calibration
// error (10 equal-width bins), mean probability and hit rate, for the first prediction of each
// list and for every prediction of the top-5 lists; the bins for a reliability diagram.
nlohmann::json CalibrationJson(const learner::EvalCounts& c) {
  auto table = [](const learner::ReliabilityTable& t) {
    nlohmann::json bins = nlohmann::json::array();
    for (int b = 0; b < learner::ReliabilityTable::kBins; ++b) {
      if (t.n[b] == 0) continue;
      bins.push_back({{"from", double(b) / t.kBins}, {"to", double(b + 1) / t.kBins}, {"n", t.n[b]},
                      {"mean_prob", t.prob[b] / double(t.n[b])}, {"hit_rate", double(t.hits[b]) / double(t.n[b])}});
    }
    return nlohmann::json{{"ece", t.Ece()}, {"mean_prob", t.MeanProb()}, {"hit_rate", t.HitRate()}, {"bins", bins}};
  };
  return {{"top1", table(c.calibration.first)}, {"top5", table(c.calibration.listed)}};
}

nlohmann::json Rates(const learner::EvalCounts& c, size_t top) {
  nlohmann::json j = {{"top1", c.Rate(0)}, {"top3", c.Rate(1)}, {"top5", c.Rate(2)}};
  if (top != 1 && top != 3 && top != 5) j["top" + std::to_string(top)] = c.Rate(3);
  return j;
}

int RunEvalIntent(const EvalIntentOptions& o, const Globals& g) {
  env::HistoryFormat format;
  if (Status s = env::ParseHistoryFormat(o.format, &format); !s.ok()) return Fail(s);
  if (o.top < 1 || o.top > 100) return Fail(Status::InvalidArgument("--top must be between 1 and 100"));
  if (o.jobs < 1 || o.jobs > 256) return Fail(Status::InvalidArgument("--jobs must be between 1 and 256"));
  std::string spec = o.model.empty() ? learner::BestModelSpec() : o.model;
  {
    std::unique_ptr<learner::NextCommandModel> probe;
    if (Status s = learner::NewModel(spec, &probe); !s.ok()) return Fail(s);
  }
  std::vector<std::string> files, pre_files;
  if (Status s = ExpandInputs(o.files, &files); !s.ok()) return Fail(s);
  if (Status s = ExpandInputs(o.pretrain, &pre_files); !s.ok()) return Fail(s);
  if (files.empty()) return Fail(Status::InvalidArgument("no history files given"));

  // Each user's model is built, grown and freed in turn: keep freed memory in this (short-lived)
  // process instead of handing it back to the kernel, so the next user's model does not page-fault
  // it in again (about 8 % of the loop's CPU time on Schonlau with ppm). Set before the files are
  // read, so that the loop also reuses the memory reading them took (another 4-5 %).
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest value glibc accepts
  learner::StreamVocabularies vocab;
  std::vector<learner::UserStream> users, pretrain;
  if (o.by != "file" && o.by != "session")
    return Fail(Status::InvalidArgument("--by must be 'file' or 'session', not '" + o.by + "'"));
  const bool by_session = o.by == "session";
  if (Status s = ReadStreams(pre_files, format, by_session, &vocab, &pretrain); !s.ok()) return Fail(s);
  if (Status s = ReadStreams(files, format, by_session, &vocab, &users); !s.ok()) return Fail(s);
  if (!g.quiet && !o.json && StderrIsTerminal()) std::fprintf(stderr, "evaluating %zu users...\r", users.size());

  learner::EvalResult r;
  if (Status s = learner::EvaluateOnline(spec, users, pretrain, o.top, &r, &vocab.commands, o.jobs); !s.ok()) return Fail(s);
  if (!g.quiet && !o.json && StderrIsTerminal()) std::fprintf(stderr, "\033[K");
  const double eps = r.seconds > 0 ? r.total.events / r.seconds : 0;
  const double novel = r.total.scored ? static_cast<double>(r.total.novel) / r.total.scored : 0;

  if (o.json) {
    nlohmann::json j = Rates(r.total, o.top);
    j["model"] = r.model;
    j["by"] = o.by;
    j["format"] = o.format;
    j["users"] = r.users.size();
    j["events"] = r.total.events;
    j["scored"] = r.total.scored;
    j["novel_share"] = novel;
    j["seconds"] = r.seconds;
    j["events_per_s"] = eps;
    j["jobs"] = o.jobs;
    nlohmann::json macro = {{"top1", r.Macro(0)}, {"top3", r.Macro(1)}, {"top5", r.Macro(2)}};
    if (o.top != 1 && o.top != 3 && o.top != 5) macro["top" + std::to_string(o.top)] = r.Macro(3);
    j["macro"] = macro;
    j["min_user"] = {{"top1", r.Min(0)}, {"top3", r.Min(1)}, {"top5", r.Min(2)}};
    j["max_user"] = {{"top1", r.Max(0)}, {"top3", r.Max(1)}, {"top5", r.Max(2)}};
    nlohmann::json per = nlohmann::json::array();
    for (const auto& u : r.users) {
      nlohmann::json ju = Rates(u.counts, o.top);
      ju["user"] = u.name;
      ju["events"] = u.counts.events;
      ju["scored"] = u.counts.scored;
      per.push_back(ju);
    }
    j["per_user"] = per;
    j["calibration"] = CalibrationJson(r.total);
    if (!pretrain.empty())
      j["pretrain"] = {{"files", pretrain.size()}, {"events", r.pretrain_events}, {"seconds", r.pretrain_seconds}};
    std::printf("%s\n", JsonText(j).c_str());
    return 0;
  }
  std::printf("model    %s\n", r.model.c_str());
  const bool one = r.users.size() == 1;
  const char* unit = o.by == "session" ? (one ? "session" : "sessions") : (one ? "user" : "users");
  std::printf("data     %zu %s, %lld commands (%lld scored), %.2f%% never seen before in that stream\n",
              r.users.size(), unit, static_cast<long long>(r.total.events), static_cast<long long>(r.total.scored),
              100 * novel);
  if (!pretrain.empty())
    std::printf("pretrain %zu files, %lld commands (%.2f s)\n", pretrain.size(),
                static_cast<long long>(r.pretrain_events), r.pretrain_seconds);
  bool extra = o.top != 1 && o.top != 3 && o.top != 5;
  std::string extra_head = extra ? "   top" + std::to_string(o.top) : "";
  std::printf("\n%-10s %7s %7s %7s%s\n", "", "top1", "top3", "top5", extra_head.c_str());
  auto row = [&](const char* label, double a, double b, double c, double d) {
    std::printf("%-10s %7.4f %7.4f %7.4f", label, a, b, c);
    if (extra) std::printf(" %7.4f", d);
    std::printf("\n");
  };
  row("micro", r.total.Rate(0), r.total.Rate(1), r.total.Rate(2), r.total.Rate(3));
  row("macro", r.Macro(0), r.Macro(1), r.Macro(2), r.Macro(3));
  row("min user", r.Min(0), r.Min(1), r.Min(2), r.Min(3));
  row("max user", r.Max(0), r.Max(1), r.Max(2), r.Max(3));
  std::printf("\ncalibration (ECE: mean |probability - outcome| by probability bin; 0 = calibrated)\n");
  std::printf("  first prediction   ECE %.4f  mean prob %.4f  hit rate %.4f\n", r.total.calibration.first.Ece(),
              r.total.calibration.first.MeanProb(), r.total.calibration.first.HitRate());
  std::printf("  top-5 predictions  ECE %.4f  mean prob %.4f  hit rate %.4f\n", r.total.calibration.listed.Ece(),
              r.total.calibration.listed.MeanProb(), r.total.calibration.listed.HitRate());
  std::printf("\nper %s:\n", o.by == "session" ? "session" : "user");
  for (const auto& u : r.users) {
    std::string label = u.name.size() > 24 ? u.name.substr(0, 21) + "..." : u.name;
    std::printf("  %-24s %8lld  %7.4f %7.4f %7.4f", label.c_str(), static_cast<long long>(u.counts.events),
                u.counts.Rate(0), u.counts.Rate(1), u.counts.Rate(2));
    if (extra) std::printf(" %7.4f", u.counts.Rate(3));
    std::printf("\n");
  }
  std::printf("\nspeed    %.0f events/s (%.3f s wall for predict + score + learn on %d thread%s; reading "
              "the files not included)\n",
              eps, r.seconds, o.jobs, o.jobs == 1 ? "" : "s");
  return 0;
}

void SetupEvalIntent(CLI::App& app, Globals& g, Action* action) {
  CLI::App* group = EvalGroup(app);
  auto* sub = group->add_subcommand(
      "intent",
      "Next-command prediction, online protocol: each file is one user; before each command the model "
      "ranks its top K, then learns the true command. Reports micro/macro top-1/3/5 and speed.");
  auto o = std::make_shared<EvalIntentOptions>();
  sub->add_option("--format", o->format, "History format: schonlau, purdue, jsonl, bash, zsh or fish")->required();
  sub->add_option("--model", o->model,
                  "Model factory string, e.g. 'ipam(alpha=0.8)', 'markov(order=1)', 'mfu', 'ppm(order=3)', "
                  "'mixture(ppm,ipam,markov)' (default: the best model)");
  sub->add_option("--top", o->top, "Also report hit@K for this K (1..100)")->capture_default_str();
  sub->add_option("--pretrain", o->pretrain,
                  "History file or folder of user files to train a population model on first (repeatable)")
      ->allow_extra_args(false);
  sub->add_option("files", o->files,
                  "History files or folders (one file per user; in folders README*, LICENSE*, *.md, *.txt and "
                  "*.csv are skipped). schonlau/purdue files may be Latin-1, as the data sets are.")
      ->required();
  sub->add_option("--by", o->by,
                  "What one stream is: 'file' (a user, the published protocol) or 'session' (each session of "
                  "each file, e.g. agent runs; combine with --pretrain on other sessions)")
      ->capture_default_str();
  sub->add_option("--jobs", o->jobs,
                  "Users evaluated in parallel (threads; each user has its own model, so results do not "
                  "depend on it)")
      ->capture_default_str();
  sub->add_flag("--json", o->json, "Print JSON");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunEvalIntent(*o, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(60, "eval", SetupEvalIntent);
}  // namespace memory::cli
