// The store commands as a user runs them (the built `memory` binary): record, import, export,
// status, search, forget, clean, backup/restore, learn; many processes at once; kill -9; bad input.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/cli_test_util.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using memory::testing::Quote;
using memory::testing::ReadAll;

class StoreCli : public memory::testing::CliTest {
 protected:
  // Runs `memory --db DB ARGS` through the shell; returns the exit status.
  int Mem(const std::string& args, std::string* out = nullptr, std::string* err = nullptr, const std::string& stdin_text = "") {
    std::string i = dir_ + "/in";
    {
      std::ofstream f(i, std::ios::binary);
      f << stdin_text;
    }
    return Sh(std::string(MEMORY_BIN) + " --db " + Quote(db_) + " " + args + " <" + Quote(i), out, err);
  }
  std::string Write(const std::string& name, const std::string& content) {
    std::string p = dir_ + "/" + name;
    std::ofstream f(p, std::ios::binary);
    f << content;
    return p;
  }
  json Status() {
    std::string out;
    EXPECT_EQ(Mem("status --json", &out), 0);
    return json::parse(out);
  }
  std::vector<json> Export() {
    std::string out;
    EXPECT_EQ(Mem("export --format jsonl", &out), 0);
    std::vector<json> v;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) v.push_back(json::parse(line));
    return v;
  }
};

TEST_F(StoreCli, RecordThenStatusSearchExport) {
  ASSERT_EQ(Mem("record --cmd 'make -j4' --exit 2 --duration-ms 1500 --cwd /src/app --session s1"), 0);
  ASSERT_EQ(Mem("record --cmd 'git status' --session s1"), 0);
  ASSERT_EQ(Mem("record --json -", nullptr, nullptr, R"({"tool":"read_file","params":{"path":"a.txt"},"exit":0,"session":"agent-1"})"), 0);
  json st = Status();
  EXPECT_EQ(st["events"].get<int>(), 3);
  EXPECT_EQ(st["distinct_commands"].get<int>(), 3);
  auto ev = Export();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0]["command"], "make -j4");
  EXPECT_EQ(ev[0]["exit"], 2);
  EXPECT_EQ(ev[0]["duration_ms"], 1500.0);
  EXPECT_EQ(ev[0]["cwd"], "/src/app");
  EXPECT_EQ(ev[2]["kind"], "tool");
  EXPECT_EQ(ev[2]["params"]["path"], "a.txt");
  std::string out;
  ASSERT_EQ(Mem("search --fuzzy mkj --json", &out), 0);
  json hits = json::parse(out);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0]["command"], "make -j4");
  ASSERT_EQ(Mem("search git --failed --json", &out), 0);
  EXPECT_TRUE(json::parse(out).empty());
  ASSERT_EQ(Mem("search make --exit 2 --json", &out), 0);
  EXPECT_EQ(json::parse(out).size(), 1u);
}

// Output that cannot be written (here a full disk, /dev/full) fails the command with a message;
// before, every command but export exited 0.
TEST_F(StoreCli, AnOutputThatCannotBeWrittenIsAFailure) {
  ASSERT_EQ(Mem("record --cmd 'git status' --session s1"), 0);
  for (const char* args : {"status", "status --json", "search git", "search git --json", "predict",
                           "predict --json", "export", "--version", "status --help", "simulate --events 200"}) {
    SCOPED_TRACE(args);
    std::string err;
    EXPECT_EQ(Sh("{ " + std::string(MEMORY_BIN) + " --db " + Quote(db_) + " " + args + " >/dev/full; }", nullptr, &err), 1);
    EXPECT_NE(err.find("I/O error"), std::string::npos) << err;
  }
  EXPECT_EQ(Sh("{ " + std::string(MEMORY_BIN) + " --db " + Quote(db_) + " status >/dev/null; }"), 0);
  // --out in a directory that does not exist names the file asked for, not its temporary twin.
  std::string err;
  const std::string out = dir_ + "/no-such-dir/events.jsonl";
  EXPECT_EQ(Mem("export --out " + Quote(out), nullptr, &err), 1);
  EXPECT_NE(err.find(out + ": cannot create: No such file or directory"), std::string::npos) << err;
  EXPECT_EQ(err.find(".tmp."), std::string::npos) << err;
}

TEST_F(StoreCli, ExportImportExportIsIdentical) {
  std::string sim = dir_ + "/sim.jsonl";
  ASSERT_EQ(std::system((std::string(MEMORY_BIN) + " simulate --events 3000 --seed 5 --out " + sim).c_str()), 0);
  ASSERT_EQ(Mem("import --format jsonl " + sim), 0);
  std::string first;
  ASSERT_EQ(Mem("export --format jsonl", &first), 0);
  EXPECT_EQ(std::count(first.begin(), first.end(), '\n'), 3000);
  std::string again = Write("again.jsonl", first);
  std::string db1 = db_;
  db_ = dir_ + "/db2";
  ASSERT_EQ(Mem("import --format jsonl " + again), 0);
  std::string second;
  ASSERT_EQ(Mem("export --format jsonl", &second), 0);
  EXPECT_EQ(first, second);
  // Importing the same file twice stores nothing new.
  ASSERT_EQ(Mem("import --format jsonl " + again), 0);
  EXPECT_EQ(Status()["events"].get<int>(), 3000);
  std::string arr;
  ASSERT_EQ(Mem("export --format json", &arr), 0);
  EXPECT_EQ(json::parse(arr).size(), 3000u);
  // --out writes the same bytes (in 1 MiB pieces: this export is larger), and refuses a folder.
  ASSERT_GT(first.size(), size_t{1} << 20);
  for (std::string format : {"jsonl", "json"}) {
    std::string out = dir_ + "/out." + format, err;
    ASSERT_EQ(Mem("export --format " + format + " --out " + Quote(out)), 0);
    std::ifstream in(out);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(bytes, format == "jsonl" ? first : arr);
  }
  std::string err;
  EXPECT_EQ(Mem("export --out " + Quote(dir_), nullptr, &err), 2);
  EXPECT_NE(err.find("is a directory"), std::string::npos) << err;
}

