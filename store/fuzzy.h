// Text matching for `memory search`: substring, prefix and fzf-style fuzzy scoring.
// Private to store/.
#pragma once

#include <string_view>

namespace memory::internal {

// Fuzzy score of `query` against `text` (query characters in order, not necessarily adjacent).
// Returns < 0 when they do not all appear. Higher is better: consecutive runs, matches at word
// starts and at the start of the text score more; gaps cost. Case-insensitive unless the query
// has an upper-case letter (smart case). Linear in |text| (two passes, no allocation).
int FuzzyScore(std::string_view query, std::string_view text);

// Case-sensitive substring test (memmem).
bool Contains(std::string_view text, std::string_view needle);

}  // namespace memory::internal
