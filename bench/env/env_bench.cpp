// Speed of the simulator and of the history readers.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "env/history.h"
#include "env/simulator.h"

namespace {

using memory::Event;
using namespace memory::env;

// Events per second of the simulator, streaming (state.range(0) events per iteration).
void BM_Simulate(benchmark::State& state) {
  const int64_t n = state.range(0);
  for (auto _ : state) {
    SimulatorOptions o;
    o.seed = 1;
    o.events = n;
    std::unique_ptr<Simulator> sim;
    if (!Simulator::Create(o, &sim).ok()) state.SkipWithError("create failed");
    Event e;
    size_t bytes = 0;
    while (sim->Next(&e)) bytes += e.command.size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Simulate)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

std::string ZshText(int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i) {
    text += ": " + std::to_string(1'700'000'000 + i) + ":" + std::to_string(i % 7) + ";";
    text += (i % 3 == 0) ? "git commit -m \"fix parser\"\n" : (i % 3 == 1) ? "make -j8\n" : "ls -la\n";
  }
  return text;
}

std::string OnePerLineText(int lines) {
  static const char* kCmds[] = {"ls", "cd", "vi", "make", "cat", "grep", "more", "emacs"};
  std::string text;
  for (int i = 0; i < lines; ++i) {
    text += kCmds[(i * 7 + i / 3) % 8];
    text += '\n';
  }
  return text;
}

void ParseBench(benchmark::State& state, const std::string& text, HistoryFormat f) {
  HistoryReadOptions o;
  o.base_ts_us = 1;
  size_t n = 0;
  for (auto _ : state) {
    std::vector<Event> ev;
    if (!ParseHistory(text, "bench", f, o, &ev).ok()) state.SkipWithError("parse failed");
    n = ev.size();
    benchmark::DoNotOptimize(ev.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_ParseZsh1M(benchmark::State& state) {
  static const std::string text = ZshText(1'000'000);
  ParseBench(state, text, HistoryFormat::kZsh);
}
BENCHMARK(BM_ParseZsh1M)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ParsePurdueStyle1M(benchmark::State& state) {
  static const std::string text = OnePerLineText(1'000'000);
  ParseBench(state, text, HistoryFormat::kPurdue);
}
BENCHMARK(BM_ParsePurdueStyle1M)->Unit(benchmark::kMillisecond)->UseRealTime();

// The real Schonlau SEA files (25 x 15,000 commands), when ../shared is there.
void BM_ReadSchonlauFolder(benchmark::State& state) {
  std::string dir = std::string(MEMORY_SHARED_DIR) + "/data/schonlau-sea";
  std::vector<std::string> files;
  if (!std::filesystem::exists(dir) || !ExpandHistoryPaths({dir}, HistoryFormat::kSchonlau, &files).ok()) {
    state.SkipWithError("shared data not present");
    return;
  }
  HistoryReadOptions o;
  o.base_ts_us = 1;
  size_t n = 0;
  for (auto _ : state) {
    std::vector<Event> ev;
    for (const auto& f : files) {
      if (!ReadHistoryFile(f, HistoryFormat::kSchonlau, o, &ev).ok()) state.SkipWithError("read failed");
    }
    n = ev.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_ReadSchonlauFolder)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
