// Readers for command histories (see history.h). Files are read in blocks and split with memchr,
// twice: a check pass, then a pass that hands out events in batches (so memory stays bounded).
#include "env/history.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iterator>
#include <fstream>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env/compressed_file.h"

namespace memory::env {
namespace {

constexpr std::string_view kNotText = "binary data (NUL byte); not a text history";

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

// Splits a history into lines (without '\n' and a trailing '\r'), counting line numbers from 1:
// text already in memory, or the first `limit` bytes of a file read in blocks (then a line's view
// is valid until the next call, and memory is bounded by the longest line allowed). Stops with an
// error (status()) at a line with a NUL byte, over max_line bytes, or not UTF-8 when `utf8`.
class LineCursor {
 public:
  LineCursor(std::string_view text, std::string_view name, bool utf8, size_t max_line)
      : name_(name), utf8_(utf8), max_line_(max_line), fd_(-1), data_(text.data()), end_(text.size()) {}
  LineCursor(int fd, uint64_t limit, std::string_view name, bool utf8, size_t max_line)
      : name_(name), utf8_(utf8), max_line_(max_line), fd_(fd), left_(limit) {}

  bool Next(std::string_view* line) {
    if (!status_.ok()) return false;
    size_t len;
    const char* nl;
    for (;;) {
      nl = end_ > pos_ ? static_cast<const char*>(std::memchr(data_ + pos_, '\n', end_ - pos_)) : nullptr;
      len = nl ? static_cast<size_t>(nl - (data_ + pos_)) : end_ - pos_;
      if (nl || fd_ < 0 || left_ == 0) break;
      if (len > max_line_ + 1) return SkipLongLine(len);  // +1: a '\r' that goes
      if (!Fill()) return false;
    }
    if (len == 0 && !nl) return false;  // the end
    const char* start = data_ + pos_;
    pos_ += len + (nl ? 1 : 0);
    ++line_no_;
    *line = std::string_view(start, len);
    if (line_no_ == 1) *line = WithoutUtf8Bom(*line);
    if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
    if (line->size() > max_line_) return Fail(LongLine(line->size()));
    if (std::memchr(line->data(), '\0', line->size())) return NotText(std::string(kNotText));
    if (utf8_ && FirstInvalidUtf8(*line) != line->size()) return NotText("invalid UTF-8");
    return true;
  }
  // After a parse error at the current line: the error that a later line is not text (a NUL
  // byte or invalid UTF-8), which explains the parse error better, if there is one; else OK.
  Status NotTextLater() {
    std::string_view line;
    while (Next(&line)) {
    }
    return not_text_ ? status_ : Status::OK();
  }
  size_t line_no() const { return line_no_; }
  const Status& status() const { return status_; }
  // Stops the cursor with `s` (Next returns false, status() is s).
  void Stop(Status s) {
    if (status_.ok()) status_ = std::move(s);
  }

 private:
  static constexpr size_t kBlock = 1 << 20;
  // Moves the unread bytes to the front of the buffer and reads more after them.
  bool Fill() {
    const size_t keep = end_ - pos_;
    if (buf_.size() < keep + kBlock) buf_.resize(keep + kBlock);  // may move: data_ was buf_
    std::memmove(buf_.data(), buf_.data() + pos_, keep);
    size_t want = static_cast<size_t>(std::min<uint64_t>(left_, buf_.size() - keep));
    ssize_t got;
    do got = ::read(fd_, buf_.data() + keep, want);
    while (got < 0 && errno == EINTR);
    if (got < 0) return Fail(std::string("read failed: ") + std::strerror(errno));
    if (got == 0) left_ = 0;  // shorter than when it was measured
    left_ -= static_cast<uint64_t>(got);
    data_ = buf_.data(), pos_ = 0, end_ = keep + static_cast<size_t>(got);
    return true;
  }
  // A line already longer than the limit: reads on to its end for the error's figure.
  bool SkipLongLine(size_t len) {
    ++line_no_;
    bool cr = data_[end_ - 1] == '\r';
    for (pos_ = end_; left_ > 0;) {
      if (!Fill()) return false;
      const char* nl = static_cast<const char*>(std::memchr(data_, '\n', end_));
      size_t part = nl ? static_cast<size_t>(nl - data_) : end_;
      len += part;
      if (part > 0) cr = data_[part - 1] == '\r';
      if (nl) break;
      pos_ = end_;
    }
    return Fail(LongLine(len - (cr ? 1 : 0)));
  }
  std::string LongLine(size_t size) const {
    return "line is " + std::to_string(size) + " bytes, over the limit of " + std::to_string(max_line_);
  }
  bool NotText(const std::string& what) {
    not_text_ = true;
    return Fail(what);
  }
  bool Fail(const std::string& what) {
    Stop(LineError(name_, line_no_, what));
    return false;
  }

