#include "cli/common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>

#include "env/read_to_end.h"
#include "store/recorder.h"

namespace memory::cli {

Status LoadUserConfig(const Globals& g, Config* config) { return LoadConfig(g.config, config); }

Status LoadPrivacy(const Globals& g, Config* config, std::unique_ptr<PrivacyFilter>* privacy) {
  MEMORY_RETURN_IF_ERROR(LoadUserConfig(g, config));
  return PrivacyFilter::Create(*config, privacy);
}

Status RecordToSpool(const Globals& g, const Config& config, std::vector<Event>& events) {
  RecorderOptions ro;
  ro.dir = g.db;
  ro.sync = config.sync;
  return RecordEvents(ro, events);
}

std::string TooFewEventsReason(int64_t n, int64_t need, int64_t since_us, Store* store) {
  return "not enough events to train and evaluate (" + std::to_string(n) + " in range, need " + std::to_string(need) +
         ")" + SinceHint(n, since_us, store);
}

std::string SinceHint(int64_t n, int64_t since_us, Store* store) {
  StoreStats stats;
  if (since_us <= 0 || !store->Stats(&stats).ok() || stats.events <= n) return "";
  return "; --since leaves " + std::to_string(stats.events - n) + " older events out (--since all takes every event)";
}

Status CheckDataDir(const Globals& g, bool* exists) {
  struct stat st;
  *exists = false;
  if (::stat(g.db.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::OK();
    return Status::IOError(g.db + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode))
    return Status::InvalidArgument(g.db + " is not a directory (--db or $MEMORY_DB names the data directory)");
  *exists = true;
  return Status::OK();
}

std::string FormatLocalTime(int64_t ts_us) {
  if (ts_us <= 0) return "-";
  time_t secs = static_cast<time_t>(ts_us / 1000000);
  struct tm tm;
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string FormatAge(int64_t ts_us) {
  if (ts_us <= 0) return "-";
  int64_t s = (NowMicros() - ts_us) / 1000000;
  char buf[32];
  if (s < 0) return "in the future";
  if (s < 60) std::snprintf(buf, sizeof buf, "%llds ago", static_cast<long long>(s));
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%lldm ago", static_cast<long long>(s / 60));
  else if (s < 86400) std::snprintf(buf, sizeof buf, "%lldh ago", static_cast<long long>(s / 3600));
  else std::snprintf(buf, sizeof buf, "%lldd ago", static_cast<long long>(s / 86400));
  return buf;
}

std::string FormatBytes(int64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

bool Confirm(const std::string& question) {
  if (!isatty(STDIN_FILENO)) return false;
  std::fprintf(stderr, "%s [y/N] ", question.c_str());
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

Progress::Progress(const Globals& g, std::string what, size_t total)
    : enabled_(!g.quiet && StderrIsTerminal()), what_(std::move(what)), total_(total), start_us_(NowMicros()) {}

Progress::~Progress() { Done(); }

void Progress::Update(size_t done) {
  if (!enabled_) return;
  int64_t now = NowMicros();
  if (now - last_us_ < 100000) return;
  last_us_ = now;
  double secs = static_cast<double>(now - start_us_) / 1e6;
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  if (total_)
    std::fprintf(stderr, "\r%s: %zu / %zu (%.0f%%), %.0f/s   ", what_.c_str(), done, total_,
                 100.0 * static_cast<double>(done) / static_cast<double>(total_), rate);
  else
    std::fprintf(stderr, "\r%s: %zu, %.0f/s   ", what_.c_str(), done, rate);
  printed_ = true;
}

void Progress::Done() {
  if (enabled_ && printed_) std::fprintf(stderr, "\r\033[K");
  printed_ = false;
}

Status ReadStdinJson(size_t limit, const std::string& what, std::string* out) {
  return env::ReadToEnd(STDIN_FILENO, what, limit, "binary data (a NUL byte), expected JSON", out);
}

}  // namespace memory::cli
