// PrivacyFilter cost on the record/import path: the common case (no secret) must stay well under
// 1 µs per command; import runs it on >= 0.5 M events/s.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "store/privacy.h"

namespace {

// Typical interactive commands (written here, not taken from any data set).
const std::vector<std::string> kPlain = {
    "git status",
    "ls -la",
    "cd ~/src/project && make -j8",
    "git commit -m 'fix the parser for nested lists'",
    "docker compose up -d --build",
    "python3 -m pytest tests/test_parser.py -k nested -x",
    "grep -rn 'TODO' src/ | wc -l",
    "ssh deploy@build-01.internal 'sudo systemctl restart api'",
    "curl -s https://api.example.com/v1/items?limit=10 | jq '.items[].id'",
    "kubectl -n staging logs deploy/api --since=10m",
};

const std::vector<std::string> kSecret = {
    "export GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "curl -H 'Authorization: Bearer abc123def456' https://api.example.com",
    "psql postgres://admin:hunter2@db.example.com/app",
    "mysql -u root -pS3cret app",
};

std::unique_ptr<memory::PrivacyFilter> Filter() {
  memory::Config c;
  c.ignore = {"pass *", "*vault read*", "history*"};
  std::unique_ptr<memory::PrivacyFilter> f;
  if (!memory::PrivacyFilter::Create(c, &f).ok()) std::abort();
  return f;
}

void BM_RedactPlainCommand(benchmark::State& state) {
  auto f = Filter();
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    std::string s = kPlain[i++ % kPlain.size()];
    bytes += s.size();
    benchmark::DoNotOptimize(f->RedactText(&s));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_RedactPlainCommand);

void BM_RedactCommandWithSecret(benchmark::State& state) {
  auto f = Filter();
  size_t i = 0;
  for (auto _ : state) {
    std::string s = kSecret[i++ % kSecret.size()];
    benchmark::DoNotOptimize(f->RedactText(&s));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RedactCommandWithSecret);

// What the record/import path does per event: ShouldRecord + Redact on a filled event.
void BM_FilterEvent(benchmark::State& state) {
  auto f = Filter();
  memory::Event e;
  e.cwd = "/home/user/src/project";
  e.tags = {"build"};
  size_t i = 0;
  for (auto _ : state) {
    memory::Event copy = e;
    copy.command = kPlain[i++ % kPlain.size()];
    if (f->ShouldRecord(copy)) benchmark::DoNotOptimize(f->Redact(&copy));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FilterEvent);

void BM_RedactOneMegabyteLine(benchmark::State& state) {
  auto f = Filter();
  std::string line;
  while (line.size() < (1u << 20)) line += "make -C build test ARGS=-j2 && ./run --verbose ";
  for (auto _ : state) {
    std::string s = line;
    benchmark::DoNotOptimize(f->RedactText(&s));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * line.size()));
}
BENCHMARK(BM_RedactOneMegabyteLine)->Unit(benchmark::kMillisecond);

void BM_CreateFilter(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Filter());
}
BENCHMARK(BM_CreateFilter)->Unit(benchmark::kMicrosecond);

}  // namespace
