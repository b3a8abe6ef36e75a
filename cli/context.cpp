#include "cli/context.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace memory::cli {
namespace {

// The first line of a regular file, from its first 4 KiB; "" for anything else. The repository's
// files are anyone's: a FIFO named HEAD must not block `record` (the shell hook's background
// record would stay blocked, one more per command), nor a HEAD linked to /dev/zero fill the memory.
std::string FirstLine(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return "";
  std::string line;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    char buf[4096];
    ssize_t n;
    do n = ::read(fd, buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    if (n > 0) line.assign(buf, static_cast<size_t>(n));
    if (size_t nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
  }
  ::close(fd);
  return line;
}

}  // namespace

void GitContext(const std::string& dir, std::string* root, std::string* branch) {
  root->clear();
  branch->clear();
  std::string d = dir;
  // A path of PATH_MAX bytes or more names nothing stat() reaches: start from its longest prefix
  // that may exist (a cwd of a megabyte given by `record --json` took each of its 500,000
  // prefixes in turn, half a minute).
  while (d.size() + sizeof "/.git" > PATH_MAX) {
    const size_t slash = d.find_last_of('/');
    if (slash == std::string::npos || slash == 0) return;
    d.resize(slash);
  }
  while (!d.empty()) {
    std::string git = d + "/.git";
    struct stat st;
    if (::stat(git.c_str(), &st) == 0) {
      *root = d;
      std::string head_path = git + "/HEAD";
      if (S_ISREG(st.st_mode)) {  // worktree or submodule: "gitdir: <path>"
        const std::string line = FirstLine(git);
        if (line.rfind("gitdir: ", 0) == 0) {
          std::string gd = line.substr(8);
          if (!gd.empty() && gd[0] != '/') gd = d + "/" + gd;
          head_path = gd + "/HEAD";
        }
      }
      const std::string line = FirstLine(head_path);
      if (line.rfind("ref: refs/heads/", 0) == 0) *branch = line.substr(16);
      else if (line.size() >= 12) *branch = line.substr(0, 12);
      return;
    }
    if (d == "/") break;
    size_t slash = d.find_last_of('/');
    d = slash == 0 ? "/" : d.substr(0, slash);
  }
}

void FillContext(Event* e) {
  if (e->cwd.empty()) {
    char buf[PATH_MAX];
    if (::getcwd(buf, sizeof buf)) e->cwd = buf;
  }
  if (e->repo_root.empty() && !e->cwd.empty()) {
    std::string branch;
    GitContext(e->cwd, &e->repo_root, &branch);
    if (e->branch.empty()) e->branch = branch;
  }
  if (e->host.empty()) {
    char buf[256];
    if (::gethostname(buf, sizeof buf) == 0) {
      buf[sizeof buf - 1] = 0;
      e->host = buf;
    }
  }
  if (e->user.empty())
    if (const char* u = std::getenv("USER"); u && *u) e->user = u;
  if (e->session.empty())
    if (const char* s = std::getenv("MEMORY_SESSION"); s && *s) e->session = s;
  if (e->actor.empty()) e->actor = e->kind == EventKind::kToolCall ? "agent" : "human";
}

}  // namespace memory::cli
