// Readers for command histories (see history.h). The whole file is read at once and split with
// memchr; a line becomes an Event without intermediate copies except for multi-line commands.
#include "env/history.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace memory::env {
namespace {

Status LineError(std::string_view name, size_t line, std::string_view what) {
  std::string m;
  m.reserve(name.size() + what.size() + 16);
  m.append(name);
  m += ':';
  m += std::to_string(line);
  m += ": ";
  m.append(what);
  return Status::InvalidArgument(std::move(m));
}

// Offset of the first byte of the first invalid UTF-8 sequence, or s.size() when valid.
size_t FirstInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // Fast path: 8 ASCII bytes at a time.
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t min;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return n;
}

size_t LineOfOffset(std::string_view text, size_t offset) {
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

// Splits text into lines (without '\n' and a trailing '\r'), counting line numbers from 1.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : text_(text) {}
  bool Next(std::string_view* line) {
    if (pos_ >= text_.size()) return false;
    const char* start = text_.data() + pos_;
    size_t left = text_.size() - pos_;
    const void* nl = std::memchr(start, '\n', left);
    size_t len = nl ? static_cast<size_t>(static_cast<const char*>(nl) - start) : left;
    pos_ += len + (nl ? 1 : 0);
    ++line_no_;
    *line = std::string_view(start, len);
    if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
    return true;
  }
  size_t line_no() const { return line_no_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t line_no_ = 0;
};

bool IsBlank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') return false;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (!AllDigits(s)) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string_view BaseName(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Everything one parse needs: where events go (appended to the caller's vector, taken back on
// failure), their defaults, and which still need a time.
class Builder {
 public:
  Builder(std::string_view name, HistoryFormat format, const HistoryReadOptions& options,
          size_t expected, std::vector<Event>* out)
      : name_(name), format_(format), options_(options), out_(out), first_(out->size()) {
    user_ = options.user.empty() ? std::string(BaseName(name)) : options.user;
    session_ = options.session.empty()
                   ? std::string(HistoryFormatName(format)) + ":" + user_
                   : options.session;
    // Room for every line up front: pointers to events stay valid while parsing (bash needs
    // that), and growth stays geometric when many files are appended to one vector.
    size_t needed = first_ + expected;
    if (out_->capacity() < needed) out_->reserve(std::max(needed, 2 * out_->capacity()));
    needs_time_.reserve(expected);
  }
  ~Builder() {
    if (!finished_) out_->resize(first_);
  }

  // A shell command; ts_us < 0 = no time of its own.
  Event& AddShell(std::string_view command, int64_t ts_us) {
    Event& e = out_->emplace_back();
    e.kind = EventKind::kShell;
    e.command.assign(command.data(), command.size());
    e.user = user_;
    e.session = session_;
    e.actor = "human";
    MarkTime(e, ts_us);
    return e;
  }

  // An event parsed from JSON keeps its own user and session; the defaults fill in missing ones.
  void AddParsed(Event&& parsed) {
    Event& e = out_->emplace_back(std::move(parsed));
    if (e.user.empty()) e.user = user_;
    if (e.session.empty()) {
      e.session = options_.session.empty()
                      ? std::string(HistoryFormatName(format_)) + ":" + e.user
                      : options_.session;
    }
    if (e.actor.empty()) e.actor = "human";
    MarkTime(e, e.ts_us > 0 ? e.ts_us : -1);
  }

  // Gives synthesized times; keeps the events only when this returns OK.
  Status Finish() {
    const size_t n = out_->size() - first_;
    if (n == 0) {
      return Status::InvalidArgument(std::string(name_) + ": no commands in file (empty history)");
    }
    // A file with times of its own (a bash history that got HISTTIMEFORMAT one day): an event
    // without a time goes 1 us after the previous timed one, or before the first, so the file's
    // order is kept (those lines used to get the import time: the oldest commands became the
    // newest). Without any time, or with an explicit base: base + i.
    size_t first_timed = n;
    if (options_.base_ts_us == 0)
      for (size_t i = 0; i < n && first_timed == n; ++i)
        if (!needs_time_[i]) first_timed = i;
    if (first_timed < n) {
      int64_t prev = (*out_)[first_ + first_timed].ts_us;
      for (size_t i = first_timed; i-- > 0;) (*out_)[first_ + i].ts_us = std::max<int64_t>(1, prev - static_cast<int64_t>(first_timed - i));
      for (size_t i = first_timed; i < n; ++i) {
        Event& e = (*out_)[first_ + i];
        if (needs_time_[i]) e.ts_us = std::min(prev + 1, kLatestEventTimeUs);
        prev = e.ts_us;
      }
    } else {
      int64_t base = options_.base_ts_us != 0 ? options_.base_ts_us : NowUs() - static_cast<int64_t>(n);
      for (size_t i = 0; i < n; ++i)
        if (needs_time_[i]) (*out_)[first_ + i].ts_us = base + static_cast<int64_t>(i);
    }
    finished_ = true;
    return Status::OK();
  }

 private:
  void MarkTime(Event& e, int64_t ts_us) {
    if (ts_us >= 0) e.ts_us = ts_us;
    needs_time_.push_back(ts_us < 0);
  }

  std::string_view name_;
  HistoryFormat format_;
  const HistoryReadOptions& options_;
  std::vector<Event>* out_;
  const size_t first_;
  bool finished_ = false;
  std::string user_, session_;
  std::vector<bool> needs_time_;
};

Status CheckLineLength(std::string_view name, size_t line_no, std::string_view line,
                       const HistoryReadOptions& options) {
  if (line.size() > options.max_line_bytes) {
    return LineError(name, line_no,
                     "line is " + std::to_string(line.size()) + " bytes, over the limit of " +
                         std::to_string(options.max_line_bytes));
  }
  return Status::OK();
}

// One command name per line (Schonlau SEA, Purdue PU).
Status ParseOnePerLine(std::string_view text, std::string_view name,
                       const HistoryReadOptions& options, Builder* b) {
  LineCursor cur(text);
  std::string_view line;
  while (cur.Next(&line)) {
    MEMORY_RETURN_IF_ERROR(CheckLineLength(name, cur.line_no(), line, options));
    std::string_view cmd = Trim(line);
    if (cmd.empty()) continue;
    b->AddShell(cmd, -1);
  }
  return Status::OK();
}

// "#<digits>" written by bash before each command when HISTTIMEFORMAT is set. Bash takes any line
// of '#' and a digit for one; digits that overflow give INT64_MAX (out of range for the caller).
bool BashTimestamp(std::string_view line, int64_t* seconds) {
  std::string_view digits = Trim(line.size() > 1 ? line.substr(1) : std::string_view());
  if (line.size() < 2 || line[0] != '#' || line[1] < '0' || line[1] > '9') return false;
  if (digits.find_first_not_of("0123456789") != std::string_view::npos) return false;
  if (!ParseInt64(digits, seconds)) *seconds = INT64_MAX;
  return true;
}

Status ParseBash(std::string_view text, std::string_view name, const HistoryReadOptions& options,
                 Builder* b) {
  LineCursor cur(text);
  std::string_view line;
  // A timestamp opens an entry; the lines up to the next timestamp are that one command (bash
  // writes multi-line commands as several lines). Lines before any timestamp are one each.
  bool open_entry = false;      // the last timestamp's entry may take more lines
  bool entry_has_command = false;
  int64_t entry_ts = -1;
  size_t ts_line = 0;
  std::string multi;            // the current entry when it spans lines
  Event* entry = nullptr;
  while (cur.Next(&line)) {
    MEMORY_RETURN_IF_ERROR(CheckLineLength(name, cur.line_no(), line, options));
    int64_t seconds;
    if (BashTimestamp(line, &seconds)) {
      if (open_entry && !entry_has_command) {
        return LineError(name, ts_line, "timestamp line with no command after it");
      }
      if (seconds > kLatestEventTimeUs / 1000000) {
        return LineError(name, cur.line_no(), "timestamp out of range (after year 9999)");
      }
      open_entry = true;
      entry_has_command = false;
      entry_ts = seconds * 1000000;
      ts_line = cur.line_no();
      entry = nullptr;
      continue;
    }
    if (IsBlank(line)) continue;
    if (!open_entry) {
      b->AddShell(line, -1);
      continue;
    }
    if (!entry_has_command) {
      entry = &b->AddShell(line, entry_ts);
      entry_has_command = true;
    } else {
      multi.assign(entry->command);
      multi += '\n';
      multi.append(line);
      entry->command = multi;
    }
  }
  if (open_entry && !entry_has_command) {
    return LineError(name, ts_line, "timestamp line with no command after it (truncated file?)");
  }
  return Status::OK();
}

// zsh stores some bytes "metafied": 0x83 followed by the byte xor 0x20.
constexpr char kZshMeta = '\x83';

void Unmetafy(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == kZshMeta && i + 1 < in.size()) {
      out->push_back(static_cast<char>(in[++i] ^ 0x20));
    } else {
      out->push_back(in[i]);
    }
  }
}

