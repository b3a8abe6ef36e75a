#include "policies/spec.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace memory::policies {
namespace {
std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
bool ValidName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}
}  // namespace

Status SpecTerm::Parse(std::string_view text, SpecTerm* out) {
  *out = SpecTerm();
  out->text_ = std::string(Trim(text));
  std::string_view t = out->text_;
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("bad policy spec '" + std::string(t) + "': " + why);
  };
  size_t open = t.find('(');
  std::string_view name = Trim(t.substr(0, open));
  if (!ValidName(name)) return bad("expected a name like squarecb(gamma=10)");
  out->name_ = std::string(name);
  if (open == std::string_view::npos) return Status::OK();
  if (t.back() != ')') return bad("missing ')'");
  std::string_view body = t.substr(open + 1, t.size() - open - 2);
  if (body.find_first_of("()") != std::string_view::npos) return bad("unexpected parenthesis");
  body = Trim(body);
  if (body.empty()) return Status::OK();
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t comma = body.find(',', pos);
    if (comma == std::string_view::npos) comma = body.size();
    std::string_view kv = body.substr(pos, comma - pos);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) return bad("expected key=value, got '" + std::string(Trim(kv)) + "'");
    std::string key(Trim(kv.substr(0, eq)));
    std::string value(Trim(kv.substr(eq + 1)));
    if (!ValidName(key)) return bad("bad parameter name '" + key + "'");
    if (value.empty()) return bad("empty value for '" + key + "'");
    if (out->values_.count(key)) return bad("parameter '" + key + "' given twice");
    out->values_[key] = value;
    pos = comma + 1;
  }
  return Status::OK();
}

Status SpecTerm::GetDouble(const std::string& key, double def, double lo, double hi, double* out) {
  used_[key] = true;
  auto it = values_.find(key);
  if (it == values_.end()) {
    *out = def;
    return Status::OK();
  }
  const std::string& v = it->second;
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(v.c_str(), &end);
  if (end != v.c_str() + v.size() || errno != 0 || !std::isfinite(d))
    return Status::InvalidArgument("bad policy spec '" + text_ + "': " + key + "=" + v + " is not a number");
  if (d < lo || d > hi)
    return Status::InvalidArgument("bad policy spec '" + text_ + "': " + key + "=" + v + " is outside [" +
                                   FormatNumber(lo) + ", " + FormatNumber(hi) + "]");
  *out = d;
  return Status::OK();
}

Status SpecTerm::GetInt(const std::string& key, long def, long lo, long hi, long* out) {
  used_[key] = true;
  auto it = values_.find(key);
  if (it == values_.end()) {
    *out = def;
    return Status::OK();
  }
  const std::string& v = it->second;
  long x = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), x);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size())
    return Status::InvalidArgument("bad policy spec '" + text_ + "': " + key + "=" + v + " is not an integer");
  if (x < lo || x > hi)
    return Status::InvalidArgument("bad policy spec '" + text_ + "': " + key + "=" + v + " is outside [" +
                                   std::to_string(lo) + ", " + std::to_string(hi) + "]");
  *out = x;
  return Status::OK();
}

Status SpecTerm::CheckAllUsed() const {
  for (auto& [k, v] : values_)
    if (!used_.count(k))
      return Status::InvalidArgument("bad policy spec '" + text_ + "': unknown parameter '" + k + "' for " + name_);
  return Status::OK();
}

std::vector<std::string> SplitSpec(std::string_view spec) {
  std::vector<std::string> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] == '(') ++depth;
    if (spec[i] == ')') --depth;
    if (spec[i] == '/' && depth == 0) {
      parts.emplace_back(spec.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.emplace_back(spec.substr(start));
  return parts;
}

std::string FormatNumber(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back exactly
  return std::string(buf, r.ptr);
}

}  // namespace memory::policies
