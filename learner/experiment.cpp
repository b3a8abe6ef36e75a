#include "learner/experiment.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "env/compressed_file.h"

namespace memory::learner {
namespace fs = std::filesystem;

std::vector<std::string> MetricsOfKind(const std::string& kind) {
  if (kind == "intent") return {"top1", "top3", "top5", "macro_top1", "events_per_s"};
  if (kind == "simulator") return {"top1", "top3", "top5"};
  if (kind == "bandit") return {"pv_loss", "supervised_loss", "examples_per_s"};
  if (kind == "cache") return {"hit_ratio", "prefetch_accuracy", "accesses_per_s"};
  return {};
}

std::string XAxisOfKind(const std::string& kind) {
  if (kind == "cache") return "capacity";
  if (kind == "simulator") return "events";
  return "";
}

namespace {

// Errors at a node: "FILE:LINE: message".
Status At(const std::string& file, const YAML::Node& n, const std::string& msg) {
  return Status::InvalidArgument(fmt::format("{}:{}: {}", file, n.Mark().line + 1, msg));
}

template <typename T>
Status Get(const std::string& file, const YAML::Node& n, const std::string& key, const char* type, T* out) {
  if (!n.IsScalar()) return At(file, n, "'" + key + "' must be " + type);
  try {
    *out = n.as<T>();
  } catch (const YAML::Exception&) {
    return At(file, n, "'" + key + "' must be " + type + ", not '" + n.Scalar() + "'");
  }
  return Status::OK();
}

Status GetStrings(const std::string& file, const YAML::Node& n, const std::string& key,
                  std::vector<std::string>* out) {
  out->clear();
  if (n.IsScalar()) {
    out->push_back(n.Scalar());
    return Status::OK();
  }
  if (!n.IsSequence()) return At(file, n, "'" + key + "' must be a list of strings");
  for (const auto& item : n) {
    if (!item.IsScalar()) return At(file, item, "'" + key + "' items must be strings");
    out->push_back(item.Scalar());
  }
  if (out->empty()) return At(file, n, "'" + key + "' is empty");
  return Status::OK();
}

template <typename T>
Status GetNumbers(const std::string& file, const YAML::Node& n, const std::string& key, const char* type,
                  std::vector<T>* out) {
  out->clear();
  if (n.IsScalar()) {
    T v;
    MEMORY_RETURN_IF_ERROR(Get(file, n, key, type, &v));
    out->push_back(v);
    return Status::OK();
  }
  if (!n.IsSequence()) return At(file, n, "'" + key + "' must be a list of " + type + "s");
  for (const auto& item : n) {
    T v;
    MEMORY_RETURN_IF_ERROR(Get(file, item, key, type, &v));
    out->push_back(v);
  }
  if (out->empty()) return At(file, n, "'" + key + "' is empty");
  return Status::OK();
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::vector<std::string> EnvKeysOfKind(const std::string& kind) {
  if (kind == "simulator") return {"name", "events", "users", "agent_share"};
  if (kind == "cache") return {"name", "path", "format", "capacities"};
  if (kind == "intent") return {"name", "path", "format", "store"};
  return {"name", "path", "format"};
}

Status ParseEnvironment(const std::string& file, const YAML::Node& n, const ExperimentConfig& c, bool check_files,
                        ExperimentEnvironment* e) {
  if (!n.IsMap()) return At(file, n, "each environment must be a mapping (name: ..., ...)");
  e->line = n.Mark().line + 1;
  const std::vector<std::string> keys = EnvKeysOfKind(c.kind);
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string key = it->first.Scalar();
    const YAML::Node v = it->second;  // a copy: it-> is a proxy that dies with the statement
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      return At(file, it->first, "unknown key '" + key + "' in a " + c.kind + " environment (expected " + Join(keys) + ")");
    if (key == "name") {
      MEMORY_RETURN_IF_ERROR(Get(file, v, key, "a string", &e->name));
    } else if (key == "path") {
      MEMORY_RETURN_IF_ERROR(Get(file, v, key, "a string", &e->path));
    } else if (key == "format") {
      MEMORY_RETURN_IF_ERROR(Get(file, v, key, "a string", &e->format));
    } else if (key == "store") {
      MEMORY_RETURN_IF_ERROR(Get(file, v, key, "true or false", &e->store));
    } else if (key == "events") {
      MEMORY_RETURN_IF_ERROR(Get(file, v, key, "an integer", &e->events));
      if (e->events < 10 || e->events > 100000000) return At(file, v, "'events' must be between 10 and 100000000");
    } else if (key == "users") {
      MEMORY_RETURN_IF_ERROR(Get(file, v, key, "an integer", &e->users));
      if (e->users < 1 || e->users > 200) return At(file, v, "'users' must be between 1 and 200");
    } else if (key == "agent_share") {
      MEMORY_RETURN_IF_ERROR(Get(file, v, key, "a number", &e->agent_share));
      if (!(e->agent_share >= 0 && e->agent_share <= 1)) return At(file, v, "'agent_share' must lie in [0, 1]");
    } else if (key == "capacities") {
      std::vector<int64_t> caps;
      MEMORY_RETURN_IF_ERROR(GetNumbers(file, v, key, "an integer", &caps));
      for (int64_t cap : caps) {
        if (cap < 1) return At(file, v, "'capacities' must be positive numbers of entries");
        e->capacities.push_back(static_cast<size_t>(cap));
      }
    }
  }
  if (e->name.empty()) return At(file, n, "environment without a 'name'");
  if (c.kind == "simulator") return Status::OK();
  if (e->store) {
    if (!e->path.empty() || !e->format.empty())
      return At(file, n, "environment '" + e->name + "': 'store: true' takes no path or format");
    return Status::OK();
  }
  if (e->path.empty()) return At(file, n, "environment '" + e->name + "' has no 'path'");
  if (e->format.empty()) {
    if (c.kind == "intent") return At(file, n, "environment '" + e->name + "' has no 'format' (schonlau, purdue, jsonl, bash or zsh)");
    e->format = c.kind == "bandit" ? "csv" : "auto";
  }
  if (c.kind == "bandit" && e->format != "csv" && e->format != "nl2bash")
    return At(file, n, "environment '" + e->name + "': format must be csv or nl2bash, not '" + e->format + "'");
  if (c.kind == "cache" && e->capacities.empty()) return At(file, n, "environment '" + e->name + "' has no 'capacities'");
  fs::path p(e->path);
  if (p.is_relative()) e->path = (fs::path(c.data_dir) / p).lexically_normal().string();
  std::error_code ec;
  if (check_files && !fs::exists(e->path, ec)) {
    if (!c.skip_missing)
      return Status::NotFound(fmt::format("{}:{}: environment '{}': {} not found (set skip_missing: true to skip it)",
                                          file, e->line, e->name, e->path));
    e->missing = true;
  }
  return Status::OK();
}

}  // namespace

Status ParseExperimentYaml(std::string_view text, const std::string& path, bool check_files, ExperimentConfig* out) {
  ExperimentConfig c;
  c.file = path;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(fmt::format("{}:{}: YAML syntax error: {}", path, e.mark.line + 1, e.msg));
  }
  if (!root.IsMap()) return Status::InvalidArgument(path + ": expected a YAML mapping (kind:, environments:, models:)");
  static const std::vector<std::string> kTop = {"name", "description", "kind", "data_dir", "skip_missing", "environments",
                                                "models", "policies", "prefetch", "seeds", "metrics", "bucket"};
  // Kind first: the accepted environment keys depend on it.
  if (!root["kind"]) return Status::InvalidArgument(path + ": missing 'kind' (intent, simulator, bandit or cache)");
  MEMORY_RETURN_IF_ERROR(Get(path, root["kind"], "kind", "a string", &c.kind));
  if (MetricsOfKind(c.kind).empty())
    return At(path, root["kind"], "unknown kind '" + c.kind + "' (expected intent, simulator, bandit or cache)");
  c.name = fs::path(path).stem().string();
  fs::path base = fs::path(path).parent_path();
  c.data_dir = base.empty() ? "." : base.string();
  const YAML::Node* envs = nullptr;
  YAML::Node env_node;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.Scalar();
    const YAML::Node v = it->second;  // a copy: it-> is a proxy that dies with the statement
    if (std::find(kTop.begin(), kTop.end(), key) == kTop.end())
      return At(path, it->first, "unknown key '" + key + "' (expected " + Join(kTop) + ")");
    if (key == "name") {
      MEMORY_RETURN_IF_ERROR(Get(path, v, key, "a string", &c.name));
      // The name becomes a directory under experiments/: one plain path component.
      const bool plain = !c.name.empty() && c.name.size() <= 128 && c.name[0] != '.' &&
                         std::all_of(c.name.begin(), c.name.end(), [](char ch) {
                           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
                         });
      if (!plain)
        return At(path, v, "name '" + c.name + "' must be letters, digits, '-', '_' or '.' (not first), at most 128");
    } else if (key == "description" || key == "kind") {
      if (!v.IsScalar()) return At(path, v, "'" + key + "' must be a string");
    } else if (key == "data_dir") {
      std::string d;
      MEMORY_RETURN_IF_ERROR(Get(path, v, key, "a string", &d));
      c.data_dir = fs::path(d).is_relative() ? (base / d).lexically_normal().string() : d;
    } else if (key == "skip_missing") {
      MEMORY_RETURN_IF_ERROR(Get(path, v, key, "true or false", &c.skip_missing));
    } else if (key == "environments") {
      if (!v.IsSequence() || v.size() == 0) return At(path, v, "'environments' must be a non-empty list");
      env_node = v;
      envs = &env_node;
    } else if (key == "models" || key == "policies") {
      MEMORY_RETURN_IF_ERROR(GetStrings(path, v, key, &c.models));
    } else if (key == "prefetch") {
      MEMORY_RETURN_IF_ERROR(Get(path, v, key, "a string", &c.prefetch));
      if (c.kind != "cache") return At(path, it->first, "'prefetch' applies to kind cache only");
    } else if (key == "seeds") {
      MEMORY_RETURN_IF_ERROR(GetNumbers(path, v, key, "an integer", &c.seeds));
    } else if (key == "metrics") {
      MEMORY_RETURN_IF_ERROR(GetStrings(path, v, key, &c.metrics));
      const auto known = MetricsOfKind(c.kind);
      for (const auto& m : c.metrics)
        if (std::find(known.begin(), known.end(), m) == known.end())
          return At(path, v, "unknown metric '" + m + "' for kind " + c.kind + " (expected " + Join(known) + ")");
    } else if (key == "bucket") {
      MEMORY_RETURN_IF_ERROR(Get(path, v, key, "an integer", &c.bucket));
      if (c.bucket < 1) return At(path, v, "'bucket' must be at least 1");
    }
  }
  if (const char* shared = std::getenv("MEMORY_SHARED_DIR"); shared && *shared) c.data_dir = shared;
  if (!envs) return Status::InvalidArgument(path + ": missing 'environments'");
  if (c.models.empty()) return Status::InvalidArgument(path + ": missing 'models' (factory strings)");
  if (c.metrics.empty()) c.metrics = MetricsOfKind(c.kind);
  std::set<std::string> names;
  for (const auto& n : *envs) {
    ExperimentEnvironment e;
    MEMORY_RETURN_IF_ERROR(ParseEnvironment(path, n, c, check_files, &e));
    if (!names.insert(e.name).second) return At(path, n, "duplicate environment name '" + e.name + "'");
    c.environments.push_back(std::move(e));
  }
  *out = std::move(c);
  return Status::OK();
}

