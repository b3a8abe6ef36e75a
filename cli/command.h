// How a `memory` subcommand plugs into the CLI: one cmd_*.cpp file per command (or group) that
// registers itself with MEMORY_REGISTER_COMMAND. main.cpp never lists commands.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "store/status.h"

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

struct CommandRegistration {
  CommandRegistration(int order, SetupFn fn);  // `order` sorts `memory --help`
};

#define MEMORY_REGISTER_COMMAND(order, fn) \
  static ::memory::cli::CommandRegistration memory_cmd_registration_##fn(order, &fn)

// The `memory eval` group, created by whichever eval command registers first.
CLI::App* EvalGroup(CLI::App& app);

// Prints "memory: <message>" on stderr and returns the status's exit code.
int Fail(const Status& s);
// True when stdout / stderr is a terminal (progress bars, confirmations).
bool StdoutIsTerminal();
bool StderrIsTerminal();

}  // namespace memory::cli
