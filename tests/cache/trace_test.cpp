// Trace readers on small files written by the test (never copies of the shared data), and
// bad input: missing, truncated, wrong-format files.
#include <gtest/gtest.h>
#include <lzma.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "env/cache_trace.h"

namespace memory::env {
namespace {

namespace fs = std::filesystem;

class TraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cache_trace_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  static std::string Gzip(const std::string& in) {
    z_stream zs{};
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&zs, in.size()) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = in.size();
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = out.size();
    EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
  }
  static std::string Xz(const std::string& in) {
    std::string out(lzma_stream_buffer_bound(in.size()), '\0');
    size_t pos = 0;
    EXPECT_EQ(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr,
                                      reinterpret_cast<const uint8_t*>(in.data()), in.size(),
                                      reinterpret_cast<uint8_t*>(out.data()), &pos, out.size()),
              LZMA_OK);
    out.resize(pos);
    return out;
  }
  static std::string BigEndian(const std::vector<int64_t>& v, int width) {
    std::string s;
    for (int64_t x : v)
      for (int b = width - 1; b >= 0; --b) s.push_back(static_cast<char>((uint64_t(x) >> (8 * b)) & 0xff));
    return s;
  }
  fs::path dir_;
};

TEST_F(TraceTest, LirsSkipsCheckpointsAndBlankLines) {
  std::string text = "5\n*\n7\n\n  5 \r\n*\n-3\n";
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"t.txt", text}, {"t.gz", Gzip(text)}, {"t.xz", Xz(text)}}) {
    std::vector<uint64_t> keys;
    Status s = ReadCacheTrace(Write(name, bytes), TraceFormat::kLirs, &keys);
    ASSERT_TRUE(s.ok()) << name << ": " << s.ToString();
    EXPECT_EQ(keys, (std::vector<uint64_t>{5, 7, 5, uint64_t(-3)})) << name;
  }
}

TEST_F(TraceTest, BinaryBigEndianKeys) {
  std::vector<int64_t> v = {1, -2, 0x01020304, 2147483647};
  std::vector<uint64_t> keys;
  ASSERT_TRUE(ReadCacheTrace(Write("c.xz", Xz(BigEndian(v, 4))), TraceFormat::kCache2k, &keys).ok());
  EXPECT_EQ(keys, (std::vector<uint64_t>{1, uint64_t(-2), 0x01020304, 2147483647}));
  std::vector<int64_t> w = {1, -2, 0x0102030405060708LL};
  ASSERT_TRUE(ReadCacheTrace(Write("s.xz", Xz(BigEndian(w, 8))), TraceFormat::kScarab, &keys).ok());
  EXPECT_EQ(keys, (std::vector<uint64_t>{1, uint64_t(-2), 0x0102030405060708ULL}));
  ASSERT_TRUE(ReadCacheTrace(Write("c.gz", Gzip(BigEndian(w, 8))), TraceFormat::kCorda, &keys).ok());
  EXPECT_EQ(keys.size(), 3u);
}

TEST_F(TraceTest, LinesHashEachLine) {
  std::vector<uint64_t> keys;
  ASSERT_TRUE(ReadCacheTrace(Write("h", "git status\nls -la\n\ngit status\n"), TraceFormat::kLines,
                             &keys).ok());
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0], keys[2]);
  EXPECT_NE(keys[0], keys[1]);
  EXPECT_EQ(keys[1], TraceKeyOfString("ls -la"));
}

TEST_F(TraceTest, MissingFileIsNotFound) {
  std::vector<uint64_t> keys;
  Status s = ReadCacheTrace((dir_ / "nope.gz").string(), TraceFormat::kLirs, &keys);
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_NE(s.ToString().find("nope.gz"), std::string::npos);
  EXPECT_FALSE(ReadCacheTrace(dir_.string(), TraceFormat::kLirs, &keys).ok());
}

TEST_F(TraceTest, TruncatedCompressedStreamsAreErrors) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += std::to_string(i * 7919 % 1000) + "\n";
  std::string gz = Gzip(text), xz = Xz(text);
  std::vector<uint64_t> keys;
  Status s = ReadCacheTrace(Write("t.gz", gz.substr(0, gz.size() / 2)), TraceFormat::kLirs, &keys);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("t.gz"), std::string::npos);
  s = ReadCacheTrace(Write("t.xz", xz.substr(0, xz.size() - 10)), TraceFormat::kLirs, &keys);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("t.xz"), std::string::npos);
  EXPECT_TRUE(keys.empty());
  gz[gz.size() / 2] ^= 0x55;  // corrupt, not truncated
  EXPECT_FALSE(ReadCacheTrace(Write("c.gz", gz), TraceFormat::kLirs, &keys).ok());
}

// A compression bomb is refused at the limit, before it takes the memory (it was decompressed
// whole: 10 MB of gzip of zeros is 10 GB); data under the limit reads as before.
TEST_F(TraceTest, DecompressionStopsAtTheLimit) {
  const std::string zeros(8 << 20, '\0');
  for (auto [name, packed] : {std::pair<std::string, std::string>{"bomb.gz", Gzip(zeros)}, {"bomb.xz", Xz(zeros)}}) {
    ASSERT_LT(packed.size(), 64u << 10) << name;
    std::string bytes;
    Status s = ReadMaybeCompressed(Write(name, packed), &bytes, 1 << 20);
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.message().find("more than 1 MiB"), std::string::npos) << s.message();
    EXPECT_LE(bytes.size(), 1u << 20);
    ASSERT_TRUE(ReadMaybeCompressed(Write(name, packed), &bytes, 8 << 20).ok()) << name;
    EXPECT_EQ(bytes, zeros);
  }
}