TEST_F(StoreCli, EightProcessesRecordingAtOnceLoseNothing) {
  const int kProcs = 8, kEach = 60;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int i = 0; i < kEach; ++i) {
        std::string cmd = std::string(MEMORY_BIN) + " --db " + Quote(db_) + " record --cmd 'proc" + std::to_string(p) +
                          " step" + std::to_string(i) + "' >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0) _exit(1);
        if (i == kEach / 2 && p == 0) {  // a reader folding in the middle of it all
          std::system((std::string(MEMORY_BIN) + " --db " + Quote(db_) + " status >/dev/null 2>&1").c_str());
        }
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int st;
    waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  EXPECT_EQ(Status()["events"].get<int>(), kProcs * kEach);
  std::set<std::string> seen;
  for (auto& e : Export()) seen.insert(e["command"].get<std::string>());
  EXPECT_EQ(seen.size(), static_cast<size_t>(kProcs * kEach));
}

TEST_F(StoreCli, KillDashNineLosesNothingAcknowledged) {
  // A recorder loop notes each acknowledged record; we kill it (and its children) mid-flight.
  std::string acks = dir_ + "/acks";
  std::string script = "i=0; while true; do " + std::string(MEMORY_BIN) + " --db " + Quote(db_) +
                       " record --cmd \"cmd $i\" && echo $i >> " + Quote(acks) + "; i=$((i+1)); done";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", script.c_str(), nullptr);
    _exit(127);
  }
  // Kill it once it has acknowledged a few dozen records (not after a fixed time: on a loaded
  // machine 1.5 s gave only 5), or after 60 s at most.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto acked_lines = [&] {
    const std::string text = ReadAll(acks);
    return std::count(text.begin(), text.end(), '\n');
  };
  while (acked_lines() < 30 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // mid-flight, not right after an ack
  kill(-pid, SIGKILL);
  int st;
  waitpid(pid, &st, 0);
  std::set<std::string> acked;
  std::istringstream in(ReadAll(acks));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) acked.insert("cmd " + line);
  ASSERT_GT(acked.size(), 5u);
  std::set<std::string> stored;
  for (auto& e : Export()) stored.insert(e["command"].get<std::string>());
  for (const auto& a : acked) EXPECT_TRUE(stored.count(a)) << a << " was acknowledged but is lost";
}

TEST_F(StoreCli, PrivacyLeadingSpacePauseAndRedaction) {
  ASSERT_EQ(Mem("record --cmd ' secret-command --token abc'"), 0);
  ASSERT_EQ(Mem("learn --disable"), 0);
  ASSERT_EQ(Mem("record --cmd 'while-paused'"), 0);
  std::string out;
  ASSERT_EQ(Mem("learn --json", &out), 0);
  EXPECT_EQ(json::parse(out)["recording"], "paused");
  ASSERT_EQ(Mem("learn --enable"), 0);
  ASSERT_EQ(Mem("record --cmd 'curl -H \"Authorization: Bearer abcdefghijklmnop1234\" https://api'"), 0);
  ASSERT_EQ(Mem("record --cmd 'export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY'"), 0);
  auto ev = Export();
  ASSERT_EQ(ev.size(), 2u);
  std::string all;
  for (auto& e : ev) all += e.dump();
  EXPECT_EQ(all.find("abcdefghijklmnop1234"), std::string::npos);
  EXPECT_EQ(all.find("wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"), std::string::npos);
  EXPECT_NE(all.find("REDACTED"), std::string::npos);
  EXPECT_EQ(all.find("while-paused"), std::string::npos);
  EXPECT_EQ(all.find("secret-command"), std::string::npos);
  // Nothing of the secrets reached any file of the data directory either.
  std::string bytes;
  for (auto& p : fs::recursive_directory_iterator(db_))
    if (p.is_regular_file()) bytes += ReadAll(p.path());
  EXPECT_EQ(bytes.find("abcdefghijklmnop1234"), std::string::npos);
}

TEST_F(StoreCli, ForgetNeedsConfirmationAndThenDeletes) {
  ASSERT_EQ(Mem("record --cmd 'mysql -u root --password=hunter2'"), 0);
  ASSERT_EQ(Mem("record --cmd 'echo my-private-note'"), 0);
  ASSERT_EQ(Mem("record --cmd 'ls'"), 0);
  std::string out, err;
  EXPECT_EQ(Mem("forget --pattern '*private*'", &out, &err), 5);  // stdin is not a terminal
  EXPECT_NE(err.find("--yes"), std::string::npos);
  EXPECT_EQ(Status()["events"].get<int>(), 3);
  ASSERT_EQ(Mem("forget --pattern '*private*' --dry-run --json", &out), 0);
  EXPECT_EQ(json::parse(out)["forgotten"], 1);
  ASSERT_EQ(Mem("predict --context current --json", &out), 0);  // builds a model holding the texts
  ASSERT_EQ(Mem("forget --pattern '*private*' --yes --json", &out), 0);
  EXPECT_EQ(json::parse(out)["forgotten"], 1);
  auto ev = Export();
  ASSERT_EQ(ev.size(), 2u);
  for (auto& e : ev) EXPECT_EQ(e["command"].get<std::string>().find("private"), std::string::npos);
  EXPECT_EQ(Mem("search private --json", &out), 0);
  EXPECT_TRUE(json::parse(out).empty());
  // Gone from every file of the data directory, derived models included.
  for (auto& p : fs::recursive_directory_iterator(db_))
    if (p.is_regular_file()) {
      EXPECT_EQ(ReadAll(p.path()).find("my-private-note"), std::string::npos) << p.path();
    }
  ASSERT_EQ(Mem("predict --context current --json", &out), 0);  // rebuilt without it
  EXPECT_EQ(out.find("private"), std::string::npos);
}

