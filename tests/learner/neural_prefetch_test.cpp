// `memory eval cache --prefetch intent(MODEL) | neural(path=FILE)`: learner next-command models
// (count models and the Eigen-served GRU) as cache prefetchers, end to end through the binary.
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "learner/gru.h"
#include "tests/cli/cli_test_util.h"

namespace memory::learner {
namespace {

using CliRun = memory::testing::CliResult;

CliRun EvalCache(const std::string& args) {
  return memory::testing::RunMemory("--db /nonexistent-memory-db eval cache " + args);
}

constexpr int kLoop = 60;    // keys 1..60 accessed in a cycle
constexpr int kRounds = 20;

// A file of this test process: CTest runs the tests of this file in parallel processes, which
// wrote and read the same /tmp/neural_prefetch_loop0.trace ("the trace holds no keys" when one
// truncated it while another read it).
std::string TestFilePrefix() { return "neural_prefetch_" + std::to_string(::getpid()) + "_"; }
std::string TestFile(const std::string& name) { return ::testing::TempDir() + "/" + TestFilePrefix() + name; }
// ... removed when the process ends.
struct RemoveTestFiles {
  ~RemoveTestFiles() {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(::testing::TempDir(), ec))
      if (e.path().filename().string().rfind(TestFilePrefix(), 0) == 0) std::filesystem::remove(e.path(), ec);
  }
} remove_test_files;

// The text of loop key k: its decimal value, or with a prefix a command line ("git add 7").
std::string KeyText(const std::string& prefix, int k) { return prefix + std::to_string(k); }

// A loop trace, one key per line (LIRS text format when prefix is empty, else a `lines` trace
// of commands), with one stray key 999 first.
std::string LoopTrace(const std::string& prefix = "") {
  std::string path = TestFile("loop" + std::to_string(prefix.size()) + ".trace");
  std::ofstream f(path);
  f << KeyText(prefix, 999) << "\n";
  for (int r = 0; r < kRounds; ++r)
    for (int k = 1; k <= kLoop; ++k) f << KeyText(prefix, k) << "\n";
  return path;
}

// A GRU built by hand that predicts the loop: one-hot embeddings, update gate shut (b_z = -20,
// so h' = n), n = tanh(3 x), and the output row of key k+1 reads the hidden unit of key k.
// Tokens 1..60 are the texts "1".."60"; key 999 is not in the network.
std::string LoopGru(const std::string& prefix = "") {
  const uint32_t V = kLoop + 1, H = V;
  GruWeights w;
  w.vocab = V, w.embed = V, w.hidden = H;
  w.embedding.assign(V * V, 0.0f);
  for (uint32_t t = 0; t < V; ++t) w.embedding[t * V + t] = 1.0f;
  w.w_ih.assign(3 * H * V, 0.0f);
  for (uint32_t i = 0; i < H; ++i) w.w_ih[(2 * H + i) * V + i] = 3.0f;  // n rows
  w.w_hh.assign(3 * H * H, 0.0f);
  w.b_ih.assign(3 * H, 0.0f);
  for (uint32_t i = 0; i < H; ++i) w.b_ih[H + i] = -20.0f;  // z rows
  w.b_hh.assign(3 * H, 0.0f);
  w.out_w.assign(V * H, 0.0f);
  for (uint32_t t = 1; t < V; ++t) w.out_w[(t % kLoop + 1) * H + t] = 10.0f;
  w.out_b.assign(V, 0.0f);
  w.texts.push_back("<unk>");
  for (uint32_t t = 1; t < V; ++t) w.texts.push_back(KeyText(prefix, int(t)));
  std::string path = TestFile("loop" + std::to_string(prefix.size()) + ".gru");
  EXPECT_TRUE(w.Save(path).ok());
  return path;
}

nlohmann::json Json(const CliRun& r) {
  EXPECT_EQ(r.code, 0) << r.err;
  return r.code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
}

TEST(NeuralPrefetch, CountModelPrefetchesTheNextKeyOfALoop) {
  std::string trace = LoopTrace();
  std::string base = "--trace " + trace + " --format lirs --capacity 30 --policy lru --area 0.1 --json";
  auto none = Json(EvalCache(base));
  EXPECT_EQ(none["requests"], kLoop * kRounds + 1);
  EXPECT_EQ(none["hit_ratio"].get<double>(), 0.0);  // LRU smaller than the loop never hits
  auto j = Json(EvalCache(base + " --prefetch 'intent(markov(order=1))'"));
  // After the first round the successor of every key is known: all but ~1 round + 1 hit.
  EXPECT_GT(j["hit_ratio"].get<double>(), 0.9);
  EXPECT_GT(j["prefetch_used"].get<int>(), (kRounds - 2) * kLoop);
  EXPECT_FALSE(j.contains("unknown_keys"));  // a count model knows every key it has seen
  std::string name = j["prefetch"];
  EXPECT_EQ(name.rfind("intent(markov(order=1", 0), 0u) << name;
  // The canonical name builds the same prefetcher.
  auto again = Json(EvalCache(base + " --prefetch '" + name + "'"));
  EXPECT_EQ(again["prefetch"], name);
  EXPECT_EQ(again["hits"], j["hits"]);
}

TEST(NeuralPrefetch, GruWeightsFilePrefetchesFromTheFirstAccess) {
  std::string trace = LoopTrace(), gru = LoopGru();
  std::string base = "--trace " + trace + " --format lirs --capacity 30 --policy lru --area 0.1 --json";
  auto j = Json(EvalCache(base + " --prefetch 'neural(path=" + gru + ",threshold=0.5)'"));
  // The network knows the loop before the trace starts: only 999 and key 1 (after 999) miss.
  EXPECT_EQ(j["misses"], 2);
  EXPECT_EQ(j["unknown_keys"], 1);  // 999
  EXPECT_EQ(j["network_vocab"], kLoop);
  EXPECT_EQ(j["prefetch"], "neural(path=" + gru + ",threshold=0.5,degree=1)");
  // A threshold above what the network gives its guesses turns prefetching off.
  auto strict = Json(EvalCache(base + " --prefetch 'neural(path=" + gru + ",threshold=1)'"));
  EXPECT_EQ(strict["hits"], 0);
  EXPECT_EQ(strict["prefetch_issued"], 0);
  // Same network through the generic adapter.
  auto generic = Json(EvalCache(base + " --prefetch 'intent(gru(path=" + gru + "),threshold=0.5)'"));
  EXPECT_EQ(generic["hits"], j["hits"]);
}

// A network trained on command texts serves the same commands replayed as a `lines` trace.
TEST(NeuralPrefetch, CommandTextTokensMatchALinesTrace) {
  std::string trace = LoopTrace("git add "), gru = LoopGru("git add ");
  std::string base = "--trace " + trace + " --format lines --capacity 30 --policy lru --area 0.1 --json";
  auto j = Json(EvalCache(base + " --prefetch 'neural(path=" + gru + ",threshold=0.5)'"));
  EXPECT_EQ(j["misses"], 2);
  EXPECT_EQ(j["unknown_keys"], 1);
  // Read as decimal keys, a network of decimal texts knows none of these commands.
  auto other = Json(EvalCache(base + " --prefetch 'neural(path=" + LoopGru() + ",threshold=0.5)'"));
  EXPECT_EQ(other["unknown_keys"], kLoop + 1);
  EXPECT_EQ(other["hits"], 0);
}

TEST(NeuralPrefetch, BadWeightsAndSpecsExitTwoNamingTheProblem) {
  std::string trace = LoopTrace(), gru = LoopGru();
  std::string base = "--trace " + trace + " --format lirs --capacity 30 --prefetch ";
  std::string missing = TestFile("no-such-weights.gru");
  CliRun r = EvalCache(base + "'neural(path=" + missing + ")'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;

  std::string cut = TestFile("cut.gru");
  {
    std::ifstream in(gru, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(cut, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size() / 2));
  }
  r = EvalCache(base + "'neural(path=" + cut + ")'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(cut), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;

  r = EvalCache(base + "'neural(path=" + trace + ")'");  // a text file, not weights
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("not a GRU weight file"), std::string::npos) << r.err;

  for (const std::string& bad : std::vector<std::string>{"neural", "'neural()'", "'neural(path=" + gru + ",order=2)'",
                                "'neural(path=" + gru + ",threshold=2)'", "'intent()'",
                                "'intent(nosuchmodel)'", "'intent(markov(order=1)'",
                                "'intent(markov(order=1),degree=x)'",
                                "'intent(markov(order=1),ppm(order=2))'"}) {
    r = EvalCache(base + bad);
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_NE(r.err.find("prefetch model"), std::string::npos) << bad << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << bad;
  }
}

}  // namespace
}  // namespace memory::learner
