// Sessions of the simulator: the workflows a person or an agent goes through, as events.
#include "env/sim_session.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace memory::env::sim {
namespace {

constexpr double kSecond = 1e6;

// What running a command did.
struct Outcome {
  int exit = 0;
  double seconds = 0.01;
  double cpu_ratio = 0.7;   // cpu time / wall time
  int64_t rss_kb = 3000;
  std::string error;
};

std::string Str(std::string_view s) { return std::string(s); }

template <typename C>
const auto& PickFrom(Rng& rng, const C& items) {
  return items[rng.Below(std::size(items))];
}

void AppendHex(uint64_t v, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i, v >>= 4) out[i] = kHex[v & 15];
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out;
}

// Writes the events of one session and keeps its clock and working directory.
class Writer {
 public:
  Writer(User& u, Rng& rng, int64_t start_us, const std::string& session, std::string actor,
         std::vector<Event>* out)
      : u_(u), rng_(rng), now_(start_us), session_(session), actor_(std::move(actor)), out_(out),
        cwd_(u.home) {}

  User& user() { return u_; }
  Rng& rng() { return rng_; }
  Project* project() { return project_; }
  int64_t now() const { return now_; }
  size_t count() const { return count_; }
  const std::string& subdir() const { return subdir_; }
  bool human() const { return actor_ == "human"; }
  // `file` (relative to the project root) as seen from the current directory.
  std::string Rel(const std::string& file) const {
    if (subdir_.empty()) return file;
    if (file.size() > subdir_.size() && file.compare(0, subdir_.size(), subdir_) == 0 &&
        file[subdir_.size()] == '/') {
      return file.substr(subdir_.size() + 1);
    }
    return "../" + file;
  }

  void Enter(Project* p, std::string_view subdir = {}) {
    project_ = p;
    subdir_ = Str(subdir);
    cwd_ = p->root;
    if (!subdir_.empty()) cwd_ += "/" + subdir_;
  }
  void Leave() {
    project_ = nullptr;
    subdir_.clear();
    cwd_ = u_.home;
  }

  // Records one event at the current time, then advances the clock by its duration and a pause
  // whose typical length is `pause_median` seconds (longer after a failure: reading the error).
  Event& Emit(std::string_view command, Outcome o, double pause_median = 5.0,
              EventKind kind = EventKind::kShell, std::string params = {}) {
    Event& e = out_->emplace_back();
    // Like NewEventId: 16 hex digits of the time, then 16 random ones (here from the seed).
    char id[32];
    AppendHex(static_cast<uint64_t>(now_), id);
    AppendHex(rng_.Bits(), id + 16);
    e.id.assign(id, 32);
    e.ts_us = now_;
    e.kind = kind;
    e.command = Str(command);
    e.params_json = std::move(params);
    e.cwd = cwd_;
    if (project_) {
      e.repo_root = project_->root;
      e.branch = project_->branch;
    }
    e.host = u_.host;
    e.user = u_.name;
    e.session = session_;
    e.actor = actor_;
    e.exit_code = o.exit;
    int64_t dur = std::max<int64_t>(50, static_cast<int64_t>(o.seconds * kSecond));
    e.duration_us = dur;
    e.cpu_us = std::max<int64_t>(10, static_cast<int64_t>(static_cast<double>(dur) * o.cpu_ratio));
    e.peak_rss_kb = std::max<int64_t>(600, o.rss_kb);
    e.error = std::move(o.error);
    e.tags.emplace_back("sim");
    ++count_;
    double pause = std::clamp(rng_.LogNormal(o.exit == 0 ? pause_median : pause_median * 2.5, 0.8),
                              0.2, 1800.0);
    now_ += dur + static_cast<int64_t>(pause * kSecond);
    return e;
  }

  // A typed command: sometimes preceded by a typo (exit 127) that is then retyped.
  void Type(std::string_view command, Outcome o, double pause_median = 5.0) {
    if (rng_.Chance(u_.typo_rate)) {
      std::string typo = Typo(command);
      if (!typo.empty()) {
        std::string first = typo.substr(0, typo.find(' '));
        Outcome t;
        t.exit = 127;
        t.seconds = 0.002;
        t.rss_kb = 4000;
        t.error = u_.shell == "zsh" ? "zsh: command not found: " + first
                                    : "bash: " + first + ": command not found";
        Emit(typo, std::move(t), 1.5);
      }
    }
    Emit(command, std::move(o), pause_median);
  }

