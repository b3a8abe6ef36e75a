#include "env/cb_data.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "env/compressed_file.h"

namespace memory::env {

uint32_t HashToken(std::string_view token) {
  uint32_t h = 2166136261u;
  for (unsigned char c : token) h = (h ^ c) * 16777619u;
  return h | kHashedFeatureBit;
}

namespace {
// Splits into lines; strips a byte-order mark and each line's trailing '\r'. The final line may
// lack '\n'.
std::vector<std::string_view> Lines(std::string_view text) {
  text = WithoutUtf8Bom(text);
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view l = text.substr(pos, nl - pos);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    lines.push_back(l);
    pos = nl + 1;
  }
  return lines;
}

constexpr std::string_view kBinaryInText = "binary data (NUL byte), expected text";

// (A NUL byte was refused by ReadMaybeCompressed, given kBinaryInText.)
Status CheckText(const std::string& path, std::string_view text) {
  if (WithoutUtf8Bom(text).empty()) return Status::InvalidArgument(path + ": empty file");
  return Status::OK();
}

bool ParseFloat(std::string_view s, float* out) {
  if (s.empty()) return false;
  double d = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(d)) return false;
  *out = static_cast<float>(d);
  return std::isfinite(*out);  // 1e300 is a finite double but no float
}

}  // namespace

