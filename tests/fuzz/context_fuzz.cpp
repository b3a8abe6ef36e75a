// Fuzz target: the context an agent gives `memory predict --context -` (or --stream, one per
// line). Any text is rejected with a clear error or gives a context that holds what was given:
// the history in order (and newest first as `recent`), an exit status of 32 bits, a position,
// a known or unknown (-1) gap that is never negative; numbers read back exactly as nlohmann's
// parser gives them (an exit status of 4294967296 once passed as 0).
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/fuzz/fuzz_util.h"
#include "cli/predict_core.h"

using namespace memory;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  cli::CallContext c;
  const int64_t now_us = 1765000000000000;  // a fixed "now": the same input, the same result
  const Status s = cli::ParseContextJson(text, "stdin", &c, now_us);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsInvalidArgument() && s.ToString().find("stdin") != std::string::npos);
    return 0;
  }
  FUZZ_CHECK(c.from == "stdin" && c.recent.size() == c.history.size());
  for (size_t i = 0; i < c.history.size(); ++i) FUZZ_CHECK(c.recent[i] == c.history[c.history.size() - 1 - i]);
  FUZZ_CHECK(c.gap_us >= -1);
  const nlohmann::json j = nlohmann::json::parse(text);  // valid: the context was accepted
  auto given = [&](const char* name) { return j.contains(name) && !j[name].is_null(); };
  FUZZ_CHECK(c.has_last_exit == given("last_exit"));
  if (c.has_last_exit) {
    const nlohmann::json& v = j["last_exit"];
    FUZZ_CHECK(v.is_number_integer() && (v.is_number_unsigned() ? v.get<uint64_t>() == uint64_t(int64_t{c.last_exit})
                                                                 : v.get<int64_t>() == c.last_exit));
  } else {
    FUZZ_CHECK(c.last_exit == 0);
  }
  if (given("step")) FUZZ_CHECK(j["step"].get<uint64_t>() == c.position);
  else if (given("position")) FUZZ_CHECK(j["position"].get<uint64_t>() == c.position);
  else FUZZ_CHECK(c.position == c.history.size());
  if (given("gap_s")) FUZZ_CHECK(c.gap_us == int64_t(j["gap_s"].get<double>() * 1e6));
  if (!given("gap_s") && !given("last_time")) FUZZ_CHECK(c.gap_us == -1);
  return 0;
}