 private:
  static std::string Typo(std::string_view command) {
    static constexpr std::pair<std::string_view, std::string_view> kTypos[] = {
        {"git", "gti"},   {"ls", "sl"},         {"make", "mkae"},   {"cargo", "carg"},
        {"npm", "nmp"},   {"python", "pyhton"}, {"docker", "dokcer"}, {"kubectl", "kubeclt"},
        {"clear", "claer"}, {"cd", "cd.."},    {"grep", "grpe"},   {"pytest", "pyest"}};
    std::string_view first = command.substr(0, command.find(' '));
    for (auto [word, typo] : kTypos) {
      if (first == word && word != "cd") return Str(typo) + Str(command.substr(first.size()));
    }
    return {};
  }

  User& u_;
  Rng& rng_;
  int64_t now_;
  const std::string& session_;
  std::string actor_;
  std::vector<Event>* out_;
  Project* project_ = nullptr;
  std::string subdir_;
  std::string cwd_;
  size_t count_ = 0;
};

// ---- Outcomes ----------------------------------------------------------------------------------

Outcome Builtin(Rng& rng) {
  return {0, rng.LogNormal(0.0003, 0.4), 1.0, 4000 + static_cast<int64_t>(rng.Below(4000)), {}};
}
Outcome Quick(Rng& rng, double median = 0.004) {
  return {0, rng.LogNormal(median, 0.6), 0.75, 2200 + static_cast<int64_t>(rng.Below(3000)), {}};
}
Outcome GitLocal(Rng& rng) {
  return {0, rng.LogNormal(0.03, 0.6), 0.6, 6000 + static_cast<int64_t>(rng.Below(14000)), {}};
}
Outcome GitNetwork(Rng& rng) {
  return {0, rng.LogNormal(1.4, 0.6), 0.08, 15000 + static_cast<int64_t>(rng.Below(25000)), {}};
}
Outcome Pager(Rng& rng) {
  return {0, std::clamp(rng.LogNormal(25, 0.8), 1.0, 900.0), 0.01, 3500, {}};
}
Outcome Failed(Outcome o, int exit, std::string error) {
  o.exit = exit;
  o.error = std::move(error);
  return o;
}

std::string Ident(Rng& rng) { return Str(PickFrom(rng, Identifiers())); }
std::string Module(Rng& rng) { return Str(PickFrom(rng, Modules())); }
std::string Num(int64_t n) { return std::to_string(n); }

const std::string& HotFile(Rng& rng, const std::vector<std::string>& files) {
  return files[rng.Zipf(files.size())];
}

