#include "store/event.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <unistd.h>
#include <random>

#include <nlohmann/json.hpp>

#include "store/coding.h"
#include "store/internal.h"

namespace memory {
namespace {

constexpr uint8_t kEncodingVersion = 1;

enum Field : uint32_t {
  kCommand = 1u << 0, kParams = 1u << 1, kCwd = 1u << 2, kRepo = 1u << 3, kBranch = 1u << 4,
  kHost = 1u << 5, kUser = 1u << 6, kSession = 1u << 7, kActor = 1u << 8, kExit = 1u << 9,
  kDuration = 1u << 10, kCpu = 1u << 11, kRss = 1u << 12, kError = 1u << 13, kTags = 1u << 14,
  kDecision = 1u << 15, kId = 1u << 16,
};
constexpr uint32_t kKnownFields = (1u << 17) - 1;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void PutDouble(std::string* out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  coding::PutFixed64LE(out, bits);
}
bool GetDouble(coding::Reader* r, double* d) {
  uint64_t bits;
  if (!r->GetFixed64LE(&bits)) return false;
  std::memcpy(d, &bits, 8);
  return true;
}

}  // namespace

std::string_view EventKindName(EventKind k) { return k == EventKind::kToolCall ? "tool" : "shell"; }

bool ParseEventKind(std::string_view s, EventKind* out) {
  if (s == "shell" || s == "command") {
    *out = EventKind::kShell;
    return true;
  }
  if (s == "tool" || s == "tool_call") {
    *out = EventKind::kToolCall;
    return true;
  }
  return false;
}

int64_t NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {
// 16 hex digits of the time, then 16 of `lo`.
std::string EventIdOf(int64_t ts_us, uint64_t lo) {
  static const char* kHex = "0123456789abcdef";
  std::string id(32, '0');
  uint64_t hi = static_cast<uint64_t>(ts_us);
  for (int i = 15; i >= 0; --i, hi >>= 4) id[static_cast<size_t>(i)] = kHex[hi & 15];
  for (int i = 31; i >= 16; --i, lo >>= 4) id[static_cast<size_t>(i)] = kHex[lo & 15];
  return id;
}
}  // namespace

std::string NewEventId(int64_t ts_us) {
  thread_local std::mt19937_64 rng{std::random_device{}() ^ (static_cast<uint64_t>(::getpid()) << 32)};
  return EventIdOf(ts_us, rng());
}

void ClearEvent(Event* e) {
  for (std::string* s : {&e->id, &e->command, &e->params_json, &e->cwd, &e->repo_root, &e->branch,
                         &e->host, &e->user, &e->session, &e->actor, &e->error})
    s->clear();
  e->ts_us = 0;
  e->kind = EventKind::kShell;
  e->exit_code.reset();
  e->duration_us.reset();
  e->cpu_us.reset();
  e->peak_rss_kb.reset();
  e->tags.clear();
  e->decision.reset();
}

std::string ContentEventId(const Event& e, uint32_t occurrence) {
  std::string bytes;
  internal::ContentIdBytes(e.ts_us, internal::ContentFieldsHash(internal::ContentPrefixHash(e), e), occurrence, &bytes);
  return internal::IdFromBytes(bytes);
}

namespace internal {
namespace {
// FNV-1a over one field, ended by a 0 byte.
uint64_t HashField(uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return (h ^ 0) * 0x100000001b3ULL;
}
void PutBigEndian64(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
}
}  // namespace

uint64_t ContentPrefixHash(const Event& e) {
  return HashField(HashField(HashField(0xcbf29ce484222325ULL, e.user), e.session), e.cwd);
}

uint64_t ContentFieldsHash(uint64_t prefix, const Event& e) {
  return HashField(HashField(prefix, e.command), e.params_json);
}

void ContentIdBytes(int64_t ts_us, uint64_t h, uint32_t occurrence, std::string* out) {
  for (int i = 0; i < 4; ++i) h = (h ^ ((occurrence >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
  h ^= h >> 30, h *= 0xbf58476d1ce4e5b9ULL;  // splitmix64's finalizer: every bit mixed
  h ^= h >> 27, h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  char bytes[16];
  PutBigEndian64(static_cast<uint64_t>(ts_us), bytes);
  PutBigEndian64(h, bytes + 8);
  out->assign(bytes, sizeof bytes);
}

bool IdToBytes(std::string_view id, std::string* out) {
  if (id.size() != 32) return false;
  char bytes[16];
  int bad = 0;  // one test at the end: ids are read for every spooled event
  for (size_t i = 0; i < 16; ++i) {
    int hi = HexValue(id[2 * i]), lo = HexValue(id[2 * i + 1]);
    bad |= hi | lo;
    bytes[i] = static_cast<char>(hi * 16 + lo);
  }
  if (bad < 0) return false;
  out->assign(bytes, sizeof bytes);
  return true;
}

std::string IdFromBytes(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string s(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    s[2 * i] = kHex[c >> 4];
    s[2 * i + 1] = kHex[c & 15];
  }
  return s;
}
}  // namespace internal
using internal::IdToBytes;

void EncodeEvent(const Event& e, std::string* out) {
  uint32_t f = 0;
  if (!e.id.empty()) f |= kId;
  if (!e.command.empty()) f |= kCommand;
  if (!e.params_json.empty()) f |= kParams;
  if (!e.cwd.empty()) f |= kCwd;
  if (!e.repo_root.empty()) f |= kRepo;
  if (!e.branch.empty()) f |= kBranch;
  if (!e.host.empty()) f |= kHost;
  if (!e.user.empty()) f |= kUser;
  if (!e.session.empty()) f |= kSession;
  if (!e.actor.empty()) f |= kActor;
  if (e.exit_code) f |= kExit;
  if (e.duration_us) f |= kDuration;
  if (e.cpu_us) f |= kCpu;
  if (e.peak_rss_kb) f |= kRss;
  if (!e.error.empty()) f |= kError;
  if (!e.tags.empty()) f |= kTags;
  if (e.decision) f |= kDecision;

  out->push_back(static_cast<char>(kEncodingVersion));
  coding::PutVarint(out, f);
  coding::PutZigzag(out, e.ts_us);
  out->push_back(static_cast<char>(e.kind));
  if (f & kId) coding::PutBytes(out, e.id);
  if (f & kCommand) coding::PutBytes(out, e.command);
  if (f & kParams) coding::PutBytes(out, e.params_json);
  if (f & kCwd) coding::PutBytes(out, e.cwd);
  if (f & kRepo) coding::PutBytes(out, e.repo_root);
  if (f & kBranch) coding::PutBytes(out, e.branch);
  if (f & kHost) coding::PutBytes(out, e.host);
  if (f & kUser) coding::PutBytes(out, e.user);
  if (f & kSession) coding::PutBytes(out, e.session);
  if (f & kActor) coding::PutBytes(out, e.actor);
  if (f & kExit) coding::PutZigzag(out, *e.exit_code);
  if (f & kDuration) coding::PutZigzag(out, *e.duration_us);
  if (f & kCpu) coding::PutZigzag(out, *e.cpu_us);
  if (f & kRss) coding::PutZigzag(out, *e.peak_rss_kb);
  if (f & kError) coding::PutBytes(out, e.error);
  if (f & kTags) {
    coding::PutVarint(out, e.tags.size());
    for (const auto& t : e.tags) coding::PutBytes(out, t);
  }
  if (f & kDecision) {
    const Decision& d = *e.decision;
    coding::PutBytes(out, d.decision_id);
    coding::PutBytes(out, d.policy);
    coding::PutBytes(out, d.model_version);
    coding::PutVarint(out, d.action_set.size());
    for (const auto& a : d.action_set) coding::PutBytes(out, a);
    coding::PutBytes(out, d.action);
    PutDouble(out, d.probability);
    out->push_back(d.reward ? 1 : 0);
    if (d.reward) PutDouble(out, *d.reward);
  }
}

Status PeekEvent(std::string_view in, EventKey* key) {
  coding::Reader r(in);
  uint8_t version, kind;
  uint64_t f;
  *key = EventKey();
  if (!r.GetByte(&version) || version != kEncodingVersion) return Status::Corruption("unknown event encoding");
  if (!r.GetVarint(&f) || (f & ~static_cast<uint64_t>(kKnownFields))) return Status::Corruption("bad event field mask");
  if (!r.GetZigzag(&key->ts_us) || !r.GetByte(&kind) || kind > 1) return Status::Corruption("truncated event header");
  // In DecodeEvent's order, up to the session.
  std::string_view skipped;
  for (uint32_t bit : {kId, kCommand, kParams, kCwd, kRepo, kBranch, kHost, kUser, kSession}) {
    if (!(f & bit)) continue;
    std::string_view* v = bit == kId ? &key->id : bit == kCwd ? &key->cwd : bit == kSession ? &key->session : &skipped;
    if (!r.GetView(v)) return Status::Corruption("truncated event record");
  }
  return Status::OK();
}

Status DecodeEvent(std::string_view in, Event* e) {
  coding::Reader r(in);
  uint8_t version, kind;
  uint64_t f;
  *e = Event();
  if (!r.GetByte(&version)) return Status::Corruption("empty event record");
  if (version != kEncodingVersion)
    return Status::Corruption("unknown event encoding version " + std::to_string(version));
  if (!r.GetVarint(&f) || (f & ~static_cast<uint64_t>(kKnownFields)))
    return Status::Corruption("bad event field mask");
  if (!r.GetZigzag(&e->ts_us) || !r.GetByte(&kind) || kind > 1)
    return Status::Corruption("truncated event header");
  e->kind = static_cast<EventKind>(kind);
  bool ok = true;
  auto str = [&](uint32_t bit, std::string* s) {
    if (ok && (f & bit)) ok = r.GetBytes(s);
  };
  auto num = [&](uint32_t bit, auto* opt) {
    if (ok && (f & bit)) {
      int64_t v = 0;
      ok = r.GetZigzag(&v);
      if (ok) *opt = static_cast<typename std::remove_reference_t<decltype(*opt)>::value_type>(v);
    }
  };
  str(kId, &e->id);
  str(kCommand, &e->command);
  str(kParams, &e->params_json);
  str(kCwd, &e->cwd);
  str(kRepo, &e->repo_root);
  str(kBranch, &e->branch);
  str(kHost, &e->host);
  str(kUser, &e->user);
  str(kSession, &e->session);
  str(kActor, &e->actor);
  num(kExit, &e->exit_code);
  num(kDuration, &e->duration_us);
  num(kCpu, &e->cpu_us);
  num(kRss, &e->peak_rss_kb);
  str(kError, &e->error);
  if (ok && (f & kTags)) {
    uint64_t n;
    ok = r.GetVarint(&n) && n <= in.size();
    for (uint64_t i = 0; ok && i < n; ++i) {
      e->tags.emplace_back();
      ok = r.GetBytes(&e->tags.back());
    }
  }
  if (ok && (f & kDecision)) {
    Decision d;
    uint64_t n;
    ok = r.GetBytes(&d.decision_id) && r.GetBytes(&d.policy) && r.GetBytes(&d.model_version) &&
         r.GetVarint(&n) && n <= in.size();
    for (uint64_t i = 0; ok && i < n; ++i) {
      d.action_set.emplace_back();
      ok = r.GetBytes(&d.action_set.back());
    }
    uint8_t has_reward = 0;
    ok = ok && r.GetBytes(&d.action) && GetDouble(&r, &d.probability) && r.GetByte(&has_reward);
    if (ok && has_reward) {
      double rw;
      ok = GetDouble(&r, &rw);
      d.reward = rw;
    }
    e->decision = std::move(d);
  }
  if (!ok) return Status::Corruption("truncated event record");
  if (!r.done()) return Status::Corruption("trailing bytes after event record");
  return Status::OK();
}

// ---------------------------------------------------------------------------------------------
// JSON

namespace {
using json = nlohmann::ordered_json;

}  // namespace

// Times from 1970 to the end of year 9999 (every stored event's) are written digit by digit from
// the civil date of the day (H. Hinnant's civil_from_days); gmtime_r and snprintf were a tenth of
// `memory export`. Other times take that path.
std::string internal::IsoTime(int64_t ts_us) {
  if (ts_us >= 0 && ts_us <= kLatestEventTimeUs) {
    const int64_t secs = ts_us / 1000000, days = secs / 86400;
    const unsigned sod = static_cast<unsigned>(secs % 86400), us = static_cast<unsigned>(ts_us % 1000000);
    const int64_t z = days + 719468;  // days since 0000-03-01
    const unsigned era = static_cast<unsigned>(z / 146097), doe = static_cast<unsigned>(z % 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
    const unsigned year = yoe + era * 400 + (month <= 2);
    char buf[] = "0000-00-00T00:00:00.000000Z";
    auto put = [&](int at, unsigned v, int digits) {
      for (int i = at + digits - 1; i >= at; --i, v /= 10) buf[i] = static_cast<char>('0' + v % 10);
    };
    put(0, year, 4), put(5, month, 2), put(8, day, 2);
    put(11, sod / 3600, 2), put(14, sod / 60 % 60, 2), put(17, sod % 60, 2), put(20, us, 6);
    return std::string(buf, sizeof buf - 1);
  }
  time_t secs = static_cast<time_t>(ts_us / 1000000);
  if (ts_us < 0 && ts_us % 1000000) --secs;
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(((ts_us % 1000000) + 1000000) % 1000000));
  return buf;
}

namespace {
using internal::IsoTime;

double UsToMs(int64_t us) { return static_cast<double>(us) / 1000.0; }

// An integer field as int64 (JSON integers above INT64_MAX are out of range, not wrapped).
Status GetInt64(const json& v, const char* name, int64_t* out) {
  if (!v.is_number_integer()) return Status::InvalidArgument(std::string("'") + name + "' must be an integer");
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX))
    return Status::InvalidArgument(std::string("'") + name + "' is out of range");
  *out = v.get<int64_t>();
  return Status::OK();
}

// Whether the arrays and objects of a JSON text nest at most max_depth deep (brackets inside
// strings do not count). Checked before parsing: printing a deeper value back recurses once per
// level, and a few hundred thousand levels overflow the stack.
bool NestingWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace

bool internal::MsValueToUs(double ms, int64_t* us) {
  if (!std::isfinite(ms) || std::fabs(ms) > 9e15) return false;
  *us = std::llround(ms * 1000.0);
  return true;
}

namespace {
using internal::MsValueToUs;

Status MsToUs(const json& v, const char* name, int64_t* us) {
  if (!v.is_number()) return Status::InvalidArgument(std::string("'") + name + "' must be a number");
  if (!MsValueToUs(v.get<double>(), us)) return Status::InvalidArgument(std::string("'") + name + "' is out of range");
  return Status::OK();
}

}  // namespace

bool internal::CanonicalId(std::string* id) {
  if (id->size() != 32) return false;
  for (char& c : *id) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) continue;
    if (c < 'A' || c > 'F') return false;
    c = static_cast<char>(c - 'A' + 'a');
  }
  return true;
}

namespace {

Status GetString(const json& obj, const char* key, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::OK();
  if (!it->is_string()) return Status::InvalidArgument(std::string("'") + key + "' must be a string");
  *out = it->get<std::string>();
  return Status::OK();
}
}  // namespace

std::string internal::EventToJsonFull(const Event& e) {
  json j;
  if (!e.id.empty()) j["id"] = e.id;
  j["ts"] = e.ts_us;
  j["time"] = IsoTime(e.ts_us);
  j["kind"] = std::string(EventKindName(e.kind));
  j[e.kind == EventKind::kToolCall ? "tool" : "command"] = e.command;
  if (!e.params_json.empty()) {  // a shell event's too: what was read is written back
    json p = json::parse(e.params_json, nullptr, false);
    j["params"] = p.is_discarded() ? json(e.params_json) : p;
  }
  if (!e.cwd.empty()) j["cwd"] = e.cwd;
  if (!e.repo_root.empty()) j["repo"] = e.repo_root;
  if (!e.branch.empty()) j["branch"] = e.branch;
  if (!e.host.empty()) j["host"] = e.host;
  if (!e.user.empty()) j["user"] = e.user;
  if (!e.session.empty()) j["session"] = e.session;
  if (!e.actor.empty()) j["actor"] = e.actor;
  if (e.exit_code) j["exit"] = *e.exit_code;
  if (e.duration_us) j["duration_ms"] = UsToMs(*e.duration_us);
  if (e.cpu_us) j["cpu_ms"] = UsToMs(*e.cpu_us);
  if (e.peak_rss_kb) j["peak_rss_kb"] = *e.peak_rss_kb;
  if (!e.error.empty()) j["error"] = e.error;
  if (!e.tags.empty()) j["tags"] = e.tags;
  if (e.decision) {
    const Decision& d = *e.decision;
    json dj;
    if (!d.decision_id.empty()) dj["id"] = d.decision_id;
    dj["policy"] = d.policy;
    if (!d.model_version.empty()) dj["model_version"] = d.model_version;
    if (!d.action_set.empty()) dj["actions"] = d.action_set;
    dj["action"] = d.action;
    dj["probability"] = d.probability;
    if (d.reward) dj["reward"] = *d.reward;
    j["decision"] = dj;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status EventFromJson(std::string_view text, Event* e) {
  if (internal::ReadFlatEventJson(text, e)) return Status::OK();
  return internal::EventFromJsonFull(text, e);
}

namespace internal {

Status EventFromJsonFull(std::string_view text, Event* e) {
  *e = Event();
  if (!NestingWithin(text, kMaxJsonDepth))
    return Status::InvalidArgument("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("malformed JSON");
  if (!j.is_object()) return Status::InvalidArgument("an event must be a JSON object");

  MEMORY_RETURN_IF_ERROR(GetString(j, "id", &e->id));
  if (!e->id.empty() && !CanonicalId(&e->id)) return Status::InvalidArgument("'id' must be 32 hex digits");
  if (auto it = j.find("ts"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer()) return Status::InvalidArgument("'ts' must be an integer (µs since the epoch)");
    MEMORY_RETURN_IF_ERROR(GetInt64(*it, "ts", &e->ts_us));
  }
  std::string kind;
  MEMORY_RETURN_IF_ERROR(GetString(j, "kind", &kind));
  if (!kind.empty() && !ParseEventKind(kind, &e->kind))
    return Status::InvalidArgument("'kind' must be \"shell\" or \"tool\"");
  std::string tool;
  MEMORY_RETURN_IF_ERROR(GetString(j, "tool", &tool));
  MEMORY_RETURN_IF_ERROR(GetString(j, "command", &e->command));
  if (!tool.empty()) {
    if (kind.empty()) e->kind = EventKind::kToolCall;
    if (e->command.empty()) e->command = tool;
  }
  if (e->command.empty()) return Status::InvalidArgument("an event needs a non-empty 'command' or 'tool'");
  if (auto it = j.find("params"); it != j.end() && !it->is_null())
    e->params_json = it->is_string() ? it->get<std::string>() : it->dump();
  MEMORY_RETURN_IF_ERROR(GetString(j, "cwd", &e->cwd));
  MEMORY_RETURN_IF_ERROR(GetString(j, "repo", &e->repo_root));
  MEMORY_RETURN_IF_ERROR(GetString(j, "branch", &e->branch));
  MEMORY_RETURN_IF_ERROR(GetString(j, "host", &e->host));
  MEMORY_RETURN_IF_ERROR(GetString(j, "user", &e->user));
  MEMORY_RETURN_IF_ERROR(GetString(j, "session", &e->session));
  MEMORY_RETURN_IF_ERROR(GetString(j, "actor", &e->actor));
  MEMORY_RETURN_IF_ERROR(GetString(j, "error", &e->error));
  if (auto it = j.find("exit"); it != j.end() && !it->is_null()) {
    int64_t v;
    MEMORY_RETURN_IF_ERROR(GetInt64(*it, "exit", &v));
    if (v < INT32_MIN || v > INT32_MAX) return Status::InvalidArgument("'exit' is out of range");
    e->exit_code = static_cast<int32_t>(v);
  }
  int64_t us;
  if (auto it = j.find("duration_ms"); it != j.end() && !it->is_null()) {
    MEMORY_RETURN_IF_ERROR(MsToUs(*it, "duration_ms", &us));
    e->duration_us = us;
  }
  if (auto it = j.find("cpu_ms"); it != j.end() && !it->is_null()) {
    MEMORY_RETURN_IF_ERROR(MsToUs(*it, "cpu_ms", &us));
    e->cpu_us = us;
  }
  if (auto it = j.find("peak_rss_kb"); it != j.end() && !it->is_null()) {
    int64_t v;
    MEMORY_RETURN_IF_ERROR(GetInt64(*it, "peak_rss_kb", &v));
    e->peak_rss_kb = v;
  }
  if (auto it = j.find("tags"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Status::InvalidArgument("'tags' must be an array of strings");
    for (const auto& t : *it) {
      if (!t.is_string()) return Status::InvalidArgument("'tags' must be an array of strings");
      e->tags.push_back(t.get<std::string>());
    }
  }
  if (auto it = j.find("decision"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return Status::InvalidArgument("'decision' must be an object");
    Decision d;
    MEMORY_RETURN_IF_ERROR(GetString(*it, "id", &d.decision_id));
    MEMORY_RETURN_IF_ERROR(GetString(*it, "policy", &d.policy));
    MEMORY_RETURN_IF_ERROR(GetString(*it, "model_version", &d.model_version));
    MEMORY_RETURN_IF_ERROR(GetString(*it, "action", &d.action));
    if (auto a = it->find("actions"); a != it->end() && !a->is_null()) {
      if (!a->is_array()) return Status::InvalidArgument("'decision.actions' must be an array of strings");
      for (const auto& t : *a) {
        if (!t.is_string()) return Status::InvalidArgument("'decision.actions' must be an array of strings");
        d.action_set.push_back(t.get<std::string>());
      }
    }
    if (auto p = it->find("probability"); p != it->end() && !p->is_null()) {
      if (!p->is_number()) return Status::InvalidArgument("'decision.probability' must be a number");
      d.probability = p->get<double>();
      if (!(d.probability > 0 && d.probability <= 1))
        return Status::InvalidArgument("'decision.probability' must be in (0, 1]");
    }
    if (auto rw = it->find("reward"); rw != it->end() && !rw->is_null()) {
      if (!rw->is_number()) return Status::InvalidArgument("'decision.reward' must be a number");
      d.reward = rw->get<double>();
    }
    e->decision = std::move(d);
  }
  return CheckEvent(*e);
}
}  // namespace internal

Status CheckEvent(const Event& e) {
  if (e.command.empty()) return Status::InvalidArgument("an event needs a command (or tool name)");
  if (e.ts_us < 0) return Status::InvalidArgument("event time before 1970");
  if (e.ts_us > kLatestEventTimeUs) return Status::InvalidArgument("event time after the year 9999");
  if (e.duration_us && *e.duration_us < 0) return Status::InvalidArgument("negative duration");
  if (e.cpu_us && *e.cpu_us < 0) return Status::InvalidArgument("negative CPU time");
  if (e.peak_rss_kb && *e.peak_rss_kb < 0) return Status::InvalidArgument("negative peak RSS");
  return Status::OK();
}

}  // namespace memory
