// JsonText: the one way the CLI turns JSON into text. Strings that are not valid UTF-8 (command
// lines recorded as typed, paths) are printed with U+FFFD in place of the bad bytes, where
// nlohmann's dump() would throw.
#pragma once

#include <string>

template <class Json>
std::string JsonText(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}
