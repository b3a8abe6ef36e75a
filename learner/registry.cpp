#include "learner/registry.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace memory::learner {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string IsoTime(int64_t us) {
  std::time_t t = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string VersionName(int64_t us) {
  std::time_t t = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Status Errno(const std::string& what) { return Status::IOError(what + ": " + std::strerror(errno)); }

Status FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Errno(path);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::OK() : Errno(path + ": fsync");
}

Status ReadText(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    return fs::exists(path, ec) ? Status::IOError(path + ": cannot open") : Status::NotFound(path + ": no such file");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return Status::OK();
}

json MetricsJson(const std::map<std::string, double>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

Status ParseMetadata(const std::string& text, const std::string& name, ModelVersionInfo* out) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption(name + ": not valid JSON");
  try {
    int format = j.at("registry_format").get<int>();
    if (format != kRegistryFormat)
      return Status::Unsupported(name + ": registry format " + std::to_string(format) + " (this build reads " +
                                 std::to_string(kRegistryFormat) + ")");
    ModelVersionInfo m;
    m.kind = j.at("kind").get<std::string>();
    m.version = j.at("version").get<std::string>();
    m.status = j.at("status").get<std::string>();
    m.created_us = j.at("created_us").get<int64_t>();
    m.promoted_us = j.value("promoted_us", int64_t{0});
    const json& d = j.at("data");
    m.data_from_us = d.at("from_us").get<int64_t>();
    m.data_to_us = d.at("to_us").get<int64_t>();
    m.events = d.at("events").get<int64_t>();
    const json& e = j.at("evaluation");
    m.eval_events = e.at("events").get<int64_t>();
    m.eval_from_us = e.at("from_us").get<int64_t>();
    m.eval_to_us = e.value("to_us", int64_t{0});
    for (auto& [k, v] : e.at("challenger").items()) m.metrics[k] = v.get<double>();
    for (auto& [k, v] : e.at("champion").items()) m.champion_metrics[k] = v.get<double>();
    m.config = j.at("config").get<std::string>();
    m.code_version = j.at("code_version").get<std::string>();
    m.decision = j.at("decision").get<std::string>();
    m.reason = j.value("reason", std::string());
    m.stale = j.value("stale", false);
    *out = std::move(m);
  } catch (const json::exception& ex) {
    return Status::Corruption(name + ": " + ex.what());
  }
  return Status::OK();
}

}  // namespace

std::string ModelVersionJson(const ModelVersionInfo& m, int indent) {
  json j = {{"registry_format", kRegistryFormat},
            {"kind", m.kind},
            {"version", m.version},
            {"status", m.status},
            {"created", m.created_us ? IsoTime(m.created_us) : ""},
            {"created_us", m.created_us},
            {"promoted_us", m.promoted_us},
            {"data", {{"from_us", m.data_from_us}, {"to_us", m.data_to_us}, {"events", m.events}}},
            {"evaluation",
             {{"events", m.eval_events},
              {"from_us", m.eval_from_us},
              {"to_us", m.eval_to_us},
              {"challenger", MetricsJson(m.metrics)},
              {"champion", MetricsJson(m.champion_metrics)}}},
            {"metrics", MetricsJson(m.metrics)},
            {"config", m.config},
            {"code_version", m.code_version},
            {"decision", m.decision},
            {"reason", m.reason},
            {"stale", m.stale}};
  return j.dump(indent);
}

std::string PruneResultJson(const PruneResult& r, int indent) {
  auto list = [](const std::vector<PrunedVersion>& vs) {
    json a = json::array();
    for (const auto& v : vs) a.push_back({{"version", v.version}, {"status", v.status}, {"why", v.why}, {"bytes", v.bytes}});
    return a;
  };
  json j = {{"kind", r.kind}, {"kept", list(r.kept)}, {"removed", list(r.removed)}, {"bytes_removed", r.bytes_removed}};
  return j.dump(indent);
}

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno(tmp);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Errno(tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Errno(tmp + ": fsync");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Errno("rename " + tmp + " -> " + path);
    ::unlink(tmp.c_str());
    return s;
  }
  std::string dir = fs::path(path).parent_path().string();
  return FsyncPath(dir.empty() ? "." : dir, true);
}

