// Fuzz target: the contextual-bandit data readers of `memory eval bandit` and `memory experiment`.
// The first byte picks the format: 0 a multiclass CSV file (../shared/cb-data), 1 an NL2Bash
// directory (the rest is nl2bash.nl, a NUL byte, then nl2bash.cm). A reader fails, or gives a
// data set whose rows, labels, features and mentions are consistent.
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "tests/fuzz/fuzz_util.h"
#include "env/cb_data.h"

using namespace memory;

namespace {
std::string g_path;  // the CSV file, or the NL2Bash directory

void CheckRows(const env::CbDataset& d) {
  FUZZ_CHECK(d.rows() >= 1 && d.row_begin.size() == d.rows() + 1 && d.row_begin[0] == 0);
  FUZZ_CHECK(d.row_begin.back() == d.features.size());
  for (size_t i = 0; i < d.rows(); ++i) {
    FUZZ_CHECK(d.row_begin[i] <= d.row_begin[i + 1]);
    FUZZ_CHECK(d.labels[i] >= 0 && d.labels[i] < d.num_actions);
  }
  for (const env::CbFeature& f : d.features) FUZZ_CHECK(std::isfinite(f.value));
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_path = fuzz::TempPath("cb_data");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  env::CbDataset d;
  if (data[0] % 2 == 0) {
    fuzz::WriteFile(g_path, rest);
    if (!env::ReadCbCsv(g_path, &d).ok()) return 0;
    CheckRows(d);
    FUZZ_CHECK(d.num_actions >= 2 && d.num_actions <= env::kMaxCbActions && d.action_names.empty());
    int max_label = 0;
    for (int l : d.labels) max_label = l > max_label ? l : max_label;
    FUZZ_CHECK(d.num_actions == max_label + 1);
    // Dense rows: every row has the header's columns, in order.
    FUZZ_CHECK(d.num_features >= 1 && d.features.size() == d.rows() * size_t(d.num_features));
    for (size_t i = 0; i < d.features.size(); ++i) FUZZ_CHECK(d.features[i].index == i % d.num_features);
  } else {
    const size_t cut = rest.find('\0');
    if (cut == std::string_view::npos) return 0;
    ::mkdir(g_path.c_str(), 0755);
    fuzz::WriteFile(g_path + "/nl2bash.nl", rest.substr(0, cut));
    fuzz::WriteFile(g_path + "/nl2bash.cm", rest.substr(cut + 1));
    if (!env::ReadNl2BashBandit(g_path, &d).ok()) return 0;
    CheckRows(d);
    FUZZ_CHECK(d.num_actions == int(d.action_names.size()) && d.num_features == 0);
    FUZZ_CHECK(std::set<std::string>(d.action_names.begin(), d.action_names.end()).size() == d.action_names.size());
    for (const std::string& a : d.action_names) FUZZ_CHECK(!a.empty());
    for (const env::CbFeature& f : d.features) FUZZ_CHECK((f.index & env::kHashedFeatureBit) && f.value == 1.0f);
    FUZZ_CHECK(d.mentioned.size() == d.rows());
    for (size_t i = 0; i < d.rows(); ++i) {
      FUZZ_CHECK(d.row_begin[i] < d.row_begin[i + 1]);  // a description has a word
      for (int a : d.mentioned[i]) FUZZ_CHECK(a >= 0 && a < d.num_actions);
    }
  }
  return 0;
}