std::string Capitalized(std::string s) {
  std::string out;
  bool up = true;
  for (char c : s) {
    if (c == '_' || c == '-') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

std::string BuildError(Rng& rng, const Project& p, const std::string& file, int line) {
  std::string id = Ident(rng), col = Num(rng.Between(3, 40)), ln = Num(line);
  switch (p.lang) {
    case Lang::kCpp: {
      static constexpr std::string_view kWhat[] = {"' was not declared in this scope",
                                                   "' has no member named 'size'",
                                                   "' does not name a type"};
      std::string first = rng.Chance(0.25)
                              ? file + ":" + ln + ":" + col + ": error: expected ';' before '}' token"
                              : file + ":" + ln + ":" + col + ": error: '" + id + Str(PickFrom(rng, kWhat));
      return first + "\nmake: *** [Makefile:" + Num(rng.Between(20, 90)) + ": all] Error 2";
    }
    case Lang::kRust:
      if (rng.Chance(0.4)) return "error[E0308]: mismatched types\n --> " + file + ":" + ln + ":" + col;
      return "error[E0425]: cannot find value `" + id + "` in this scope\n --> " + file + ":" + ln + ":" + col;
    case Lang::kNode:
      if (rng.Chance(0.5))
        return file + "(" + ln + "," + col + "): error TS2304: Cannot find name '" + id + "'.";
      return file + "(" + ln + "," + col +
             "): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'.";
    case Lang::kGo:
      return "./" + file + ":" + ln + ":" + col + ": undefined: " + id;
    case Lang::kPython:
      return file + ":" + ln + ":" + col + ": SyntaxError: invalid syntax";
  }
  return {};
}

// "tests/test_cache.py" -> "cache": the module a test file is about, named in its failures.
std::string TestedModule(const std::string& test_file) {
  std::string stem = test_file.substr(test_file.rfind('/') + 1);
  stem = stem.substr(0, stem.find('.'));
  if (stem.rfind("test_", 0) == 0) stem = stem.substr(5);
  if (stem.size() > 5 && stem.compare(stem.size() - 5, 5, "_test") == 0) stem.resize(stem.size() - 5);
  return stem;
}

std::string TestError(Rng& rng, const Project& p, const std::string& test_file, int line) {
  std::string id = Ident(rng), mod = TestedModule(test_file), ln = Num(line);
  int64_t a = rng.Between(0, 99), b = a + rng.Between(1, 9);
  switch (p.lang) {
    case Lang::kCpp:
      return "[  FAILED  ] " + Capitalized(mod) + "Test." + Capitalized(id) + " (" +
             Num(rng.Between(1, 400)) + " ms)\n" + test_file + ":" + ln + ": Failure\n" +
             Num(rng.Between(1, 3)) + " tests failed out of " + Num(rng.Between(20, 300));
    case Lang::kRust:
      return "test " + mod + "::tests::" + id + " ... FAILED\nthread '" + mod + "::tests::" + id +
             "' panicked at " + test_file + ":" + ln + ":5:\nassertion `left == right` failed";
    case Lang::kNode:
      return "FAIL " + test_file + "\n  \xE2\x97\x8F " + mod + " \xE2\x80\xBA " + id +
             "\n    expect(received).toBe(expected)";
    case Lang::kPython:
      return "FAILED " + test_file + "::test_" + id + " - AssertionError: assert " + Num(a) +
             " == " + Num(b);
    case Lang::kGo:
      return "--- FAIL: Test" + Capitalized(id) + " (0." + Num(rng.Between(10, 99)) + "s)\n    " +
             test_file + ":" + ln + ": got " + Num(a) + ", want " + Num(b) + "\nFAIL";
  }
  return {};
}

Outcome BuildOutcome(Rng& rng, const User& u, const Project& p, bool fail) {
  const Toolchain& tc = ToolchainFor(p.lang);
  double s = std::clamp(rng.LogNormal(tc.build_median_s, 0.7), 0.3, 1800.0) * (fail ? 0.4 : 1.0);
  double cpu = rng.Uniform(1.2, std::max(1.5, u.jobs * 0.7));
  int64_t rss = static_cast<int64_t>(static_cast<double>(tc.build_rss_kb) * rng.LogNormal(1.0, 0.3));
  return {0, s, cpu, rss, {}};
}

Outcome TestOutcome(Rng& rng, const Project& p) {
  const Toolchain& tc = ToolchainFor(p.lang);
  double s = std::clamp(rng.LogNormal(tc.test_median_s, 0.6), 0.2, 1200.0);
  int64_t rss = static_cast<int64_t>(static_cast<double>(tc.test_rss_kb) * rng.LogNormal(1.0, 0.3));
  return {0, s, rng.Uniform(0.8, 3.0), rss, {}};
}

Outcome EditorOutcome(Rng& rng, const User& u) {
  if (u.editor == "code") return {0, rng.LogNormal(0.45, 0.3), 0.6, 70000 + static_cast<int64_t>(rng.Below(50000)), {}};
  double s = std::clamp(rng.LogNormal(70.0, 1.0), 2.0, 3600.0);
  int64_t rss = u.editor == "emacs" ? 60000 : u.editor == "nvim" ? 30000 : u.editor == "nano" ? 4000 : 12000;
  return {0, s, 0.02, rss + static_cast<int64_t>(rng.Below(20000)), {}};
}

std::string EditCommand(const User& u, const std::string& file) {
  if (u.editor == "emacs") return "emacs -nw " + file;
  return u.editor + " " + file;
}

// ---- Human workflows ---------------------------------------------------------------------------

void BackToRoot(Writer& w) {
  if (w.subdir().empty() || !w.project()) return;
  w.Type("cd ..", Builtin(w.rng()), 1.5);
  w.Enter(w.project());
}

void Edit(Writer& w, const std::string& file, int line = 0) {
  const User& u = w.user();
  std::string cmd = line > 0 && (u.editor == "vim" || u.editor == "nvim")
                        ? u.editor + " +" + Num(line) + " " + file
                        : EditCommand(u, file);
  // Short pause after an editor: the next step (build, test, commit) follows right away.
  w.Emit(cmd, EditorOutcome(w.rng(), u), 2.0);
}

void GitStatus(Writer& w) {
  w.Type(w.user().aliases ? "gs" : "git status", GitLocal(w.rng()), 3.0);
}

void GitPull(Writer& w) {
  Rng& rng = w.rng();
  w.Type(rng.Chance(0.3) ? "git pull --rebase" : "git pull", GitNetwork(rng), 4.0);
}

std::string CommitMessage(Rng& rng, const User& u) {
  std::string verb = Str(PickFrom(rng, CommitVerbs()));
  std::string object = Str(PickFrom(rng, CommitObjects()));
  if (u.conventional_commits) {
    std::string type = verb == "Fix" ? "fix" : verb == "Add" ? "feat" : verb == "Document" ? "docs"
                       : verb == "Test" ? "test" : "refactor";
    std::string v = verb;
    v[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(v[0])));
    return type + "(" + Module(rng) + "): " + v + " " + object;
  }
  return verb + " " + object;
}

void GitCommit(Writer& w) {
  Rng& rng = w.rng();
  User& u = w.user();
  Project& p = *w.project();
  GitStatus(w);
  if (rng.Chance(0.6)) {
    std::string diff = rng.Chance(0.5) ? (u.aliases ? "gd" : "git diff")
                       : rng.Chance(0.5) ? "git diff " + HotFile(rng, p.src_files)
                                         : "git diff --staged";
    w.Type(diff, GitLocal(rng), 8.0);
  }
  double how = rng.Uniform();
  if (how < 0.5) {
    int n = static_cast<int>(rng.Between(1, 2));
    for (int i = 0; i < n; ++i) {
      const auto& files = rng.Chance(0.75) || p.test_files.empty() ? p.src_files : p.test_files;
      w.Type((u.aliases ? "ga " : "git add ") + HotFile(rng, files), GitLocal(rng), 2.0);
    }
  } else if (how < 0.8) {
    w.Type(u.aliases ? "ga -A" : "git add -A", GitLocal(rng), 2.0);
  } else {
    w.Type("git add .", GitLocal(rng), 2.0);
  }
  std::string msg = CommitMessage(rng, u);
  w.Type((u.aliases ? "gc -m \"" : "git commit -m \"") + msg + "\"", GitLocal(rng), 3.0);
  ++p.commits;
  if (!rng.Chance(0.5)) return;
  if (!p.upstream_set) {
    w.Type("git push -u origin " + p.branch, GitNetwork(rng), 4.0);
    p.upstream_set = true;
    return;
  }
  std::string push = u.aliases ? "gp" : "git push";
  if (rng.Chance(0.08)) {
    w.Type(push, Failed(GitNetwork(rng), 1,
                        " ! [rejected]        " + p.branch + " -> " + p.branch +
                            " (fetch first)\nerror: failed to push some refs"),
           4.0);
    w.Type("git pull --rebase", GitNetwork(rng), 3.0);
  }
  w.Type(push, GitNetwork(rng), 4.0);
}

void EditBuildTest(Writer& w) {
  Rng& rng = w.rng();
  User& u = w.user();
  Project& p = *w.project();
  BackToRoot(w);
  const std::string file = HotFile(rng, p.src_files);
  Edit(w, file);
  if (!p.build_cmd.empty()) {
    for (int attempt = 0; attempt < 4; ++attempt) {
      bool fail = attempt < 3 && rng.Chance(p.build_fail_p * std::pow(0.6, attempt));
      Outcome o = BuildOutcome(rng, u, p, fail);
      if (!fail) {
        w.Type(p.build_cmd, o, 3.0);
        break;
      }
      int line = static_cast<int>(rng.Between(8, 420));
      o = Failed(o, ToolchainFor(p.lang).build_fail_exit, BuildError(rng, p, file, line));
      w.Type(p.build_cmd, o, 4.0);
      Edit(w, file, line);  // the fix, at the reported line
    }
  }
  if (!rng.Chance(0.8)) return;
  for (int attempt = 0; attempt < 4; ++attempt) {
    bool fail = attempt < 3 && rng.Chance(p.test_fail_p * std::pow(0.6, attempt));
    Outcome o = TestOutcome(rng, p);
    if (!fail) {
      w.Type(p.test_cmd, o, 4.0);
      break;
    }
    const std::string& test_file = p.test_files.empty() ? file : HotFile(rng, p.test_files);
    int line = static_cast<int>(rng.Between(10, 300));
    o = Failed(o, ToolchainFor(p.lang).test_fail_exit, TestError(rng, p, test_file, line));
    w.Type(p.test_cmd, o, 5.0);
    if (rng.Chance(0.3)) {
      if (rng.Chance(0.5)) {
        w.Type("less " + test_file, Pager(rng), 3.0);
      } else {
        w.Type("cat " + test_file, Quick(rng), 10.0);
      }
    }
    Edit(w, rng.Chance(0.6) ? file : test_file, rng.Chance(0.5) ? line : 0);
    if (!p.build_cmd.empty() && rng.Chance(0.6)) w.Type(p.build_cmd, BuildOutcome(rng, u, p, false), 3.0);
  }
  if (rng.Chance(0.12)) {
    bool fail = rng.Chance(0.3);
    Outcome o = Quick(rng, 1.5);
    o.rss_kb = 150000;
    if (fail) o = Failed(o, 1, file + ":" + Num(rng.Between(5, 300)) + ":1: warning: unused variable '" + Ident(rng) + "'");
    w.Type(p.lint_cmd, o, 4.0);
  }
}

void Explore(Writer& w) {
  Rng& rng = w.rng();
  User& u = w.user();
  Project& p = *w.project();
  const Toolchain& tc = ToolchainFor(p.lang);
  int steps = static_cast<int>(rng.Between(2, 7));
  for (int i = 0; i < steps; ++i) {
    switch (rng.Below(11)) {
      case 0: w.Type(u.ls_cmd, Quick(rng), 3.0); break;
      case 1:
        if (w.subdir().empty()) {
          w.Type("cd " + Str(tc.src_dir), Builtin(rng), 2.0);
          w.Enter(&p, tc.src_dir);
          w.Type(u.ls_cmd, Quick(rng), 3.0);
        } else {
          BackToRoot(w);
        }
        break;
      case 2: {
        Outcome o = Quick(rng, 0.12);
        if (rng.Chance(0.2)) o.exit = 1;  // no match: grep exits 1 without an error
        w.Type("grep -rn \"" + Ident(rng) + "\" " + (w.subdir().empty() ? Str(tc.src_dir) + "/" : "."), o, 8.0);
        break;
      }
      case 3: w.Type("cat " + w.Rel("README.md"), Quick(rng), 12.0); break;
      case 4: w.Type("less " + w.Rel(HotFile(rng, p.src_files)), Pager(rng), 3.0); break;
      case 5: w.Type("git log --oneline -n " + Num(10 * rng.Between(1, 5)), GitLocal(rng), 6.0); break;
      case 6: w.Type("git blame " + w.Rel(HotFile(rng, p.src_files)), GitLocal(rng), 10.0); break;
      case 7: w.Type("find . -name \"*" + Str(tc.ext) + "\"", Quick(rng, 0.05), 5.0); break;
      case 8: w.Type("rg " + Ident(rng), Quick(rng, 0.03), 8.0); break;
      case 9: {
        std::string f = w.Rel(HotFile(rng, p.src_files));
        if (rng.Chance(0.05)) {
          std::string missing = w.Rel(Str(tc.src_dir) + "/" + Module(rng) + "_old" + Str(tc.ext));
          w.Type("cat " + missing, Failed(Quick(rng), 1, "cat: " + missing + ": No such file or directory"), 3.0);
        } else {
          w.Type("head -n " + Num(20 * rng.Between(1, 5)) + " " + f, Quick(rng), 8.0);
        }
        break;
      }
      default: w.Type("git show --stat HEAD~" + Num(rng.Between(0, 5)), GitLocal(rng), 6.0); break;
    }
  }
}

void Branch(Writer& w) {
  Rng& rng = w.rng();
  User& u = w.user();
  Project& p = *w.project();
  std::string checkout = u.switch_cmd ? "git switch " : "git checkout ";
  if (p.branch == p.default_branch) {
    static constexpr std::string_view kKinds[] = {"feature/", "fix/", "chore/"};
    std::string name = Str(PickFrom(rng, kKinds)) + Str(PickFrom(rng, Topics())) + "-" +
                       Str(PickFrom(rng, Modules()));
    if (rng.Chance(0.2)) name = u.name + "/" + Str(PickFrom(rng, Topics()));
    w.Type(checkout + (u.switch_cmd ? "-c " : "-b ") + name, GitLocal(rng), 3.0);
    p.branch = name;
    p.upstream_set = false;
    return;
  }
  std::string done = p.branch;
  w.Type(checkout + p.default_branch, GitLocal(rng), 2.0);
  p.branch = p.default_branch;
  p.upstream_set = true;
  GitPull(w);
  if (rng.Chance(0.6)) {
    w.Type("git merge " + done, GitLocal(rng), 3.0);
    if (rng.Chance(0.5)) w.Type(u.aliases ? "gp" : "git push", GitNetwork(rng), 3.0);
  }
  w.Type("git branch -d " + done, GitLocal(rng), 3.0);
}

std::string PodName(Rng& rng, const Project& p) {
  static constexpr char kAlnum[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string s = p.name + "-";
  for (int i = 0; i < 10; ++i) s += kAlnum[rng.Below(sizeof kAlnum - 1)];
  s.insert(s.size() - 5, "-");
  return s;
}

void Ops(Writer& w) {
  Rng& rng = w.rng();
  User& u = w.user();
  Project& p = *w.project();
  BackToRoot(w);
  std::string tag = rng.Chance(0.5) ? "dev" : "v0." + Num(p.commits / 10) + "." + Num(p.commits % 10);
  if (!p.k8s || rng.Chance(0.5)) {
    Outcome build{0, std::clamp(rng.LogNormal(45, 0.8), 3.0, 900.0), 0.05, 45000, {}};
    if (rng.Chance(0.1)) {
      w.Type("docker build -t " + p.name + ":" + tag + " .",
             Failed(build, 1, "ERROR: failed to solve: process \"/bin/sh -c " + p.test_cmd +
                                  "\" did not complete successfully: exit code: 1"),
             6.0);
      Edit(w, "Dockerfile");
    }
    w.Type("docker build -t " + p.name + ":" + tag + " .", build, 4.0);
    if (rng.Chance(0.5)) {
      w.Type("docker compose up -d", Outcome{0, rng.LogNormal(3, 0.5), 0.1, 40000, {}}, 4.0);
      w.Type("docker ps", Quick(rng, 0.08), 5.0);
      w.Type("docker compose logs -f " + p.name, Outcome{0, rng.LogNormal(40, 1.0), 0.02, 35000, {}}, 4.0);
      if (rng.Chance(0.6)) w.Type("docker compose down", Outcome{0, rng.LogNormal(2, 0.5), 0.1, 40000, {}}, 4.0);
    } else {
      w.Type("docker run --rm -p 8080:8080 " + p.name + ":" + tag, Outcome{0, rng.LogNormal(60, 1.0), 0.02, 35000, {}}, 4.0);
    }
  }
  if (p.k8s && u.ops) {
    std::string ns = " -n " + p.k8s_namespace;
    std::string k = u.aliases ? "k " : "kubectl ";
    Outcome kc{0, rng.LogNormal(0.4, 0.4), 0.3, 55000, {}};
    w.Type(k + "get pods" + ns, kc, 6.0);
    std::string pod = PodName(rng, p);
    if (rng.Chance(0.5)) {
      w.Type(k + "logs " + pod + ns, kc, 10.0);
    } else {
      w.Type(k + "describe pod " + pod + ns, kc, 12.0);
    }
    if (rng.Chance(0.5)) {
      w.Type(k + "apply -f k8s/deployment.yaml" + ns, kc, 4.0);
      w.Type(k + "rollout status deployment/" + p.name + ns, Outcome{0, rng.LogNormal(25, 0.6), 0.05, 55000, {}}, 4.0);
    }
    if (rng.Chance(0.1)) {
      w.Type(k + "logs " + pod + ns, Failed(kc, 1, "Error from server (NotFound): pods \"" + pod + "\" not found"), 3.0);
      w.Type(k + "get pods" + ns, kc, 6.0);
    }
  }
}

void Script(Writer& w) {
  Rng& rng = w.rng();
  Project& p = *w.project();
  BackToRoot(w);
  const std::string& script = p.scripts[rng.Below(p.scripts.size())];
  std::string cmd = "python " + script;
  switch (rng.Below(4)) {
    case 0: cmd += " --config " + p.configs[rng.Below(p.configs.size())]; break;
    case 1: cmd += " --input data/" + Module(rng) + ".csv --limit " + Num(100 * rng.Between(1, 50)); break;
    case 2: cmd += " --epochs " + Num(rng.Between(1, 30)) + " --lr 0.00" + Num(rng.Between(1, 9)); break;
    default: break;
  }
  Outcome o{0, std::clamp(rng.LogNormal(15, 1.3), 0.2, 7200.0), 0.95,
            static_cast<int64_t>(rng.LogNormal(250000, 0.8)), {}};
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt == 2 || !rng.Chance(0.18)) {
      w.Type(cmd, o, 6.0);
      return;
    }
    std::string missing = Module(rng);
    bool module_missing = rng.Chance(0.3);
    std::string err = "Traceback (most recent call last):\n  File \"" + script + "\", line " +
                      Num(rng.Between(5, 200)) + ", in <module>\n" +
                      (module_missing ? "ModuleNotFoundError: No module named '" + missing + "'"
                                      : "KeyError: '" + Ident(rng) + "'");
    w.Type(cmd, Failed(Outcome{1, rng.LogNormal(1.0, 0.6), 0.9, 60000, {}}, 1, err), 5.0);
    if (module_missing) {
      w.Type("pip install " + missing, Outcome{0, rng.LogNormal(4, 0.6), 0.3, 70000, {}}, 3.0);
    } else {
      Edit(w, script);
    }
  }
}

