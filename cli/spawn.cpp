#include "cli/spawn.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace memory::cli {

Status Spawn(const std::vector<std::string>& args, const SpawnOptions& o, pid_t* pid) {
  if (args.empty() || args[0].empty()) return Status::InvalidArgument("spawn: no program given");
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!o.stdin_file.empty()) posix_spawn_file_actions_addopen(&fa, 0, o.stdin_file.c_str(), O_RDONLY, 0);
  if (o.stdout_to_stderr) posix_spawn_file_actions_adddup2(&fa, 2, 1);
  else if (!o.stdout_file.empty())
    posix_spawn_file_actions_addopen(&fa, 1, o.stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (o.stderr_to_stdout) posix_spawn_file_actions_adddup2(&fa, 1, 2);
  else if (!o.stderr_file.empty())
    posix_spawn_file_actions_addopen(&fa, 2, o.stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (o.new_session) posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);

  int err = posix_spawn(pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (err != 0) return Status::IOError(args[0] + ": cannot start: " + std::strerror(err));
  return Status::OK();
}

Status WaitChild(pid_t pid, int* exit_code) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return Status::IOError("waitpid " + std::to_string(pid) + ": " + std::strerror(errno));
  const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (exit_code) *exit_code = code;
  if (WIFEXITED(st) && code == 0) return Status::OK();
  return Status::IOError(WIFEXITED(st) ? "exit " + std::to_string(code) : "signal " + std::to_string(WTERMSIG(st)));
}

}  // namespace memory::cli
