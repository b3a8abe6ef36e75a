// Small utilities of the store: globs, durations, default paths, files.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>
#include <vector>

#include "store/internal.h"
#include "store/store.h"

namespace memory {

bool GlobMatch(std::string_view pat, std::string_view s) {
  // Iterative matcher with single-star backtracking: linear in practice, no recursion.
  size_t p = 0, i = 0, star_p = std::string_view::npos, star_i = 0;
  auto class_match = [&](size_t& pp, char c) -> int {  // -1 malformed, 0 no, 1 yes
    size_t q = pp + 1;
    bool negate = q < pat.size() && (pat[q] == '!' || pat[q] == '^');
    if (negate) ++q;
    bool matched = false, first = true;
    while (q < pat.size() && (pat[q] != ']' || first)) {
      first = false;
      char lo = pat[q];
      if (q + 2 < pat.size() && pat[q + 1] == '-' && pat[q + 2] != ']') {
        if (c >= lo && c <= pat[q + 2]) matched = true;
        q += 3;
      } else {
        if (c == lo) matched = true;
        ++q;
      }
    }
    if (q >= pat.size()) return -1;
    pp = q + 1;
    return matched != negate ? 1 : 0;
  };
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star_p = p++;
      star_i = i;
      continue;
    }
    if (p < pat.size()) {
      char pc = pat[p];
      if (pc == '?') {
        ++p, ++i;
        continue;
      }
      if (pc == '[') {
        size_t pp = p;
        int r = class_match(pp, s[i]);
        if (r == 1) {
          p = pp, ++i;
          continue;
        }
        if (r == -1 && s[i] == '[') {  // a lone '[' matches itself
          ++p, ++i;
          continue;
        }
      } else {
        if (pc == '\\' && p + 1 < pat.size()) pc = pat[p + 1];
        if (pc == s[i]) {
          p += (pat[p] == '\\' && p + 1 < pat.size()) ? 2 : 1;
          ++i;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    i = ++star_i;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

bool GlobMatchesAnyField(std::string_view pattern, const Event& e) {
  auto m = [&](std::string_view field) { return !field.empty() && GlobMatch(pattern, field); };
  if (m(e.command) || m(e.params_json) || m(e.error) || m(e.cwd) || m(e.repo_root) || m(e.branch) ||
      m(e.host) || m(e.user) || m(e.session) || m(e.actor))
    return true;
  for (const auto& t : e.tags)
    if (m(t)) return true;
  if (!e.decision) return false;
  const Decision& d = *e.decision;
  if (m(d.decision_id) || m(d.policy) || m(d.model_version) || m(d.action)) return true;
  for (const auto& a : d.action_set)
    if (m(a)) return true;
  return false;
}

Status ParseDuration(const std::string& text, int64_t* us) {
  if (text.empty()) return Status::InvalidArgument("empty duration (expected e.g. 30d, 12h, 15m)");
  size_t pos = 0;
  long long n;
  try {
    n = std::stoll(text, &pos);
  } catch (...) {
    return Status::InvalidArgument("bad duration '" + text + "' (expected e.g. 30d, 12h, 15m, 45s, 2w)");
  }
  std::string unit = text.substr(pos);
  int64_t mult;
  if (unit == "s" || unit.empty()) mult = 1000000LL;
  else if (unit == "m" || unit == "min") mult = 60LL * 1000000;
  else if (unit == "h") mult = 3600LL * 1000000;
  else if (unit == "d") mult = 86400LL * 1000000;
  else if (unit == "w") mult = 7 * 86400LL * 1000000;
  else if (unit == "y") mult = 365 * 86400LL * 1000000;
  else return Status::InvalidArgument("bad duration unit in '" + text + "' (use s, m, h, d, w or y)");
  if (n < 0 || n > INT64_MAX / mult) return Status::InvalidArgument("duration out of range: '" + text + "'");
  *us = n * mult;
  return Status::OK();
}

std::string DefaultDataDir() {
  if (const char* e = std::getenv("MEMORY_DB"); e && *e) return e;
  // A relative $XDG_DATA_HOME is ignored (XDG Base Directory spec), and without $HOME the home
  // comes from /etc/passwd: a store must not appear in whatever directory a command runs in.
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && x[0] == '/') return std::string(x) + "/llmunix-memory";
  return internal::HomeDir() + "/.local/share/llmunix-memory";
}

namespace internal {

std::string HomeDir() {
  if (const char* h = std::getenv("HOME"); h != nullptr && h[0] != '\0') return h;
  std::ifstream in("/etc/passwd");
  const std::string uid = std::to_string(::getuid());
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string_view> f;
    for (size_t start = 0;;) {
      const size_t colon = line.find(':', start);
      f.push_back(std::string_view(line).substr(start, colon == std::string::npos ? std::string::npos : colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    if (f.size() >= 6 && f[2] == uid) return std::string(f[5]);
  }
  return "";
}

std::string ErrnoText() { return std::strerror(errno); }

Status EnsureDir(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("empty directory path");
  std::string cur;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    cur = path.substr(0, j);
    if (!cur.empty()) {
      if (::mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST)
        return Status::IOError("cannot create directory " + cur + ": " + ErrnoText());
    }
    i = j + 1;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Status::IOError(path + " is not a directory");
  return Status::OK();
}

Status ReadFile(const std::string& path, std::string* out, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": " + ErrnoText());
  }
  out->clear();
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + ": is a directory");
  }
  if (st.st_size > 0) out->reserve(std::min(static_cast<size_t>(st.st_size), max_bytes));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Status::IOError(path + ": " + ErrnoText());
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    if (out->size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return Status::InvalidArgument(path + ": more than " + std::to_string(max_bytes) + " bytes");
    }
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return Status::OK();
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

Status AtomicFileWriter::Open(const std::string& path) {
  path_ = path;
  tmp_ = path + ".tmp." + std::to_string(::getpid());
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd_ < 0) return Status::IOError(path_ + ": cannot create: " + ErrnoText());  // not the temporary name
  return Status::OK();
}

Status AtomicFileWriter::Append(std::string_view data) {
  if (fd_ < 0) return Status::IOError(path_ + ": not open");
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(path_ + ": cannot write: " + ErrnoText());
    }
    off += static_cast<size_t>(n);
  }
  return Status::OK();
}

Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return Status::IOError(path_ + ": not open");
  int fd = fd_;
  fd_ = -1;
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp_.c_str());
    return Status::IOError(path_ + ": cannot write: " + ErrnoText());
  }
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp_.c_str());
    return Status::IOError("rename to " + path_ + ": " + ErrnoText());
  }
  return Status::OK();
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  AtomicFileWriter w;
  MEMORY_RETURN_IF_ERROR(w.Open(path));
  MEMORY_RETURN_IF_ERROR(w.Append(data));
  return w.Commit();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Status ListDir(const std::string& dir, std::vector<std::string>* names) {
  names->clear();
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return Status::OK();
    return Status::IOError(dir + ": " + ErrnoText());
  }
  while (struct dirent* ent = ::readdir(d)) {
    std::string n = ent->d_name;
    if (n != "." && n != "..") names->push_back(n);
  }
  ::closedir(d);
  std::sort(names->begin(), names->end());
  return Status::OK();
}

