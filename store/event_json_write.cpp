// EventToJson: writes an event's JSON line itself, byte for byte what nlohmann's serializer
// gives (internal::EventToJsonFull: the same fields in the same order, its string escapes, its
// shortest round-trip doubles), without building a DOM: `memory export` and `memory simulate`
// write one line per event. Text that is not valid UTF-8 (which the full serializer replaces by
// U+FFFD) and params not in dump() form (or not what the flat reader takes) go to the full
// serializer.
// tests/store/event_json_test.cpp checks both on generated events.
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "store/event.h"
#include "store/internal.h"

namespace memory {
namespace {

class LineWriter {
 public:
  explicit LineWriter(std::string* out) : out_(out) {}

  // ,"key": (no comma before the first field)
  void Key(std::string_view key) {
    if (!first_) out_->push_back(',');
    first_ = false;
    out_->push_back('"');
    out_->append(key);
    out_->append("\":");
  }
  bool String(std::string_view key, std::string_view value) {
    Key(key);
    return internal::AppendJsonString(value, out_);
  }
  void Integer(std::string_view key, int64_t v) {
    Key(key);
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->append(buf, static_cast<size_t>(r.ptr - buf));
  }
  // As nlohmann's dump_float: null when not finite, else its Grisu2 digits ("1.0", "0.25").
  void Double(std::string_view key, double v) {
    Key(key);
    if (!std::isfinite(v)) {
      out_->append("null");
      return;
    }
    char buf[64];
    char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, v);
    out_->append(buf, static_cast<size_t>(end - buf));
  }
  bool Strings(std::string_view key, const std::vector<std::string>& values) {
    Key(key);
    out_->push_back('[');
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) out_->push_back(',');
      if (!internal::AppendJsonString(values[i], out_)) return false;
    }
    out_->push_back(']');
    return true;
  }
  void Raw(std::string_view key, std::string_view json) {
    Key(key);
    out_->append(json);
  }
  void Open(std::string_view key) {
    Key(key);
    out_->push_back('{');
    first_ = true;
  }
  void Close() {
    out_->push_back('}');
    first_ = false;
  }

 private:
  std::string* out_;
  bool first_ = true;
};

double UsToMs(int64_t us) { return static_cast<double>(us) / 1000.0; }

// False when the full serializer must write the event (see the file comment).
bool WriteLine(const Event& e, std::string* out) {
  out->push_back('{');
  LineWriter w(out);
  if (!e.id.empty() && !w.String("id", e.id)) return false;
  w.Integer("ts", e.ts_us);
  if (!w.String("time", internal::IsoTime(e.ts_us))) return false;
  if (!w.String("kind", EventKindName(e.kind))) return false;
  if (!w.String(e.kind == EventKind::kToolCall ? "tool" : "command", e.command)) return false;
  if (!e.params_json.empty()) {  // a shell event's too (see EventToJsonFull)
    if (!internal::IsParamsDump(e.params_json)) return false;
    w.Raw("params", e.params_json);
  }
  const std::pair<std::string_view, const std::string*> texts[] = {
      {"cwd", &e.cwd}, {"repo", &e.repo_root}, {"branch", &e.branch}, {"host", &e.host},
      {"user", &e.user}, {"session", &e.session}, {"actor", &e.actor}};
  for (const auto& [key, text] : texts)
    if (!text->empty() && !w.String(key, *text)) return false;
  if (e.exit_code) w.Integer("exit", *e.exit_code);
  if (e.duration_us) w.Double("duration_ms", UsToMs(*e.duration_us));
  if (e.cpu_us) w.Double("cpu_ms", UsToMs(*e.cpu_us));
  if (e.peak_rss_kb) w.Integer("peak_rss_kb", *e.peak_rss_kb);
  if (!e.error.empty() && !w.String("error", e.error)) return false;
  if (!e.tags.empty() && !w.Strings("tags", e.tags)) return false;
  if (e.decision) {
    const Decision& d = *e.decision;
    w.Open("decision");
    if (!d.decision_id.empty() && !w.String("id", d.decision_id)) return false;
    if (!w.String("policy", d.policy)) return false;
    if (!d.model_version.empty() && !w.String("model_version", d.model_version)) return false;
    if (!d.action_set.empty() && !w.Strings("actions", d.action_set)) return false;
    if (!w.String("action", d.action)) return false;
    w.Double("probability", d.probability);
    if (d.reward) w.Double("reward", *d.reward);
    w.Close();
  }
  out->push_back('}');
  return true;
}

}  // namespace

std::string EventToJson(const Event& e) {
  std::string out;
  out.reserve(256);
  if (WriteLine(e, &out)) return out;
  return internal::EventToJsonFull(e);
}

}  // namespace memory