Status ParseExperimentConfig(const std::string& path, bool check_files, ExperimentConfig* out) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return Status::InvalidArgument(path + ": is a directory, expected a YAML file");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fs::exists(path, ec) ? Status::IOError(path + ": cannot open") : Status::NotFound(path + ": no such file");
  std::string text;  // a few KB; /dev/zero or a binary file stops at its first block
  const Status read = env::ReadToEnd(fd, path, size_t{64} << 20, "binary file, expected YAML", &text);
  ::close(fd);
  MEMORY_RETURN_IF_ERROR(read);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Status::InvalidArgument(path + ": empty file");
  return ParseExperimentYaml(text, path, check_files, out);
}

std::vector<ExperimentJob> ExpandGrid(const ExperimentConfig& c) {
  std::vector<ExperimentJob> jobs;
  for (size_t e = 0; e < c.environments.size(); ++e) {
    if (c.environments[e].missing) continue;
    for (const auto& m : c.models)
      for (uint64_t s : c.seeds) {
        if (c.kind == "cache") {
          for (size_t cap : c.environments[e].capacities) jobs.push_back({e, m, s, cap});
        } else {
          jobs.push_back({e, m, s, 0});
        }
      }
  }
  return jobs;
}

std::vector<SummaryRow> Summarize(const ExperimentConfig& c, const std::vector<ExperimentRow>& rows) {
  std::vector<SummaryRow> out;
  std::map<std::tuple<std::string, std::string, double>, size_t> index;
  std::vector<std::map<std::string, std::vector<double>>> values;
  for (const auto& r : rows) {
    auto key = std::make_tuple(r.environment, r.model, r.x);
    auto [it, added] = index.try_emplace(key, out.size());
    if (added) {
      out.push_back({r.environment, r.model, r.x, 0, {}, {}});
      values.emplace_back();
    }
    ++out[it->second].seeds;
    for (const auto& [m, v] : r.metrics) values[it->second][m].push_back(v);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    for (const auto& [m, vs] : values[i]) {
      double mean = 0;
      for (double v : vs) mean += v / vs.size();
      double var = 0;
      for (double v : vs) var += (v - mean) * (v - mean);
      out[i].mean[m] = mean;
      out[i].sd[m] = vs.size() > 1 ? std::sqrt(var / (vs.size() - 1)) : 0.0;
    }
  }
  return out;
}

