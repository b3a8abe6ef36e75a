#include "store/summary.h"

#include <unistd.h>

#include <cstring>

#include "store/coding.h"
#include "store/internal.h"

namespace memory::internal {
namespace {
constexpr char kMagic[8] = {'M', 'E', 'M', 'S', 'U', 'M', '0', '1'};
std::string SummaryPath(const std::string& dir) { return dir + "/summary.bin"; }
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

Status ReadSummary(const std::string& dir, Summary* s) {
  *s = Summary();
  if (SummaryDirty(dir)) return Status::NotFound("summary is being rewritten");
  MEMORY_RETURN_IF_ERROR(ReadFile(SummaryPath(dir), &s->data));
  if (s->data.size() < 8 || std::memcmp(s->data.data(), kMagic, 8) != 0) return Status::NotFound("summary damaged");
  coding::Reader r(std::string_view(s->data).substr(8));
  SummaryTotals& t = s->totals;
  uint64_t n;
  bool ok = r.GetZigzag(&t.events) && r.GetZigzag(&t.sessions) && r.GetZigzag(&t.users) &&
            r.GetZigzag(&t.first_ts_us) && r.GetZigzag(&t.last_ts_us) && r.GetVarint(&n) && n <= s->data.size();
  if (ok) s->commands.resize(n);
  for (uint64_t i = 0; ok && i < n; ++i) {
    SummaryCommand& c = s->commands[i];
    int64_t exit1;
    ok = r.GetVarint(&c.id) && r.GetZigzag(&c.count) && r.GetZigzag(&c.failures) && r.GetZigzag(&c.last_ts_us) &&
         r.GetZigzag(&exit1) && r.GetView(&c.command);
    if (ok && exit1) c.last_exit = static_cast<int32_t>(exit1 - 1);
  }
  if (!ok || !r.done()) {
    *s = Summary();
    return Status::NotFound("summary damaged");
  }
  return Status::OK();
}

Status MarkSummaryDirty(const std::string& dir) {
  if (SummaryDirty(dir)) return Status::OK();
  return WriteFileAtomic(DirtyPath(dir), "");
}

bool SummaryDirty(const std::string& dir) { return FileExists(DirtyPath(dir)); }

}  // namespace memory::internal
