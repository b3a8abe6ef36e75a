// memory run [--session ID] [--actor NAME] [--tag T] -- CMD ARGS...
//
// Runs CMD with stdin/stdout/stderr untouched, forwards SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to
// this process, measures wall time, CPU time (user + system) and peak RSS (wait4), records the
// execution, and exits with CMD's status (128+N when killed by signal N; 127 when CMD cannot be
// found, 126 when it cannot be executed). Recording never changes the exit status: a failure to
// record is a warning on stderr.
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/context.h"
#include "store/privacy.h"
#include "store/recorder.h"

namespace memory::cli {
namespace {

struct RunOptions {
  std::vector<std::string> command;
  std::string session, actor;
  std::vector<std::string> tags;
};

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

volatile sig_atomic_t g_child_pid = 0;

// Forwards a signal to the child. Signals the terminal generates (^C, ^\, hang-up: si_code
// SI_KERNEL) already reach the child through the foreground process group: not sent twice.
void ForwardSignal(int sig, siginfo_t* info, void*) {
  if (info != nullptr && info->si_code == SI_KERNEL) return;
  pid_t child = g_child_pid;
  if (child > 0) ::kill(child, sig);
}

// Shell-quotes one word when needed, so the recorded text can be pasted back into a shell.
std::string QuoteWord(const std::string& w) {
  if (w.empty()) return "''";
  bool plain = true;
  for (unsigned char c : w) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("_@%+=:,./-").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) {
      plain = false;
      break;
    }
  }
  if (plain) return w;
  std::string out = "'";
  for (char c : w) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string JoinCommand(const std::vector<std::string>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) out += ' ';
    out += QuoteWord(args[i]);
  }
  return out;
}

int64_t Micros(const timeval& tv) { return static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec; }

// Loaded while the child runs, so it costs the command no time.
struct RecordSetup {
  bool paused = false;
  Status status;
  Config config;
  std::unique_ptr<PrivacyFilter> privacy;
};

void PrepareRecording(const Globals& g, RecordSetup* r) {
  r->paused = RecordingPaused(g.db);
  if (r->paused) return;
  r->status = LoadPrivacy(g, &r->config, &r->privacy);
}

void Record(const Globals& g, RecordSetup& r, Event e) {
  if (r.paused) return;
  if (!r.status.ok()) {
    std::fprintf(stderr, "memory run: not recorded: %s\n", r.status.ToString().c_str());
    return;
  }
  if (!r.privacy->ShouldRecord(e)) return;
  FillContext(&e);
  r.privacy->Redact(&e);  // before cutting, so a secret is never cut into an unrecognisable stub
  if (e.command.size() > r.config.max_command_bytes) {
    e.command.resize(r.config.max_command_bytes);
    e.tags.push_back("truncated");
  }
  std::vector<Event> events;
  events.push_back(std::move(e));
  Status s = RecordToSpool(g, r.config, events);
  if (!s.ok()) std::fprintf(stderr, "memory run: not recorded: %s\n", s.ToString().c_str());
}

