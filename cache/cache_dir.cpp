#include "cache/cache_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <sstream>

namespace memory::cache::internal {
namespace {

namespace fs = std::filesystem;

std::string Errno() { return std::strerror(errno); }

// An open file descriptor holding a flock; both released on destruction.
class LockedFile {
 public:
  // Opens (creating when `create`) `path` and takes a shared or exclusive flock.
  Status Open(const std::string& path, bool exclusive, bool create) {
    fd_ = ::open(path.c_str(), (create ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      if (errno == ENOENT) return Status::NotFound(path);
      return Status::IOError(path + ": " + Errno());
    }
    while (::flock(fd_, exclusive ? LOCK_EX : LOCK_SH) != 0)
      if (errno != EINTR) return Status::IOError(path + ": flock: " + Errno());
    return Status::OK();
  }
  ~LockedFile() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
  }

 private:
  int fd_ = -1;
};

Status ReadWhole(const std::string& path, std::string* out) {
  out->clear();
  std::ifstream f(path, std::ios::binary);
  if (!f) return errno == ENOENT ? Status::NotFound(path) : Status::IOError(path + ": " + Errno());
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return Status::OK();
}

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(path + ": " + Errno());
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

// tmp + fsync + rename, file mode 0600.
Status ReplaceFile(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError(tmp + ": " + Errno());
  Status s = WriteAll(fd, data, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Status::IOError(tmp + ": fsync: " + Errno());
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = Status::IOError(path + ": rename: " + Errno());
  return s;
}

std::string StatsDir(const std::string& cache_dir) { return cache_dir + "/stats"; }

std::string FormatLevel(const Hierarchy::LevelReport& r) {
  const CacheStats& s = r.stats;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s %llu %llu %llu %llu %llu %zu %zu ", r.name.c_str(),
                static_cast<unsigned long long>(s.hits), static_cast<unsigned long long>(s.misses),
                static_cast<unsigned long long>(s.evictions), static_cast<unsigned long long>(s.prefetches_issued),
                static_cast<unsigned long long>(s.prefetches_used), r.capacity, r.size);
  return buf + r.policy + "\n";
}

// Sums the lines of a log into per-level reports (in L1, L2, L3 order). Lines that do not parse
// (a block cut short by a crash) are skipped.
std::vector<Hierarchy::LevelReport> SumLog(const std::string& text) {
  std::map<std::string, Hierarchy::LevelReport> by_level;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    char level[8];
    unsigned long long a[5];
    size_t cap, size;
    int consumed = 0;
    if (std::sscanf(line.c_str(), "%7s %llu %llu %llu %llu %llu %zu %zu %n", level, &a[0], &a[1], &a[2], &a[3],
                    &a[4], &cap, &size, &consumed) != 8 || consumed == 0)
      continue;
    std::string name(level);
    if (name != "L1" && name != "L2" && name != "L3") continue;
    Hierarchy::LevelReport& r = by_level[name];
    r.name = name;
    r.stats.hits += a[0];
    r.stats.misses += a[1];
    r.stats.evictions += a[2];
    r.stats.prefetches_issued += a[3];
    r.stats.prefetches_used += a[4];
    r.capacity = cap;
    r.size = size;
    r.policy = line.substr(static_cast<size_t>(consumed));
  }
  std::vector<Hierarchy::LevelReport> out;
  for (auto& [name, r] : by_level) out.push_back(r);  // map order: L1, L2, L3
  return out;
}

uint64_t DirBytes(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (it->is_regular_file(e2)) total += it->file_size(e2);
  }
  return total;
}

constexpr size_t kFoldBytes = 64 * 1024;

}  // namespace

uint64_t ReadGeneration(const std::string& cache_dir) {
  std::string text;
  if (!ReadWhole(cache_dir + "/GENERATION", &text).ok()) return 0;
  return std::strtoull(text.c_str(), nullptr, 10);
}

std::string L3Dir(const std::string& cache_dir, uint64_t generation) {
  return cache_dir + "/l3-" + std::to_string(generation);
}

