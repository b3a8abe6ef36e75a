// The flat reader behind EventFromJson: it reads the usual event line itself, the one `memory
// export` writes, and gives up on anything else, which nlohmann's parser then decides
// (internal::EventFromJsonFull). A line of 200 bytes took ~2.7 us with nlohmann's DOM.
//
// What it reads: one object whose values are
//   - strings of UTF-8 text (well-formed, as nlohmann checks it) with the escapes
//     \" \\ \/ \b \f \n \r \t;
//   - numbers, null, and true / false where the field is not an event field;
//   - for "tags", an array of such strings;
//   - for "params", an object or array of such values, nested up to 16 deep, kept as the text
//     nlohmann's dump() gives it (an ordered_json: keys in their order, no spaces, its number
//     formats).
// It gives the same event as the full parser; anything else (\u, a key with escapes or
// non-ASCII bytes, a "decision", a duplicate field or key, any error) makes it give up. A test
// checks both on exported, hand-made and mangled lines (tests/store/event_json_test.cpp).
// Also here: the UTF-8 and string-escaping helpers the writer (event_json_write.cpp) shares.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "store/event.h"
#include "store/internal.h"

namespace memory::internal {

size_t Utf8Length(const char* p, const char* end) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(p[i]); };
  const size_t left = static_cast<size_t>(end - p);
  const auto cont = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xbf) {
    return i < left && b(i) >= lo && b(i) <= hi;
  };
  const unsigned c = b(0);
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c == 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c == 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

bool AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p != end) {
    const char* run = p;
    while (p != end) {
      const auto c = static_cast<unsigned char>(*p);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++p;
    }
    out->append(run, static_cast<size_t>(p - run));
    if (p == end) break;
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x80) {
      const size_t n = Utf8Length(p, end);
      if (n == 0) return false;
      out->append(p, n);
      p += n;
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
    ++p;
  }
  out->push_back('"');
  return true;
}

namespace {

class FlatEventReader {
 public:
  explicit FlatEventReader(std::string_view text)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  // True when the text is a params object the reader takes, written as the full parser's dump()
  // writes it (then it is its own dump).
  bool IsParamsDump() {
    if (p_ == end_ || (*p_ != '{' && *p_ != '[')) return false;
    std::string dump;
    return Params(&dump) && p_ == end_ && dump.size() == static_cast<size_t>(end_ - begin_) &&
           std::equal(dump.begin(), dump.end(), begin_);
  }
  // True when the line was read (then *e is what EventFromJsonFull gives, with an OK status).
  bool Read(Event* e) {
    ClearEvent(e);  // (its strings keep their buffers)
    SkipSpace();
    if (!Eat('{')) return false;
    SkipSpace();
    uint32_t seen = 0;
    std::string tool, kind;
    bool first = true;
    while (!Eat('}')) {
      if (!first && !Eat(',')) return false;
      first = false;
      SkipSpace();
      std::string_view key;
      if (!Key(&key)) return false;
      SkipSpace();
      if (!Eat(':')) return false;
      SkipSpace();
      const int field = FieldOf(key);
      if (field >= 0) {
        if (seen & (1u << field)) return false;  // a duplicate: the full parser's rule decides
        seen |= 1u << field;
      }
      if (!Value(field, e, &tool, &kind)) return false;
      SkipSpace();
    }
    SkipSpace();
    if (p_ != end_) return false;
    if (!kind.empty() && !ParseEventKind(kind, &e->kind)) return false;
    if (!tool.empty()) {
      if (kind.empty()) e->kind = EventKind::kToolCall;
      if (e->command.empty()) e->command = tool;
    }
    return CheckEvent(*e).ok();  // (CheckEvent also refuses an empty command)
  }

