// Config-driven experiments (`memory experiment FILE.yaml`): a YAML file names one kind of
// experiment, its environments, the models or policies to compare (factory strings), seeds and
// metrics. This header holds what does not depend on the model families: parsing and
// validating the config (errors "FILE:LINE: ..."), the grid, and writing results (results.csv,
// results.json, a gnuplot script and PNG when gnuplot is on PATH). The runners that call the
// intent, bandit and cache code live in cli/cmd_experiment.cpp (they sit above this layer).
//
//   name: intent-schonlau            # optional, default: the file's base name
//   kind: intent                     # intent | simulator | bandit | cache
//   data_dir: ../../../shared        # relative paths of environments resolve against this
//                                    # (itself relative to the config file; $MEMORY_SHARED_DIR wins)
//   skip_missing: false              # true: environments whose data is missing are skipped
//   environments:
//     - {name: sea, path: data/schonlau-sea, format: schonlau}       # intent
//     - {name: mine, store: true}     # intent: the store's own history (--db), one stream per user
//     - {name: sim, events: 20000, users: 4, agent_share: 0.2}        # simulator
//     - {name: iris, path: cb-data/iris.csv, format: csv}             # bandit (csv | nl2bash)
//     - {name: lirs-loop, path: cache-traces/lirs/loop.trace.gz, format: auto,
//        capacities: [256, 512]}                                      # cache
//   models: ["mfu", "ppm(order=3)"]  # intent/simulator: model specs; bandit/cache: policies
//   prefetch: none                   # cache only: a prefetch predictor spec
//   seeds: [1, 2]                    # default [1]
//   metrics: [top1, top3]            # default: every metric of the kind
//   bucket: 500                      # simulator: events per point of the learning curve
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace memory::learner {

struct ExperimentEnvironment {
  std::string name;
  int line = 0;                      // line in the config (for errors while running)
  std::string path;                  // resolved data path ("" for the simulator)
  std::string format;                // intent: history format; bandit: csv|nl2bash; cache: trace format|auto
  std::vector<size_t> capacities;    // cache
  int64_t events = 10000;            // simulator
  int users = 4;                     // simulator
  double agent_share = 0.2;          // simulator
  bool missing = false;              // data absent and skip_missing set
  bool store = false;                // intent: read the store's events instead of files
};

struct ExperimentConfig {
  std::string file;                  // the config's path
  std::string name;
  std::string kind;                  // intent | simulator | bandit | cache
  std::string data_dir;
  bool skip_missing = false;
  std::vector<ExperimentEnvironment> environments;
  std::vector<std::string> models;
  std::vector<uint64_t> seeds{1};
  std::vector<std::string> metrics;  // validated against MetricsOfKind
  std::string prefetch = "none";
  int64_t bucket = 500;
};

// The metrics a kind reports, the first being the headline one.
std::vector<std::string> MetricsOfKind(const std::string& kind);
// The x axis name of a kind whose results are curves ("capacity", "events"), or "".
std::string XAxisOfKind(const std::string& kind);

// Parses and validates. InvalidArgument "FILE:LINE: ..." for YAML syntax errors, unknown keys,
// wrong types, bad values, unknown kinds or metrics; NotFound "FILE:LINE: ..." for a missing data
// file unless skip_missing (then the environment is marked missing). `check_files` = false skips
// the data-file check (parse validity only).
Status ParseExperimentConfig(const std::string& path, bool check_files, ExperimentConfig* out);
Status ParseExperimentYaml(std::string_view text, const std::string& path, bool check_files,
                           ExperimentConfig* out);

// One cell of the grid.
struct ExperimentJob {
  size_t env = 0;                    // index into environments
  std::string model;
  uint64_t seed = 1;
  size_t capacity = 0;               // cache only
};
// environments (not missing) x models x seeds (x capacities), in that nesting order.
std::vector<ExperimentJob> ExpandGrid(const ExperimentConfig& config);

// One measured point: metrics of one job at one x (x = capacity, event index, or 0).
struct ExperimentRow {
  std::string environment, model;
  uint64_t seed = 1;
  double x = 0;
  std::map<std::string, double> metrics;
};

// Mean (and sample standard deviation when several seeds) per environment, model and x, in
// first-appearance order. For curves (simulator) only the last point of each is summarised.
struct SummaryRow {
  std::string environment, model;
  double x = 0;
  size_t seeds = 0;
  std::map<std::string, double> mean, sd;
};
std::vector<SummaryRow> Summarize(const ExperimentConfig& config, const std::vector<ExperimentRow>& rows);
std::string FormatSummaryTable(const ExperimentConfig& config, const std::vector<SummaryRow>& summary);

// Writes out_dir/results.csv, results.json, plot.gp (+ plot.png when gnuplot runs). *plot_note
// says what happened with the plot ("wrote DIR/plot.png" or "gnuplot not found on PATH ...").
Status WriteExperimentResults(const ExperimentConfig& config, const std::vector<ExperimentRow>& rows,
                              const std::string& out_dir, std::string* plot_note);

}  // namespace memory::learner