// --any-field: a name only in a tool call's parameters or an error is found and deleted from
// every file; without the flag nothing matches (the commands are the tool names), and even then
// the cached search for the name is dropped.
TEST_F(StoreCli, ForgetAnyFieldReachesParametersAndErrors) {
  ASSERT_EQ(Mem("record --json -", nullptr, nullptr,
                R"({"tool":"http_get","params":{"url":"https://x/?q=zebra42-client"},"exit":0})" "\n"
                R"({"tool":"deploy","exit":1,"error":"auth failed for zebra42-client"})" "\n"
                R"({"tool":"http_get","params":{"url":"https://x/?q=other"},"exit":0})"),
            0);
  std::string out, err;
  ASSERT_EQ(Mem("optimize"), 0);                // folded: a search result can be cached
  setenv("MEMORY_SEARCH_CACHE", "always", 1);  // (under the name)
  ASSERT_EQ(Mem("search zebra42 --json", &out), 0);
  unsetenv("MEMORY_SEARCH_CACHE");
  auto bytes_left = [&](const std::string& dir) {
    int files = 0;
    for (auto& p : fs::recursive_directory_iterator(dir))
      if (p.is_regular_file() && ReadAll(p.path()).find("zebra42") != std::string::npos) ++files;
    return files;
  };
  ASSERT_GT(bytes_left(db_ + "/cache"), 0);
  ASSERT_EQ(Mem("forget --pattern '*zebra42*' --yes --json", &out), 0);
  EXPECT_EQ(json::parse(out)["forgotten"], 0);
  EXPECT_EQ(bytes_left(db_ + "/cache"), 0);
  ASSERT_EQ(Mem("forget --pattern '*zebra42*' --any-field --dry-run --json", &out), 0);
  EXPECT_EQ(json::parse(out)["forgotten"], 2);
  EXPECT_EQ(Mem("forget --pattern '*zebra42*' --any-field", &out, &err), 5);  // asks first
  EXPECT_NE(err.find("--yes"), std::string::npos) << err;
  ASSERT_EQ(Mem("forget --pattern '*zebra42*' --any-field --yes --json", &out), 0);
  EXPECT_EQ(json::parse(out)["forgotten"], 2);
  auto ev = Export();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["params"]["url"], "https://x/?q=other");
  EXPECT_EQ(bytes_left(db_), 0);
}

TEST_F(StoreCli, CleanByAge) {
  int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  int64_t old_us = now_us - 40LL * 86400 * 1000000;
  ASSERT_EQ(Mem("record --cmd old-thing --ts-us " + std::to_string(old_us)), 0);
  ASSERT_EQ(Mem("record --cmd new-thing"), 0);
  std::string out;
  ASSERT_EQ(Mem("clean --age 30d --yes --json", &out), 0);
  EXPECT_EQ(json::parse(out)["cleaned"], 1);
  auto ev = Export();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["command"], "new-thing");
  EXPECT_NE(Mem("clean --age thirty", &out), 0);
}

TEST_F(StoreCli, BackupAndRestore) {
  ASSERT_EQ(Mem("record --cmd one"), 0);
  ASSERT_EQ(Mem("record --cmd two"), 0);
  std::string bk = dir_ + "/backup";
  ASSERT_EQ(Mem("backup " + Quote(bk)), 0);
  ASSERT_EQ(Mem("record --cmd three"), 0);
  EXPECT_EQ(Status()["events"].get<int>(), 3);
  std::string err;
  EXPECT_EQ(Mem("restore " + Quote(bk), nullptr, &err), 5);  // not confirmed
  ASSERT_EQ(Mem("restore --yes " + Quote(bk)), 0);
  std::vector<std::string> cmds;
  for (auto& e : Export()) cmds.push_back(e["command"]);
  EXPECT_EQ(cmds, (std::vector<std::string>{"one", "two"}));
  // --json for scripts: what was written where, and how large.
  std::string out;
  ASSERT_EQ(Mem("backup --json " + Quote(dir_ + "/backup2"), &out), 0);
  json b = json::parse(out);
  EXPECT_EQ(b["backup"], dir_ + "/backup2");
  EXPECT_GT(b["bytes"].get<int64_t>(), 0);
  EXPECT_GE(b["seconds"].get<double>(), 0.0);
  ASSERT_EQ(Mem("record --cmd four"), 0);
  ASSERT_EQ(Mem("restore --yes --json " + Quote(dir_ + "/backup2"), &out), 0);
  json r = json::parse(out);
  EXPECT_EQ(r["restored"], db_);
  EXPECT_EQ(r["backup"], dir_ + "/backup2");
  EXPECT_EQ(Status()["events"].get<int>(), 2);
  EXPECT_NE(Mem("backup " + Quote(bk), nullptr, &err), 0);  // exists and is not empty
  { std::ofstream(dir_ + "/a-file") << "x"; }
  EXPECT_EQ(Mem("backup " + Quote(dir_ + "/a-file"), nullptr, &err), 2);
  EXPECT_NE(err.find("is a file, not a directory"), std::string::npos) << err;
  EXPECT_NE(Mem("restore --yes " + Quote(dir_ + "/nope"), nullptr, &err), 0);
  // Not a backup: said before any question (it asked first, then exit 5 "not confirmed").
  EXPECT_EQ(Mem("restore " + Quote(dir_ + "/nope"), nullptr, &err), 2);
  EXPECT_NE(err.find("is not a memory backup"), std::string::npos) << err;
}

