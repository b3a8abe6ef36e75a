// LoadConfig: defaults, every setting, and line-numbered errors for bad files.
#include "store/config.h"
#include "store/store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

namespace memory {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/memory-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Loads `text`; expects InvalidArgument whose message starts with "<file>:<line>:".
  void ExpectError(const std::string& text, int line, const std::string& needle) {
    std::string path = Write("bad.yaml", text);
    Config c;
    c.sync = true;
    Status st = LoadConfig(path, &c);
    ASSERT_TRUE(st.IsInvalidArgument()) << text << " -> " << st.ToString();
    EXPECT_EQ(st.message().rfind(path + ":" + std::to_string(line) + ":", 0), 0u)
        << "message: " << st.message();
    EXPECT_NE(st.message().find(needle), std::string::npos) << "message: " << st.message();
  }

  std::string dir_;
};

void ExpectDefaults(const Config& c) {
  Config d;
  EXPECT_EQ(c.sync, d.sync);
  EXPECT_EQ(c.ignore_space_prefixed, d.ignore_space_prefixed);
  EXPECT_EQ(c.ignore, d.ignore);
  EXPECT_EQ(c.redact.size(), d.redact.size());
  EXPECT_EQ(c.max_command_bytes, d.max_command_bytes);
}

TEST_F(ConfigTest, ShippedDefaultFileParsesToTheDefaults) {
  Config c;
  c.sync = true;  // must be overwritten
  c.ignore = {"x"};
  Status st = LoadConfig(std::string(MEMORY_SOURCE_DIR) + "/configs/config.yaml", &c);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ExpectDefaults(c);
}

TEST_F(ConfigTest, ReadsEverySetting) {
  std::string path = Write("c.yaml", R"(
store:
  sync: true
privacy:
  ignore_space_prefixed: no
  ignore: ["pass *", "*vault*"]
  redact:
    - name: employee_id
      pattern: 'EMP-[0-9]{6}'
    - {name: vault, pattern: '--vault-token[= ]([^ ]+)'}
record:
  max_command_bytes: 4096
)");
  Config c;
  Status st = LoadConfig(path, &c);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(c.sync);
  EXPECT_FALSE(c.ignore_space_prefixed);
  EXPECT_EQ(c.ignore, (std::vector<std::string>{"pass *", "*vault*"}));
  ASSERT_EQ(c.redact.size(), 2u);
  EXPECT_EQ(c.redact[0].name, "employee_id");
  EXPECT_EQ(c.redact[0].pattern, "EMP-[0-9]{6}");
  EXPECT_EQ(c.redact[1].name, "vault");
  EXPECT_EQ(c.redact[1].pattern, "--vault-token[= ]([^ ]+)");
  EXPECT_EQ(c.max_command_bytes, 4096u);
}

TEST_F(ConfigTest, EmptyFilesAndSectionsGiveDefaults) {
  for (const char* text : {"", "# only a comment\n", "store:\nprivacy:\n  ignore:\nrecord:\n"}) {
    Config c;
    Status st = LoadConfig(Write("e.yaml", text), &c);
    ASSERT_TRUE(st.ok()) << text << " -> " << st.ToString();
    ExpectDefaults(c);
  }
}

TEST_F(ConfigTest, PartialFileKeepsOtherDefaults) {
  Config c;
  ASSERT_TRUE(LoadConfig(Write("p.yaml", "privacy:\n  ignore: [ls]\n"), &c).ok());
  EXPECT_EQ(c.ignore, std::vector<std::string>{"ls"});
  EXPECT_FALSE(c.sync);
  EXPECT_TRUE(c.ignore_space_prefixed);
  EXPECT_EQ(c.max_command_bytes, Config{}.max_command_bytes);
}

TEST_F(ConfigTest, UnknownKeysNameFileAndLine) {
  ExpectError("store:\n  sync: true\nprivcy:\n  ignore: []\n", 3, "unknown key 'privcy'");
  ExpectError("store:\n  sink: true\n", 2, "unknown key 'sink'");
  ExpectError("privacy:\n  ignore: []\n  redcat: []\n", 3, "unknown key 'redcat'");
  ExpectError("privacy:\n  redact:\n    - name: a\n      pattern: b\n      flags: i\n", 5,
              "unknown key 'flags'");
}

TEST_F(ConfigTest, WrongTypesNameFileAndLine) {
  ExpectError("store:\n  sync: maybe\n", 2, "true or false");
  ExpectError("store:\n  sync: [true]\n", 2, "true or false");
  ExpectError("store: yes\n", 1, "must be a mapping");
  ExpectError("record:\n  max_command_bytes: -5\n", 2, "positive integer");
  ExpectError("record:\n  max_command_bytes: 12abc\n", 2, "positive integer");
  ExpectError("record:\n  max_command_bytes: 0\n", 2, "positive integer");
  ExpectError("record:\n  max_command_bytes: 99999999999999999999999\n", 2, "positive integer");
  ExpectError("privacy:\n  ignore: \"ls *\"\n", 2, "list of glob patterns");
  ExpectError("privacy:\n  ignore:\n    - ok\n    - [nested]\n", 4, "non-empty string");
  ExpectError("privacy:\n  redact:\n    - just-a-string\n", 3, "mapping {name");
  ExpectError("- a\n- b\n", 1, "expected a mapping");
}