  std::string_view name_;
  bool utf8_;
  size_t max_line_;
  int fd_;
  uint64_t left_ = 0;  // bytes of the file still to read
  std::string buf_;
  const char* data_ = nullptr;
  size_t pos_ = 0, end_ = 0;  // unread bytes: data_[pos_, end_)
  size_t line_no_ = 0;
  Status status_;
  bool not_text_ = false;  // status_ says that a line is not text
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

// Where a pass over a history leaves its events. A history is parsed twice: the check pass
// (layout == nullptr) keeps no event and learns the Layout; the emit pass gives each event its
// time as it comes (which needs the layout) and hands them to the sink `batch` at a time.
// Events handed out are never touched again: a parser only changes the event it added last.
class Builder {
 public:
  struct Layout {
    size_t events = 0;
    size_t first_timed = SIZE_MAX;  // index of the first event with a time of its own
    int64_t first_ts = 0;           // and that time
  };
  using Sink = std::function<Status(std::vector<Event>*)>;
  using Checked = std::function<void(const Event&)>;

  // `checked` (check pass, may be null) sees each event once it is complete.
  Builder(std::string_view name, HistoryFormat format, const HistoryReadOptions& options,
          const Layout* layout, size_t batch, const Sink* sink, const Checked* checked, LineCursor* cursor)
      : name_(name), format_(format), options_(options), layout_(layout),
        batch_(std::max<size_t>(batch, 1)), sink_(sink), checked_(checked), cursor_(cursor) {
    user_ = options.user.empty() ? std::string(BaseName(name)) : options.user;
    session_ = options.session.empty()
                   ? std::string(HistoryFormatName(format)) + ":" + user_
                   : options.session;
    if (layout_) {
      pending_.reserve(std::min(batch_, layout_->events));
      // A file with times of its own (a bash history that got HISTTIMEFORMAT one day): an event
      // without one goes 1 us after the previous event, or before the first timed one, so the
      // file's order is kept. Without any time, or with an explicit base: base + i.
      timed_ = options_.base_ts_us == 0 && layout_->first_timed < layout_->events;
      base_ = options_.base_ts_us != 0 ? options_.base_ts_us : NowUs() - static_cast<int64_t>(layout_->events);
    }
  }

  // A shell command; ts_us < 0 = no time of its own.
  Event& AddShell(std::string_view command, int64_t ts_us) {
    Event& e = NewEvent();
    e.kind = EventKind::kShell;
    e.command.assign(command.data(), command.size());
    e.user = user_;
    e.session = session_;
    e.actor = "human";
    SetTime(e, ts_us);
    return e;
  }

  // The event the next JSON line is parsed into, then handed to AddParsed. (In the check pass
  // it is the one event reused, whose strings keep their buffers.)
  Event& NextParsed() { return NewEvent(); }
  // An event parsed from JSON keeps its own user and session; the defaults fill in missing ones.
  void AddParsed(Event& e) {
    if (e.user.empty()) e.user = user_;
    if (e.session.empty()) {
      e.session = options_.session.empty()
                      ? std::string(HistoryFormatName(format_)) + ":" + e.user
                      : options_.session;
    }
    if (e.actor.empty()) e.actor = "human";
    SetTime(e, e.ts_us > 0 ? e.ts_us : -1);
  }

  // After the parse: the check pass's layout, or the emit pass's last batch handed out.
  Status Finish() {
    if (count_ == 0) {
      return Status::InvalidArgument(std::string(name_) + ": no commands in file (empty history)");
    }
    if (!layout_) {
      if (checked_ && *checked_) (*checked_)(pending_.back());
      return Status::OK();
    }
    if (count_ != layout_->events)
      return Status::Aborted(std::string(name_) + ": the file changed while it was read");
    return Flush();
  }
  Layout layout() const { return found_; }

