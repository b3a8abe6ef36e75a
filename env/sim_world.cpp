// Vocabulary, toolchains and the drawing of users and projects for the simulator.
#include "env/sim_world.h"

#include <algorithm>
#include <array>

namespace memory::env::sim {
namespace {

constexpr std::string_view kNames[] = {
    "alice", "bob",   "carol", "dan",  "erin",  "frank", "grace", "heidi", "ivan",  "judy",
    "karl",  "laura", "mallory", "nina", "oscar", "peggy", "quinn", "rupert", "sybil", "trent",
    "uma",   "victor", "wendy", "xavier", "yara", "zoe"};

constexpr std::string_view kProjectNames[] = {
    "webapp",   "api-server", "parser",    "infra",     "ml-pipeline", "cli-tool", "dashboard",
    "payments", "search",     "etl",       "backend",   "compiler",    "scraper",  "chat-bot",
    "monitoring", "gateway",  "scheduler", "auth-service", "data-lake", "renderer", "notebook-utils",
    "billing",  "indexer",    "router"};

constexpr std::string_view kModules[] = {
    "config", "cache",  "server", "client",  "parser",  "utils",   "auth",    "db",
    "router", "metrics", "storage", "scheduler", "cli",  "api",     "models",  "handlers",
    "queue",  "encoder", "session", "logger", "worker",  "index",   "http",    "token"};

constexpr std::string_view kIdentifiers[] = {
    "parse_config", "cache_size", "handler",   "user_id",  "retry_count", "buffer",   "session",
    "token",        "offset",     "encoder",   "timeout",  "max_conns",   "read_all", "flush",
    "batch_size",   "lookup",     "checksum",  "resolve",  "dispatch",    "payload",  "cursor",
    "shard",        "backoff",    "serialize", "validate", "connection",  "registry", "tick"};

constexpr std::string_view kCommitVerbs[] = {"Fix",    "Add",   "Update", "Refactor", "Remove",
                                             "Improve", "Handle", "Rename", "Document", "Simplify",
                                             "Speed up", "Test"};

constexpr std::string_view kCommitObjects[] = {
    "off-by-one in parser",     "retry logic in client",  "config loading",
    "cache eviction",           "error messages",         "flaky test",
    "README",                   "CLI flags",              "logging",
    "connection pool",          "null check in handler",  "timeout handling",
    "metrics endpoint",         "build script",           "dependency versions",
    "input validation",         "session expiry",         "batch size default",
    "unused imports",           "docs for the API",       "memory leak in worker",
    "race in scheduler",        "CI config",              "serialization of tokens"};

constexpr std::string_view kTopics[] = {"retry",  "cache",   "login",  "export", "metrics",
                                        "cleanup", "pagination", "streaming", "config",
                                        "tracing", "rate-limit", "migration", "search",
                                        "upload", "refactor", "perf"};

constexpr std::string_view kEditors[] = {"vim", "nvim", "code", "emacs", "nano"};
constexpr double kEditorWeights[] = {0.35, 0.2, 0.28, 0.1, 0.07};
constexpr std::string_view kLs[] = {"ls", "ls -la", "ll", "exa -l", "ls -lh"};
constexpr double kLsWeights[] = {0.45, 0.25, 0.15, 0.05, 0.1};
constexpr std::string_view kAgents[] = {"claude-code", "aider", "codex", "cursor-agent"};
constexpr std::string_view kHostKinds[] = {"laptop", "desktop", "devbox", "ws"};

std::vector<Toolchain> MakeToolchains() {
  std::vector<Toolchain> t(5);
  t[0] = {Lang::kCpp, ".cpp", "test_", "", "src", "tests",
          {"make -j{j}", "cmake --build build -j{j}", "ninja -C build"},
          {"ctest --test-dir build --output-on-failure", "make test", "./build/run_tests"},
          {"clang-tidy -p build src/*.cpp", "clang-format -i src/*.cpp"},
          2, 8, 25.0, 6.0, 900'000, 120'000};
  t[1] = {Lang::kRust, ".rs", "", "_test", "src", "tests",
          {"cargo build", "cargo build --release", "cargo check"},
          {"cargo test", "cargo test -- --nocapture", "cargo nextest run"},
          {"cargo clippy -- -D warnings", "cargo fmt --check"},
          101, 101, 35.0, 12.0, 1'400'000, 350'000};
  t[2] = {Lang::kNode, ".ts", "", ".test", "src", "src/__tests__",
          {"npm run build", "yarn build", "pnpm build"},
          {"npm test", "yarn test", "npx jest"},
          {"npm run lint", "npx eslint src", "npx tsc --noEmit"},
          1, 1, 9.0, 7.0, 450'000, 380'000};
  t[3] = {Lang::kPython, ".py", "test_", "", "src", "tests",
          {},
          {"pytest", "pytest -x", "python -m pytest -q"},
          {"ruff check .", "mypy src", "black --check ."},
          1, 1, 0.0, 5.0, 0, 160'000};
  t[4] = {Lang::kGo, ".go", "", "_test", "internal", "internal",
          {"go build ./...", "go build -o bin/app ./cmd/app", "make build"},
          {"go test ./...", "go test -race ./...", "go test ./internal/..."},
          {"go vet ./...", "golangci-lint run"},
          1, 1, 6.0, 9.0, 600'000, 300'000};
  return t;
}

Project MakeProject(const User& u, std::string_view name, Rng& rng) {
  Project p;
  p.name = std::string(name);
  p.root = u.home + "/src/" + p.name;
  static constexpr double kLangWeights[] = {0.22, 0.18, 0.22, 0.26, 0.12};
  p.lang = static_cast<Lang>(rng.Categorical(kLangWeights));
  if (name == "ml-pipeline" || name == "notebook-utils" || name == "etl") p.lang = Lang::kPython;
  const Toolchain& tc = ToolchainFor(p.lang);
  if (!tc.builds.empty()) p.build_cmd = Expand(tc.builds[rng.Below(tc.builds.size())], u.jobs);
  p.test_cmd = tc.tests[rng.Below(tc.tests.size())];
  p.lint_cmd = tc.lints[rng.Below(tc.lints.size())];
  // Files: a random subset of the modules, in a random (hotness) order.
  std::vector<std::string_view> mods(std::begin(kModules), std::end(kModules));
  for (size_t i = mods.size() - 1; i > 0; --i) std::swap(mods[i], mods[rng.Below(i + 1)]);
  size_t n = static_cast<size_t>(rng.Between(5, 14));
  for (size_t i = 0; i < n; ++i) {
    std::string m(mods[i]);
    if (p.lang == Lang::kRust && i == 0) m = "main";
    p.src_files.push_back(std::string(tc.src_dir) + "/" + m + std::string(tc.ext));
    if (i < (n + 1) / 2) {
      p.test_files.push_back(std::string(tc.test_dir) + "/" + std::string(tc.test_prefix) + m +
                             std::string(tc.test_suffix) + std::string(tc.ext));
    }
  }
  static constexpr std::string_view kScripts[] = {"train", "evaluate", "export_data", "migrate",
                                                  "benchmark", "fetch", "report", "seed_db"};
  size_t ns = p.lang == Lang::kPython ? 4 : static_cast<size_t>(rng.Between(0, 2));
  for (size_t i = 0; i < ns; ++i) {
    std::string s = "scripts/" + std::string(kScripts[rng.Below(std::size(kScripts))]) + ".py";
    if (std::find(p.scripts.begin(), p.scripts.end(), s) == p.scripts.end()) p.scripts.push_back(s);
  }
  static constexpr std::string_view kConfigs[] = {"dev", "prod", "small", "large", "local"};
  for (size_t i = 0; i < 3; ++i) p.configs.push_back("configs/" + std::string(kConfigs[i + rng.Below(3)]) + ".yaml");
  p.default_branch = rng.Chance(0.8) ? "main" : "master";
  p.branch = p.default_branch;
  p.docker = rng.Chance(u.ops ? 0.7 : 0.25);
  p.k8s = p.docker && u.ops && rng.Chance(0.6);
  static constexpr std::string_view kNs[] = {"default", "staging", "dev", "prod"};
  p.k8s_namespace = std::string(kNs[rng.Below(std::size(kNs))]);
  p.build_fail_p = rng.Uniform(0.12, 0.35);
  p.test_fail_p = rng.Uniform(0.15, 0.4);
  return p;
}

}  // namespace

const Toolchain& ToolchainFor(Lang lang) {
  static const std::vector<Toolchain> kAll = MakeToolchains();
  return kAll[static_cast<size_t>(lang)];
}

std::span<const std::string_view> Modules() { return kModules; }
std::span<const std::string_view> Identifiers() { return kIdentifiers; }
std::span<const std::string_view> CommitVerbs() { return kCommitVerbs; }
std::span<const std::string_view> CommitObjects() { return kCommitObjects; }
std::span<const std::string_view> Topics() { return kTopics; }

std::string Expand(std::string_view tmpl, int jobs) {
  std::string out(tmpl);
  if (size_t at = out.find("{j}"); at != std::string::npos) out.replace(at, 3, std::to_string(jobs));
  return out;
}

User MakeUser(int index, Rng& rng) {
  User u;
  constexpr size_t kN = std::size(kNames);
  u.name = std::string(kNames[static_cast<size_t>(index) % kN]);
  if (static_cast<size_t>(index) >= kN) u.name += std::to_string(index / kN + 1);
  u.home = "/home/" + u.name;
  u.host = u.name + "-" + std::string(kHostKinds[rng.Below(std::size(kHostKinds))]);
  u.editor = std::string(kEditors[rng.Categorical(kEditorWeights)]);
  u.aliases = rng.Chance(0.4);
  u.ls_cmd = std::string(kLs[rng.Categorical(kLsWeights)]);
  if (u.ls_cmd == "ll" && !u.aliases) u.ls_cmd = "ls -l";
  u.conventional_commits = rng.Chance(0.3);
  u.ops = rng.Chance(0.35);
  u.zoxide = rng.Chance(0.15);
  u.switch_cmd = rng.Chance(0.25);
  static constexpr int kJobs[] = {4, 8, 12, 16};
  u.jobs = kJobs[rng.Below(std::size(kJobs))];
  u.weight = std::clamp(rng.LogNormal(1.0, 0.4), 0.4, 2.5);
  u.start_hour = std::clamp(rng.Uniform(6.5, 11.0), 0.0, 23.0);
  u.typo_rate = rng.Uniform(0.003, 0.02);
  u.agent = std::string(kAgents[rng.Below(std::size(kAgents))]);
  u.shell = rng.Chance(0.6) ? "zsh" : "bash";
  // Projects: distinct names, favourite first.
  std::vector<std::string_view> names(std::begin(kProjectNames), std::end(kProjectNames));
  for (size_t i = names.size() - 1; i > 0; --i) std::swap(names[i], names[rng.Below(i + 1)]);
  size_t np = static_cast<size_t>(rng.Between(2, 5));
  for (size_t i = 0; i < np; ++i) {
    u.projects.push_back(MakeProject(u, names[i], rng));
    u.project_weights.push_back(1.0 / std::pow(static_cast<double>(i + 1), 1.3));
  }
  return u;
}

}  // namespace memory::env::sim