// A text trace stops at its first NUL byte: /dev/zero as --format lirs or lines read 4 GiB (and
// held 4.2 GB) before it failed. A NUL in what a gzip or xz file decompresses to stops that too,
// with its line; compressed files are still read (their raw bytes hold NULs).
TEST_F(TraceTest, ANulByteStopsATextTraceAtOnce) {
  std::vector<uint64_t> keys;
  for (TraceFormat f : {TraceFormat::kLirs, TraceFormat::kLines}) {
    Status s = ReadCacheTrace("/dev/zero", f, &keys);
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.message().find("/dev/zero:1: binary data in a text trace"), std::string::npos) << s.ToString();
  }
  Status s = ReadCacheTrace(Write("short", std::string("1\0", 2)), TraceFormat::kLirs, &keys);
  EXPECT_NE(s.message().find("short:1: binary data"), std::string::npos) << s.ToString();
  const std::string text = std::string("1\n2\n3") + '\0' + "\n4\n";
  for (auto [name, packed] : {std::pair<std::string, std::string>{"nul.gz", Gzip(text)}, {"nul.xz", Xz(text)}}) {
    s = ReadCacheTrace(Write(name, packed), TraceFormat::kLines, &keys);
    EXPECT_NE(s.message().find(name + ":3: binary data"), std::string::npos) << s.ToString();
  }
  // Zeros that would fill the limit stop at the first decompressed block.
  const std::string zeros(8 << 20, '\0');
  std::string bytes;
  s = ReadMaybeCompressed(Write("zeros.gz", Gzip(zeros)), &bytes, 16 << 20, "not text");
  EXPECT_NE(s.message().find("zeros.gz:1: not text"), std::string::npos) << s.ToString();
  EXPECT_LE(bytes.size(), 1u << 17);
  // Binary formats and valid compressed text are unaffected.
  ASSERT_TRUE(ReadCacheTrace(Write("ok.gz", Gzip("5\n6\n")), TraceFormat::kLirs, &keys).ok());
  EXPECT_EQ(keys, (std::vector<uint64_t>{5, 6}));
  ASSERT_TRUE(ReadCacheTrace(Write("zero.bin", std::string(8, '\0')), TraceFormat::kCache2k, &keys).ok());
  EXPECT_EQ(keys, (std::vector<uint64_t>{0, 0}));
}

TEST_F(TraceTest, AByteOrderMarkIsSkipped) {
  std::vector<uint64_t> keys;
  ASSERT_TRUE(ReadCacheTrace(Write("bom.lirs", "\xEF\xBB\xBF" "7\n8\n"), TraceFormat::kLirs, &keys).ok());
  EXPECT_EQ(keys, (std::vector<uint64_t>{7, 8}));
  ASSERT_TRUE(ReadCacheTrace(Write("bom.lines", "\xEF\xBB\xBF" "ls\nls\n"), TraceFormat::kLines, &keys).ok());
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], keys[1]);
}

TEST_F(TraceTest, BinaryLengthMustBeAMultipleOfTheKeyWidth) {
  std::vector<uint64_t> keys;
  Status s = ReadCacheTrace(Write("b", std::string(10, '\1')), TraceFormat::kCache2k, &keys);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("truncated"), std::string::npos);
  EXPECT_TRUE(ReadCacheTrace(Write("b8", std::string(12, '\1')), TraceFormat::kScarab, &keys)
                  .IsInvalidArgument());
}

TEST_F(TraceTest, TextErrorsNameFileAndLine) {
  std::vector<uint64_t> keys;
  Status s = ReadCacheTrace(Write("bad.txt", "1\n2\nthree\n"), TraceFormat::kLirs, &keys);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("bad.txt:3"), std::string::npos) << s.message();
  s = ReadCacheTrace(Write("bin", std::string("1\n\0\x01\x02", 5)), TraceFormat::kLirs, &keys);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("binary"), std::string::npos);
  s = ReadCacheTrace(Write("empty", ""), TraceFormat::kLines, &keys);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("no keys"), std::string::npos);
  s = ReadCacheTrace(Write("stars", "*\n*\n"), TraceFormat::kLirs, &keys);
  EXPECT_TRUE(s.IsInvalidArgument());
}

TEST(TraceFormat, NamesAndGuesses) {
  TraceFormat f;
  for (const char* n : {"lirs", "cache2k", "corda", "scarab", "lines"}) {
    ASSERT_TRUE(ParseTraceFormat(n, &f).ok());
    EXPECT_EQ(TraceFormatName(f), n);
  }
  ASSERT_TRUE(ParseTraceFormat("int32be", &f).ok());
  EXPECT_EQ(f, TraceFormat::kCache2k);
  Status s = ParseTraceFormat("arcx", &f);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("arcx"), std::string::npos);
  ASSERT_TRUE(GuessTraceFormat("x/cache-traces/scarab/scarab-recs.trace.xz", &f).ok());
  EXPECT_EQ(f, TraceFormat::kScarab);
  ASSERT_TRUE(GuessTraceFormat("../lirs/gli.trace.gz", &f).ok());
  EXPECT_EQ(f, TraceFormat::kLirs);
  EXPECT_TRUE(GuessTraceFormat("/tmp/history.txt", &f).IsInvalidArgument());
}

}  // namespace
}  // namespace memory::env
