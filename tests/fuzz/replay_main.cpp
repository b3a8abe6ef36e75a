// Runs a fuzz target of tests/fuzz without libFuzzer, with any compiler, as a GoogleTest in CTest
// (fuzz_replay_TARGET): the target's properties (its FUZZ_CHECKs) must hold on its seeds
// (tests/fuzz/seeds/TARGET and those it writes itself with FUZZ_MAKE_SEED) and on a fixed number
// of inputs mutated from them by a fixed pseudo-random sequence, so every run tries the same
// inputs and a failure reproduces. A failed check or a crash saves the input as
// fuzz-failing-TARGET in the working directory and names it on stderr; `fuzz_replay_TARGET FILE…`
// runs the target on files (a saved input, a libFuzzer crash file).
//
// The build defines FUZZ_TARGET (name), FUZZ_SEED_DIR, FUZZ_MUTATIONS and FUZZ_MAX_LEN (the
// largest mutated input, as libFuzzer's -max_len in scripts/fuzz).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" [[gnu::weak]] int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

// The input being run, for the crash handler (which may only call async-signal-safe functions).
const std::string* g_current = nullptr;
const char kFailingFile[] = "fuzz-failing-" FUZZ_TARGET;

void SaveInputAndDie(int sig) {
  if (g_current) {
    int fd = ::open(kFailingFile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      const char* p = g_current->data();
      size_t left = g_current->size();
      while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n <= 0) break;
        p += n;
        left -= size_t(n);
      }
      ::close(fd);
    }
    const char msg[] = "fuzz replay: the failing input is saved as ./";
    (void)!::write(2, msg, sizeof msg - 1);
    (void)!::write(2, kFailingFile, sizeof kFailingFile - 1);
    (void)!::write(2, "\n", 1);
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void RunInput(const std::string& input) {
  g_current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  g_current = nullptr;
}

std::string ReadWhole(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void AddFilesUnder(const fs::path& dir, std::vector<std::string>* out) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());  // a fixed order: the mutations depend on it
  for (const fs::path& p : files) out->push_back(ReadWhole(p));
}

// The seeds: the committed ones, then those the target writes with FUZZ_MAKE_SEED=DIR (in a
// child process: the target exits after writing them).
std::vector<std::string> LoadSeeds() {
  std::vector<std::string> seeds;
  AddFilesUnder(FUZZ_SEED_DIR, &seeds);
  if (LLVMFuzzerInitialize) {
    char tmpl[] = "/tmp/fuzz_seeds_XXXXXX";
    if (::mkdtemp(tmpl)) {
      pid_t pid = ::fork();
      if (pid == 0) {
        ::setenv("FUZZ_MAKE_SEED", tmpl, 1);
        ::dup2(::open("/dev/null", O_WRONLY), 2);
        LLVMFuzzerInitialize(nullptr, nullptr);
        ::_exit(0);  // a target without generated seeds returns
      }
      int status = 0;
      if (pid > 0) ::waitpid(pid, &status, 0);
      AddFilesUnder(tmpl, &seeds);
      fs::remove_all(tmpl);
    }
  }
  return seeds;
}

// Mutations in the manner of libFuzzer's: bit flips, bytes and integers set to edge values,
// inserted, erased, copied or duplicated runs, numbers in text replaced, truncation, splicing
// with another input; 1-4 of them stacked.
class Mutator {
 public:
  explicit Mutator(uint64_t seed) : x_(seed) {}

  uint64_t Next() {  // xorshift64*
    x_ ^= x_ >> 12;
    x_ ^= x_ << 25;
    x_ ^= x_ >> 27;
    return x_ * 0x2545F4914F6CDD1DULL;
  }
  size_t Below(size_t n) { return n ? size_t(Next() % n) : 0; }

  // Half the mutants keep the input's size (files whose header gives the size reject the rest).
  std::string Mutate(std::string s, const std::vector<std::string>& pool, size_t max_len) {
    const bool keep_size = Below(2);
    for (size_t k = 1 + Below(4); k > 0; --k) Once(&s, pool, keep_size);
    if (s.size() > max_len) s.resize(max_len);
    return s;
  }

 private:
  static constexpr char kBytes[] = {'\0', '\x01', '\x7f', '\x80', '\xff', '"', '\\', '\n', '{', '}',
                                    '[', ']', ',', ':', '0', '9', '-', '.', 'e', ' ', '\t', '#'};
  static constexpr uint64_t kInts[] = {0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000,
                                       0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
                                       0xffffffffffffffffULL, 0x3ff0000000000000ULL /* 1.0 */,
                                       0x7ff0000000000000ULL /* inf */, 0x7ff8000000000000ULL /* NaN */,
                                       0x7e37e43c8800759cULL /* 1e300 */, 0x7149f2ca /* float 1e30 */,
                                       0x7f7fffff /* float max */, 0x0da24260 /* float 1e-30 */,
                                       0xbf800000 /* float -1 */};
  static constexpr const char* kNumbers[] = {"0", "-1", "1e308", "-0", "4294967296", "nan",
                                             "99999999999999999999", "2147483648", "1.5", "1e-320"};