int64_t DirBytes(const std::string& dir) {
  std::vector<std::string> names;
  if (!ListDir(dir, &names).ok()) return 0;
  int64_t total = 0;
  for (const auto& n : names) {
    std::string p = dir + "/" + n;
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) total += DirBytes(p);
    else if (S_ISREG(st.st_mode)) total += st.st_size;
  }
  return total;
}

Status CopyTree(const std::string& from, const std::string& to) {
  MEMORY_RETURN_IF_ERROR(EnsureDir(to));
  std::vector<std::string> names;
  MEMORY_RETURN_IF_ERROR(ListDir(from, &names));
  for (const auto& n : names) {
    struct stat st;
    std::string src = from + "/" + n;
    if (::lstat(src.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      MEMORY_RETURN_IF_ERROR(CopyTree(src, to + "/" + n));
    } else if (S_ISREG(st.st_mode)) {
      std::string data;
      MEMORY_RETURN_IF_ERROR(ReadFile(src, &data));
      MEMORY_RETURN_IF_ERROR(WriteFileAtomic(to + "/" + n, data));
    }
  }
  return Status::OK();
}
Status UnshareHardLinks(const std::string& dir) {
  std::vector<std::string> names;
  MEMORY_RETURN_IF_ERROR(ListDir(dir, &names));
  for (const auto& n : names) {
    std::string p = dir + "/" + n;
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink <= 1) continue;
    std::string data;
    MEMORY_RETURN_IF_ERROR(ReadFile(p, &data));
    MEMORY_RETURN_IF_ERROR(WriteFileAtomic(p, data));  // a new inode renamed over the link
  }
  return Status::OK();
}
std::string ManifestState(const std::string& db_dir) {
  std::string current;
  if (!ReadFile(db_dir + "/CURRENT", &current).ok()) return "";
  while (!current.empty() && (current.back() == '\n' || current.back() == '\r')) current.pop_back();
  if (current.empty() || current.find('/') != std::string::npos) return "";
  struct stat st;
  if (::stat((db_dir + "/" + current).c_str(), &st) != 0) return "";
  return current + ":" + std::to_string(st.st_size);
}
Status RemoveTree(const std::string& dir) {
  std::vector<std::string> names;
  MEMORY_RETURN_IF_ERROR(ListDir(dir, &names));
  for (const auto& n : names) {
    std::string p = dir + "/" + n;
    struct stat st;
    if (::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) MEMORY_RETURN_IF_ERROR(RemoveTree(p));
    else ::unlink(p.c_str());
  }
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) return Status::IOError("rmdir " + dir + ": " + ErrnoText());
  return Status::OK();
}

std::string RestoreStagedDir(const std::string& data_dir) { return data_dir + "/db.restoring"; }
std::string RestoreReadyFile(const std::string& data_dir) { return data_dir + "/restore-ready"; }

Status FinishRestoreSwap(const std::string& data_dir) {
  const std::string ready = RestoreReadyFile(data_dir), staged = RestoreStagedDir(data_dir),
                    db = DbDir(data_dir), before = data_dir + "/db.before-restore";
  int fd = ::open(ready.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::OK();  // no restore to finish
  ::flock(fd, LOCK_EX);             // two processes opening at once: one swaps, the other sees it done
  Status s;
  if (FileExists(ready) && !FileExists(staged + "/CURRENT")) {
    // Only a deletion running at the same time removes the copy: report it, keep the store.
    s = Status::IOError("the restore's copy in " + staged + " was removed before the swap; run the restore again");
    ::unlink(ready.c_str());
  } else if (FileExists(ready)) {
    if (FileExists(db)) {
      s = RemoveTree(before);
      if (s.ok() && ::rename(db.c_str(), before.c_str()) != 0) s = Status::IOError("rename " + db + ": " + ErrnoText());
    }
    if (s.ok() && ::rename(staged.c_str(), db.c_str()) != 0) s = Status::IOError("rename " + staged + ": " + ErrnoText());
  }
  if (s.ok()) ::unlink(ready.c_str());
  ::close(fd);
  return s;
}

std::string SpoolDir(const std::string& data_dir) { return data_dir + "/spool"; }
std::string DbDir(const std::string& data_dir) { return data_dir + "/db"; }

}  // namespace internal
}  // namespace memory