void Misc(Writer& w) {
  static constexpr std::string_view kHistoryWords[] = {"docker", "ssh", "git", "kubectl", "python"};
  static constexpr std::string_view kManPages[] = {"git-rebase", "find", "xargs", "rsync", "tar"};
  static constexpr std::string_view kProcesses[] = {"python", "node", "postgres", "redis"};
  Rng& rng = w.rng();
  switch (rng.Below(10)) {
    case 0: w.Type("htop", Outcome{0, rng.LogNormal(30, 0.8), 0.05, 6000, {}}, 3.0); break;
    case 1: w.Type("df -h", Quick(rng), 4.0); break;
    case 2: w.Type("du -sh *", Quick(rng, 0.3), 4.0); break;
    case 3: w.Type("history | grep " + Str(PickFrom(rng, kHistoryWords)), Quick(rng), 4.0); break;
    case 4: w.Type("clear", Quick(rng, 0.002), 2.0); break;
    case 5:
      w.Type("man " + Str(PickFrom(rng, kManPages)),
             Outcome{0, rng.LogNormal(40, 0.8), 0.01, 5000, {}}, 3.0);
      break;
    case 6: w.Type("curl -s localhost:8080/health", Quick(rng, 0.02), 4.0); break;
    case 7: w.Type("ps aux | grep " + Str(PickFrom(rng, kProcesses)), Quick(rng, 0.02), 4.0); break;
    case 8: w.Type("ssh build-" + Num(rng.Between(1, 4)), Outcome{0, rng.LogNormal(300, 1.0), 0.01, 9000, {}}, 4.0); break;
    default: w.Type("tmux ls", Quick(rng), 2.0); break;
  }
}

