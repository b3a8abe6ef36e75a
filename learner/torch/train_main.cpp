// memory-train: trains the GRU next-command network on history files (one file per user) with
// LibTorch and writes flat weights (learner/gru.h) that `memory` serves with Eigen.
//
//   memory-train --format purdue --out gru.bin ../shared/data/purdue-pu
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>

#include "env/history.h"
#include "learner/torch/gru_torch.h"

namespace {

using memory::Status;

struct Options {
  std::string format = "purdue";
  std::vector<std::string> inputs;
  std::string out;
  int epochs = 3;
  int embed = 32;
  int hidden = 64;
  int seq = 32;
  int batch = 64;
  double lr = 0.005;
  int min_count = 2;
  int seed = 1;
};

bool IsDocFile(const std::filesystem::path& p) {
  std::string n = p.filename().string();
  std::string ext = p.extension().string();
  return n.rfind("README", 0) == 0 || n.rfind("LICENSE", 0) == 0 || n == "SHA256SUMS" || ext == ".md" ||
         ext == ".txt" || ext == ".csv";
}

int Fail(const Status& s) {
  std::fprintf(stderr, "memory-train: %s\n", s.ToString().c_str());
  return s.ExitCode();
}

int Run(const Options& o) {
  torch::set_num_threads(1);
  torch::manual_seed(o.seed);
  memory::env::HistoryFormat format;
  if (Status s = memory::env::ParseHistoryFormat(o.format, &format); !s.ok()) return Fail(s);
  if (o.epochs < 1 || o.embed < 1 || o.hidden < 1 || o.seq < 2 || o.batch < 1 || !(o.lr > 0))
    return Fail(Status::InvalidArgument("--epochs, --embed, --hidden, --batch must be >= 1, --seq >= 2, --lr > 0"));
  std::vector<std::string> files;
  for (const std::string& in : o.inputs) {
    std::vector<std::string> f;
    if (Status s = memory::env::ExpandHistoryPaths({in}, &f); !s.ok()) return Fail(s);
    bool dir = std::filesystem::is_directory(in);
    for (auto& x : f)
      if (!dir || !IsDocFile(x)) files.push_back(x);
  }
  if (files.empty()) return Fail(Status::InvalidArgument("no history files given"));

  // Streams of command texts, then the vocabulary (token 0 = <unk> for rare commands).
  std::vector<std::vector<std::string>> streams;
  std::unordered_map<std::string, int> counts;
  for (const std::string& f : files) {
    std::vector<memory::Event> events;
    memory::env::HistoryReadOptions ro;
    ro.base_ts_us = 1;
    if (Status s = memory::env::ReadHistoryFile(f, format, ro, &events); !s.ok()) return Fail(s);
    if (events.empty()) return Fail(Status::InvalidArgument(f + ": no commands (empty file?)"));
    streams.emplace_back();
    for (auto& e : events) {
      ++counts[e.command];
      streams.back().push_back(e.command);
    }
  }
  std::vector<std::string> texts = {"<unk>"};
  std::unordered_map<std::string, int64_t> token;
  std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  for (auto& [t, c] : sorted)
    if (c >= o.min_count) {
      token[t] = static_cast<int64_t>(texts.size());
      texts.push_back(t);
    }
  // Windows of seq+1 tokens (stride seq) per stream.
  std::vector<std::vector<int64_t>> windows;
  for (const auto& s : streams) {
    std::vector<int64_t> ids;
    for (const auto& t : s) {
      auto it = token.find(t);
      ids.push_back(it == token.end() ? 0 : it->second);
    }
    for (size_t start = 0; start + 2 <= ids.size(); start += o.seq) {
      std::vector<int64_t> w(ids.begin() + start, ids.begin() + std::min(ids.size(), start + o.seq + 1));
      if (w.size() < static_cast<size_t>(o.seq + 1)) w.resize(o.seq + 1, -100);  // padding, ignored
      windows.push_back(std::move(w));
    }
  }
  const int64_t V = static_cast<int64_t>(texts.size());
  std::fprintf(stderr, "%zu files, %zu windows, vocabulary %lld\n", files.size(), windows.size(), static_cast<long long>(V));

  memory::learner::torchnet::GruLm net(V, o.embed, o.hidden);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.lr));
  std::mt19937 rng(o.seed);
  auto t0 = std::chrono::steady_clock::now();
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    std::shuffle(windows.begin(), windows.end(), rng);
    double total = 0;
    int batches = 0;
    for (size_t b = 0; b < windows.size(); b += o.batch) {
      size_t n = std::min<size_t>(o.batch, windows.size() - b);
      auto data = torch::empty({static_cast<int64_t>(n), o.seq + 1}, torch::kLong);
      auto acc = data.accessor<int64_t, 2>();
      for (size_t i = 0; i < n; ++i)
        for (int t = 0; t <= o.seq; ++t) acc[i][t] = windows[b + i][t];
      auto input = data.slice(1, 0, o.seq).clamp_min(0);
      auto target = data.slice(1, 1, o.seq + 1);
      opt.zero_grad();
      auto logits = net->forward(input);
      auto loss = torch::nn::functional::cross_entropy(
          logits.reshape({-1, V}), target.reshape({-1}),
          torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
      loss.backward();
      torch::nn::utils::clip_grad_norm_(net->parameters(), 5.0);
      opt.step();
      total += loss.item<double>();
      ++batches;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "epoch %d: loss %.4f (%.1f s)\n", epoch + 1, batches ? total / batches : 0.0, secs);
  }
  memory::learner::GruWeights w = memory::learner::torchnet::Export(net, texts);
  if (Status s = w.Save(o.out); !s.ok()) return Fail(s);
  std::fprintf(stderr, "wrote %s\n", o.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"memory-train: train the GRU next-command model (LibTorch) and export flat weights for `memory`"};
  Options o;
  app.add_option("--format", o.format, "History format: schonlau, purdue, jsonl, bash or zsh")->capture_default_str();
  app.add_option("--out", o.out, "Output weight file (read by gru(path=...))")->required();
  app.add_option("--epochs", o.epochs, "Passes over the data")->capture_default_str();
  app.add_option("--embed", o.embed, "Embedding size")->capture_default_str();
  app.add_option("--hidden", o.hidden, "GRU hidden size")->capture_default_str();
  app.add_option("--seq", o.seq, "Training window length")->capture_default_str();
  app.add_option("--batch", o.batch, "Windows per batch")->capture_default_str();
  app.add_option("--lr", o.lr, "Adam learning rate")->capture_default_str();
  app.add_option("--min-count", o.min_count, "Commands seen fewer times become <unk>")->capture_default_str();
  app.add_option("--seed", o.seed, "Random seed")->capture_default_str();
  app.add_option("inputs", o.inputs, "History files or folders (one file per user)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return Run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "memory-train: internal error: %s\n", e.what());
    return 1;
  }
}
