// Parsing of the short factory strings: `name(key=value,...)` terms, optionally joined by '/'.
// Internal to policies/.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace memory::policies {

// One term `name(k=v,...)`. Values are kept as text; the typed getters below check them.
class SpecTerm {
 public:
  // Parses one term. Whitespace around names, keys and values is ignored.
  static Status Parse(std::string_view text, SpecTerm* out);

  const std::string& name() const { return name_; }
  // Typed getters: return `def` when the key is absent, InvalidArgument when malformed or
  // outside [lo, hi]. Each key read is marked as used.
  Status GetDouble(const std::string& key, double def, double lo, double hi, double* out);
  Status GetInt(const std::string& key, long def, long lo, long hi, long* out);
  // InvalidArgument naming the first key no getter read ("unknown parameter").
  Status CheckAllUsed() const;

 private:
  std::string text_;
  std::string name_;
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> used_;
};

// Splits "a(...)/b(...)" at top-level '/' characters.
std::vector<std::string> SplitSpec(std::string_view spec);

// Canonical number text: shortest form that reads back to the same double.
std::string FormatNumber(double v);

}  // namespace memory::policies
