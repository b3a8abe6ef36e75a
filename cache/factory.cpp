// NewPolicy: builds a replacement policy from a short spec string.
#include <cerrno>
#include <cstdlib>
#include <string>

#include "cache/policies.h"
#include "env/cache_trace.h"

namespace memory::cache {
namespace {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return std::string(s.substr(b, e - b));
}

Status ParseDouble(std::string_view spec, const std::string& k, const std::string& v, double* out) {
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || errno != 0 || end != v.c_str() + v.size())
    return Status::InvalidArgument("policy '" + std::string(spec) + "': parameter " + k +
                                   " is not a number: '" + v + "'");
  *out = d;
  return Status::OK();
}

Status ParseBool(std::string_view spec, const std::string& k, const std::string& v, bool* out) {
  if (v == "1" || v == "true") *out = true;
  else if (v == "0" || v == "false") *out = false;
  else
    return Status::InvalidArgument("policy '" + std::string(spec) + "': parameter " + k +
                                   " must be 0 or 1, not '" + v + "'");
  return Status::OK();
}

// Parses v into *out and checks it with `in_range` (the interval written `range`, e.g. "[0, 1)").
template <typename InRange>
Status ParseDoubleIn(std::string_view spec, const std::string& k, const std::string& v, InRange in_range,
                     const char* range, double* out) {
  MEMORY_RETURN_IF_ERROR(ParseDouble(spec, k, v, out));
  if (!in_range(*out))
    return Status::InvalidArgument("policy '" + std::string(spec) + "': parameter " + k + " must lie in " + range);
  return Status::OK();
}

Status OpenShare(std::string_view spec, const std::string& k, double v) {
  if (!(v > 0.0 && v < 1.0))
    return Status::InvalidArgument("policy '" + std::string(spec) + "': parameter " + k +
                                   " must lie in (0, 1)");
  return Status::OK();
}

}  // namespace

Status ParseSpec(std::string_view text, Spec* out) {
  *out = Spec{};
  std::string s = Trim(text);
  size_t open = s.find('(');
  if (open == std::string::npos) {
    out->name = s;
  } else {
    if (s.back() != ')')
      return Status::InvalidArgument("'" + s + "': missing ')' after the parameters");
    out->name = Trim(std::string_view(s).substr(0, open));
    std::string_view body = std::string_view(s).substr(open + 1, s.size() - open - 2);
    while (!Trim(body).empty()) {
      size_t comma = body.find(',');
      std::string_view item = body.substr(0, comma);
      size_t eq = item.find('=');
      if (eq == std::string_view::npos)
        return Status::InvalidArgument("'" + s + "': parameter '" + Trim(item) +
                                       "' is not of the form key=value");
      std::string key = Trim(item.substr(0, eq));
      for (const auto& kv : out->params)
        if (kv.first == key) return Status::InvalidArgument("'" + s + "': parameter '" + key + "' given twice");
      out->params.emplace_back(key, Trim(item.substr(eq + 1)));
      if (comma == std::string_view::npos) break;
      body = body.substr(comma + 1);
    }
  }
  if (out->name.empty()) return Status::InvalidArgument("'" + s + "': empty name");
  return Status::OK();
}

std::vector<std::string> PolicyNames() { return {"lru", "arc", "wtinylfu", "min"}; }

