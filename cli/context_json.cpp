// ParseContextJson (predict_core.h): the context an agent gives `memory predict --context -`. In
// its own file so that tests/fuzz can build it without the rest of the command.
#include <algorithm>
#include <climits>
#include <cstdint>

#include "cli/predict_core.h"

namespace memory::cli {

Status ParseContextJson(std::string_view text, const std::string& where, CallContext* c, int64_t now_us) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Status::InvalidArgument(where + ": malformed context JSON (expected {\"cwd\":..., \"history\":[...], \"last_exit\":...})");
  if (j.contains("cwd")) {
    if (!j["cwd"].is_string()) return Status::InvalidArgument(where + ": context \"cwd\" must be a string");
    c->cwd = j["cwd"].get<std::string>();
  }
  if (j.contains("history")) {
    if (!j["history"].is_array()) return Status::InvalidArgument(where + ": context \"history\" must be an array of strings");
    for (const auto& h : j["history"]) {
      if (!h.is_string()) return Status::InvalidArgument(where + ": context \"history\" must be an array of strings");
      c->history.push_back(h.get<std::string>());
    }
  }
  if (j.contains("last_exit") && !j["last_exit"].is_null()) {
    const auto& v = j["last_exit"];  // an exit status (32 bits): 4294967296 must not pass as 0
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > INT32_MAX) ||
        (!v.is_number_unsigned() && (v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX)))
      return Status::InvalidArgument(where + ": context \"last_exit\" must be an integer (an exit status)");
    c->last_exit = static_cast<int32_t>(v.get<int64_t>());
    c->has_last_exit = true;
  }
  if (j.contains("actor") && !j["actor"].is_null()) {
    if (!j["actor"].is_string()) return Status::InvalidArgument(where + ": context \"actor\" must be a string (\"human\" or the agent's name)");
    c->agent = learner::IsAgentActor(j["actor"].get<std::string>());
  }
  c->position = static_cast<uint32_t>(std::min<size_t>(c->history.size(), UINT32_MAX));
  for (const char* name : {"position", "step"}) {
    if (!j.contains(name) || j[name].is_null()) continue;
    const auto& v = j[name];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > UINT32_MAX)
      return Status::InvalidArgument(where + ": context \"" + name + "\" must be a non-negative integer (commands so far in the session)");
    c->position = static_cast<uint32_t>(v.get<int64_t>());
  }
  if (j.contains("gap_s") && !j["gap_s"].is_null()) {
    const auto& v = j["gap_s"];
    if (!v.is_number() || !(v.get<double>() >= 0) || v.get<double>() > 1e12)
      return Status::InvalidArgument(where + ": context \"gap_s\" must be a non-negative number of seconds");
    c->gap_us = static_cast<int64_t>(v.get<double>() * 1e6);
  } else if (j.contains("last_time") && !j["last_time"].is_null()) {
    const auto& v = j["last_time"];
    if (!v.is_number() || !(v.get<double>() >= 0) || v.get<double>() > 1e11)
      return Status::InvalidArgument(where + ": context \"last_time\" must be a Unix time in seconds");
    if (now_us == 0) now_us = NowMicros();
    c->gap_us = std::max<int64_t>(0, now_us - static_cast<int64_t>(v.get<double>() * 1e6));
  }
  c->from = "stdin";
  for (auto it = c->history.rbegin(); it != c->history.rend(); ++it) c->recent.push_back(*it);
  return Status::OK();
}

}  // namespace memory::cli