namespace {
std::string FormatValue(const std::string& metric, double v) {
  if (metric.find("_per_s") != std::string::npos) return fmt::format("{:.0f}", v);
  return fmt::format("{:.4f}", v);
}
}  // namespace

std::string FormatSummaryTable(const ExperimentConfig& c, const std::vector<SummaryRow>& summary) {
  const std::string x = XAxisOfKind(c.kind);
  const bool curve = c.kind == "simulator";
  // Curves: the first and the last point every seed reached, per (environment, model).
  std::vector<const SummaryRow*> shown;
  for (size_t i = 0; i < summary.size();) {
    if (!curve) {
      shown.push_back(&summary[i++]);
      continue;
    }
    size_t j = i, max_seeds = 0;
    while (j < summary.size() && summary[j].environment == summary[i].environment && summary[j].model == summary[i].model)
      max_seeds = std::max(max_seeds, summary[j++].seeds);
    const SummaryRow* last = &summary[i];
    for (size_t k = i; k < j; ++k)
      if (summary[k].seeds == max_seeds) last = &summary[k];
    shown.push_back(&summary[i]);
    if (last != &summary[i]) shown.push_back(last);
    i = j;
  }
  size_t wenv = 11, wmodel = 5;
  for (const auto* r : shown) {
    wenv = std::max(wenv, r->environment.size());
    wmodel = std::max(wmodel, r->model.size());
  }
  wmodel = std::min<size_t>(wmodel, 60);
  std::string out = fmt::format("{:<{}}  {:<{}}", "environment", wenv, "model", wmodel);
  if (!x.empty()) out += fmt::format("  {:>9}", curve ? "at events" : x);
  for (const auto& m : c.metrics) out += fmt::format("  {:>16}", m);
  out += "\n";
  for (const auto* r : shown) {
    std::string model = r->model.size() > wmodel ? r->model.substr(0, wmodel - 3) + "..." : r->model;
    out += fmt::format("{:<{}}  {:<{}}", r->environment, wenv, model, wmodel);
    if (!x.empty()) out += fmt::format("  {:>9.0f}", r->x);
    for (const auto& m : c.metrics) {
      auto it = r->mean.find(m);
      std::string cell = "-";
      if (it != r->mean.end()) {
        cell = FormatValue(m, it->second);
        if (r->seeds > 1) cell += " ±" + FormatValue(m, r->sd.at(m));
      }
      out += fmt::format("  {:>16}", cell);
    }
    out += "\n";
  }
  return out;
}

