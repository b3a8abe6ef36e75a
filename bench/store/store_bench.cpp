// Store operations: event encoding, fuzzy scoring, the spool append (the record path), the spool
// frames' checksum, bulk ingest, scans. Whole-process timings are in bench/whole_process.sh.
#include <benchmark/benchmark.h>
#include <libdeflate.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <random>

#include "store/fuzzy.h"
#include "store/recorder.h"
#include "store/store.h"

namespace memory {
namespace {

namespace fs = std::filesystem;

std::vector<Event> SyntheticEvents(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const char* verbs[] = {"git status", "git commit -m", "make -j8", "ls -la", "vim src/main.c", "cargo test",
                         "docker compose up", "kubectl get pods", "grep -rn TODO", "python3 train.py --lr"};
  std::vector<Event> v(n);
  int64_t ts = 1767571200LL * 1000000;
  for (size_t i = 0; i < n; ++i) {
    Event& e = v[i];
    e.ts_us = ts += 1 + static_cast<int64_t>(rng() % 5000000);
    e.command = std::string(verbs[rng() % 10]) + (rng() % 4 == 0 ? " " + std::to_string(rng() % 500) : "");
    e.cwd = "/home/u/src/p" + std::to_string(rng() % 8);
    e.session = "s" + std::to_string(i / 40);
    e.user = "u";
    e.exit_code = rng() % 10 == 0 ? 1 : 0;
    e.duration_us = static_cast<int64_t>(rng() % 2000000);
  }
  return v;
}

std::string TempDir() {
  char tmpl[] = "/tmp/memory-bench-XXXXXX";
  return mkdtemp(tmpl);
}

void BM_EncodeDecode(benchmark::State& state) {
  auto evs = SyntheticEvents(1024, 1);
  std::string buf;
  Event back;
  size_t i = 0;
  for (auto _ : state) {
    buf.clear();
    EncodeEvent(evs[i++ & 1023], &buf);
    benchmark::DoNotOptimize(DecodeEvent(buf, &back));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_EncodeDecode);

void BM_FuzzyScore(benchmark::State& state) {
  auto evs = SyntheticEvents(4096, 2);
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(internal::FuzzyScore("gcm", evs[i++ & 4095].command));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_FuzzyScore);

// One `memory record`: append one framed event to the spool (open, flock, write, close).
void BM_SpoolAppend(benchmark::State& state) {
  std::string dir = TempDir();
  RecorderOptions o{dir, state.range(0) != 0};
  auto evs = SyntheticEvents(1, 3);
  for (auto _ : state) {
    std::vector<Event> one = evs;
    one[0].id.clear();
    benchmark::DoNotOptimize(RecordEvents(o, one));
  }
  fs::remove_all(dir);
  state.SetLabel(state.range(0) ? "sync" : "default");
}
BENCHMARK(BM_SpoolAppend)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// The spool frames' CRC-32 (recorder.cpp): zlib's crc32 (arg 0) against libdeflate_crc32 (arg
// 1), the same checksum, on frames of 190 bytes (a typical event) and on one 1 MB buffer.
void BM_FrameChecksum(benchmark::State& state) {
  const bool deflate = state.range(0) != 0;
  const size_t frame = static_cast<size_t>(state.range(1));
  std::string buf(size_t(1) << 20, '\0');
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<char>((i * 131 + 7) ^ (i >> 7));
  const auto* p = reinterpret_cast<const unsigned char*>(buf.data());
  uint32_t acc = 0;
  for (auto _ : state) {
    for (size_t o = 0; o + frame <= buf.size(); o += frame)
      acc ^= deflate ? static_cast<uint32_t>(libdeflate_crc32(0, p + o, frame))
                     : static_cast<uint32_t>(crc32(0L, p + o, static_cast<uInt>(frame)));
  }
  benchmark::DoNotOptimize(acc);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(buf.size() / frame * frame));
  state.SetLabel(deflate ? "libdeflate" : "zlib");
}
BENCHMARK(BM_FrameChecksum)->Args({0, 190})->Args({1, 190})->Args({0, 1 << 20})->Args({1, 1 << 20});

void BM_BulkIngest(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  auto evs = SyntheticEvents(n, 4);
  for (auto _ : state) {
    state.PauseTiming();
    std::string dir = TempDir();
    StoreOptions o;
    o.dir = dir;
    o.mode = StoreOptions::Mode::kReadWrite;
    std::unique_ptr<Store> s;
    Store::Open(o, &s);
    auto copy = evs;
    state.ResumeTiming();
    benchmark::DoNotOptimize(s->Ingest(copy));
    state.PauseTiming();
    s.reset();
    fs::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_BulkIngest)->Arg(200000)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ScanNewestFirst(benchmark::State& state) {
  std::string dir = TempDir();
  StoreOptions o;
  o.dir = dir;
  o.mode = StoreOptions::Mode::kReadWrite;
  std::unique_ptr<Store> s;
  Store::Open(o, &s);
  auto evs = SyntheticEvents(200000, 5);
  s->Ingest(evs);
  for (auto _ : state) {
    size_t n = 0;
    ScanOptions so;
    s->Scan(so, [&](const Event&) { return ++n, true; });
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 200000));
  s.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_ScanNewestFirst)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace memory
