// The simulated world: vocabulary, toolchains, users and their projects (private to env/).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "env/sim_random.h"

namespace memory::env::sim {

enum class Lang { kCpp, kRust, kNode, kPython, kGo };

// How a language's projects are built and tested, and what their failures look like.
struct Toolchain {
  Lang lang;
  std::string_view ext;                   // ".cpp"
  std::string_view test_prefix;           // test file name: <test_dir>/<prefix><module><ext>
  std::string_view test_suffix;
  std::string_view src_dir, test_dir;
  std::vector<std::string> builds;        // alternatives (a project picks one); "{j}" = jobs
  std::vector<std::string> tests;
  std::vector<std::string> lints;
  int build_fail_exit, test_fail_exit;
  double build_median_s, test_median_s;   // typical wall time
  int64_t build_rss_kb, test_rss_kb;      // typical peak RSS
};
const Toolchain& ToolchainFor(Lang lang);

// Word lists (identifiers, modules, commit phrases ...).
std::span<const std::string_view> Modules();
std::span<const std::string_view> Identifiers();
std::span<const std::string_view> CommitVerbs();
std::span<const std::string_view> CommitObjects();
std::span<const std::string_view> Topics();

struct Project {
  std::string name;
  std::string root;                        // /home/<user>/src/<name>
  Lang lang = Lang::kCpp;
  std::string build_cmd;                   // "" when the language has no build step
  std::string test_cmd, lint_cmd;
  std::vector<std::string> src_files;      // relative paths, hottest first
  std::vector<std::string> test_files;
  std::vector<std::string> scripts;        // relative paths of runnable scripts
  std::vector<std::string> configs;        // relative paths of config files
  std::string default_branch = "main";
  std::string branch = "main";             // current branch (persists across sessions)
  bool upstream_set = true;                // current branch has been pushed with -u
  bool docker = false, k8s = false;
  std::string k8s_namespace;
  double build_fail_p = 0.2, test_fail_p = 0.25;
  int commits = 0;
};

struct User {
  std::string name, home, host;
  std::string editor;                      // vim, nvim, code, emacs, nano
  bool aliases = false;                    // gs, gd, ga, gc, gp, ll, k
  std::string ls_cmd;                      // ls, ls -la, ll, exa -l
  bool conventional_commits = false;
  bool ops = false;                        // uses docker / kubectl
  bool zoxide = false;                     // "z <project>" instead of "cd ~/src/<project>"
  bool switch_cmd = false;                 // git switch instead of git checkout
  int jobs = 8;
  double weight = 1.0;                     // relative activity
  double start_hour = 9.0;                 // usual start of the working day (UTC hours)
  double typo_rate = 0.01;
  std::string agent;                       // agent the user runs: claude-code, aider, codex ...
  std::string shell = "zsh";
  std::vector<Project> projects;
  std::vector<double> project_weights;     // preference, favourite first
};

// A user with everything drawn from `rng` (index picks the name).
User MakeUser(int index, Rng& rng);

// Replaces "{j}" by jobs.
std::string Expand(std::string_view tmpl, int jobs);

}  // namespace memory::env::sim