Status ParseZsh(std::string_view text, std::string_view name, const HistoryReadOptions& options,
                Builder* b) {
  LineCursor cur(text);
  std::string_view line;
  std::string joined, unmeta;
  while (cur.Next(&line)) {
    MEMORY_RETURN_IF_ERROR(CheckLineLength(name, cur.line_no(), line, options));
    if (IsBlank(line)) continue;
    const size_t start_line = cur.line_no();
    std::string_view record = line;
    // zsh writes an embedded newline as '\' + newline.
    if (!line.empty() && line.back() == '\\') {
      joined.assign(line.substr(0, line.size() - 1));
      joined += '\n';
      for (;;) {
        std::string_view next;
        if (!cur.Next(&next)) {
          return LineError(name, start_line,
                           "file ends inside a multi-line command (line ends with '\\')");
        }
        MEMORY_RETURN_IF_ERROR(CheckLineLength(name, cur.line_no(), next, options));
        if (!next.empty() && next.back() == '\\') {
          joined.append(next.substr(0, next.size() - 1));
          joined += '\n';
          continue;
        }
        joined.append(next);
        break;
      }
      record = joined;
      if (record.size() > options.max_line_bytes) {
        return LineError(name, start_line, "multi-line command is over the limit of " +
                                               std::to_string(options.max_line_bytes) + " bytes");
      }
    }
    if (record.find(kZshMeta) != std::string_view::npos) {
      Unmetafy(record, &unmeta);
      record = unmeta;
    }
    if (size_t bad = FirstInvalidUtf8(record); bad != record.size()) {
      return LineError(name, start_line + static_cast<size_t>(std::count(
                                              record.begin(), record.begin() + bad, '\n')),
                       "invalid UTF-8");
    }
    // Extended history: ": <start>:<elapsed>;<command>".
    if (record.size() > 2 && record[0] == ':' && record[1] == ' ' && record[2] >= '0' &&
        record[2] <= '9') {
      size_t semi = record.find(';');
      if (semi == std::string_view::npos) {
        return LineError(name, start_line,
                         "truncated zsh extended-history record (no ';' after ': start:elapsed')");
      }
      std::string_view header = record.substr(2, semi - 2);
      size_t colon = header.find(':');
      int64_t start = 0, elapsed = 0;
      if (colon == std::string_view::npos || !ParseInt64(header.substr(0, colon), &start) ||
          !ParseInt64(header.substr(colon + 1), &elapsed)) {
        return LineError(name, start_line,
                         "malformed zsh extended-history header (expected ': <start>:<elapsed>;')");
      }
      if (start < 0 || start > kLatestEventTimeUs / 1000000)
        return LineError(name, start_line, "start time out of range (before 1970 or after year 9999)");
      if (elapsed < 0 || elapsed > kLatestEventTimeUs / 1000000)
        return LineError(name, start_line, "elapsed time out of range");
      std::string_view cmd = record.substr(semi + 1);
      if (IsBlank(cmd)) continue;
      Event& e = b->AddShell(cmd, start * 1000000);
      e.duration_us = elapsed * 1000000;
    } else {
      b->AddShell(record, -1);
    }
  }
  return Status::OK();
}

