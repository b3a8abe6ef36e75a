// memory search: find commands by substring, prefix, regex or fuzzy match; newest first, or by
// fuzzy score and frecency. Results are cached per store state (cache/search_cache.h): asking
// the same question again before anything is recorded skips the search.
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "cache/search_cache.h"
#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

struct SearchOptions {
  std::string text, cwd, since;
  bool prefix = false, regex = false, fuzzy = false, failed = false, json = false, no_cache = false;
  std::optional<int> exit_code;
  size_t limit = 20;
};

int RunSearch(const SearchOptions& o, const Globals& g) {
  if (o.prefix + o.regex + o.fuzzy > 1) return Fail(Status::InvalidArgument("choose one of --prefix, --regex, --fuzzy"));
  SearchQuery q;
  q.text = o.text;
  q.match = o.prefix ? SearchQuery::Match::kPrefix
            : o.regex ? SearchQuery::Match::kRegex
            : o.fuzzy ? SearchQuery::Match::kFuzzy
                      : SearchQuery::Match::kSubstring;
  q.cwd = o.cwd;
  q.exit_code = o.exit_code;
  q.failed_only = o.failed;
  q.limit = o.limit;
  if (!o.since.empty()) {
    int64_t us;
    Status s = ParseDuration(o.since, &us);
    if (!s.ok()) return Fail(s);
    q.since_us = NowMicros() - us;
  }
  std::vector<SearchHit> hits;
  bool exists = false;
  if (Status s = CheckDataDir(g, &exists); !s.ok()) return Fail(s);
  if (exists) {
    // $MEMORY_SEARCH_CACHE: "off" = --no-cache; "always" saves even results cheaper to
    // recompute than to cache (tests, benchmarks); otherwise the cost rule of search_cache.h.
    const char* env = std::getenv("MEMORY_SEARCH_CACHE");
    const std::string mode = env ? env : "";
    std::unique_ptr<cache::SearchCache> cache;
    if (!o.no_cache && mode != "off")
      cache = cache::SearchCache::Open(g.db, mode == "always" ? cache::SearchCache::SaveRule::kAlways
                                                              : cache::SearchCache::SaveRule::kAuto);
    if (!cache || !cache->Lookup(q, &hits)) {
      const int64_t start = NowMicros();
      std::unique_ptr<Store> store;
      Status s = OpenStore(g, StoreOptions::Mode::kReadOnly, &store);
      if (!s.ok()) return Fail(s);
      s = store->Search(q, &hits);
      if (!s.ok()) return Fail(s);
      store.reset();
      if (cache) cache->Save(q, hits, NowMicros() - start);
    }
  } else if (q.match == SearchQuery::Match::kRegex) {
    RE2 re(q.text, RE2::Quiet);  // still report a bad expression
    if (!re.ok()) return Fail(Status::InvalidArgument("bad regular expression '" + q.text + "': " + re.error()));
  }
  if (o.json) {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto& h : hits) {
      nlohmann::ordered_json r;
      r["command"] = h.command;
      r["count"] = h.count;
      r["last_ts"] = h.last_ts_us;
      if (h.last_exit) r["last_exit"] = *h.last_exit;
      if (!h.last_cwd.empty()) r["last_cwd"] = h.last_cwd;
      if (q.match == SearchQuery::Match::kFuzzy) r["score"] = h.score;
      j.push_back(r);
    }
    std::printf("%s\n", JsonText(j).c_str());
    return 0;
  }
  for (const auto& h : hits) {
    std::string exit = h.last_exit ? (*h.last_exit == 0 ? "ok" : "exit " + std::to_string(*h.last_exit)) : "";
    std::printf("%-10s %5lldx %-8s %s\n", FormatAge(h.last_ts_us).c_str(), static_cast<long long>(h.count),
                exit.c_str(), h.command.c_str());
  }
  if (hits.empty()) std::fprintf(stderr, "memory: no command matches\n");
  return 0;
}

void SetupSearch(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("search", "Search recorded commands");
  auto o = std::make_shared<SearchOptions>();
  sub->add_option("text", o->text, "Text to look for")->required();
  sub->add_flag("--prefix", o->prefix, "Commands that start with TEXT");
  sub->add_flag("--regex", o->regex, "TEXT is a regular expression (RE2 syntax)");
  sub->add_flag("--fuzzy", o->fuzzy, "Fuzzy match, ranked by score and frecency");
  sub->add_option("--cwd", o->cwd, "Only commands run in this directory");
  sub->add_flag("--failed", o->failed, "Only failed runs (non-zero exit)");
  sub->add_option("--exit", o->exit_code, "Only runs with this exit status");
  sub->add_option("--since", o->since, "Only the last 7d, 12h, 30m ...");
  sub->add_option("--limit", o->limit, "At most N commands (default 20)")->check(CLI::Range(1, 1000000));
  sub->add_flag("--no-cache", o->no_cache, "Do not use the results cache (also: MEMORY_SEARCH_CACHE=off)");
  sub->add_flag("--json", o->json, "Print JSON");
  sub->callback([o, &g, action] { *action = [o, &g] { return RunSearch(*o, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(30, "search", SetupSearch);
}  // namespace memory::cli