Status RegistryLock::Acquire(const std::string& path, std::unique_ptr<RegistryLock>* out) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Errno(path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return Status::Busy(path + ": another training or model change is running");
    errno = err;
    return Errno(path + ": flock");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)!::write(fd, pid.data(), pid.size());
  out->reset(new RegistryLock(fd));
  return Status::OK();
}

RegistryLock::~RegistryLock() { ::close(fd_); }  // closing releases the flock

Status ModelRegistry::Stage(const std::string& kind, std::string* staging_dir) {
  std::error_code ec;
  fs::create_directories(KindDir(kind), ec);
  if (ec) return Status::IOError(KindDir(kind) + ": cannot create: " + ec.message());
  for (int i = 0; i < 1000; ++i) {
    std::string dir = KindDir(kind) + "/.staging-" + std::to_string(::getpid()) + "-" + std::to_string(i);
    if (::mkdir(dir.c_str(), 0755) == 0) {
      *staging_dir = dir;
      return Status::OK();
    }
    if (errno != EEXIST) return Errno(dir);
  }
  return Status::IOError(KindDir(kind) + ": cannot create a staging directory");
}

Status ModelRegistry::WriteMetadata(const std::string& dir, const ModelVersionInfo& info) const {
  return WriteFileAtomically(dir + "/metadata.json", ModelVersionJson(info) + "\n");
}

Status ModelRegistry::Commit(const std::string& staging_dir, ModelVersionInfo* info) {
  if (info->kind.empty()) return Status::InvalidArgument("model version without a kind");
  if (info->created_us == 0) info->created_us = NowUs();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(staging_dir, ec))
    if (entry.is_regular_file()) MEMORY_RETURN_IF_ERROR(FsyncPath(entry.path().string(), false));
  if (ec) return Status::IOError(staging_dir + ": " + ec.message());
  const std::string base = VersionName(info->created_us);
  std::string version = base;
  for (int n = 2; fs::exists(VersionDir(info->kind, version), ec); ++n) version = base + "-" + std::to_string(n);
  info->version = version;
  MEMORY_RETURN_IF_ERROR(WriteMetadata(staging_dir, *info));
  const std::string dest = VersionDir(info->kind, version);
  if (::rename(staging_dir.c_str(), dest.c_str()) != 0) return Errno("rename " + staging_dir + " -> " + dest);
  return FsyncPath(KindDir(info->kind), true);
}

Status ModelRegistry::Clean(const std::string& kind) {
  std::error_code ec;
  if (!fs::exists(KindDir(kind), ec)) return Status::OK();
  for (const auto& entry : fs::directory_iterator(KindDir(kind), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".staging-", 0) == 0 || name.rfind(".deleted-", 0) == 0) fs::remove_all(entry.path(), ec);
  }
  return ec ? Status::IOError(KindDir(kind) + ": " + ec.message()) : Status::OK();
}

Status ModelRegistry::Get(const std::string& kind, const std::string& version, ModelVersionInfo* out) const {
  if (version.empty() || version.find('/') != std::string::npos || version[0] == '.')
    return Status::InvalidArgument("bad version name '" + version + "'");
  const std::string dir = VersionDir(kind, version);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound("no " + kind + " model version '" + version + "'");
  std::string text;
  MEMORY_RETURN_IF_ERROR(ReadText(dir + "/metadata.json", &text));
  MEMORY_RETURN_IF_ERROR(ParseMetadata(text, dir + "/metadata.json", out));
  std::string champion;
  const bool is_champion = Champion(kind, &champion).ok() && champion == version;
  if (is_champion) out->status = "champion";
  else if (out->status == "champion") out->status = "retired";  // pointer moved on (crash between writes)
  return Status::OK();
}

