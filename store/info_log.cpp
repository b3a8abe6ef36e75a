#include "store/info_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <ctime>

#include "store/internal.h"

namespace memory::internal {

InfoLog::InfoLog(std::string path) : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), path_(std::move(path)) {}

void InfoLog::Logv(const char* format, va_list ap) {
  char line[4096];
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  int n = static_cast<int>(strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm));
  int m = vsnprintf(line + n, sizeof(line) - n - 1, format, ap);
  if (m < 0) return;
  n = std::min<int>(n + m, sizeof(line) - 2);
  line[n++] = '\n';
  std::lock_guard<std::mutex> l(mu_);
  if (!started_) {
    if (held_.size() < (64 << 10)) held_.append(line, n);
    return;
  }
  Append(std::string(line, n));
}

void InfoLog::DiscardHeld() {
  std::lock_guard<std::mutex> l(mu_);
  held_.clear();
}

void InfoLog::Start() {
  std::lock_guard<std::mutex> l(mu_);
  started_ = true;
  if (!held_.empty()) Append(held_);
  held_.clear();
}

void InfoLog::Append(const std::string& lines) {
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  ssize_t ignored = ::write(fd, lines.data(), lines.size());  // one write: O_APPEND keeps it whole
  (void)ignored;
  ::close(fd);
}

void TrimInfoLog(const std::string& db_dir, long max_bytes) {
  struct stat st;
  std::string log = db_dir + "/LOG";
  if (::stat(log.c_str(), &st) == 0 && st.st_size > max_bytes) (void)!::truncate(log.c_str(), 0);
  std::vector<std::string> names;
  if (!ListDir(db_dir, &names).ok()) return;
  for (const auto& n : names)
    if (n.rfind("LOG.old.", 0) == 0) ::unlink((db_dir + "/" + n).c_str());
}

}  // namespace memory::internal
