#include "learner/template.h"

#include <cctype>
#include <vector>

namespace memory::learner {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsNumber(std::string_view t) {
  bool digit = false;
  for (char c : t) {
    if (std::isdigit(static_cast<unsigned char>(c))) digit = true;
    else if (c != '.' && c != ':' && c != '-' && c != '+' && c != 'x' && c != 'k' && c != 'K' && c != 'M' && c != 'G')
      return false;
  }
  return digit;
}

bool IsPath(std::string_view t) {
  if (t.find('/') != std::string_view::npos || t[0] == '~' || t[0] == '.') return true;
  size_t dot = t.rfind('.');
  // "main.cpp", "notes.txt": a name with a short extension.
  return dot != std::string_view::npos && dot > 0 && t.size() - dot - 1 >= 1 && t.size() - dot - 1 <= 5;
}

// Abstracts one argument word (already known not to be the program or a flag name).
std::string Abstract(std::string_view t) {
  if (t.empty()) return std::string(t);
  if (t[0] == '"' || t[0] == '\'' || t[0] == '$') return t[0] == '$' ? std::string(t) : "<str>";
  if (IsNumber(t)) return "<num>";
  if (IsPath(t)) return "<path>";
  return std::string(t);
}

}  // namespace

std::string CommandTemplate(std::string_view command) {
  // Split into words; quotes keep their content in one word.
  std::vector<std::string_view> words;
  size_t i = 0, n = command.size();
  while (i < n) {
    while (i < n && IsSpace(command[i])) ++i;
    if (i >= n) break;
    size_t start = i;
    while (i < n && !IsSpace(command[i])) {
      if (command[i] == '"' || command[i] == '\'') {
        char q = command[i++];
        while (i < n && command[i] != q) {
          if (q == '"' && command[i] == '\\' && i + 1 < n) ++i;
          ++i;
        }
        if (i < n) ++i;
      } else {
        ++i;
      }
    }
    words.push_back(command.substr(start, i - start));
  }
  if (words.size() <= 1) return words.empty() ? std::string() : std::string(words[0]);
  std::string out;
  bool program = true;
  for (std::string_view w : words) {
    if (!out.empty()) out += ' ';
    bool op = w == "|" || w == "||" || w == "&&" || w == ";" || w == "&" || w == ">" || w == ">>" || w == "<";
    if (program || op) {
      out.append(w);
      program = op && w != ">" && w != ">>" && w != "<";  // a new program follows an operator
      continue;
    }
    if (w[0] == '-' && w.size() > 1 && !IsNumber(w)) {
      size_t eq = w.find('=');
      if (eq == std::string_view::npos) {
        out.append(w);
      } else {
        out.append(w.substr(0, eq + 1));
        out += Abstract(w.substr(eq + 1));
      }
      continue;
    }
    out += Abstract(w);
  }
  return out;
}

}  // namespace memory::learner
