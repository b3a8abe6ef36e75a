#include "policies/tune.h"

#include <algorithm>
#include <set>

namespace memory::policies {
namespace {
bool ValidName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}
}  // namespace

Status ParseTuneParam(std::string_view text, TuneParam* out) {
  *out = TuneParam();
  size_t eq = text.find('=');
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("bad --param '" + std::string(text) + "': " + why +
                                   " (expected NAME=V1,V2,..., e.g. jobs=1,2,4,8)");
  };
  if (eq == std::string_view::npos) return bad("no '='");
  out->name = std::string(text.substr(0, eq));
  if (!ValidName(out->name)) return bad("the name must be letters, digits or '_'");
  std::string_view rest = text.substr(eq + 1);
  std::set<std::string> seen;
  size_t pos = 0;
  while (true) {
    size_t comma = rest.find(',', pos);
    std::string v(rest.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (v.empty()) return bad("empty value");
    if (!seen.insert(v).second) return bad("value '" + v + "' given twice");
    out->values.push_back(v);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return Status::OK();
}

Status TuneActions(const std::vector<TuneParam>& params, size_t max_actions,
                   std::vector<std::map<std::string, std::string>>* actions) {
  actions->clear();
  if (params.empty()) return Status::InvalidArgument("tune: give at least one --param NAME=V1,V2,...");
  std::set<std::string> names;
  size_t total = 1;
  for (const auto& p : params) {
    if (!names.insert(p.name).second) return Status::InvalidArgument("tune: parameter '" + p.name + "' given twice");
    total *= p.values.size();
    if (total > max_actions)
      return Status::InvalidArgument("tune: more than " + std::to_string(max_actions) + " combinations of values");
  }
  std::vector<size_t> idx(params.size(), 0);
  for (size_t n = 0; n < total; ++n) {
    std::map<std::string, std::string> a;
    for (size_t i = 0; i < params.size(); ++i) a[params[i].name] = params[i].values[idx[i]];
    actions->push_back(std::move(a));
    for (size_t i = params.size(); i-- > 0;) {
      if (++idx[i] < params[i].values.size()) break;
      idx[i] = 0;
    }
  }
  return Status::OK();
}

std::string TuneActionName(const std::vector<TuneParam>& params, const std::map<std::string, std::string>& values) {
  std::string out;
  for (const auto& p : params) {
    if (!out.empty()) out += ',';
    auto it = values.find(p.name);
    out += p.name + "=" + (it == values.end() ? "" : it->second);
  }
  return out;
}

Status ExpandTemplate(const std::vector<std::string>& words, const std::map<std::string, std::string>& values,
                      std::vector<std::string>* out) {
  out->clear();
  std::set<std::string> used;
  for (const std::string& w : words) {
    std::string r;
    size_t pos = 0;
    while (pos < w.size()) {
      size_t open = w.find('{', pos);
      if (open == std::string::npos) {
        r += w.substr(pos);
        break;
      }
      size_t close = w.find('}', open);
      std::string name = close == std::string::npos ? "" : w.substr(open + 1, close - open - 1);
      auto it = values.find(name);
      bool shell_variable = open > 0 && w[open - 1] == '$';  // ${HOME}: not ours
      if (close == std::string::npos || !ValidName(name) || it == values.end() || shell_variable) {
        // Not a placeholder of ours (e.g. a shell brace): keep the text, but an unknown
        // {identifier} is almost certainly a typo.
        if (close != std::string::npos && ValidName(name) && !shell_variable)
          return Status::InvalidArgument("tune: the command uses {" + name + "} but no --param " + name + "=... is given");
        r += w.substr(pos, open - pos + 1);
        pos = open + 1;
        continue;
      }
      r += w.substr(pos, open - pos) + it->second;
      used.insert(name);
      pos = close + 1;
    }
    out->push_back(std::move(r));
  }
  for (const auto& [name, v] : values)
    if (!used.count(name))
      return Status::InvalidArgument("tune: --param " + name + " is not used by the command (write {" + name + "} in it)");
  return Status::OK();
}

double ReferenceSeconds(const std::vector<TuneRun>& runs) {
  std::vector<double> ok;
  for (const auto& r : runs)
    if (!r.failed) ok.push_back(r.seconds);
  if (ok.empty()) return 1.0;
  std::nth_element(ok.begin(), ok.begin() + ok.size() / 2, ok.end());
  return std::max(ok[ok.size() / 2], 1e-6);
}

double TuneCost(const TuneRun& run, double reference_seconds) {
  if (run.failed) return kTuneFailureCost;
  return std::min(run.seconds / reference_seconds, kTuneFailureCost);
}

Status Tuner::Create(const std::string& spec, int num_actions, uint64_t seed, std::unique_ptr<Tuner>* out) {
  if (num_actions < 1) return Status::InvalidArgument("tune: no actions");
  std::unique_ptr<Policy> p;
  MEMORY_RETURN_IF_ERROR(MakePolicy(spec.empty() ? DefaultSpec() : spec, seed, &p));
  out->reset(new Tuner(std::move(p), num_actions));
  return Status::OK();
}

Example Tuner::Context(double load) {
  ctx_ = {{0, static_cast<float>(load)}};
  Example ex;
  ex.context = ctx_;
  ex.num_actions = k_;
  return ex;
}

void Tuner::Replay(const std::vector<TuneRun>& runs) {
  double ref = ReferenceSeconds(runs);
  std::vector<double> probs;
  for (const auto& r : runs) {
    if (r.action < 0 || r.action >= k_) continue;
    Example ex = Context(r.load);
    policy_->Distribution(ex, &probs);  // keeps explorers' round counters in step
    policy_->Learn(ex, r.action, TuneCost(r, ref), r.probability);
  }
}

Choice Tuner::Choose(double load) { return policy_->Choose(Context(load)); }

void Tuner::Distribution(double load, std::vector<double>* probs) { policy_->Distribution(Context(load), probs); }

std::vector<TuneActionSummary> Tuner::Summarize(const std::vector<TuneRun>& runs, const std::vector<std::string>& names,
                                                double load) {
  std::vector<TuneActionSummary> out(k_);
  for (int a = 0; a < k_; ++a) out[a].name = a < static_cast<int>(names.size()) ? names[a] : std::to_string(a);
  std::vector<double> total(k_, 0.0);
  for (const auto& r : runs) {
    if (r.action < 0 || r.action >= k_) continue;
    ++out[r.action].runs;
    if (r.failed) {
      ++out[r.action].failures;
    } else {
      total[r.action] += r.seconds;
    }
  }
  for (int a = 0; a < k_; ++a) {
    int ok = out[a].runs - out[a].failures;
    out[a].mean_seconds = ok > 0 ? total[a] / ok : 0;
  }
  std::vector<double> probs;
  Distribution(load, &probs);
  for (int a = 0; a < k_; ++a) out[a].probability = probs[a];
  // Predicted costs: the policy's learner is not exposed; report the observed mean cost instead.
  double ref = ReferenceSeconds(runs);
  std::vector<double> cost(k_, 0.0);
  for (const auto& r : runs)
    if (r.action >= 0 && r.action < k_) cost[r.action] += TuneCost(r, ref);
  for (int a = 0; a < k_; ++a) out[a].mean_cost = out[a].runs > 0 ? cost[a] / out[a].runs : 0;
  return out;
}

}  // namespace memory::policies
