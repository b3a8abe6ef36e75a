// User settings: $XDG_CONFIG_HOME/llmunix-memory/config.yaml (commented default: configs/config.yaml).
// Unknown keys and wrong types are errors that name the file and line.
#pragma once

#include <string>
#include <vector>

#include "store/status.h"

namespace memory {

struct RedactionRule {
  std::string name;      // shown in the replacement: "[REDACTED:<name>]"
  std::string pattern;   // RE2 syntax; the whole match is replaced, or only group 1 when present
};

struct Config {
  // store:
  bool sync = false;                      // fsync every record (power-loss safe)
  // privacy:
  bool ignore_space_prefixed = true;      // commands typed with a leading space are not recorded
  std::vector<std::string> ignore;        // glob patterns of commands never recorded
  std::vector<RedactionRule> redact;      // added to the built-in secret patterns
  // record:
  size_t max_command_bytes = 1 << 20;     // longer command texts are cut (and tagged "truncated")
  // models: (`memory model prune` and the prune after `memory train`; learner/registry.h)
  size_t models_keep = 5;                 // newest other versions kept per kind (0 = none)
  size_t models_keep_rollback = 5;        // previous champions kept for `model rollback` (0 = none)
};

// "" path = the default location; a missing default file gives the defaults (OK).
// A missing explicitly named file is NotFound; a bad file is InvalidArgument "FILE:LINE: ...".
Status LoadConfig(const std::string& path, Config* config);
std::string DefaultConfigPath();

}  // namespace memory