void GoTo(Writer& w, Project& p) {
  User& u = w.user();
  std::string cmd = u.zoxide ? "z " + p.name
                    : w.project() ? "cd ../" + p.name
                                  : "cd ~/src/" + p.name;
  if (w.project() && !w.subdir().empty()) cmd = "cd ~/src/" + p.name;
  w.Type(cmd, Builtin(w.rng()), 2.0);
  w.Enter(&p);
}

Project& PickProject(User& u, Rng& rng) { return u.projects[rng.Categorical(u.project_weights)]; }

}  // namespace

int64_t RunHumanSession(User& u, Rng& rng, int64_t start_us, const std::string& session,
                        std::vector<Event>* out) {
  Writer w(u, rng, start_us, session, "human", out);
  int target = static_cast<int>(std::clamp(rng.LogNormal(22, 0.7), 3.0, 300.0));
  GoTo(w, PickProject(u, rng));
  if (rng.Chance(0.55)) GitStatus(w);
  if (rng.Chance(0.25)) GitPull(w);
  while (static_cast<int>(w.count()) < target) {
    Project& p = *w.project();
    const double weights[] = {0.38, 0.18, 0.16, 0.05,
                              (u.ops || p.docker) ? 0.08 : 0.0,
                              p.scripts.empty() ? 0.0 : 0.07,
                              0.06, u.projects.size() > 1 ? 0.03 : 0.0};
    switch (rng.Categorical(weights)) {
      case 0: EditBuildTest(w); break;
      case 1: GitCommit(w); break;
      case 2: Explore(w); break;
      case 3: Branch(w); break;
      case 4: Ops(w); break;
      case 5: Script(w); break;
      case 6: Misc(w); break;
      default: {
        Project& other = PickProject(u, rng);
        if (&other != &p) GoTo(w, other);
        break;
      }
    }
  }
  if (rng.Chance(0.25)) w.Emit("exit", Builtin(rng), 1.0);
  return w.now();
}