 private:
  enum Field { kId, kTs, kKind, kTool, kCommand, kParams, kCwd, kRepo, kBranch, kHost, kUser,
               kSession, kActor, kError, kExit, kDurationMs, kCpuMs, kPeakRss, kTags, kDecision };
  // The field a key names (-1: none), by its first byte, then compared at a constant length
  // (a loop over the 20 names, each compared by memcmp, was a tenth of an import's parsing).
  template <size_t N>
  static bool Is(std::string_view k, const char (&name)[N]) {
    return k.size() == N - 1 && std::memcmp(k.data(), name, N - 1) == 0;
  }
  static int FieldOf(std::string_view k) {
    if (k.empty()) return -1;
    switch (k[0]) {
      case 'a': return Is(k, "actor") ? kActor : -1;
      case 'b': return Is(k, "branch") ? kBranch : -1;
      case 'c': return Is(k, "command") ? kCommand : Is(k, "cwd") ? kCwd : Is(k, "cpu_ms") ? kCpuMs : -1;
      case 'd': return Is(k, "duration_ms") ? kDurationMs : Is(k, "decision") ? kDecision : -1;
      case 'e': return Is(k, "exit") ? kExit : Is(k, "error") ? kError : -1;
      case 'h': return Is(k, "host") ? kHost : -1;
      case 'i': return Is(k, "id") ? kId : -1;
      case 'k': return Is(k, "kind") ? kKind : -1;
      case 'p': return Is(k, "params") ? kParams : Is(k, "peak_rss_kb") ? kPeakRss : -1;
      case 'r': return Is(k, "repo") ? kRepo : -1;
      case 's': return Is(k, "session") ? kSession : -1;
      case 't': return Is(k, "ts") ? kTs : Is(k, "tool") ? kTool : Is(k, "tags") ? kTags : -1;
      case 'u': return Is(k, "user") ? kUser : -1;
      default: return -1;
    }
  }
  std::string* StringField(int field, Event* e) {
    switch (field) {
      case kCommand: return &e->command;
      case kParams: return &e->params_json;
      case kCwd: return &e->cwd;
      case kRepo: return &e->repo_root;
      case kBranch: return &e->branch;
      case kHost: return &e->host;
      case kUser: return &e->user;
      case kSession: return &e->session;
      case kActor: return &e->actor;
      case kError: return &e->error;
      default: return nullptr;
    }
  }
  bool Value(int field, Event* e, std::string* tool, std::string* kind) {
    if (p_ == end_) return false;
    if (*p_ == 'n') return Literal("null");  // null: as if absent, for every field
    if (*p_ == '"') {
      std::string* out = field == kId ? &e->id : field == kKind ? kind : field == kTool ? tool
                         : field < 0 ? &scratch_ : StringField(field, e);
      if (out == nullptr) return false;  // a string where a number, array or object belongs
      if (!String(out)) return false;
      return field != kId || e->id.empty() || CanonicalId(&e->id);
    }
    if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) {
      bool integer;
      int64_t i;
      double d;
      if (!Number(&integer, &i, &d)) return false;
      switch (field) {
        case -1: return true;
        case kTs: return integer && (e->ts_us = i, true);
        case kExit:
          if (!integer || i < INT32_MIN || i > INT32_MAX) return false;
          e->exit_code = static_cast<int32_t>(i);
          return true;
        case kPeakRss: return integer && (e->peak_rss_kb = i, true);
        case kDurationMs:
        case kCpuMs: {
          int64_t us;
          if (!MsValueToUs(integer ? static_cast<double>(i) : d, &us)) return false;
          (field == kDurationMs ? e->duration_us : e->cpu_us) = us;
          return true;
        }
        default: return false;  // a number where a string belongs
      }
    }
    if (field < 0 && (*p_ == 't' || *p_ == 'f')) return Literal("true") || Literal("false");
    if (field == kTags && *p_ == '[') return Tags(&e->tags);
    if (field == kParams && (*p_ == '{' || *p_ == '[')) return Params(&e->params_json);
    return false;  // anything else: the full parser
  }
  // ["a", "b", ...]: strings only.
  bool Tags(std::vector<std::string>* tags) {
    ++p_;  // [
    SkipSpace();
    if (Eat(']')) return true;
    for (;;) {
      if (p_ == end_ || *p_ != '"') return false;
      tags->emplace_back();
      if (!String(&tags->back())) return false;
      SkipSpace();
      if (Eat(']')) return true;
      if (!Eat(',')) return false;
      SkipSpace();
    }
  }
  // params: a JSON object or array, written to *out as the full parser's ordered_json dump()
  // writes it (keys in their order, no spaces, its number formats).
  bool Params(std::string* out) {
    out->clear();
    return Render(out, 0);
  }
  // One JSON value at *p_ appended to *out as dump() writes it after nlohmann's parse; false when
  // the full parser must decide (a key with escapes or non-ASCII bytes, a duplicate key, an
  // integer of more than 18 digits, a number out of range, nesting deeper than kMaxDepth).
  static constexpr int kMaxDepth = 16;
  static constexpr size_t kMaxKeys = 64;  // per object
  bool Render(std::string* out, int depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '"':
        return String(&scratch_) && AppendJsonString(scratch_, out);
      case '{': {
        if (depth == kMaxDepth) return false;
        ++p_;
        SkipSpace();
        out->push_back('{');
        std::string_view keys[kMaxKeys];
        size_t n = 0;
        if (!Eat('}')) {
          for (;;) {
            if (n == kMaxKeys || !Key(&keys[n])) return false;
            for (size_t j = 0; j < n; ++j)
              if (keys[j] == keys[n]) return false;  // a duplicate key: the full parser's rule
            if (n) out->push_back(',');
            AppendJsonString(keys[n++], out);  // (printable ASCII without escapes: it succeeds)
            out->push_back(':');
            SkipSpace();
            if (!Eat(':')) return false;
            SkipSpace();
            if (!Render(out, depth + 1)) return false;
            SkipSpace();
            if (Eat('}')) break;
            if (!Eat(',')) return false;
            SkipSpace();
          }
        }
        out->push_back('}');
        return true;
      }
      case '[': {
        if (depth == kMaxDepth) return false;
        ++p_;
        SkipSpace();
        out->push_back('[');
        if (!Eat(']')) {
          for (bool first = true;; first = false) {
            if (!first) out->push_back(',');
            if (!Render(out, depth + 1)) return false;
            SkipSpace();
            if (Eat(']')) break;
            if (!Eat(',')) return false;
            SkipSpace();
          }
        }
        out->push_back(']');
        return true;
      }
      case 't':
      case 'f':
      case 'n': {
        const char* word = p_;
        if (!Literal("true") && !Literal("false") && !Literal("null")) return false;
        out->append(word, static_cast<size_t>(p_ - word));
        return true;
      }
      default: {
        bool integer;
        int64_t i;
        double d;
        if (!Number(&integer, &i, &d)) return false;
        char buf[64];
        char* end = integer ? std::to_chars(buf, buf + sizeof buf, i).ptr
                            : nlohmann::detail::to_chars(buf, buf + sizeof buf, d);  // (d is finite)
        out->append(buf, static_cast<size_t>(end - buf));
        return true;
      }
    }
  }
  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }
  // A key of printable ASCII without escapes.
  bool Key(std::string_view* key) {
    if (!Eat('"')) return false;
    const char* start = p_;
    while (p_ != end_ && *p_ != '"') {
      const auto c = static_cast<unsigned char>(*p_);
      if (c < 0x20 || c >= 0x7f || c == '\\') return false;
      ++p_;
    }
    if (p_ == end_) return false;
    *key = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }
  bool String(std::string* out) {
    ++p_;  // the opening quote
    out->clear();
    for (;;) {
      const char* run = p_;
      while (p_ != end_) {
        const auto c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f) break;
        ++p_;
      }
      out->append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c >= 0x7f) {  // DEL, or a UTF-8 sequence
        const size_t n = c == 0x7f ? 1 : Utf8Length(p_, end_);
        if (n == 0) return false;
        out->append(p_, n);
        p_ += n;
        continue;
      }
      if (c != '\\' || end_ - p_ < 2) return false;  // a control byte
      switch (p_[1]) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        default: return false;  // \u and anything else
      }
      p_ += 2;
    }
  }
  // A JSON number: an integer of at most 18 digits (*i), or a fraction or exponent (*d, as the
  // full parser reads it: the nearest double).
  bool Number(bool* integer, int64_t* i, double* d) {
    const char* start = p_;
    if (*p_ == '-') ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0' && p_ + 1 != end_ && p_[1] >= '0' && p_[1] <= '9') return false;  // 01
    const char* digits = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    const size_t n = static_cast<size_t>(p_ - digits);
    *integer = p_ == end_ || (*p_ != '.' && *p_ != 'e' && *p_ != 'E');
    if (*integer) {
      if (n > 18) return false;
      int64_t v = 0;
      for (const char* q = digits; q != p_; ++q) v = v * 10 + (*q - '0');
      *i = *start == '-' ? -v : v;
      return true;
    }
    if (*p_ == '.') {
      ++p_;
      const char* frac = p_;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      if (p_ == frac) return false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      const char* exp = p_;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      if (p_ == exp) return false;
    }
    // (from_chars rounds correctly, as strtod does; an out-of-range value is an error.)
    const auto [end, ec] = std::from_chars(start, p_, *d);
    return ec == std::errc() && end == p_ && std::isfinite(*d);
  }
  bool Eat(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  const char* begin_;
  const char* p_;
  const char* end_;
  std::string scratch_;  // a string value read to be skipped or re-escaped
};

}  // namespace

bool ReadFlatEventJson(std::string_view text, Event* e) { return FlatEventReader(text).Read(e); }
bool IsParamsDump(std::string_view text) { return FlatEventReader(text).IsParamsDump(); }

}  // namespace memory::internal