  void Once(std::string* s, const std::vector<std::string>& pool, bool keep_size) {
    static constexpr int kSameSize[] = {0, 1, 2, 5, 7};
    const size_t n = s->size();
    switch (keep_size ? kSameSize[Below(std::size(kSameSize))] : int(Below(11))) {
      case 0:
        if (n) (*s)[Below(n)] ^= char(1 << Below(8));
        break;
      case 1:
        if (n) (*s)[Below(n)] = char(Next());
        break;
      case 2:
        if (n) (*s)[Below(n)] = kBytes[Below(std::size(kBytes))];
        break;
      case 3: {
        std::string ins;
        for (size_t k = 1 + Below(4); k > 0; --k)
          ins += Below(2) ? char(Next()) : kBytes[Below(std::size(kBytes))];
        s->insert(Below(n + 1), ins);
        break;
      }
      case 4:
        if (n) {
          size_t at = Below(n);
          s->erase(at, 1 + Below(std::min<size_t>(8, n - at)));
        }
        break;
      case 5:  // copy a run over another place
        if (n > 1) {
          size_t from = Below(n), to = Below(n), len = 1 + Below(std::min<size_t>(16, n - from));
          std::string run = s->substr(from, len);
          s->replace(to, std::min(len, n - to), run);
        }
        break;
      case 6:  // duplicate a run
        if (n) {
          size_t from = Below(n), len = 1 + Below(std::min<size_t>(64, n - from));
          s->insert(Below(n + 1), s->substr(from, len));
        }
        break;
      case 7: {  // an edge-value integer of 1, 2, 4 or 8 bytes, either byte order
        const size_t width = size_t(1) << Below(4);
        if (n < width) break;
        uint64_t v = kInts[Below(std::size(kInts))];
        if (Below(2)) v = ~v;
        const size_t at = Below(n - width + 1);
        const bool big = Below(2);
        for (size_t b = 0; b < width; ++b)
          (*s)[at + (big ? width - 1 - b : b)] = char((v >> (8 * b)) & 0xff);
        break;
      }
      case 8: {  // a number in text replaced by an edge value
        size_t at = Below(n + 1);
        while (at < n && !((*s)[at] >= '0' && (*s)[at] <= '9')) ++at;
        size_t end = at;
        while (end < n && (((*s)[end] >= '0' && (*s)[end] <= '9') || (*s)[end] == '.')) ++end;
        s->replace(at, end - at, kNumbers[Below(std::size(kNumbers))]);
        break;
      }
      case 9:
        s->resize(Below(n + 1));
        break;
      case 10: {  // splice: a prefix of this input, a suffix of another
        const std::string& o = pool[Below(pool.size())];
        s->resize(Below(n + 1));
        s->append(o, Below(o.size() + 1));
        break;
      }
    }
  }

  uint64_t x_;
};

class FuzzReplay : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    seeds_ = new std::vector<std::string>(LoadSeeds());
    for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, SaveInputAndDie);
    if (LLVMFuzzerInitialize) {
      ::unsetenv("FUZZ_MAKE_SEED");
      LLVMFuzzerInitialize(nullptr, nullptr);
    }
  }
  static std::vector<std::string>* seeds_;
};
std::vector<std::string>* FuzzReplay::seeds_ = nullptr;

TEST_F(FuzzReplay, SeedsKeepTheProperties) {
  ASSERT_GE(seeds_->size(), 1u) << "no seeds in " << FUZZ_SEED_DIR;
  for (const std::string& s : *seeds_) RunInput(s);
  std::printf("%zu seeds\n", seeds_->size());
}

// Mutants of mutants too: one in eight joins the pool (at most 256 inputs beside the seeds).
TEST_F(FuzzReplay, MutatedSeedsKeepTheProperties) {
  ASSERT_GE(seeds_->size(), 1u);
  std::vector<std::string> pool = *seeds_;
  Mutator m(0x5EED0000ULL + std::hash<std::string>{}(FUZZ_TARGET));
  for (int i = 0; i < FUZZ_MUTATIONS; ++i) {
    std::string input = m.Mutate(pool[m.Below(pool.size())], pool, FUZZ_MAX_LEN);
    RunInput(input);
    if (m.Below(8) == 0) {
      if (pool.size() < seeds_->size() + 256) pool.push_back(std::move(input));
      else pool[seeds_->size() + m.Below(256)] = std::move(input);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc > 1) {  // replay files
    for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, SaveInputAndDie);
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; ++i) {
      RunInput(ReadWhole(argv[i]));
      std::fprintf(stderr, "%s: ok\n", argv[i]);
    }
    return 0;
  }
  return RUN_ALL_TESTS();
}
