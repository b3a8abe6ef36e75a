#include "policies/decision_log.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "env/cb_data.h"
#include "policies/tune.h"

namespace memory::policies {
namespace {
bool HasTag(const Event& e, const char* tag) { return std::find(e.tags.begin(), e.tags.end(), tag) != e.tags.end(); }

// {"template" (tune) or "task" (suggest), "load"} of a decision; empty / 0 when absent.
void TuneFields(const Event& e, std::string* tmpl, double* load) {
  tmpl->clear();
  *load = 0;
  if (e.params_json.empty()) return;
  auto j = nlohmann::json::parse(e.params_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  if (auto it = j.find("template"); it != j.end() && it->is_string()) *tmpl = it->get<std::string>();
  if (auto it = j.find("task"); it != j.end() && it->is_string() && tmpl->empty()) *tmpl = it->get<std::string>();
  if (auto it = j.find("load"); it != j.end() && it->is_number()) *load = it->get<double>();
}

using env::LowerWords;
}  // namespace

Status ReadDecisions(Store& store, int64_t since_us, std::vector<Event>* decisions) {
  decisions->clear();
  std::map<std::string, double> rewards;  // latest explicit reward per decision id
  ScanOptions so;
  so.newest_first = false;
  so.since_us = since_us;
  MEMORY_RETURN_IF_ERROR(store.Scan(so, [&](const Event& e) {
    if (!e.decision) return true;
    if (HasTag(e, kRewardTag)) {
      if (e.decision->reward) rewards[e.decision->decision_id] = *e.decision->reward;
    } else {
      decisions->push_back(e);
    }
    return true;
  }));
  for (Event& e : *decisions) {
    auto it = rewards.find(e.decision->decision_id);
    if (it != rewards.end()) e.decision->reward = it->second;
  }
  return Status::OK();
}

Status ReadTuneRuns(Store& store, const std::string& template_text, const std::vector<std::string>& action_names,
                    std::vector<TuneRun>* runs) {
  runs->clear();
  std::map<std::string, int> index;
  for (size_t i = 0; i < action_names.size(); ++i) index[action_names[i]] = static_cast<int>(i);
  ScanOptions so;
  so.newest_first = false;
  return store.Scan(so, [&](const Event& e) {
    if (!e.decision || !HasTag(e, kTuneTag) || HasTag(e, kRewardTag)) return true;
    std::string tmpl;
    double load;
    TuneFields(e, &tmpl, &load);
    if (tmpl != template_text) return true;
    auto it = index.find(e.decision->action);
    if (it == index.end()) return true;
    TuneRun r;
    r.action = it->second;
    r.probability = e.decision->probability;
    r.load = load;
    r.failed = !e.exit_code.has_value() || *e.exit_code != 0;
    r.seconds = e.duration_us.value_or(0) / 1e6;
    runs->push_back(r);
    return true;
  });
}

Status ReadTuneActionSet(Store& store, const std::string& template_text, std::vector<std::string>* action_names) {
  action_names->clear();
  ScanOptions so;
  so.newest_first = true;
  return store.Scan(so, [&](const Event& e) {
    if (!e.decision || !HasTag(e, kTuneTag) || HasTag(e, kRewardTag)) return true;
    std::string tmpl;
    double load;
    TuneFields(e, &tmpl, &load);
    if (tmpl != template_text) return true;
    *action_names = e.decision->action_set;
    return false;
  });
}

void ToLoggedDecisions(const std::vector<Event>& decisions, std::vector<LoggedDecision>* out, size_t* skipped) {
  out->clear();
  *skipped = 0;
  for (const Event& e : decisions) {
    const Decision& d = *e.decision;
    auto it = std::find(d.action_set.begin(), d.action_set.end(), d.action);
    if (!d.reward || d.action_set.empty() || it == d.action_set.end() || !(d.probability > 0 && d.probability <= 1)) {
      ++*skipped;
      continue;
    }
    std::string tmpl;
    double load;
    TuneFields(e, &tmpl, &load);
    LoggedDecision ld;
    ld.context.push_back({0, static_cast<float>(load)});
    for (const std::string& w : LowerWords(tmpl.empty() ? e.command : tmpl)) ld.context.push_back({env::HashToken(w), 1.0f});
    ld.num_actions = static_cast<int>(d.action_set.size());
    for (const std::string& a : d.action_set) ld.action_features.push_back({{env::HashToken("action " + a), 1.0f}});
    ld.action = static_cast<int>(it - d.action_set.begin());
    ld.probability = d.probability;
    ld.cost = 1.0 - *d.reward;
    out->push_back(std::move(ld));
  }
}

}  // namespace memory::policies
