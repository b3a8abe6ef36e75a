// Benchmarks of next-command prediction: the online protocol's speed per model on the public
// data sets (events/s), and the predict path's snapshot open + lookup.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "learner/gru.h"
#include "learner/intent_snapshot.h"
#include "learner/online_eval.h"
#include "learner/vocabulary.h"

namespace memory::learner {
namespace {

// One-command-per-line user files "<dir>/<prefix><n>" (empty lines skipped).
std::vector<UserStream> ReadUsers(const std::string& dir, const std::string& prefix, Vocabulary* vocab) {
  std::vector<std::pair<int, std::string>> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return {};
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (n.rfind(prefix, 0) == 0 && n.size() > prefix.size() &&
        n.find_first_not_of("0123456789", prefix.size()) == std::string::npos)
      files.emplace_back(std::stoi(n.substr(prefix.size())), e.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<UserStream> users;
  for (const auto& [num, path] : files) {
    UserStream s;
    s.name = path;
    std::ifstream f(path);
    std::string line;
    while (std::getline(f, line)) {
      size_t b = line.find_first_not_of(" \t\r\n\f\v");
      if (b == std::string::npos) continue;
      size_t e = line.find_last_not_of(" \t\r\n\f\v");
      s.commands.push_back(vocab->Intern(line.substr(b, e - b + 1)));
    }
    users.push_back(std::move(s));
  }
  return users;
}

Vocabulary& DataSetVocabulary(int which) {
  static Vocabulary v0, v1;
  return which == 0 ? v0 : v1;
}
const std::vector<UserStream>& DataSet(int which) {
  static std::vector<UserStream> pu = ReadUsers(std::string(MEMORY_SHARED_DIR) + "/data/purdue-pu", "USER", &DataSetVocabulary(0));
  static std::vector<UserStream> sea = ReadUsers(std::string(MEMORY_SHARED_DIR) + "/data/schonlau-sea", "User", &DataSetVocabulary(1));
  return which == 0 ? pu : sea;
}

double ProcessCpuSeconds() {  // user + system time of every thread of this process
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

const char* kModels[] = {"mfu", "mru", "markov(order=1)", "ipam(alpha=0.8)",
                         "ppm(order=8,decay=0.9,escape=8,base_decay=0.9)", "best",
                         // the spec `memory predict` serves (learner/intent_snapshot.cpp)
                         "ppm(order=6,decay=0.9,escape=8,base_decay=0.9,candidates=12,features=2)"};

void BM_EvalOnline(benchmark::State& state) {
  const auto& users = DataSet(static_cast<int>(state.range(0)));
  if (users.empty()) {
    state.SkipWithError("data set not available (../shared)");
    return;
  }
  std::string spec = kModels[state.range(1)];
  const int jobs = static_cast<int>(state.range(2));
  state.SetLabel(std::string(state.range(0) == 0 ? "purdue " : "schonlau ") + spec + " jobs=" + std::to_string(jobs));
  int64_t events = 0;
  double top1 = 0;
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    EvalResult r;
    // With the command texts, as `memory eval intent` runs it (best's respell needs them).
    if (!EvaluateOnline(spec, users, {}, 5, &r, &DataSetVocabulary(static_cast<int>(state.range(0))), jobs).ok())
      state.SkipWithError("eval failed");
    events += r.total.events;
    top1 = r.total.Rate(0);
  }
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  // CPU time of all threads per event: what the loop costs whatever else runs on the machine
  // (wall-clock rates need idle cores; with `jobs` free cores, events/s ~ jobs * 1e9 / this).
  if (events > 0) state.counters["cpu_ns_per_event"] = (ProcessCpuSeconds() - cpu0) * 1e9 / static_cast<double>(events);
  state.counters["top1"] = top1;
}
BENCHMARK(BM_EvalOnline)
    ->ArgsProduct({{0, 1}, {0, 1, 2, 3, 4, 5, 6}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A snapshot trained on `n` simulated events (sessions of repeated workflows with varying args).
const std::string& SnapshotPath(int n) {
  static std::string path;
  if (!path.empty()) return path;
  path = (std::filesystem::temp_directory_path() / ("intent_bench_" + std::to_string(n) + ".snap")).string();
  IntentTrainer trainer;
  uint64_t x = 88172645463325252ULL;
  auto next = [&] { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; };
  const char* flows[][4] = {{"vim src/f%d.cc", "make", "make test", "git status"},
                            {"git add f%d", "git commit -m 'c%d'", "git push", "git log"},
                            {"cd dir%d", "ls", "cat file%d.txt", "rm tmp%d"}};
  char buf[128];
  int64_t ts = 1;
  for (int i = 0; i < n;) {
    Event e;
    e.session = "s" + std::to_string(next() % 500);
    int flow = static_cast<int>(next() % 3);
    for (int j = 0; j < 4 && i < n; ++j, ++i) {
      std::snprintf(buf, sizeof buf, flows[flow][j], static_cast<int>(next() % 1000));
      e.command = (next() % 10 == 0) ? "tool" + std::to_string(next() % 20000) : buf;  // a long tail
      e.ts_us = ts++;
      trainer.Add(e);
    }
  }
  if (!trainer.Write(path).ok()) path.clear();
  return path;
}

void BM_SnapshotOpenAndPredict(benchmark::State& state) {
  const std::string& path = SnapshotPath(static_cast<int>(state.range(0)));
  std::vector<Prediction> out;
  std::vector<int> used;
  for (auto _ : state) {
    std::unique_ptr<IntentSnapshot> snap;
    if (!IntentSnapshot::Open(path, &snap).ok()) {
      state.SkipWithError("open failed");
      break;
    }
    std::vector<CommandId> h = {snap->Find("vim <path>"), snap->Find("make")};
    Context ctx;
    ctx.history = h;
    snap->Predict(ctx, 5, &out, &used);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["file_MB"] = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
}
BENCHMARK(BM_SnapshotOpenAndPredict)->Arg(1000000)->Unit(benchmark::kMicrosecond);

// The neural model's cost per event as the online protocol pays it: gru(path=...)'s Predict
// (top 5 with softmax probabilities) and Learn (one GRU step), random weights of the size
// memory-train uses by default (E=32, H=64) over a vocabulary of V commands.
void BM_GruEvent(benchmark::State& state) {
  const uint32_t V = static_cast<uint32_t>(state.range(0)), E = 32, H = 64;
  GruWeights w;
  w.vocab = V, w.embed = E, w.hidden = H;
  uint64_t x = 12345;
  auto rnd = [&] { x = x * 6364136223846793005ULL + 1442695040888963407ULL; return static_cast<float>((x >> 40) % 1000) / 1000.0f - 0.5f; };
  for (auto* v : {&w.embedding, &w.w_ih, &w.w_hh, &w.b_ih, &w.b_hh, &w.out_w, &w.out_b}) v->clear();
  for (size_t i = 0; i < V * E; ++i) w.embedding.push_back(rnd());
  for (size_t i = 0; i < 3 * H * E; ++i) w.w_ih.push_back(rnd());
  for (size_t i = 0; i < 3 * H * H; ++i) w.w_hh.push_back(rnd());
  for (size_t i = 0; i < 3 * H; ++i) w.b_ih.push_back(rnd()), w.b_hh.push_back(rnd());
  for (size_t i = 0; i < V * H; ++i) w.out_w.push_back(rnd());
  for (size_t i = 0; i < V; ++i) w.out_b.push_back(rnd());
  w.texts.assign(1, "<unk>");
  Vocabulary vocab;
  for (uint32_t i = 1; i < V; ++i) vocab.Intern(w.texts.emplace_back("c" + std::to_string(i)));
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("bench_gru_" + std::to_string(V) + ".bin")).string();
  std::unique_ptr<NextCommandModel> model;
  if (!w.Save(path).ok() || !NewModel("gru(path=" + path + ")", &model).ok()) {
    state.SkipWithError("cannot write or load the weights");
    return;
  }
  std::filesystem::remove(path);
  model->SetVocabulary(&vocab);
  std::vector<CommandId> history = {0};
  Context ctx;
  std::vector<Prediction> top;
  for (auto _ : state) {
    ctx.history = history;
    model->Predict(ctx, 5, &top);
    const CommandId next = top.empty() ? 0 : top[0].command;
    model->Learn(ctx, next);
    history[0] = next;
  }
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GruEvent)->Arg(900)->Arg(5000);

}  // namespace
}  // namespace memory::learner
