// The `memory` command (both executables, cli/core.h): parses the global options, lets every
// registered command add its subcommand, runs the selected one. The front end hands a command
// it does not have (and `--help`) to memory-core. Nothing here links LibTorch.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/core.h"
#include "store/store.h"

namespace memory::cli {
namespace {
struct Registered {
  int order;
  std::string_view names;  // space-separated top-level subcommands
  SetupFn setup;
};
std::vector<Registered>& Registry() {
  static std::vector<Registered> r;
  return r;
}

bool Declares(std::string_view names, std::string_view name) {
  while (!names.empty()) {
    size_t end = names.find(' ');
    if (names.substr(0, end) == name) return true;
    names = end == std::string_view::npos ? std::string_view() : names.substr(end + 1);
  }
  return false;
}

// The command line up to its first word that is not an option: that word, the subcommand it
// names ("" when none is named, as in `memory --help`, or no setup declares it: main then
// reports it as unknown), and the global flags before it.
struct Leading {
  std::string_view word;      // the first word that is not an option ("" when none)
  std::string_view selected;  // word when a setup declares it
  bool version = false;
  bool help = false;
};
Leading ScanLeading(int argc, char** argv) {
  Leading out;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--db" || a == "--config") {
      ++i;  // its value
    } else if (!a.starts_with("-")) {
      out.word = a;
      for (const Registered& r : Registry())
        if (Declares(r.names, a)) out.selected = a;
      return out;
    }
    out.version |= a == "--version";
    out.help |= a == "-h" || a == "--help" || a == "--help-all";
  }
  return out;
}

// Output that could not all be written (a full disk, a closed file) fails the command: exit 1
// with a message, unless it failed already. (A reader that went away stops it with SIGPIPE.)
int FinishStdout(int code) {
  std::cout.flush();
  const bool failed = !std::cout.good() || std::fflush(stdout) != 0 || std::ferror(stdout);
  if (!failed || code != 0) return code;
  return Fail(memory::Status::IOError("writing stdout failed"));
}
}  // namespace

CommandRegistration::CommandRegistration(int order, const char* names, SetupFn fn) {
  Registry().push_back({order, names, fn});
}

CLI::App* EvalGroup(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App* a) { return a->get_name() == "eval"; })) return sub;
  CLI::App* group = app.add_subcommand("eval", "Evaluate models on public or recorded data");
  group->require_subcommand(1);
  return group;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "memory: %s\n", s.ToString().c_str());
  return s.ExitCode();
}
bool StdoutIsTerminal() { return isatty(STDOUT_FILENO) != 0; }
bool StderrIsTerminal() { return isatty(STDERR_FILENO) != 0; }

}  // namespace memory::cli

int main(int argc, char** argv) {
  using namespace memory::cli;
  CLI::App app{"memory: a memory that learns from every command and tool call", "memory"};
  app.set_version_flag("--version", std::string("memory ") + MEMORY_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  Globals globals;
  app.add_option("--db", globals.db, "Data directory (default: $MEMORY_DB, else $XDG_DATA_HOME/llmunix-memory)");
  app.add_option("--config", globals.config, "Config file (default: $XDG_CONFIG_HOME/llmunix-memory/config.yaml)");
  app.add_flag("-q,--quiet", globals.quiet, "No progress output");

  auto& reg = Registry();
  std::stable_sort(reg.begin(), reg.end(), [](auto& a, auto& b) { return a.order < b.order; });
  Action action;
  const Leading leading = ScanLeading(argc, argv);
  const std::string_view selected = leading.selected;
  SetCommandLine(argc, argv);
  // The front end keeps `--version` and its own subcommands (and their --help); memory-core
  // lists every command in the help and reports unknown ones.
  if (!LinksDatabase() && (leading.help || (selected.empty() && !leading.version))) return RunInCore();
  if (!leading.word.empty() && selected.empty() && !leading.help) {
    std::fprintf(stderr, "memory: unknown command '%.*s'. Run with --help for the commands.\n",
                 static_cast<int>(leading.word.size()), leading.word.data());
    return 2;
  }
  for (const Registered& r : reg)
    if (selected.empty() || Declares(r.names, selected)) r.setup(app, globals, &action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return FinishStdout(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    return FinishStdout(app.exit(e));
  } catch (const CLI::CallForVersion& e) {
    return FinishStdout(app.exit(e));
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "memory: %s\nRun with --help for usage.\n", e.what());
    return 2;
  }
  if (globals.db.empty()) globals.db = memory::DefaultDataDir();
  if (!action) {
    std::fprintf(stderr, "memory: no command given. Run with --help for usage.\n");
    return 2;
  }
  int code = 1;
  try {
    code = action();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "memory: internal error: %s\n", e.what());
  }
  return FinishStdout(code);
}
