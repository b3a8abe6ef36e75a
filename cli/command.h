// How a `memory` subcommand plugs into the CLI: one cmd_*.cpp file per command (or group) that
// registers itself with MEMORY_REGISTER_COMMAND. main.cpp never lists commands.
#pragma once

#include <functional>
#include <string>

#include "store/status.h"

// Declared, not included: CLI11's header defines a dozen validator objects per translation unit
// that includes it, all built at every start-up; only main.cpp and the cmd_*.cpp files need it.
namespace CLI {
class App;
}

namespace memory::cli {

// Options every command sees (set by main before the selected command runs).
struct Globals {
  std::string db;          // --db DIR / $MEMORY_DB / default data directory
  std::string config;      // --config FILE / default config path
  bool quiet = false;      // --quiet: no progress output
};

// Adds a subcommand to `app`. The setup function must make the subcommand's callback set
// `*action`; main runs it after parsing and exits with its return value.
using Action = std::function<int()>;
using SetupFn = void (*)(CLI::App& app, Globals& globals, Action* action);

// `names`: the top-level subcommands the setup function adds, separated by spaces ("eval" for
// the commands of the eval group). main runs only the setups that name the subcommand on the
// command line (every one for `memory --help`, `--version` or a name no setup declares): building
// all of CLI11's options costs ~1.5 ms of each process start. `order` sorts `memory --help`.
struct CommandRegistration {
  CommandRegistration(int order, const char* names, SetupFn fn);
};

#define MEMORY_REGISTER_COMMAND(order, names, fn) \
  static ::memory::cli::CommandRegistration memory_cmd_registration_##fn(order, names, &fn)

// The `memory eval` group, created by whichever eval command registers first.
CLI::App* EvalGroup(CLI::App& app);

// Prints "memory: <message>" on stderr and returns the status's exit code.
int Fail(const Status& s);
// True when stdout / stderr is a terminal (progress bars, confirmations).
bool StdoutIsTerminal();
bool StderrIsTerminal();

}  // namespace memory::cli