Status ParseJsonl(std::string_view text, std::string_view name, const HistoryReadOptions& options,
                  Builder* b) {
  LineCursor cur(text);
  std::string_view line;
  while (cur.Next(&line)) {
    MEMORY_RETURN_IF_ERROR(CheckLineLength(name, cur.line_no(), line, options));
    if (IsBlank(line)) continue;
    Event e;
    Status s = EventFromJson(line, &e);
    if (!s.ok()) return LineError(name, cur.line_no(), s.message());
    b->AddParsed(std::move(e));
  }
  return Status::OK();
}

}  // namespace

Status ParseHistoryFormat(std::string_view name, HistoryFormat* out) {
  static constexpr HistoryFormat kAll[] = {HistoryFormat::kJsonl, HistoryFormat::kBash,
                                           HistoryFormat::kZsh, HistoryFormat::kSchonlau,
                                           HistoryFormat::kPurdue};
  for (HistoryFormat f : kAll) {
    if (name == HistoryFormatName(f)) {
      *out = f;
      return Status::OK();
    }
  }
  return Status::InvalidArgument("unknown history format '" + std::string(name) +
                                 "' (expected jsonl, bash, zsh, schonlau or purdue)");
}

std::string_view HistoryFormatName(HistoryFormat f) {
  switch (f) {
    case HistoryFormat::kJsonl: return "jsonl";
    case HistoryFormat::kBash: return "bash";
    case HistoryFormat::kZsh: return "zsh";
    case HistoryFormat::kSchonlau: return "schonlau";
    case HistoryFormat::kPurdue: return "purdue";
  }
  return "unknown";
}

