// `memory` is two executables. build/memory is the front end: it serves the fast path itself
// (record, predict, --version) without RocksDB linked in, which makes its start-up about a third
// (bench/RESULTS.md), and hands every other command to build/memory-core, beside it, by exec with
// the same arguments. memory-core is the whole command: it runs every subcommand itself.
//
// The two differ in one file each: front_end.cpp (this process cannot open the database: a
// command that needs it continues in memory-core, see OpenStore in common.h) and
// links_database.cpp (it can).
#pragma once

#include <string>
#include <vector>

#include "cli/command.h"
#include "store/config.h"

namespace memory::cli {

// Whether this executable opens the database itself (memory-core) or hands over (memory).
bool LinksDatabase();

// Folds the spool into the database now unless another process holds it (what `record` does
// once the spool passes its threshold); returns the exit code (0 also when the database is
// busy). The front end continues as memory-core (`record --fold-pending`) to do it.
int FoldPendingNow(const Globals& g, const Config& config);

// Replaces this process by memory-core with this process's arguments and `extra` appended; its
// stdin is the text RememberStdin kept, if any. Flushes stdout and stderr first. Returns only on
// failure, with the exit code to use (the error is printed).
int RunInCore(const std::vector<std::string>& extra = {});

// The two executables, in this executable's directory: memory-core for background work that
// needs the database, memory (the front end) for what the shell hook runs after every command.
std::string CoreExecutable();
std::string FrontEndExecutable();

// main keeps its arguments for RunInCore.
void SetCommandLine(int argc, char** argv);

// A command that read stdin before it knew it must continue in memory-core gives the text here.
void RememberStdin(std::string text);

}  // namespace memory::cli