std::vector<std::string> LowerWords(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  for (char ch : text) {
    char c = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      cur.push_back(c);
    } else if (!cur.empty()) {
      words.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

Status ReadCbCsv(const std::string& path, CbDataset* out) {
  *out = CbDataset();
  std::string text;
  MEMORY_RETURN_IF_ERROR(ReadMaybeCompressed(path, &text, kMaxDecompressedBytes, kBinaryInText));
  MEMORY_RETURN_IF_ERROR(CheckText(path, text));
  std::vector<std::string_view> lines = Lines(text);
  out->labels.reserve(lines.size());
  std::string_view header = lines[0];
  if (header.substr(0, 5) != "label")
    return Status::InvalidArgument(path + ":1: expected a header 'label,f0,f1,...'");
  int d = static_cast<int>(std::count(header.begin(), header.end(), ','));
  if (d == 0) return Status::InvalidArgument(path + ":1: no feature columns in the header");
  out->num_features = d;
  // Every feature takes at least two bytes of text ("0,"): empty lines must not multiply d.
  out->features.reserve(std::min(lines.size() * static_cast<size_t>(d), text.size() / 2 + 1));
  int max_label = -1;
  for (size_t ln = 1; ln < lines.size(); ++ln) {
    std::string_view l = lines[ln];
    if (l.empty()) continue;
    auto where = [&] { return path + ":" + std::to_string(ln + 1) + ": "; };
    size_t pos = 0;
    int field = 0;
    while (true) {
      size_t comma = l.find(',', pos);
      std::string_view f = l.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
      if (field == 0) {
        int label = -1;
        auto r = std::from_chars(f.data(), f.data() + f.size(), label);
        if (r.ec != std::errc() || r.ptr != f.data() + f.size() || f.empty())
          return Status::InvalidArgument(where() + "label '" + std::string(f) + "' is not an integer");
        if (label < 0) return Status::InvalidArgument(where() + "label " + std::string(f) + " is negative");
        if (label >= kMaxCbActions)
          return Status::InvalidArgument(where() + "label " + std::string(f) + " is out of range (at most " +
                                         std::to_string(kMaxCbActions - 1) + ")");
        out->labels.push_back(label);
        max_label = std::max(max_label, label);
      } else {
        if (field > d)
          return Status::InvalidArgument(where() + "more than " + std::to_string(d + 1) + " fields (header has " +
                                         std::to_string(d + 1) + ")");
        float v;
        if (!ParseFloat(f, &v))
          return Status::InvalidArgument(where() + "field " + std::to_string(field + 1) + " '" + std::string(f) +
                                         "' is not a number");
        out->features.push_back({static_cast<uint32_t>(field - 1), v});
      }
      ++field;
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    if (field != d + 1)
      return Status::InvalidArgument(where() + "has " + std::to_string(field) + " fields, header has " +
                                     std::to_string(d + 1));
    out->row_begin.push_back(static_cast<uint32_t>(out->features.size()));
  }
  if (out->labels.empty()) return Status::InvalidArgument(path + ": no examples after the header");
  out->num_actions = max_label + 1;
  if (out->num_actions < 2) return Status::InvalidArgument(path + ": fewer than 2 actions (max label + 1)");
  return Status::OK();
}

Status ReadNl2BashBandit(const std::string& dir, CbDataset* out) {
  *out = CbDataset();
  std::string nl_path = dir + "/nl2bash.nl", cm_path = dir + "/nl2bash.cm";
  std::string nl_text, cm_text;
  MEMORY_RETURN_IF_ERROR(ReadMaybeCompressed(nl_path, &nl_text, kMaxDecompressedBytes, kBinaryInText));
  MEMORY_RETURN_IF_ERROR(ReadMaybeCompressed(cm_path, &cm_text, kMaxDecompressedBytes, kBinaryInText));
  MEMORY_RETURN_IF_ERROR(CheckText(nl_path, nl_text));
  MEMORY_RETURN_IF_ERROR(CheckText(cm_path, cm_text));
  std::vector<std::string_view> nl = Lines(nl_text), cm = Lines(cm_text);
  if (nl.size() != cm.size())
    return Status::InvalidArgument(dir + ": nl2bash.nl has " + std::to_string(nl.size()) + " lines but nl2bash.cm has " +
                                   std::to_string(cm.size()));
  std::unordered_map<std::string, int> ids;
  std::vector<std::vector<uint32_t>> row_words;
  for (size_t i = 0; i < cm.size(); ++i) {
    std::string_view c = cm[i];
    size_t b = c.find_first_not_of(" \t");
    if (b == std::string_view::npos) return Status::InvalidArgument(cm_path + ":" + std::to_string(i + 1) + ": empty command");
    size_t e = c.find_first_of(" \t", b);
    std::string util(c.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
    auto [it, inserted] = ids.emplace(util, static_cast<int>(out->action_names.size()));
    if (inserted) out->action_names.push_back(util);
    out->labels.push_back(it->second);
    std::vector<std::string> words = LowerWords(nl[i]);
    if (words.empty()) return Status::InvalidArgument(nl_path + ":" + std::to_string(i + 1) + ": no words in the description");
    for (size_t w = 0; w < words.size(); ++w) {
      out->features.push_back({HashToken(words[w]), 1.0f});
      if (w + 1 < words.size()) out->features.push_back({HashToken(words[w] + " " + words[w + 1]), 1.0f});
    }
    out->row_begin.push_back(static_cast<uint32_t>(out->features.size()));
    std::vector<uint32_t> hw;
    for (auto& w : words) hw.push_back(HashToken(w));
    row_words.push_back(std::move(hw));
  }
  out->num_actions = static_cast<int>(out->action_names.size());
  // Which actions' names occur as words of each description (cold start from text overlap).
  std::unordered_map<uint32_t, std::vector<int>> by_name;
  for (int a = 0; a < out->num_actions; ++a) {
    std::vector<std::string> w = LowerWords(out->action_names[a]);
    if (w.size() == 1 && w[0] == out->action_names[a]) by_name[HashToken(w[0])].push_back(a);
  }
  out->mentioned.resize(out->rows());
  for (size_t i = 0; i < out->rows(); ++i) {
    for (uint32_t h : row_words[i]) {
      auto it = by_name.find(h);
      if (it == by_name.end()) continue;
      for (int a : it->second)
        if (std::find(out->mentioned[i].begin(), out->mentioned[i].end(), a) == out->mentioned[i].end())
          out->mentioned[i].push_back(a);
    }
  }
  return Status::OK();
}

}  // namespace memory::env