int64_t RunAgentSession(User& u, Rng& rng, int64_t start_us, const std::string& session,
                        std::vector<Event>* out) {
  Writer w(u, rng, start_us, session, "agent:" + u.agent, out);
  Project& p = PickProject(u, rng);
  w.Enter(&p);
  const Toolchain& tc = ToolchainFor(p.lang);
  auto tool = [&](std::string_view name, std::string params, Outcome o) {
    w.Emit(name, std::move(o), 4.0, EventKind::kToolCall, std::move(params));
  };
  auto fast = [&](double median) {
    return Outcome{0, rng.LogNormal(median, 0.6), 0.5, 9000 + static_cast<int64_t>(rng.Below(20000)), {}};
  };
  auto path_param = [](const std::string& f) { return "{\"path\":\"" + JsonEscape(f) + "\"}"; };

  if (rng.Chance(0.6)) tool("list_dir", path_param(rng.Chance(0.6) ? "." : Str(tc.src_dir)), fast(0.004));
  // A run is one to three rounds of: look around, read, edit, verify.
  int rounds = static_cast<int>(rng.Between(1, 3));
  const bool tests_as_tool = rng.Chance(0.6);
  std::vector<std::string> files;
  auto edit = [&](const std::string& f) {
    int64_t a = rng.Between(1, 300), b = a + rng.Between(0, 25);
    std::string params = "{\"path\":\"" + JsonEscape(f) + "\",\"start_line\":" + Num(a) +
                         ",\"end_line\":" + Num(b) + "}";
    if (rng.Chance(0.05)) {
      tool("edit_file", params, Failed(fast(0.004), 1, "edit failed: old text not found in " + f));
      tool("read_file", path_param(f), fast(0.003));
    }
    tool("edit_file", params, fast(0.006));
  };
  for (int round = 0; round < rounds; ++round) {
    int searches = static_cast<int>(rng.Between(1, 3));
    for (int i = 0; i < searches; ++i) {
      tool("search_code", "{\"query\":\"" + Ident(rng) + "\",\"path\":\"" + Str(tc.src_dir) + "\"}",
           fast(0.25));
    }
    files.clear();
    int reads = static_cast<int>(rng.Between(1, 4));
    for (int i = 0; i < reads; ++i) {
      const std::string& f = rng.Chance(0.8) || p.test_files.empty() ? HotFile(rng, p.src_files)
                                                                      : HotFile(rng, p.test_files);
      if (rng.Chance(0.03)) {
        std::string missing = Str(tc.src_dir) + "/" + Module(rng) + "_impl" + Str(tc.ext);
        tool("read_file", path_param(missing), Failed(fast(0.002), 1, "file not found: " + missing));
      }
      tool("read_file", path_param(f), fast(0.003));
      files.push_back(f);
    }
    int edits = static_cast<int>(rng.Between(1, 3));
    for (int i = 0; i < edits; ++i) edit(files[rng.Below(files.size())]);

    // Verify: build and/or test, fixing until they pass (or the agent gives up).
    for (int attempt = 0; attempt < 4; ++attempt) {
      if (!p.build_cmd.empty() && rng.Chance(0.5)) {
        bool fail = attempt < 3 && rng.Chance(p.build_fail_p * std::pow(0.6, attempt));
        Outcome o = BuildOutcome(rng, u, p, fail);
        if (fail) {
          const std::string& f = files[rng.Below(files.size())];
          o = Failed(o, tc.build_fail_exit, BuildError(rng, p, f, static_cast<int>(rng.Between(8, 420))));
          w.Emit(p.build_cmd, std::move(o), 4.0);
          tool("read_file", path_param(f), fast(0.003));
          edit(f);
          continue;
        }
        w.Emit(p.build_cmd, std::move(o), 4.0);
      }
      bool fail = attempt < 3 && rng.Chance((p.test_fail_p + 0.1) * std::pow(0.6, attempt));
      Outcome o = TestOutcome(rng, p);
      const std::string& tf = p.test_files.empty() ? files[0] : HotFile(rng, p.test_files);
      if (fail) o = Failed(o, tc.test_fail_exit, TestError(rng, p, tf, static_cast<int>(rng.Between(10, 300))));
      if (tests_as_tool) {
        tool("run_tests", "{\"command\":\"" + JsonEscape(p.test_cmd) + "\"}", o);
      } else {
        w.Emit(p.test_cmd, o, 4.0);
      }
      if (!fail) break;
      tool("read_file", path_param(tf), fast(0.003));
      edit(rng.Chance(0.7) ? files[rng.Below(files.size())] : tf);
    }
  }
  if (rng.Chance(0.6)) w.Emit("git diff --stat", GitLocal(rng), 3.0);
  if (rng.Chance(0.3)) w.Emit("git status", GitLocal(rng), 3.0);
  if (rng.Chance(0.35)) {
    w.Emit("git add -A", GitLocal(rng), 1.0);
    w.Emit("git commit -m \"" + CommitMessage(rng, u) + "\"", GitLocal(rng), 1.0);
    ++p.commits;
  }
  return w.now();
}

}  // namespace memory::env::sim