namespace {

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string p = dir + "/" + program;
    if (::access(p.c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string GnuplotQuote(const std::string& s) {
  std::string q;
  for (char ch : s) q += ch == '"' || ch == '\\' ? std::string("\\") + ch : std::string(1, ch);
  return q;
}

Status WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  if (!f) return Status::IOError(p.string() + ": cannot write");
  f << text;
  f.close();
  if (!f) return Status::IOError(p.string() + ": write failed");
  return Status::OK();
}

}  // namespace

Status WriteExperimentResults(const ExperimentConfig& c, const std::vector<ExperimentRow>& rows,
                              const std::string& out_dir, std::string* plot_note) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Status::IOError(out_dir + ": cannot create: " + ec.message());
  const std::string x = XAxisOfKind(c.kind);
  // results.csv
  std::string csv = "environment,model,seed";
  if (!x.empty()) csv += "," + x;
  for (const auto& m : c.metrics) csv += "," + m;
  csv += "\n";
  for (const auto& r : rows) {
    csv += CsvField(r.environment) + "," + CsvField(r.model) + "," + std::to_string(r.seed);
    if (!x.empty()) csv += fmt::format(",{}", r.x);
    for (const auto& m : c.metrics) {
      auto it = r.metrics.find(m);
      csv += it == r.metrics.end() ? std::string(",") : fmt::format(",{}", it->second);
    }
    csv += "\n";
  }
  MEMORY_RETURN_IF_ERROR(WriteFile(fs::path(out_dir) / "results.csv", csv));
  // results.json
  const auto summary = Summarize(c, rows);
  nlohmann::json j = {{"name", c.name}, {"kind", c.kind}, {"config", c.file}, {"metrics", c.metrics}};
  if (!x.empty()) j["x"] = x;
  j["rows"] = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json jr = {{"environment", r.environment}, {"model", r.model}, {"seed", r.seed}};
    if (!x.empty()) jr[x] = r.x;
    for (const auto& [m, v] : r.metrics) jr[m] = v;
    j["rows"].push_back(jr);
  }
  j["summary"] = nlohmann::json::array();
  for (const auto& s : summary) {
    nlohmann::json js = {{"environment", s.environment}, {"model", s.model}, {"seeds", s.seeds}};
    if (!x.empty()) js[x] = s.x;
    for (const auto& [m, v] : s.mean) js[m] = v;
    nlohmann::json sd;
    for (const auto& [m, v] : s.sd) sd[m] = v;
    js["sd"] = sd;
    j["summary"].push_back(js);
  }
  j["skipped"] = nlohmann::json::array();
  for (const auto& e : c.environments)
    if (e.missing) j["skipped"].push_back({{"environment", e.name}, {"path", e.path}});
  MEMORY_RETURN_IF_ERROR(WriteFile(fs::path(out_dir) / "results.json", j.dump(2) + "\n"));
  // plot.dat + plot.gp: one series (gnuplot index) per environment (bars: model on x) or per
  // environment and model (curves: x axis).
  const std::string metric = c.metrics.front();
  std::string dat, plot;
  int index = 0;
  auto add_series = [&](const std::string& title, const std::string& using_clause) {
    plot += fmt::format("{}'plot.dat' index {} using {} with linespoints title \"{}\"", plot.empty() ? "" : ", \\\n     ",
                        index++, using_clause, GnuplotQuote(title));
  };
  std::vector<std::string> envs;
  for (const auto& s : summary)
    if (std::find(envs.begin(), envs.end(), s.environment) == envs.end()) envs.push_back(s.environment);
  for (const auto& env : envs) {
    if (x.empty()) {
      std::string block;
      for (const auto& s : summary)
        if (s.environment == env && s.mean.count(metric))
          block += fmt::format("\"{}\" {}\n", GnuplotQuote(s.model), s.mean.at(metric));
      if (block.empty()) continue;
      dat += block + "\n\n";
      add_series(env, "0:2:xtic(1)");
    } else {
      std::vector<std::string> models;
      for (const auto& s : summary)
        if (s.environment == env && std::find(models.begin(), models.end(), s.model) == models.end())
          models.push_back(s.model);
      for (const auto& m : models) {
        std::string block;
        for (const auto& s : summary)
          if (s.environment == env && s.model == m && s.mean.count(metric))
            block += fmt::format("{} {}\n", s.x, s.mean.at(metric));
        if (block.empty()) continue;
        dat += block + "\n\n";
        add_series(env + " " + m, "1:2");
      }
    }
  }
  std::string gp = "set terminal pngcairo size 1100,650 noenhanced\nset output 'plot.png'\n";
  gp += fmt::format("set title \"{} ({})\"\nset ylabel \"{}\"\nset key outside right\nset grid\n",
                    GnuplotQuote(c.name), c.kind, metric);
  if (x.empty()) gp += "set xtics rotate by -30\nset offsets 0.5, 0.5, 0, 0\n";
  else gp += fmt::format("set xlabel \"{}\"\n", x == "events" ? "events seen by the user's model" : "cache capacity (entries)");
  if (c.kind == "cache") gp += "set logscale x 2\n";
  gp += plot.empty() ? "" : "plot " + plot + "\n";
  MEMORY_RETURN_IF_ERROR(WriteFile(fs::path(out_dir) / "plot.dat", dat));
  MEMORY_RETURN_IF_ERROR(WriteFile(fs::path(out_dir) / "plot.gp", gp));
  if (plot.empty()) {
    *plot_note = "no data to plot";
  } else if (!OnPath("gnuplot")) {
    *plot_note = "gnuplot not found on PATH: no plot drawn (data and script in " + out_dir + "/plot.dat, plot.gp)";
  } else {
    std::string dir;
    for (char ch : out_dir) dir += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    int rc = std::system(("cd '" + dir + "' && gnuplot plot.gp 2>plot.err").c_str());
    *plot_note = rc == 0 ? "wrote " + out_dir + "/plot.png"
                         : "gnuplot failed (see " + out_dir + "/plot.err); data in " + out_dir + "/plot.dat";
  }
  return Status::OK();
}

}  // namespace memory::learner