 private:
  Event& NewEvent() {
    if (!layout_) {  // the check pass keeps only the event being parsed, reused
      if (!pending_.empty()) {
        if (checked_ && *checked_) (*checked_)(pending_.back());
        ClearEvent(&pending_.back());
        return pending_.back();
      }
    } else if (pending_.size() >= batch_) {
      if (Status s = Flush(); !s.ok()) cursor_->Stop(std::move(s));  // the parse stops there
    }
    return pending_.emplace_back();
  }
  Status Flush() {
    if (pending_.empty()) return Status::OK();
    Status s = (*sink_)(&pending_);
    pending_.clear();
    return s;
  }
  void SetTime(Event& e, int64_t own) {
    const size_t i = count_++;
    if (!layout_) {
      e.ts_us = std::max<int64_t>(own, 0);  // what `checked` sees: its own time, or 0
      if (own >= 0 && found_.first_timed == SIZE_MAX) found_.first_timed = i, found_.first_ts = own;
      found_.events = count_;
      return;
    }
    if (own >= 0) {
      // Commands of one second keep the file's order. An event with its own id (exported) keeps
      // its time: its place is that of the id.
      if (e.id.empty()) {
        e.ts_us = spread_.Next(own);
      } else {
        e.ts_us = own;
        spread_.Keep(own);
      }
    } else if (!timed_) {
      e.ts_us = base_ + static_cast<int64_t>(i);
    } else if (i < layout_->first_timed) {
      e.ts_us = std::max<int64_t>(1, layout_->first_ts - static_cast<int64_t>(layout_->first_timed - i));
    } else {
      e.ts_us = spread_.After();
    }
  }

