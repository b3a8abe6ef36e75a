#include "cli/core.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace memory::cli {
namespace {
std::vector<std::string>& Args() {
  static std::vector<std::string> args;
  return args;
}
std::optional<std::string>& KeptStdin() {
  static std::optional<std::string> text;
  return text;
}

// `name` in this executable's directory; just `name` (found on $PATH) without /proc.
std::string Beside(const char* name) {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string self = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  size_t slash = self.rfind('/');
  return slash == std::string::npos ? std::string(name) : self.substr(0, slash + 1) + name;
}

// Makes stdin a memory file holding `text` (what this process already consumed).
bool ReplaceStdin(const std::string& text) {
  int fd = ::memfd_create("memory-stdin", MFD_CLOEXEC);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t w = ::write(fd, text.data() + done, text.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return ::close(fd), false;
    done += static_cast<size_t>(w);
  }
  bool ok = ::lseek(fd, 0, SEEK_SET) == 0 && ::dup2(fd, STDIN_FILENO) == STDIN_FILENO;
  ::close(fd);
  return ok;
}
}  // namespace

std::string CoreExecutable() { return Beside("memory-core"); }
std::string FrontEndExecutable() { return Beside("memory"); }

void SetCommandLine(int argc, char** argv) { Args().assign(argv, argv + argc); }

void RememberStdin(std::string text) { KeptStdin() = std::move(text); }

int RunInCore(const std::vector<std::string>& extra) {
  std::fflush(stdout);
  std::fflush(stderr);
  const std::string core = CoreExecutable();
  std::vector<std::string> args = Args();
  if (args.empty()) args.push_back("memory");
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (KeptStdin() && !ReplaceStdin(*KeptStdin())) {
    std::fprintf(stderr, "memory: cannot hand stdin on to %s: %s\n", core.c_str(), std::strerror(errno));
    return 1;
  }
  ::execvp(core.c_str(), argv.data());
  std::fprintf(stderr, "memory: cannot run %s (it is built beside memory): %s\n", core.c_str(), std::strerror(errno));
  return 127;
}

}  // namespace memory::cli