int RunCommand(const RunOptions& o, const Globals& g) {
  if (o.command.empty())
    return Fail(Status::InvalidArgument("run: no command given (usage: memory run [OPTIONS] -- CMD ARGS...)"));

  // The child (and any `memory run`/`memory record` inside it) shares the session.
  if (!o.session.empty()) ::setenv("MEMORY_SESSION", o.session.c_str(), 1);

  std::vector<char*> argv;
  for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  // A close-on-exec pipe tells the parent whether exec failed (and why).
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    return Fail(Status::IOError(std::string("run: pipe: ") + std::strerror(errno)));

  sigset_t forwarded, old_mask;
  sigemptyset(&forwarded);
  for (int s : kForwarded) sigaddset(&forwarded, s);
  sigprocmask(SIG_BLOCK, &forwarded, &old_mask);  // no signal is lost between fork and handlers

  std::fflush(nullptr);
  const int64_t start_us = NowMicros();
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    return Fail(Status::IOError(std::string("run: fork: ") + std::strerror(e)));
  }
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    ::close(err_pipe[0]);
    ::execvp(argv[0], argv.data());
    int e = errno;
    (void)!::write(err_pipe[1], &e, sizeof e);
    ::_exit(e == ENOENT ? 127 : 126);
  }

  g_child_pid = pid;
  struct sigaction sa {};
  sa.sa_sigaction = ForwardSignal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int s : kForwarded) sigaction(s, &sa, nullptr);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);

  ::close(err_pipe[1]);
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_pipe[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  ::close(err_pipe[0]);
  if (n != static_cast<ssize_t>(sizeof exec_errno)) exec_errno = 0;

  RecordSetup setup;
  PrepareRecording(g, &setup);  // overlaps with the child's run

  int wstatus = 0;
  rusage ru{};
  pid_t w;
  do {
    w = ::wait4(pid, &wstatus, 0, &ru);
  } while (w < 0 && errno == EINTR);
  const auto t1 = std::chrono::steady_clock::now();
  g_child_pid = 0;

  Event e;
  e.kind = EventKind::kShell;
  e.command = JoinCommand(o.command);
  e.ts_us = start_us;
  e.session = o.session;
  e.actor = o.actor;
  e.tags = o.tags;
  e.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count();
  int code = 1;
  if (w < 0) {
    e.error = std::string("wait4: ") + std::strerror(errno);
  } else {
    e.cpu_us = Micros(ru.ru_utime) + Micros(ru.ru_stime);
    e.peak_rss_kb = ru.ru_maxrss;  // Linux: KiB
    if (WIFEXITED(wstatus)) {
      code = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
      code = 128 + WTERMSIG(wstatus);
      const char* name = sigabbrev_np(WTERMSIG(wstatus));
      e.error = std::string("killed by signal ") + (name ? std::string("SIG") + name : std::to_string(WTERMSIG(wstatus)));
    }
  }
  if (exec_errno != 0) {
    e.error = exec_errno == ENOENT ? "command not found" : std::strerror(exec_errno);
    std::fprintf(stderr, "memory run: %s: %s\n", o.command[0].c_str(), e.error.c_str());
    e.cpu_us.reset();
    e.peak_rss_kb.reset();
  }
  e.exit_code = code;
  Record(g, setup, std::move(e));
  return code;
}

void SetupRun(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("run", "Run a command, pass its output and exit status through, and record it");
  auto o = std::make_shared<RunOptions>();
  sub->add_option("--session", o->session, "Session id (default: $MEMORY_SESSION)");
  sub->add_option("--actor", o->actor, "human (default) or the agent's name");
  sub->add_option("--tag", o->tags, "Tag the recorded event (repeatable)")->allow_extra_args(false);
  sub->add_option("command", o->command, "The command and its arguments, after --");
  sub->fallthrough(false);  // everything after `--` belongs to the command
  sub->footer(
      "Example: memory run --tag build -- make -j2\n"
      "Exit status: the command's; 128+N if it was killed by signal N; 127 if not found.");
  sub->allow_extras();  // `memory run ls -la` (no --): caught below with a hint, not a bare parse error
  sub->callback([o, sub, &g, action] {
    std::vector<std::string> extra;
    for (auto& a : sub->remaining())
      if (a != "--") extra.push_back(a);  // the `--` marker itself is listed too
    *action = [o, extra, &g] {
      if (!extra.empty())
        return Fail(Status::InvalidArgument("run: unexpected '" + extra.front() +
                                            "': put -- before the command (memory run [OPTIONS] -- CMD ARGS...)"));
      return RunCommand(*o, g);
    };
  });
}

}  // namespace
MEMORY_REGISTER_COMMAND(12, "run", SetupRun);
}  // namespace memory::cli
