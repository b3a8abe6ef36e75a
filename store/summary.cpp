#include "store/summary.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <cstring>

#include "store/coding.h"
#include "store/internal.h"

namespace memory::internal {
std::string SummaryPath(const std::string& dir) { return dir + "/summary.bin"; }
namespace {
constexpr char kMagic[8] = {'M', 'E', 'M', 'S', 'U', 'M', '0', '1'};
std::string DirtyPath(const std::string& dir) { return dir + "/summary.dirty"; }
}  // namespace

Status WriteSummary(const std::string& dir, const SummaryTotals& t, const std::vector<CommandStats>& commands) {
  std::string out(kMagic, 8);
  for (int64_t v : {t.events, t.sessions, t.users, t.first_ts_us, t.last_ts_us})
    coding::PutZigzag(&out, v);
  coding::PutVarint(&out, commands.size());
  for (const auto& c : commands) {
    coding::PutVarint(&out, c.id);
    for (int64_t v : {c.count, c.failures, c.last_ts_us})
      coding::PutZigzag(&out, v);
    coding::PutZigzag(&out, c.last_exit ? *c.last_exit + 1LL : 0);
    coding::PutBytes(&out, c.command);
  }
  MEMORY_RETURN_IF_ERROR(WriteFileAtomic(SummaryPath(dir), out));
  if (::unlink(DirtyPath(dir).c_str()) != 0 && errno != ENOENT)
    return Status::IOError(DirtyPath(dir) + ": " + ErrnoText());
  return Status::OK();
}

Status ReadSummary(const std::string& dir, Summary* s, bool with_commands) {
  *s = Summary();
  if (SummaryDirty(dir)) return Status::NotFound("summary is being rewritten");
  MEMORY_RETURN_IF_ERROR(s->file.Open(SummaryPath(dir)));
  const std::string_view data = s->file.data();
  if (data.size() < 8 || std::memcmp(data.data(), kMagic, 8) != 0) return Status::NotFound("summary damaged");
  coding::Reader r(data.substr(8));
  SummaryTotals& t = s->totals;
  uint64_t n;
  bool ok = r.GetZigzag(&t.events) && r.GetZigzag(&t.sessions) && r.GetZigzag(&t.users) &&
            r.GetZigzag(&t.first_ts_us) && r.GetZigzag(&t.last_ts_us) && r.GetVarint(&n) && n <= data.size();
  if (ok && with_commands) s->commands.resize(n);
  SummaryCommand scratch;
  for (uint64_t i = 0; ok && i < n; ++i) {
    SummaryCommand& c = with_commands ? s->commands[i] : scratch;
    int64_t exit1;
    ok = r.GetVarint(&c.id) && r.GetZigzag(&c.count) && r.GetZigzag(&c.failures) && r.GetZigzag(&c.last_ts_us) &&
         r.GetZigzag(&exit1) && r.GetView(&c.command);
    if (ok && exit1) c.last_exit = static_cast<int32_t>(exit1 - 1);
  }
  if (!ok || !r.done()) {
    *s = Summary();
    return Status::NotFound("summary damaged");
  }
  s->command_count = static_cast<size_t>(n);
  return Status::OK();
}

Status MarkSummaryDirty(const std::string& dir) {
  if (SummaryDirty(dir)) return Status::OK();
  return WriteFileAtomic(DirtyPath(dir), "");
}

bool SummaryDirty(const std::string& dir) { return FileExists(DirtyPath(dir)); }

}  // namespace memory::internal

namespace memory {

Status StoreContentToken(const std::string& data_dir, std::string* token) {
  token->clear();
  struct stat st;
  if (::stat(data_dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return Status::IOError(data_dir + ": " + internal::ErrnoText());
    *token = "empty";
    return Status::OK();
  }
  auto add = [&](const struct stat& s) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%llx.%llx.%llx.%lx;", static_cast<unsigned long long>(s.st_ino),
                  static_cast<unsigned long long>(s.st_size), static_cast<unsigned long long>(s.st_mtim.tv_sec),
                  static_cast<long>(s.st_mtim.tv_nsec));
    token->append(buf);
  };
  // Every writer rewrites summary.bin (a new file renamed into place) after it commits, and
  // keeps summary.dirty in between.
  const bool has_db = ::stat(internal::DbDir(data_dir).c_str(), &st) == 0;
  if (internal::SummaryDirty(data_dir)) return Status::Busy("the store is being written");
  if (::stat(internal::SummaryPath(data_dir).c_str(), &st) == 0) {
    add(st);
    if (internal::SummaryDirty(data_dir)) return Status::Busy("the store is being written");
  } else if (has_db) {
    return Status::Busy("the store has no summary yet");
  }
  // Spooled events: every append grows a spool file; a fold renames or removes them.
  std::vector<std::string> names;
  if (internal::ListDir(internal::SpoolDir(data_dir), &names).ok()) {
    for (const std::string& n : names) {
      if (::stat((internal::SpoolDir(data_dir) + "/" + n).c_str(), &st) != 0) continue;
      token->append(n).push_back(':');
      add(st);
    }
  }
  if (token->empty()) *token = "empty";
  return Status::OK();
}

}  // namespace memory
