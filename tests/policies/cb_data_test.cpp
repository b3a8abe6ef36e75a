#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "env/cb_data.h"

namespace memory::env {
namespace {

class CbDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cbdata_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string WriteGzip(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, content.data(), static_cast<unsigned>(content.size()));
    gzclose(f);
    return path;
  }
  Status Read(const std::string& path) { return ReadCbCsv(path, &data_); }
  std::string dir_;
  CbDataset data_;
};

TEST_F(CbDataTest, ReadsDenseRowsInFileOrder) {
  std::string p = Write("ok.csv", "label,f0,f1\n2,1.5,-3\n0,0,7e-1\n");
  ASSERT_TRUE(Read(p).ok());
  EXPECT_EQ(data_.rows(), 2u);
  EXPECT_EQ(data_.num_actions, 3);
  EXPECT_EQ(data_.num_features, 2);
  EXPECT_EQ(data_.labels[0], 2);
  EXPECT_EQ(data_.row_begin[1], 2u);
  EXPECT_FLOAT_EQ(data_.features[1].value, -3.0f);
  EXPECT_EQ(data_.features[3].index, 1u);
  EXPECT_FLOAT_EQ(data_.features[3].value, 0.7f);
}

TEST_F(CbDataTest, ReadsGzipAndCrlf) {
  std::string p = WriteGzip("ok.csv.gz", "label,f0\r\n1,2\r\n0,3\r\n");
  ASSERT_TRUE(Read(p).ok());
  EXPECT_EQ(data_.rows(), 2u);
  EXPECT_FLOAT_EQ(data_.features[1].value, 3.0f);
}

// A wide header over many empty lines: 2 MB of text once asked for 2 TB of features up front
// (lines x columns), and the reader failed with bad_alloc.
TEST_F(CbDataTest, EmptyLinesUnderAWideHeaderCostNothing) {
  const int d = 300000;
  std::string text = "label";
  for (int i = 0; i < d; ++i) text += ",f";
  text += "\n" + std::string(300000, '\n') + "1";
  for (int i = 0; i < d; ++i) text += ",0";
  text += "\n0";
  for (int i = 0; i < d; ++i) text += ",1";
  text += "\n";
  ASSERT_TRUE(Read(Write("wide.csv", text)).ok());
  EXPECT_EQ(data_.rows(), 2u);
  EXPECT_EQ(data_.num_features, d);
  EXPECT_EQ(data_.features.size(), size_t{2} * d);
  EXPECT_LE(data_.features.capacity(), text.size());  // not lines x columns
}

TEST_F(CbDataTest, BadInputNamesFileAndLine) {
  struct Case {
    std::string content;
    std::string expect;
  } cases[] = {
      {"label,f0,f1\n1,2\n", "ok.csv:2: has 2 fields"},
      {"label,f0\n1,2,3\n", "ok.csv:2: more than 2 fields"},
      {"label,f0\n1,abc\n", "ok.csv:2: field 2 'abc' is not a number"},
      {"label,f0\n1,2\nx,3\n", "ok.csv:3: label 'x' is not an integer"},
      {"label,f0\n-1,2\n", "ok.csv:2: label -1 is negative"},
      {"label,f0\n1,2\n10000,3\n", "ok.csv:3: label 10000 is out of range (at most 9999)"},
      {"label,f0\n1.5,2\n", "label '1.5' is not an integer"},
      {"label,f0\n1,nan\n", "is not a number"},
      {"label,f0\n1,1e300\n", "field 2 '1e300' is not a number"},
      {"f0,f1\n1,2\n", "ok.csv:1: expected a header"},
      {"label,f0\n", "no examples"},
      {"", "empty file"},
      {std::string("label,f0\n1,\0\n", 13), "binary data"},
  };
  for (const auto& c : cases) {
    std::string p = Write("ok.csv", c.content);
    Status s = Read(p);
    ASSERT_FALSE(s.ok()) << c.expect;
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.ToString().find(c.expect), std::string::npos) << s.ToString();
  }
}

TEST_F(CbDataTest, MissingAndTruncatedFiles) {
  Status s = Read(dir_ + "/missing.csv");
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_NE(s.ToString().find("missing.csv"), std::string::npos);
  EXPECT_FALSE(Read(dir_).ok());  // a directory
  std::string rows = "label,f0\n";
  for (int i = 0; i < 5000; ++i) rows += std::to_string(i % 3) + "," + std::to_string(i * 0.37) + "\n";
  std::string gz = WriteGzip("full.csv.gz", rows);
  std::string bytes;
  {
    std::ifstream in(gz, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::string cut = Write("cut.csv.gz", bytes.substr(0, bytes.size() / 2));
  s = Read(cut);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("cut.csv.gz"), std::string::npos);
  EXPECT_NE(s.ToString().find("truncated"), std::string::npos) << s.ToString();
}

// A CSV saved with a byte-order mark (as spreadsheets do) has its header; a mark alone is empty.
TEST_F(CbDataTest, AByteOrderMarkBeforeTheHeaderIsSkipped) {
  ASSERT_TRUE(Read(Write("bom.csv", "\xEF\xBB\xBF" "label,f0\r\n1,0.5\r\n0,2\r\n")).ok());
  EXPECT_EQ(data_.labels.size(), 2u);
  Status s = Read(Write("bom-only.csv", "\xEF\xBB\xBF"));
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("empty"), std::string::npos) << s.ToString();
}

// /dev/zero as a data set fails at its first block (it read 4 GiB before).
TEST_F(CbDataTest, DevZeroStopsAtOnce) {
  Status s = Read("/dev/zero");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("/dev/zero:1: binary data"), std::string::npos) << s.ToString();
}

TEST_F(CbDataTest, Nl2BashPairsBecomeHashedWordsAndUtilities) {
  Write("nl2bash.nl", "Find all files named foo\nSort the lines of a file\nfind big files\n");
  Write("nl2bash.cm", "find . -name foo\nsort a.txt\nfind / -size +1G\n");
  ASSERT_TRUE(ReadNl2BashBandit(dir_, &data_).ok());
  ASSERT_EQ(data_.rows(), 3u);
  EXPECT_EQ(data_.num_actions, 2);
  EXPECT_EQ(data_.action_names[0], "find");
  EXPECT_EQ(data_.action_names[1], "sort");
  EXPECT_EQ(data_.labels[2], 0);
  // Row 0: 5 words + 4 bigrams.
  EXPECT_EQ(data_.row_begin[1], 9u);
  EXPECT_EQ(data_.features[0].index, HashToken("find"));
  EXPECT_EQ(data_.features[1].index, HashToken("find all"));
  EXPECT_NE(data_.features[0].index & kHashedFeatureBit, 0u);
  // "sort" is mentioned in row 1, "find" in rows 0 and 2 (case-folded).
  EXPECT_EQ(data_.mentioned[1], std::vector<int>{1});
  EXPECT_EQ(data_.mentioned[0], std::vector<int>{0});
}

TEST_F(CbDataTest, Nl2BashMismatchedFilesAreAnError) {
  Write("nl2bash.nl", "a\nb\n");
  Write("nl2bash.cm", "ls\n");
  Status s = ReadNl2BashBandit(dir_, &data_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("nl2bash.nl has 2 lines but nl2bash.cm has 1"), std::string::npos) << s.ToString();
  s = ReadNl2BashBandit(dir_ + "/nowhere", &data_);
  EXPECT_TRUE(s.IsNotFound());
}

}  // namespace
}  // namespace memory::env