  std::string_view name_;
  HistoryFormat format_;
  const HistoryReadOptions& options_;
  const Layout* layout_;
  const size_t batch_;
  const Sink* sink_;
  const Checked* checked_;
  LineCursor* cursor_;
  std::string user_, session_;
  std::vector<Event> pending_;
  size_t count_ = 0;
  Layout found_;
  bool timed_ = false;
  int64_t base_ = 0;
  TimeSpreader spread_;
};

// One command name per line (Schonlau SEA, Purdue PU).
Status ParseOnePerLine(LineCursor& cur, std::string_view name, const HistoryReadOptions& options,
                       Builder* b) {
  std::string_view line;
  while (cur.Next(&line)) {
    std::string_view cmd = Trim(line);
    if (cmd.empty()) continue;
    b->AddShell(cmd, -1);
  }
  return cur.status();
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

Status ParseBash(LineCursor& cur, std::string_view name, const HistoryReadOptions& options,
                 Builder* b) {
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
  MEMORY_RETURN_IF_ERROR(cur.status());
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

Status ParseZsh(LineCursor& cur, std::string_view name, const HistoryReadOptions& options,
                Builder* b) {
  std::string_view line;
  std::string joined, unmeta;
  while (cur.Next(&line)) {
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
          MEMORY_RETURN_IF_ERROR(cur.status());
          return LineError(name, start_line,
                           "file ends inside a multi-line command (line ends with '\\')");
        }
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
  return cur.status();
}

// fish (~/.local/share/fish/fish_history): an entry per command,
//   - cmd: <command, '\' written as '\\' and a newline as '\n'>
//     when: <start, seconds>
//     paths:
//       - <an argument that was a path>
// Indented lines with other keys are skipped, as fish's own reader skips them; a line that is
// neither indented nor an entry's start is not fish history.
void UnescapeFish(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 1 < in.size() && (in[i + 1] == '\\' || in[i + 1] == 'n')) {
      out->push_back(in[++i] == 'n' ? '\n' : '\\');
    } else {
      out->push_back(in[i]);
    }
  }
}

Status ParseFish(LineCursor& cur, std::string_view name, const HistoryReadOptions& options,
                 Builder* b) {
  constexpr std::string_view kCmd = "- cmd:", kWhen = "when:";
  std::string_view line;
  std::string command;  // the open entry's, unescaped
  bool open = false;
  int64_t when = -1;
  auto emit = [&] {
    if (open && !IsBlank(command)) b->AddShell(command, when);
    open = false;
  };
  while (cur.Next(&line)) {
    if (IsBlank(line)) continue;
    if (line.substr(0, kCmd.size()) == kCmd) {
      emit();
      std::string_view text = line.substr(kCmd.size());
      if (!text.empty() && text[0] == ' ') text.remove_prefix(1);
      UnescapeFish(text, &command);
      open = true;
      when = -1;
      continue;
    }
    if (line[0] != ' ' && line[0] != '\t')
      return LineError(name, cur.line_no(), "not fish history (expected '- cmd: ' or an indented key)");
    std::string_view key = Trim(line);
    if (!open || key.substr(0, kWhen.size()) != kWhen) continue;  // paths, their items, other keys
    int64_t seconds = 0;
    if (!ParseInt64(Trim(key.substr(kWhen.size())), &seconds))
      return LineError(name, cur.line_no(), "malformed fish 'when:' (expected seconds since 1970)");
    if (seconds < 0 || seconds > kLatestEventTimeUs / 1000000)
      return LineError(name, cur.line_no(), "start time out of range (before 1970 or after year 9999)");
    when = seconds * 1000000;
  }
  MEMORY_RETURN_IF_ERROR(cur.status());
  emit();
  return Status::OK();
}

Status ParseJsonl(LineCursor& cur, std::string_view name, const HistoryReadOptions& options,
                  Builder* b) {
  std::string_view line;
  while (cur.Next(&line)) {
    if (IsBlank(line)) continue;
    Event& e = b->NextParsed();
    Status s = EventFromJson(line, &e);
    if (!s.ok()) return LineError(name, cur.line_no(), s.message());
    b->AddParsed(e);
  }
  return cur.status();
}

}  // namespace

Status ParseHistoryFormat(std::string_view name, HistoryFormat* out) {
  static constexpr HistoryFormat kAll[] = {HistoryFormat::kJsonl, HistoryFormat::kBash,
                                           HistoryFormat::kZsh, HistoryFormat::kFish,
                                           HistoryFormat::kSchonlau, HistoryFormat::kPurdue};
  for (HistoryFormat f : kAll) {
    if (name == HistoryFormatName(f)) {
      *out = f;
      return Status::OK();
    }
  }
  return Status::InvalidArgument("unknown history format '" + std::string(name) +
                                 "' (expected jsonl, bash, zsh, fish, schonlau or purdue)");
}

std::string_view HistoryFormatName(HistoryFormat f) {
  switch (f) {
    case HistoryFormat::kJsonl: return "jsonl";
    case HistoryFormat::kBash: return "bash";
    case HistoryFormat::kZsh: return "zsh";
    case HistoryFormat::kFish: return "fish";
    case HistoryFormat::kSchonlau: return "schonlau";
    case HistoryFormat::kPurdue: return "purdue";
  }
  return "unknown";
}

bool IsValidUtf8(std::string_view s) { return FirstInvalidUtf8(s) == s.size(); }

namespace {
// One pass over a history: the check pass (layout null) fills *found; the emit pass hands the
// events to `sink`.
Status Pass(LineCursor& cur, std::string_view name, HistoryFormat format,
            const HistoryReadOptions& options, const Builder::Layout* layout, size_t batch,
            const Builder::Sink* sink, const Builder::Checked* checked, Builder::Layout* found) {
  Builder b(name, format, options, layout, batch, sink, checked, &cur);
  Status s;
  switch (format) {
    case HistoryFormat::kSchonlau:
    case HistoryFormat::kPurdue: s = ParseOnePerLine(cur, name, options, &b); break;
    case HistoryFormat::kBash: s = ParseBash(cur, name, options, &b); break;
    case HistoryFormat::kZsh: s = ParseZsh(cur, name, options, &b); break;
    case HistoryFormat::kFish: s = ParseFish(cur, name, options, &b); break;
    case HistoryFormat::kJsonl: s = ParseJsonl(cur, name, options, &b); break;
  }
  if (!s.ok() && cur.status().ok() && !layout) {  // a parse error: is the input text at all?
    Status not_text = cur.NotTextLater();
    return not_text.ok() ? s : not_text;
  }
  MEMORY_RETURN_IF_ERROR(s);
  MEMORY_RETURN_IF_ERROR(b.Finish());
  if (found) *found = b.layout();
  return Status::OK();
}

// zsh may hold metafied bytes that are only valid UTF-8 once decoded; it checks per record.
bool LinesAreUtf8(HistoryFormat format) { return format != HistoryFormat::kZsh; }

Status StreamText(std::string_view text, std::string_view name, HistoryFormat format,
                  const HistoryReadOptions& options, size_t batch, const Builder::Checked& checked,
                  const std::function<void(size_t)>& counted, const Builder::Sink& sink) {
  Builder::Layout layout;
  LineCursor check(text, name, LinesAreUtf8(format), options.max_line_bytes);
  MEMORY_RETURN_IF_ERROR(Pass(check, name, format, options, nullptr, 0, nullptr, &checked, &layout));
  if (counted) counted(layout.events);
  if (!sink) return Status::OK();
  LineCursor emit(text, name, LinesAreUtf8(format), options.max_line_bytes);
  return Pass(emit, name, format, options, &layout, batch, &sink, nullptr, nullptr);
}

// A sink appending to *events (moved when it is empty).
Builder::Sink AppendTo(std::vector<Event>* events) {
  return [events](std::vector<Event>* batch) {
    if (events->empty()) {
      events->swap(*batch);
    } else {
      events->reserve(events->size() + batch->size());
      std::move(batch->begin(), batch->end(), std::back_inserter(*events));
    }
    return Status::OK();
  };
}

// An open file: `path`, or standard input for "-" (not closed).
class InputFile {
 public:
  explicit InputFile(const std::string& path)
      : fd_(path == "-" ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC)), owned_(path != "-") {}
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile() {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
  bool owned_;
};
}  // namespace

Status ParseHistory(std::string_view text, std::string_view name, HistoryFormat format,
                    const HistoryReadOptions& options, std::vector<Event>* events) {
  const size_t first = events->size();
  Status s = StreamText(text, name, format, options, SIZE_MAX, nullptr, nullptr, AppendTo(events));
  if (!s.ok()) events->resize(first);
  return s;
}

Status StreamHistoryFile(const std::string& path, std::string_view name, HistoryFormat format,
                         const HistoryReadOptions& options, size_t batch,
                         const std::function<void(const Event&)>& checked,
                         const std::function<void(size_t)>& counted,
                         const std::function<Status(std::vector<Event>*)>& sink,
                         HistoryLayout* found, const HistoryLayout* checked_layout) {
  if (name.empty()) name = path == "-" ? std::string_view("stdin") : std::string_view(path);
  InputFile fd(path);
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Status::IOError(path + ": cannot stat: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + ": is a directory, expected a history file");
  if (!S_ISREG(st.st_mode)) {  // a pipe or a terminal cannot be read twice: its text is kept
    std::string text;
    MEMORY_RETURN_IF_ERROR(ReadToEnd(fd.get(), std::string(name), kMaxDecompressedBytes, kNotText, &text));
    return StreamText(text, name, format, options, batch, checked, counted, sink);
  }
  // Both passes read the bytes the file had when opened, from where it was (standard input
  // redirected from a file may have been read before); lines appended since wait for the next
  // import. A file rewritten between the passes fails the second.
  const off_t start = ::lseek(fd.get(), 0, SEEK_CUR);
  if (start < 0) return Status::IOError(path + ": cannot seek: " + std::strerror(errno));
  uint64_t size = st.st_size > start ? static_cast<uint64_t>(st.st_size - start) : 0;
  Builder::Layout layout;
  if (checked_layout && checked_layout->valid) {
    if (checked_layout->bytes > size || checked_layout->device != static_cast<uint64_t>(st.st_dev) ||
        checked_layout->inode != static_cast<uint64_t>(st.st_ino))
      return Status::Aborted(std::string(name) + ": the file changed while it was read");
    size = checked_layout->bytes;
    layout = {checked_layout->events, checked_layout->first_timed, checked_layout->first_ts};
  } else {
    LineCursor check(fd.get(), size, name, LinesAreUtf8(format), options.max_line_bytes);
    MEMORY_RETURN_IF_ERROR(Pass(check, name, format, options, nullptr, 0, nullptr, &checked, &layout));
    if (found)
      *found = {layout.events, layout.first_timed, layout.first_ts, size, static_cast<uint64_t>(st.st_dev),
                static_cast<uint64_t>(st.st_ino), true};
  }
  if (counted) counted(layout.events);
  if (!sink) return Status::OK();
  if (::lseek(fd.get(), start, SEEK_SET) != start) return Status::IOError(path + ": cannot seek: " + std::strerror(errno));
  LineCursor emit(fd.get(), size, name, LinesAreUtf8(format), options.max_line_bytes);
  return Pass(emit, name, format, options, &layout, batch, &sink, nullptr, nullptr);
}

Status ReadHistoryFile(const std::string& path, HistoryFormat format,
                       const HistoryReadOptions& options, std::vector<Event>* events) {
  const size_t first = events->size();
  Status s = StreamHistoryFile(path, path, format, options, SIZE_MAX, nullptr, nullptr, AppendTo(events));
  if (!s.ok()) events->resize(first);
  return s;
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
  InputFile fd(path);
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  }
  std::string raw;  // a binary file (or /dev/zero) stops at its first block with a NUL byte
  MEMORY_RETURN_IF_ERROR(ReadToEnd(fd.get(), path, kMaxDecompressedBytes, kNotText, &raw));
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