bool IsValidUtf8(std::string_view s) { return FirstInvalidUtf8(s) == s.size(); }

Status ParseHistory(std::string_view text, std::string_view name, HistoryFormat format,
                    const HistoryReadOptions& options, std::vector<Event>* events) {
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    size_t off = static_cast<size_t>(static_cast<const char*>(nul) - text.data());
    return LineError(name, LineOfOffset(text, off), "binary data (NUL byte); not a text history");
  }
  // zsh may hold metafied bytes that are only valid UTF-8 once decoded; it checks per record.
  if (format != HistoryFormat::kZsh) {
    if (size_t bad = FirstInvalidUtf8(text); bad != text.size()) {
      return LineError(name, LineOfOffset(text, bad), "invalid UTF-8");
    }
  }
  size_t expected = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  Builder b(name, format, options, expected, events);
  Status s;
  switch (format) {
    case HistoryFormat::kSchonlau:
    case HistoryFormat::kPurdue: s = ParseOnePerLine(text, name, options, &b); break;
    case HistoryFormat::kBash: s = ParseBash(text, name, options, &b); break;
    case HistoryFormat::kZsh: s = ParseZsh(text, name, options, &b); break;
    case HistoryFormat::kJsonl: s = ParseJsonl(text, name, options, &b); break;
  }
  MEMORY_RETURN_IF_ERROR(s);
  return b.Finish();
}

namespace {
Status ReadWholeFile(const std::string& path, std::string* out) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) return Status::NotFound(path + ": no such file");
  if (std::filesystem::is_directory(st)) {
    return Status::InvalidArgument(path + ": is a directory, expected a history file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size < 0) {
    // Not seekable (a pipe): read in chunks.
    in.clear();
    out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    out->resize(static_cast<size_t>(size));
    if (size > 0 && !in.read(out->data(), size)) {
      return Status::IOError(path + ": read failed: " + std::strerror(errno));
    }
  }
  return Status::OK();
}
}  // namespace