Status ModelRegistry::List(const std::string& kind, std::vector<ModelVersionInfo>* out) const {
  out->clear();
  std::error_code ec;
  if (!fs::is_directory(KindDir(kind), ec)) return Status::OK();
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(KindDir(kind), ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name[0] != '.') names.push_back(name);
  }
  if (ec) return Status::IOError(KindDir(kind) + ": " + ec.message());
  std::sort(names.rbegin(), names.rend());
  for (const auto& name : names) {
    ModelVersionInfo m;
    Status s = Get(kind, name, &m);
    if (!s.ok()) {
      m = ModelVersionInfo();
      m.kind = kind;
      m.version = name;
      m.status = "corrupt";
      m.reason = s.ToString();
    }
    out->push_back(std::move(m));
  }
  return Status::OK();
}

Status ModelRegistry::Champion(const std::string& kind, std::string* version) const {
  std::string text;
  Status s = ReadText(KindDir(kind) + "/CHAMPION", &text);
  if (s.IsNotFound()) return Status::NotFound("no " + kind + " champion yet (run `memory train`)");
  MEMORY_RETURN_IF_ERROR(s);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty()) return Status::Corruption(KindDir(kind) + "/CHAMPION: empty");
  *version = text;
  return Status::OK();
}

Status ModelRegistry::SetChampion(const std::string& kind, const std::string& version) {
  return WriteFileAtomically(KindDir(kind) + "/CHAMPION", version + "\n");
}

Status ModelRegistry::Update(const ModelVersionInfo& info) {
  return WriteMetadata(VersionDir(info.kind, info.version), info);
}

Status ModelRegistry::Promote(const std::string& kind, const std::string& version, const std::string& decision,
                              const std::string& reason, const std::function<Status(const std::string&)>& validate) {
  ModelVersionInfo next;
  MEMORY_RETURN_IF_ERROR(Get(kind, version, &next));
  if (validate) {
    Status s = validate(VersionDir(kind, version));
    if (!s.ok()) return Status::Corruption(kind + " model " + version + " cannot be served (champion unchanged): " + s.ToString());
  }
  std::string previous;
  const bool had = Champion(kind, &previous).ok() && previous != version;
  next.status = "champion";
  next.promoted_us = NowUs();
  if (!decision.empty()) next.decision = decision;
  if (!reason.empty()) next.reason = reason;
  MEMORY_RETURN_IF_ERROR(Update(next));
  MEMORY_RETURN_IF_ERROR(SetChampion(kind, version));  // the switch
  if (had) {
    ModelVersionInfo old;
    if (Get(kind, previous, &old).ok()) {
      old.status = "retired";
      MEMORY_RETURN_IF_ERROR(Update(old));
    }
  }
  return Status::OK();
}

Status ModelRegistry::Rollback(const std::string& kind, const std::function<Status(const std::string&)>& validate,
                               std::string* restored) {
  std::string current;
  MEMORY_RETURN_IF_ERROR(Champion(kind, &current));
  ModelVersionInfo cur;
  MEMORY_RETURN_IF_ERROR(Get(kind, current, &cur));
  std::vector<ModelVersionInfo> all;
  MEMORY_RETURN_IF_ERROR(List(kind, &all));
  const ModelVersionInfo* best = nullptr;
  for (const auto& m : all)
    if (m.version != current && m.status == "retired" && m.promoted_us > 0 && m.promoted_us <= cur.promoted_us &&
        (!best || m.promoted_us > best->promoted_us))
      best = &m;
  if (!best) return Status::NotFound("no earlier " + kind + " champion to roll back to (current: " + current + ")");
  const std::string target = best->version;
  MEMORY_RETURN_IF_ERROR(Promote(kind, target, "", "", validate));
  // Keep the restored version's original promotion order: a second rollback goes further back.
  ModelVersionInfo back;
  MEMORY_RETURN_IF_ERROR(Get(kind, target, &back));
  back.promoted_us = best->promoted_us;
  MEMORY_RETURN_IF_ERROR(Update(back));
  cur.status = "retired";
  cur.promoted_us = 0;  // never again a rollback target
  cur.decision = "rolled back";
  cur.reason = "rolled back to " + target;
  MEMORY_RETURN_IF_ERROR(Update(cur));
  *restored = target;
  return Status::OK();
}

