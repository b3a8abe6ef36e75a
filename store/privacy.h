// Privacy filter applied before an event touches disk: commands the user never wants recorded,
// and secrets redacted out of what is recorded.
#pragma once

#include <memory>
#include <string>

#include "store/config.h"
#include "store/event.h"
#include "store/status.h"

namespace memory {

class PrivacyFilter {
 public:
  // Built-in rules (AWS access keys and secrets, GitHub/GitLab/Slack tokens, bearer and basic
  // auth headers, passwords in URLs, PASSWORD=/SECRET=/TOKEN=/API_KEY=-style assignments,
  // --password flags, private-key blocks) plus config.redact. InvalidArgument for a bad pattern.
  static Status Create(const Config& config, std::unique_ptr<PrivacyFilter>* out);
  virtual ~PrivacyFilter() = default;

  // False when the event must not be recorded at all (leading space, ignore globs).
  virtual bool ShouldRecord(const Event& e) const = 0;
  // Replaces secrets in command, params_json, error, cwd and tags. Returns the number replaced.
  // Linear time in the input size (safe on 1 MB lines and hostile text).
  virtual int Redact(Event* e) const = 0;
  // Same on a bare string.
  virtual int RedactText(std::string* text) const = 0;
};

}  // namespace memory