Status EnsureDir(const std::string& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return Status::OK();
  fs::path parent = fs::path(dir).parent_path();
  if (!parent.empty() && parent != fs::path(dir)) MEMORY_RETURN_IF_ERROR(EnsureDir(parent.string()));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Status::IOError(dir + ": " + Errno());
  return Status::OK();
}

Status RemoveGenerationsBefore(const std::string& cache_dir, uint64_t generation) {
  std::error_code ec;
  std::vector<fs::path> old;
  for (auto it = fs::directory_iterator(cache_dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string n = it->path().filename().string();
    if (n.rfind("l3-", 0) != 0 || n.size() == 3 || n.find_first_not_of("0123456789", 3) != std::string::npos) continue;
    if (std::strtoull(n.c_str() + 3, nullptr, 10) < generation) old.push_back(it->path());
  }
  for (const auto& p : old) {
    fs::remove_all(p, ec);
    if (ec) return Status::IOError(p.string() + ": cannot delete old cache: " + ec.message());
  }
  return Status::OK();
}

Status BumpGeneration(const std::string& cache_dir, uint64_t* out) {
  LockedFile lock;
  MEMORY_RETURN_IF_ERROR(lock.Open(cache_dir + "/GENERATION.lock", true, true));
  *out = ReadGeneration(cache_dir) + 1;
  return ReplaceFile(cache_dir + "/GENERATION", std::to_string(*out) + "\n");
}

Status AppendStats(const std::string& cache_dir, const std::string& name,
                   const std::vector<Hierarchy::LevelReport>& deltas) {
  std::string block;
  for (const auto& d : deltas) block += FormatLevel(d);
  if (block.empty()) return Status::OK();
  const std::string dir = StatsDir(cache_dir);
  MEMORY_RETURN_IF_ERROR(EnsureDir(dir));
  LockedFile lock;
  MEMORY_RETURN_IF_ERROR(lock.Open(dir + "/" + name + ".lock", true, true));
  const std::string log = dir + "/" + name + ".log";
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError(log + ": " + Errno());
  struct stat st;
  char last = '\n';  // a block cut short by a crash must not swallow this one's first line
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    int rfd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
    if (rfd >= 0) {
      if (::pread(rfd, &last, 1, st.st_size - 1) != 1) last = '\n';
      ::close(rfd);
    }
  }
  if (last != '\n') block.insert(block.begin(), '\n');
  Status s = WriteAll(fd, block, log);
  const bool large = s.ok() && ::fstat(fd, &st) == 0 && static_cast<size_t>(st.st_size) > kFoldBytes;
  ::close(fd);
  if (!s.ok() || !large) return s;
  // Fold: one block with the sums (a crash leaves either the old log or the folded one).
  std::string text;
  MEMORY_RETURN_IF_ERROR(ReadWhole(log, &text));
  std::string folded;
  for (const auto& r : SumLog(text)) folded += FormatLevel(r);
  return ReplaceFile(log, folded);
}

Status ReadStats(const std::string& cache_dir, const std::string& name, Hierarchy::UseReport* out) {
  *out = Hierarchy::UseReport();
  out->name = name;
  const std::string dir = StatsDir(cache_dir);
  LockedFile lock;  // shared; absent lock file = no writer ever (do not create files here)
  Status s = lock.Open(dir + "/" + name + ".lock", false, false);
  if (!s.ok() && !s.IsNotFound()) return s;
  std::string text;
  MEMORY_RETURN_IF_ERROR(ReadWhole(dir + "/" + name + ".log", &text));
  out->levels = SumLog(text);
  for (auto& r : out->levels)
    if (r.name == "L3") r.bytes = DirBytes(L3Dir(cache_dir, ReadGeneration(cache_dir)));
  return Status::OK();
}

std::vector<std::string> StatsNames(const std::string& cache_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = fs::directory_iterator(StatsDir(cache_dir), ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->path().extension() == ".log") names.push_back(it->path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace memory::cache::internal