namespace {

int64_t DirectoryBytes(const std::string& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const auto n = it->file_size(size_ec);
      if (!size_ec) total += static_cast<int64_t>(n);
    }
  }
  return total;
}

}  // namespace

Status ModelRegistry::Prune(const std::string& kind, const PruneOptions& o, PruneResult* out) {
  *out = PruneResult();
  out->kind = kind;
  std::vector<ModelVersionInfo> all;
  MEMORY_RETURN_IF_ERROR(List(kind, &all));  // newest first
  std::string champion;
  Status cs = Champion(kind, &champion);
  if (!cs.ok() && !cs.IsNotFound()) return cs;  // an unreadable pointer: delete nothing
  // Rollback's order: retired versions promoted at or before the champion, latest promotion first.
  int64_t champion_promoted = 0;
  for (const auto& m : all)
    if (m.version == champion) champion_promoted = m.promoted_us;
  std::vector<const ModelVersionInfo*> rollback;
  for (const auto& m : all)
    if (!champion.empty() && m.version != champion && m.status == "retired" && m.promoted_us > 0 &&
        m.promoted_us <= champion_promoted)
      rollback.push_back(&m);
  std::stable_sort(rollback.begin(), rollback.end(),
                   [](const ModelVersionInfo* a, const ModelVersionInfo* b) { return a->promoted_us > b->promoted_us; });
  std::map<std::string, std::string> keep;  // version -> why
  if (!champion.empty()) keep[champion] = "champion";
  for (size_t i = 0; i < rollback.size() && i < o.keep_rollback; ++i)
    keep[rollback[i]->version] = "rollback " + std::to_string(i + 1);
  size_t newest = 0;
  for (const auto& m : all)
    if (!keep.count(m.version) && newest < o.keep) keep[m.version] = "newest " + std::to_string(++newest);
  for (const auto& m : all) {
    PrunedVersion p{m.version, m.status, "", DirectoryBytes(VersionDir(kind, m.version))};
    auto it = keep.find(m.version);
    if (it != keep.end()) {
      p.why = it->second;
      out->kept.push_back(std::move(p));
    } else {
      p.why = "older";
      out->bytes_removed += p.bytes;
      out->removed.push_back(std::move(p));
    }
  }
  if (o.dry_run) return Status::OK();
  for (const PrunedVersion& p : out->removed) {
    // Rename first: the version leaves List/Get atomically; then delete the tombstone.
    const std::string dir = VersionDir(kind, p.version);
    const std::string tomb = KindDir(kind) + "/.deleted-" + p.version + "-" + std::to_string(::getpid());
    if (::rename(dir.c_str(), tomb.c_str()) != 0) return Errno("rename " + dir + " -> " + tomb);
    std::error_code ec;
    fs::remove_all(tomb, ec);
    if (ec) return Status::IOError(tomb + ": cannot delete: " + ec.message());
  }
  if (!out->removed.empty()) MEMORY_RETURN_IF_ERROR(FsyncPath(KindDir(kind), true));
  return Status::OK();
}

Status ModelRegistry::MarkStale(const std::string& kind, int64_t until_us) {
  std::vector<ModelVersionInfo> all;
  MEMORY_RETURN_IF_ERROR(List(kind, &all));
  for (auto m : all) {
    if (m.status == "corrupt" || m.stale || m.data_from_us >= until_us) continue;
    m.stale = true;
    MEMORY_RETURN_IF_ERROR(Update(m));
  }
  return Status::OK();
}

}  // namespace memory::learner