Status ReadHistoryFile(const std::string& path, HistoryFormat format,
                       const HistoryReadOptions& options, std::vector<Event>* events) {
  std::string text;
  MEMORY_RETURN_IF_ERROR(ReadWholeFile(path, &text));
  return ParseHistory(text, path, format, options, events);
}

namespace {
// "User9" < "User10": runs of digits compare as numbers.
bool NaturalLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      std::string_view da(a.data() + i, i2 - i), db(b.data() + j, j2 - j);
      while (da.size() > 1 && da[0] == '0') da.remove_prefix(1);
      while (db.size() > 1 && db[0] == '0') db.remove_prefix(1);
      if (da.size() != db.size()) return da.size() < db.size();
      if (da != db) return da < db;
      i = i2, j = j2;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i, ++j;
  }
  if ((a.size() - i) != (b.size() - j)) return (a.size() - i) < (b.size() - j);
  return a < b;
}

bool IsDocumentation(const std::string& file_name) {
  return file_name.rfind("README", 0) == 0 ||
         (file_name.size() > 3 && file_name.compare(file_name.size() - 3, 3, ".md") == 0);
}
}  // namespace

Status ExpandHistoryPaths(const std::vector<std::string>& paths, std::vector<std::string>* files) {
  return ExpandHistoryPaths(paths, std::nullopt, files);
}

Status ExpandHistoryPaths(const std::vector<std::string>& paths,
                          std::optional<HistoryFormat> format, std::vector<std::string>* files) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  const bool one_file_per_user =
      format && (*format == HistoryFormat::kSchonlau || *format == HistoryFormat::kPurdue);
  for (const std::string& p : paths) {
    if (p == "-") {
      out.push_back(p);
      continue;
    }
    std::error_code ec;
    auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) return Status::NotFound(p + ": no such file or directory");
    if (!fs::is_directory(st)) {
      out.push_back(p);
      continue;
    }
    std::vector<std::string> found;
    for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code ec2;
      if (!it->is_regular_file(ec2)) continue;
      std::string file_name = it->path().filename().string();
      if (file_name.empty() || file_name[0] == '.' || IsDocumentation(file_name)) continue;
      if (one_file_per_user && file_name.find('.') != std::string::npos) continue;
      found.push_back(it->path().string());
    }
    if (ec) return Status::IOError(p + ": cannot list directory: " + ec.message());
    if (found.empty()) return Status::InvalidArgument(p + ": no history files in directory");
    std::sort(found.begin(), found.end(), NaturalLess);
    out.insert(out.end(), found.begin(), found.end());
  }
  *files = std::move(out);
  return Status::OK();
}


namespace {
Status ReadLatin1AsUtf8(const std::string& path, std::string* out) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Status::InvalidArgument(path + ": is a directory, expected a history file");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path, ec)) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": cannot open");
  }
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IOError(path + ": read failed");
  if (IsValidUtf8(raw)) {
    *out = std::move(raw);
    return Status::OK();
  }
  out->clear();
  out->reserve(raw.size() + raw.size() / 8);
  for (unsigned char c : raw) {
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
    } else {
      out->push_back(static_cast<char>(0xC0 | (c >> 6)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return Status::OK();
}
}  // namespace

Status ReadProtocolHistory(const std::string& path, HistoryFormat format, std::vector<Event>* events) {
  HistoryReadOptions ro;
  ro.base_ts_us = 1;  // no wall-clock dependence for files without times
  if (format == HistoryFormat::kSchonlau || format == HistoryFormat::kPurdue) {
    std::string text;
    MEMORY_RETURN_IF_ERROR(ReadLatin1AsUtf8(path, &text));
    MEMORY_RETURN_IF_ERROR(ParseHistory(text, path, format, ro, events));
  } else {
    MEMORY_RETURN_IF_ERROR(ReadHistoryFile(path, format, ro, events));
  }
  if (events->empty()) return Status::InvalidArgument(path + ": no commands (empty file?)");
  return Status::OK();
}

}  // namespace memory::env