TEST_F(ConfigTest, BadRedactionRulesNameFileAndLine) {
  ExpectError("privacy:\n  redact:\n    - name: x\n      pattern: '(unclosed'\n", 4,
              "bad regular expression");
  ExpectError("privacy:\n  redact:\n    - name: x\n", 3, "without 'pattern'");
  ExpectError("privacy:\n  redact:\n    - pattern: abc\n", 3, "without 'name'");
  ExpectError("privacy:\n  redact:\n    - name: 'a b]'\n      pattern: abc\n", 3, "rule name");
}

TEST_F(ConfigTest, DuplicateKeysAreErrors) {
  ExpectError("store:\n  sync: true\n  sync: false\n", 3, "duplicate key 'sync'");
}

TEST_F(ConfigTest, MalformedYamlNamesFileAndLine) {
  ExpectError("store:\n  sync: true\nprivacy:\n  ignore: [a, b\n", 5, "bad YAML");
  ExpectError("store:\n  sync: true\n   bad: [1]\n", 3, "bad YAML");
}

TEST_F(ConfigTest, BinaryFileIsAClearError) {
  std::string text = "store:\n  sync: true\n";
  text += std::string("\x00\x01\xff\xfe", 4);
  ExpectError(text, 3, "binary");
}

TEST_F(ConfigTest, MissingFiles) {
  Config c;
  Status st = LoadConfig(dir_ + "/nope.yaml", &c);
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  EXPECT_NE(st.message().find("nope.yaml"), std::string::npos);
  st = LoadConfig(dir_, &c);  // a directory
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
}

// What stat() cannot size is read up to 1 MB: a pipe (`--config <(...)`) works, /dev/zero is
// an error (it was read until memory ran out).
TEST_F(ConfigTest, PipesAreReadAndEndlessFilesRefused) {
  Config c;
  Status st = LoadConfig("/dev/zero", &c);
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_NE(st.message().find("larger than 1 MB"), std::string::npos) << st.ToString();
  const std::string fifo = dir_ + "/pipe.yaml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] { std::ofstream(fifo) << "store:\n  sync: true\n"; });
  st = LoadConfig(fifo, &c);
  writer.join();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(c.sync);
}

TEST_F(ConfigTest, DefaultPathFollowsXdgAndMissingDefaultIsOk) {
  const char* old_xdg = getenv("XDG_CONFIG_HOME");
  std::string saved = old_xdg ? old_xdg : "";
  setenv("XDG_CONFIG_HOME", dir_.c_str(), 1);
  EXPECT_EQ(DefaultConfigPath(), dir_ + "/llmunix-memory/config.yaml");
  Config c;
  c.sync = true;
  EXPECT_TRUE(LoadConfig("", &c).ok());  // no file at the default place: defaults
  EXPECT_FALSE(c.sync);
  fs::create_directories(dir_ + "/llmunix-memory");
  Write("llmunix-memory/config.yaml", "store:\n  sync: true\n");
  EXPECT_TRUE(LoadConfig("", &c).ok());
  EXPECT_TRUE(c.sync);
  unsetenv("XDG_CONFIG_HOME");
  const char* home = getenv("HOME");
  if (home != nullptr) {
    EXPECT_EQ(DefaultConfigPath(), std::string(home) + "/.config/llmunix-memory/config.yaml");
  }
  if (old_xdg) setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
}

// The data directory never depends on where a command runs: a relative $XDG_DATA_HOME is ignored
// (XDG spec) and without $HOME the home comes from /etc/passwd. Without $HOME it was
// "./.local/share/llmunix-memory", a new store in every directory `record` ran in.
TEST_F(ConfigTest, DefaultDataDirIsAbsoluteWhateverTheEnvironment) {
  std::map<std::string, std::optional<std::string>> saved;
  for (const char* name : {"MEMORY_DB", "XDG_DATA_HOME", "HOME"}) {
    const char* v = getenv(name);
    saved[name] = v ? std::optional<std::string>(v) : std::nullopt;
  }
  unsetenv("MEMORY_DB");
  setenv("XDG_DATA_HOME", dir_.c_str(), 1);
  EXPECT_EQ(DefaultDataDir(), dir_ + "/llmunix-memory");
  setenv("HOME", dir_.c_str(), 1);
  setenv("XDG_DATA_HOME", "relative/data", 1);
  EXPECT_EQ(DefaultDataDir(), dir_ + "/.local/share/llmunix-memory");
  unsetenv("XDG_DATA_HOME");
  unsetenv("HOME");
  const std::string without_home = DefaultDataDir();
  EXPECT_EQ(without_home.rfind("./", 0), std::string::npos) << without_home;
  if (getuid() == 0) {
    EXPECT_EQ(without_home, "/root/.local/share/llmunix-memory");  // from /etc/passwd
  }
  for (const auto& [name, v] : saved) {
    if (v) setenv(name.c_str(), v->c_str(), 1);
    else unsetenv(name.c_str());
  }
}

}  // namespace
}  // namespace memory