Status NewPolicy(std::string_view spec, size_t capacity, std::unique_ptr<Policy>* out) {
  out->reset();
  if (capacity == 0) return Status::InvalidArgument("cache capacity must be at least 1");
  if (capacity > kMaxCapacity)
    return Status::InvalidArgument("cache capacity " + std::to_string(capacity) +
                                   " is too large (at most " + std::to_string(kMaxCapacity) + ")");
  Spec p;
  MEMORY_RETURN_IF_ERROR(ParseSpec(spec, &p));
  auto unknown = [&](const std::string& k) {
    return Status::InvalidArgument("policy '" + std::string(spec) + "': unknown parameter '" + k +
                                   "'");
  };
  if (p.name == "lru" || p.name == "arc") {
    if (!p.params.empty()) return unknown(p.params[0].first);
    *out = p.name == "lru" ? NewLru(capacity) : NewArc(capacity);
    return Status::OK();
  }
  if (p.name == "min") {
    bool bypass = true;
    for (auto& [k, v] : p.params) {
      if (k != "bypass") return unknown(k);
      MEMORY_RETURN_IF_ERROR(ParseBool(spec, k, v, &bypass));
    }
    *out = NewMin(capacity, bypass);
    return Status::OK();
  }
  if (p.name == "wtinylfu") {
    WTinyLfuOptions o;
    for (auto& [k, v] : p.params) {
      if (k == "window") {
        MEMORY_RETURN_IF_ERROR(ParseDouble(spec, k, v, &o.window));
        MEMORY_RETURN_IF_ERROR(OpenShare(spec, k, o.window));
      } else if (k == "protected") {
        MEMORY_RETURN_IF_ERROR(ParseDouble(spec, k, v, &o.protected_share));
        MEMORY_RETURN_IF_ERROR(OpenShare(spec, k, o.protected_share));
      } else if (k == "doorkeeper") {
        MEMORY_RETURN_IF_ERROR(ParseBool(spec, k, v, &o.doorkeeper));
      } else if (k == "readmit") {
        MEMORY_RETURN_IF_ERROR(ParseBool(spec, k, v, &o.readmit));
      } else if (k == "adapt") {
        using A = WTinyLfuOptions::Adapt;
        if (v == "none") o.adapt = A::kNone;
        else if (v == "climb") o.adapt = A::kClimb;
        else if (v == "ghost") o.adapt = A::kGhost;
        else if (v == "sim") o.adapt = A::kSim;
        else
          return Status::InvalidArgument("policy '" + std::string(spec) +
                                         "': parameter adapt must be none, climb, ghost or sim");
      } else if (k == "sample" || k == "climb_sample") {
        double* d = k == "sample" ? &o.sample : &o.climb_sample;
        MEMORY_RETURN_IF_ERROR(ParseDoubleIn(
            spec, k, v, [](double x) { return x >= 0.01 && x <= 1000; }, "[0.01, 1000]", d));
      } else if (k == "sim_size") {
        MEMORY_RETURN_IF_ERROR(ParseDoubleIn(
            spec, k, v, [](double x) { return x >= 1 && x <= double(kMaxCapacity); }, "[1, 2^30]", &o.sim_size));
      } else if (k == "sim_period") {
        MEMORY_RETURN_IF_ERROR(ParseDoubleIn(
            spec, k, v, [](double x) { return x >= 0.001 && x <= 1000; }, "[0.001, 1000]", &o.sim_period));
      } else if (k == "sim_decay") {
        MEMORY_RETURN_IF_ERROR(ParseDoubleIn(
            spec, k, v, [](double x) { return x >= 0 && x < 1; }, "[0, 1)", &o.sim_decay));
      } else if (k == "sim_fast_decay") {
        MEMORY_RETURN_IF_ERROR(ParseDoubleIn(
            spec, k, v, [](double x) { return x >= 0 && x < 1; }, "[0, 1)", &o.sim_fast_decay));
      } else if (k == "sim_fast_lead") {
        MEMORY_RETURN_IF_ERROR(ParseDoubleIn(
            spec, k, v, [](double x) { return x > 0 && x <= 1; }, "(0, 1]", &o.sim_fast_lead));
      } else if (k == "sim_reset") {
        MEMORY_RETURN_IF_ERROR(ParseDoubleIn(
            spec, k, v, [](double x) { return x > 0 && x <= 1; }, "(0, 1]", &o.sim_reset));
      } else if (k == "sim_arc") {
        MEMORY_RETURN_IF_ERROR(ParseBool(spec, k, v, &o.sim_arc));
      } else if (k == "sim_duel") {
        MEMORY_RETURN_IF_ERROR(ParseBool(spec, k, v, &o.sim_duel));
      } else if (k == "sim_arc_sampled" || k == "sim_arc_margin" || k == "sim_duel_margin") {
        double* d = k == "sim_arc_sampled"  ? &o.sim_arc_sampled
                    : k == "sim_arc_margin" ? &o.sim_arc_margin
                                            : &o.sim_duel_margin;
        MEMORY_RETURN_IF_ERROR(ParseDoubleIn(
            spec, k, v, [](double x) { return x >= 0 && x <= 1; }, "[0, 1]", d));
      } else if (k == "sim_arc_evidence") {
        MEMORY_RETURN_IF_ERROR(ParseDoubleIn(
            spec, k, v, [](double x) { return x >= 0 && x <= 1e6; }, "[0, 1e6]", &o.sim_arc_evidence));
      } else if (k == "sim_margin") {
        MEMORY_RETURN_IF_ERROR(ParseDoubleIn(
            spec, k, v, [](double x) { return x >= 0 && x <= 1; }, "[0, 1]", &o.sim_margin));
      } else {
        return unknown(k);
      }
    }
    *out = NewWTinyLfu(capacity, o);
    return Status::OK();
  }
  return Status::InvalidArgument("unknown cache policy '" + p.name +
                                 "' (expected lru, arc, wtinylfu or min)");
}

Key KeyOfString(std::string_view s) { return env::TraceKeyOfString(s); }

}  // namespace memory::cache