TEST_F(StoreCli, BadInputGivesClearErrorsAndLosesNothing) {
  ASSERT_EQ(Mem("record --cmd keep-me"), 0);
  std::string out, err;
  EXPECT_EQ(Mem("import --format tcsh x", &out, &err), 2);
  EXPECT_NE(err.find("tcsh"), std::string::npos);
  EXPECT_NE(Mem("import --format bash " + dir_ + "/missing", &out, &err), 0);
  EXPECT_NE(err.find("missing"), std::string::npos);
  std::string bin = Write("bin.hist", std::string("ls\n\x00\x01\x02\xff garbage\n", 17));
  EXPECT_EQ(Mem("import --format bash " + bin, &out, &err), 2);
  EXPECT_NE(err.find("bin.hist"), std::string::npos) << err;
  std::string utf = Write("utf.hist", "ls\necho \xc3\x28\n");
  EXPECT_EQ(Mem("import --format bash " + utf, &out, &err), 2);
  EXPECT_NE(err.find("utf.hist:2"), std::string::npos) << err;
  std::string huge = Write("huge.hist", "ls\n" + std::string(1 << 20 | 5, 'x') + "\n");
  EXPECT_EQ(Mem("import --format bash " + huge, &out, &err), 2);
  EXPECT_NE(err.find("huge.hist:2"), std::string::npos) << err;
  std::string badjson = Write("bad.jsonl", "{\"command\":\"ok\"}\n{\"command\": \n");
  EXPECT_EQ(Mem("import --format jsonl " + badjson, &out, &err), 2);
  EXPECT_NE(err.find("bad.jsonl:2"), std::string::npos) << err;
  EXPECT_EQ(Mem("record --json -", &out, &err, "{not json"), 2);
  EXPECT_NE(err.find("stdin:1"), std::string::npos) << err;
  EXPECT_EQ(Mem("search x --regex --fuzzy", &out, &err), 2);
  EXPECT_EQ(Mem("search '(' --regex", &out, &err), 2);
  EXPECT_EQ(Mem("export --format xml", &out, &err), 2);
  EXPECT_EQ(Mem("nonsense", &out, &err), 2);
  // Nothing already stored was lost, and nothing of the bad files got in.
  auto ev = Export();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["command"], "keep-me");
}

// An import larger than one batch (100k events): every event, once, and a file whose last line is
// bad stores none of its 250k good ones. Standard input too, redirected (read twice) or piped.
// JSON on stdin with a NUL byte stops at the first block: /dev/zero piped into `record --json -`
// read 256 MiB (265 MB RSS) before it failed; `predict --context -` read 16 MiB.
TEST_F(StoreCli, DevZeroOnStdinIsRefusedAtOnce) {
  ASSERT_EQ(Mem("record --cmd keep-me"), 0);
  const std::string mem = std::string(MEMORY_BIN) + " --db " + Quote(db_);
  for (const char* args : {" record --json -", " predict --context - --json"}) {
    std::string out, err;
    EXPECT_EQ(Sh(mem + args + " </dev/zero", &out, &err), 2) << args;
    EXPECT_NE(err.find(":1: binary data (a NUL byte), expected JSON"), std::string::npos) << args << ": " << err;
    EXPECT_EQ(out, "") << args;
  }
  auto ev = Export();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["command"], "keep-me");
}

