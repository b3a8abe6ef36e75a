// Starting another program without a shell: posix_spawn with the child's stdin / stdout / stderr
// redirected, optionally in a new session (detached from our terminal and process group, so it
// outlives us and a Ctrl-C of ours does not reach it).
//
//   SpawnOptions o;                      // defaults: stdin from /dev/null, stdout/stderr inherited
//   o.stdout_file = log; o.stderr_to_stdout = true;
//   pid_t pid;
//   MEMORY_RETURN_IF_ERROR(Spawn({exe, "--flag"}, o, &pid));
//   Status done = WaitChild(pid);        // OK on exit 0, else "exit N" / "signal N"
//
// A detached child (new_session) that is never waited for is reaped by init once we exit.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "store/status.h"

namespace memory::cli {

struct SpawnOptions {
  std::string stdin_file = "/dev/null";  // "" = our stdin
  std::string stdout_file;               // "" = our stdout; else created/truncated, mode 0600
  std::string stderr_file;               // "" = our stderr; else created/truncated, mode 0600
  bool stdout_to_stderr = false;         // the child's stdout is our stderr (keeps our stdout clean)
  bool stderr_to_stdout = false;         // the child's stderr goes wherever its stdout goes
  bool new_session = false;              // setsid in the child
};

// Starts argv[0] (a path; no PATH search) with argv and our environment. IOError naming the
// program when it cannot be started (missing, not executable, a redirection file cannot be
// opened); InvalidArgument for an empty argv.
Status Spawn(const std::vector<std::string>& argv, const SpawnOptions& options, pid_t* pid);

// Waits for a child started by Spawn (retrying on EINTR). OK when it exited with status 0;
// otherwise IOError with the message "exit N" or "signal N" (and *exit_code = N, or 128 + N
// for a signal, when exit_code is not null).
Status WaitChild(pid_t pid, int* exit_code = nullptr);

}  // namespace memory::cli