TEST_F(StoreCli, ImportsLargerThanABatchAreWholeOrNothing) {
  std::string text;
  for (int i = 0; i < 250'001; ++i) text += "#" + std::to_string(1'600'000'000 + i) + "\ncmd" + std::to_string(i % 1000) + "\n";
  std::string good = Write("good.hist", text), bad = Write("bad.hist", text + "#1700000000\n");
  std::string out, err;
  EXPECT_EQ(Mem("import --format bash " + bad, &out, &err), 2);
  EXPECT_NE(err.find("bad.hist:500003: timestamp line with no command"), std::string::npos) << err;
  EXPECT_EQ(Status()["events"], 0);
  ASSERT_EQ(Mem("import --format bash --json " + good, &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["events"], 250'001);
  json st = Status();
  EXPECT_EQ(st["events"], 250'001);
  EXPECT_EQ(st["distinct_commands"], 1000);
  ASSERT_EQ(Mem("import --format bash --user piped -", &out, &err, "#1700000000\nfrom-stdin\n"), 0) << err;
  ASSERT_EQ(Sh("printf 'a\\nb\\n' | " + std::string(MEMORY_BIN) + " --db " + Quote(db_) + " import --format bash -", &out, &err), 0) << err;
  st = Status();
  EXPECT_EQ(st["events"], 250'004);
  EXPECT_EQ(st["users"], 3) << st.dump();  // good.hist, piped, stdin
  ASSERT_EQ(Mem("search from-stdin --json", &out), 0);
  EXPECT_NE(out.find("\"count\":1"), std::string::npos) << out;
  // The same history again, grown by one command: only that one is new.
  std::string grown = Write("good.hist", text + "#1700000001\ngit push\n");
  ASSERT_EQ(Mem("import --format bash --json " + grown, &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["events"], 1) << out;
  EXPECT_EQ(json::parse(out)["already_stored"], 250'001) << out;
  EXPECT_EQ(Status()["events"], 250'005);
}

// A history without times (bash's default) imported again stores only its new commands: the
// start of the file the session holds already is left out, also when its oldest lines were cut
// (bash keeps the last HISTFILESIZE) and when a secret in it was stored redacted. A short overlap
// counts only as the whole file or the whole session: else it may be chance, as in another
// machine's .bash_history (the same session by default).
TEST_F(StoreCli, AnUntimedHistoryImportedAgainStoresOnlyWhatIsNew) {
  std::string out, err;
  std::string h = Write("bash_history", "ls\ncd src\n");
  ASSERT_EQ(Mem("import --format bash --json " + h, &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["events"], 2);
  Write("bash_history", "ls\ncd src\nmake\nexport TOKEN=abcdef1234567890abcdef\n");  // grew: 2 = the session
  ASSERT_EQ(Mem("import --format bash --json " + h, &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["events"], 2);
  Write("bash_history", "ls\ncd src\nmake\nexport TOKEN=abcdef1234567890abcdef\nvim a\nmake\nls\ncd ..\n"
                        "git diff\ngit add a\ngit commit\nls\n");
  ASSERT_EQ(Mem("import --format bash --json " + h, &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["events"], 8);
  ASSERT_EQ(Mem("import --format bash --json " + h, &out, &err), 0) << err;  // the same file: all known
  EXPECT_EQ(json::parse(out)["events"], 0);
  EXPECT_EQ(json::parse(out)["already_stored"], 12);
  // The oldest 3 lines cut, 2 added: the 9 kept end the session.
  Write("bash_history", "export TOKEN=abcdef1234567890abcdef\nvim a\nmake\nls\ncd ..\n"
                        "git diff\ngit add a\ngit commit\nls\ngit push\nls\n");
  ASSERT_EQ(Mem("import --format bash --json " + h, &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["events"], 2);
  EXPECT_EQ(json::parse(out)["already_stored"], 9);
  std::vector<std::string> commands;
  for (const json& e : Export()) commands.push_back(e["command"]);
  EXPECT_EQ(commands, (std::vector<std::string>{"ls", "cd src", "make", "export TOKEN=[REDACTED:secret_assignment]",
                                                "vim a", "make", "ls", "cd ..", "git diff", "git add a",
                                                "git commit", "ls", "git push", "ls"}));
  // Another history of the same name whose first commands happen to end the session: all new.
  std::string other = dir_ + "/other";
  ASSERT_EQ(mkdir(other.c_str(), 0700), 0);
  Write("other/bash_history", "git push\nls\ntop\n");
  ASSERT_EQ(Mem("import --format bash --json " + other + "/bash_history", &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["events"], 3) << out;
  EXPECT_EQ(Export().size(), 17u);
  // Another user's history is another session: nothing of it is known.
  ASSERT_EQ(Mem("import --format bash --user other --json " + h, &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["events"], 11);
}

// A timed bash, zsh or fish history holds the commands the shell hook recorded already (live records:
// microseconds and an exit status). Each live record of the same command in the line's second or
// the next stands for one line; a record without an exit status, a later one or another command
// does not. Larger than a batch, so that records are not reused across batches either.
TEST_F(StoreCli, ATimedHistoryLeavesOutWhatTheHookRecorded) {
  std::string out, err;
  auto record = [&](const std::string& cmd, int64_t ts_us, const std::string& extra) {
    ASSERT_EQ(Mem("record --session hook1 --cmd " + Quote(cmd) + " --ts-us " + std::to_string(ts_us) + " " + extra, &out, &err), 0) << err;
  };
  constexpr int64_t t = 1'700'000'000;
  record("ls -la", t * 1'000'000 + 400'000, "--exit 0");
  record("make", (t + 4) * 1'000'000 + 100'000, "--exit 2");        // the line stamped t + 3
  record("make", (t + 9) * 1'000'000 + 100'000, "");                // no exit status: not live
  record("git status", (t + 20) * 1'000'000 + 900'000, "--exit 0");  // twice in the file, once here
  record("vim a", (t + 32) * 1'000'000, "--exit 0");                // 2 s after the line: too late
  std::string bash;
  for (auto [sec, cmd] : std::vector<std::pair<int64_t, std::string>>{
           {0, "ls -la"}, {3, "make"}, {9, "make"}, {20, "git status"}, {20, "git status"}, {30, "vim a"}})
    bash += "#" + std::to_string(t + sec) + "\n" + cmd + "\n";
  for (int i = 0; i < 100'001; ++i) bash += "#" + std::to_string(t + 40) + "\nls -la\n";  // a second batch
  std::string h = Write("bash_history", bash);
  ASSERT_EQ(Mem("import --format bash --json " + h, &out, &err), 0) << err;
  json j = json::parse(out);
  EXPECT_EQ(j["already_stored"], 3) << out;
  EXPECT_EQ(j["events"], 100'004) << out;
  std::vector<std::string> imported;
  for (const json& e : Export())
    if (e["session"] != "hook1" && e["command"] != "ls -la") imported.push_back(e["command"]);
  EXPECT_EQ(imported, (std::vector<std::string>{"make", "git status", "vim a"}));
  ASSERT_EQ(Mem("import --format bash --json " + h, &out, &err), 0) << err;  // again: all held
  EXPECT_EQ(json::parse(out)["events"], 0) << out;
  // zsh's extended history too.
  record("cargo build", (t + 100) * 1'000'000 + 5, "--exit 0");
  std::string z = Write("zsh_history", ": " + std::to_string(t + 100) + ":3;cargo build\n: " + std::to_string(t + 101) +
                                           ":0;cargo test\n");
  ASSERT_EQ(Mem("import --format zsh --json " + z, &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["events"], 1) << out;
  EXPECT_EQ(json::parse(out)["already_stored"], 1) << out;
  // And fish's: the fish hook's record has no start time of its own but now minus its duration.
  ASSERT_EQ(Mem("record --session hook1 --cmd 'npm test' --exit 1 --duration-ms 1500", &out, &err), 0) << err;
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  const json live = Export().back();
  ASSERT_EQ(live["command"], "npm test");
  EXPECT_GE(now_us - live["ts"].get<int64_t>(), 1'500'000) << live;
  EXPECT_LT(now_us - live["ts"].get<int64_t>(), 30'000'000) << live;  // (a loaded machine)
  const int64_t started = live["ts"].get<int64_t>() / 1'000'000;
  std::string f = Write("fish_history", "- cmd: npm test\n  when: " + std::to_string(started) +
                                            "\n- cmd: npm run lint\n  when: " + std::to_string(started + 1) + "\n");
  ASSERT_EQ(Mem("import --format fish --json " + f, &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["events"], 1) << out;
  EXPECT_EQ(json::parse(out)["already_stored"], 1) << out;
  EXPECT_EQ(Export().back()["command"], "npm run lint");
}

// An import of several files (a directory) stores all of them or none: a bad file among them,
// or a directory named by mistake, leaves the store as it was. A history without times named
// twice in one import is stored once.
TEST_F(StoreCli, AnImportOfSeveralFilesIsWholeOrNothing) {
  ASSERT_EQ(Mem("record --cmd keep-me"), 0);
  std::string hist = dir_ + "/hist";
  ASSERT_EQ(mkdir(hist.c_str(), 0700), 0);
  Write("hist/a.hist", "#1600000000\nmake\n#1600000001\nmake test\n");
  Write("hist/b.hist", "ls\ncd src\nvim x\n");
  Write("hist/c.hist", std::string("ls\n\x00\x01 binary\n", 14));
  std::string out, err;
  EXPECT_EQ(Mem("import --format bash " + hist, &out, &err), 2);
  EXPECT_NE(err.find("c.hist"), std::string::npos) << err;
  EXPECT_NE(err.find("nothing was imported"), std::string::npos) << err;
  EXPECT_EQ(Status()["events"], 1);
  ASSERT_EQ(unlink((hist + "/c.hist").c_str()), 0);
  ASSERT_EQ(Mem("import --format bash --json " + hist + " " + hist + "/b.hist", &out, &err), 0) << err;
  json j = json::parse(out);
  EXPECT_EQ(j["files"], 3) << out;
  EXPECT_EQ(j["events"], 5) << out;
  EXPECT_EQ(j["already_stored"], 3) << out;
  EXPECT_EQ(Status()["events"], 6);
  ASSERT_EQ(Mem("import --format bash --json " + hist, &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["events"], 0) << out;
  EXPECT_EQ(json::parse(out)["already_stored"], 5) << out;
  // Standard input among files is read once, on its turn; a bad one stores nothing either.
  EXPECT_EQ(Mem("import --format bash - " + hist, &out, &err, std::string("top\n\x00\n", 6)), 2);
  EXPECT_NE(err.find("stdin"), std::string::npos) << err;
  ASSERT_EQ(Mem("import --format bash --json - " + hist, &out, &err, "top\nhtop\n"), 0) << err;
  EXPECT_EQ(json::parse(out)["events"], 2) << out;
  EXPECT_EQ(Status()["events"], 8);
}

// Many small files and a large one in one import are pooled into few bulk-load batches (fewer
// level-0 files): the store holds exactly what importing them one at a time gives, and search's
// per-command counts and last exit status agree.
TEST_F(StoreCli, AnImportOfManyFilesStoresWhatImportingThemOneByOneStores) {
  std::string hist = dir_ + "/many";
  ASSERT_EQ(mkdir(hist.c_str(), 0700), 0);
  std::vector<std::string> paths;
  int64_t ts = 1'600'000'000'000'000;
  auto file = [&](const std::string& name, int events, int exit) {
    std::string text;
    for (int i = 0; i < events; ++i, ts += 1000)
      text += json{{"command", i % 3 ? "make" : "ls " + std::to_string(i % 50)}, {"ts", ts}, {"exit", exit},
                   {"session", name.substr(0, 1)}}.dump() + "\n";
    paths.push_back(Write("many/" + name, text));
  };
  for (int i = 10; i < 22; ++i) file("a" + std::to_string(i), 200, 1);
  file("b", 60'000, 2);  // a batch of its own: the pool before it goes first
  for (int i = 10; i < 15; ++i) file("c" + std::to_string(i), 300, i == 14 ? 3 : 0);
  std::string out, err;
  ASSERT_EQ(Mem("import --format jsonl --json " + hist, &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["events"], 12 * 200 + 60'000 + 5 * 300) << out;
  const std::vector<json> together = Export();
  std::string search_together;
  ASSERT_EQ(Mem("search make --json", &search_together), 0);
  db_ = dir_ + "/one-by-one";
  for (const std::string& p : paths) ASSERT_EQ(Mem("import --format jsonl " + p, &out, &err), 0) << err;
  EXPECT_EQ(Export(), together);
  std::string search_alone;
  ASSERT_EQ(Mem("search make --json", &search_alone), 0);
  EXPECT_EQ(search_alone, search_together);
  EXPECT_NE(search_alone.find("\"last_exit\":3"), std::string::npos) << search_alone.substr(0, 300);
}

// Hostile values at the fast path (found by an audit, 2026-12-06): each used to crash, block
// every later write, or stop the JSON output; now each is a one-line error (exit 2) or is
// printed with U+FFFD, and the store goes on working.
TEST_F(StoreCli, HostileRecordsAreRefusedAndBadBytesStillPrint) {
  std::string out, err;
  const int n = 100000;  // params nested this deep overflowed the stack when printed back
  EXPECT_EQ(Mem("record --json -", &out, &err,
                "{\"tool\":\"x\",\"params\":" + std::string(n, '[') + std::string(n, ']') + "}"), 2);
  EXPECT_NE(err.find("nested deeper"), std::string::npos) << err;
  EXPECT_EQ(Mem("record --cmd poison --ts-us -5", &out, &err), 2);  // blocked every later fold
  EXPECT_EQ(Mem("record --cmd late --ts-us 9223372036854775807", &out, &err), 2);
  EXPECT_EQ(Mem("record --cmd slow --duration-ms nan", &out, &err), 2);
  EXPECT_EQ(Mem("record --json -", &out, &err, "{\"command\":\"x\",\"exit\":18446744073709551615}"), 2);
  ASSERT_EQ(Mem("record --cmd " + Quote("bad\xff byte") + " --cwd /w", &out, &err), 0) << err;
  ASSERT_EQ(Mem("record --cmd ls --cwd /w", &out, &err), 0) << err;
  ASSERT_EQ(Mem("optimize", &out, &err), 0) << err;
  EXPECT_EQ(Export().size(), 2u);
  // Not valid UTF-8 in the store: predict's JSON shows U+FFFD instead of failing.
  ASSERT_EQ(Mem("predict --context - --json", &out, &err, "{\"cwd\":\"/w\",\"history\":[\"ls\"]}"), 0) << err;
  EXPECT_NE(out.find("bad\xef\xbf\xbd byte"), std::string::npos) << out;
  // A stream line longer than the limit gets an error answer; the next line is served.
  ASSERT_EQ(Mem("predict --context - --stream", &out, &err,
                std::string(5 << 20, 'a') + "\n{\"history\":[\"ls\"]}\n"), 0) << err;
  EXPECT_NE(out.find("{\"error\":\"line longer than 4 MiB\",\"line\":1}"), std::string::npos) << out.substr(0, 300);
  EXPECT_NE(out.find("\"predictions\":[{"), std::string::npos) << out.substr(0, 300);
}

TEST_F(StoreCli, LockedAndCorruptDataDirectories) {
  ASSERT_EQ(Mem("record --cmd first"), 0);
  ASSERT_EQ(Mem("status"), 0);  // creates and folds
  // Hold the writer lock with a long import from stdin that never ends... simpler: a second
  // process holding RocksDB open: `memory import -` waiting on a pipe.
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  pid_t pid = fork();
  if (pid == 0) {
    std::string cmd = std::string(MEMORY_BIN) + " --db " + Quote(db_) + " import --format jsonl - < " + Quote(fifo) + " 2>/dev/null";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
    _exit(127);
  }
  int w = open(fifo.c_str(), O_WRONLY);  // the importer now holds the store open
  ASSERT_GE(w, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::string out, err;
  EXPECT_EQ(Mem("record --cmd while-locked"), 0);           // recording never waits
  EXPECT_EQ(Mem("status --json", &out), 0);                // readers still read
  EXPECT_EQ(json::parse(out)["events"].get<int>(), 2);     // including the spooled event
  EXPECT_EQ(Mem("forget --pattern x --yes", &out, &err), 3);  // writers: busy, clear message
  EXPECT_NE(err.find("another process"), std::string::npos) << err;
  std::string line = "{\"command\":\"via-pipe\"}\n";
  ASSERT_EQ(write(w, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  close(w);
  int st;
  waitpid(pid, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  EXPECT_EQ(Status()["events"].get<int>(), 3);

  // Corrupt the database: a clear error naming the directory, exit non-zero, no crash.
  for (auto& p : fs::directory_iterator(db_ + "/db"))
    if (p.path().filename().string().rfind("MANIFEST", 0) == 0) {
      std::ofstream f(p.path(), std::ios::binary | std::ios::trunc);
      f << "garbage garbage garbage";
    }
  int rc = Mem("status", &out, &err);
  EXPECT_NE(rc, 0);
  EXPECT_LT(rc, 128);  // an error, not a crash
  EXPECT_NE(err.find(db_), std::string::npos) << err;
}

}  // namespace

namespace {

TEST_F(StoreCli, ZshHookRecordsARealInteractiveSession) {
  if (std::system("command -v zsh >/dev/null 2>&1") != 0) GTEST_SKIP() << "zsh is not installed";
  std::string script = Write("session.zsh", "eval \"$(" + std::string(MEMORY_BIN) + " --db " + Quote(db_) +
                                                " hook zsh)\"\necho hello-from-zsh\nfalse\nexit 0\n");
  ASSERT_EQ(std::system(("timeout 30 zsh -i -f < " + Quote(script) + " >/dev/null 2>&1").c_str()), 0);
  std::vector<json> ev;
  for (int i = 0; i < 50 && ev.size() < 2; ++i) {  // the hook records in the background
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ev = Export();
  }
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0]["command"], "echo hello-from-zsh");
  EXPECT_EQ(ev[0]["exit"], 0);
  EXPECT_EQ(ev[1]["command"], "false");
  EXPECT_EQ(ev[1]["exit"], 1);
  EXPECT_EQ(ev[0]["session"], ev[1]["session"]);
  EXPECT_FALSE(ev[0]["session"].get<std::string>().empty());
}

// fish reads commands from a terminal only (events do not fire on piped input): `script` gives
// it a pseudo-terminal. Its own config and history stay in the test's directory (not
// --no-config, which in fish 3.6 is private mode too, where the hook records nothing).
TEST_F(StoreCli, FishHookRecordsARealInteractiveSession) {
  if (std::system("command -v fish >/dev/null 2>&1 && command -v script >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "fish or script (util-linux) is not installed";
  const std::string mem = std::string(MEMORY_BIN) + " --db " + Quote(db_);
  fs::create_directories(dir_ + "/sub dir");
  std::string typed = Write("typed.fish", "cd " + Quote(dir_) + "\n" + mem + " hook fish | source\n"
                                              "echo hello-from-fish\nfalse\n  echo hidden\n"
                                              "cd 'sub dir'; pwd\n" + mem + " run -- echo via-run\nexit 0\n");
  const std::string env = "HOME=" + Quote(dir_) + " XDG_DATA_HOME=" + Quote(dir_) + " XDG_CONFIG_HOME=" + Quote(dir_);
  auto fish = [&](const std::string& options, const std::string& file) {
    return std::system(("(sleep 0.3; cat " + Quote(file) + "; sleep 2) | " + env + " timeout 30 script -qfec 'fish " +
                        options + "-i' /dev/null >/dev/null 2>&1").c_str());
  };
  ASSERT_EQ(fish("", typed), 0);
  std::vector<json> ev;
  for (int i = 0; i < 50 && ev.size() < 4; ++i) {  // the hook records in the background
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ev = Export();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing more comes (not `exit`)
  ev = Export();
  std::vector<std::string> commands;
  for (const auto& e : ev) commands.push_back(e["command"]);
  ASSERT_EQ(commands, (std::vector<std::string>{"echo hello-from-fish", "false", "cd 'sub dir'; pwd", "echo via-run"}));
  EXPECT_EQ(ev[0]["exit"], 0);
  EXPECT_EQ(ev[1]["exit"], 1);
  EXPECT_EQ(ev[0]["cwd"], dir_);
  EXPECT_EQ(ev[2]["cwd"], dir_);  // where the line started
  EXPECT_EQ(ev[3]["cwd"], dir_ + "/sub dir");
  EXPECT_TRUE(ev[3].contains("cpu_ms")) << ev[3];  // recorded by `memory run`, once
  EXPECT_FALSE(ev[0]["session"].get<std::string>().empty());
  for (const auto& e : ev) {
    EXPECT_EQ(e["session"], ev[0]["session"]) << e;
    EXPECT_TRUE(e.contains("duration_ms")) << e;
  }
  // fish --private keeps no history: nothing is recorded either.
  std::string private_typed = Write("private.fish", mem + " hook fish | source\necho in-private\nexit\n");
  ASSERT_EQ(fish("--private ", private_typed), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(Export().size(), 4u);
}

}  // namespace

namespace {

TEST_F(StoreCli, ForgetAlsoRemovesTrainedModelVersions) {
  ASSERT_EQ(Mem("simulate --events 4000 --seed 3 --recent --to-store"), 0);
  int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(Mem("record --cmd 'topsecret-plan --now' --session s1 --ts-us " + std::to_string(now_us - 30LL * 86400 * 1000000 + i)), 0);
  std::string out, err;
  ASSERT_EQ(Mem("train --since all --force --json", &out, &err), 0) << err;
  ASSERT_EQ(Mem("model list --json", &out), 0);
  ASSERT_FALSE(json::parse(out).empty()) << out;
  auto bytes_anywhere = [&](const std::string& needle, const std::string& under) {
    for (auto& p : fs::recursive_directory_iterator(under))
      if (p.is_regular_file() && ReadAll(p.path()).find(needle) != std::string::npos) return p.path().string();
    return std::string();
  };
  ASSERT_FALSE(bytes_anywhere("topsecret-plan", db_ + "/models").empty()) << "no model holds it: test is void";
  ASSERT_EQ(Mem("forget --pattern '*topsecret*' --yes"), 0);
  EXPECT_EQ(bytes_anywhere("topsecret-plan", db_), "");
}

}  // namespace

namespace {

TEST_F(StoreCli, ReadCommandsOnAMissingStoreShowItEmptyAndCreateNothing) {
  db_ = dir_ + "/typo/store";
  std::string out;
  ASSERT_EQ(Mem("status --json", &out), 0);
  EXPECT_EQ(json::parse(out)["events"], 0);
  ASSERT_EQ(Mem("search x --json", &out), 0);
  EXPECT_TRUE(json::parse(out).empty());
  ASSERT_EQ(Mem("export --format json", &out), 0);
  EXPECT_TRUE(json::parse(out).empty());
  EXPECT_FALSE(fs::exists(dir_ + "/typo"));
}

// --db naming a file is a mistake to report, not an empty store ("no store yet" before).
TEST_F(StoreCli, ReadCommandsOnAFileInsteadOfADataDirectoryAreBadInput) {
  db_ = Write("not-a-dir", "x");
  for (const char* args : {"status", "status --json", "search x", "export"}) {
    SCOPED_TRACE(args);
    std::string out, err;
    EXPECT_EQ(Mem(args, &out, &err), 2);
    EXPECT_TRUE(out.empty()) << out;
    EXPECT_NE(err.find("not-a-dir is not a directory"), std::string::npos) << err;
  }
}

}  // namespace
