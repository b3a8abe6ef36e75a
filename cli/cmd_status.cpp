// memory status: what the store holds and how healthy it is, and how well the caches of the
// data directory hit (per use and level, summed over every run; from small saved counter files).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cache/hierarchy.h"
#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/json_text.h"

namespace memory::cli {
namespace {

nlohmann::ordered_json CachesJson(const std::vector<cache::Hierarchy::UseReport>& uses) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& u : uses) {
    nlohmann::ordered_json levels = nlohmann::ordered_json::array();
    for (const auto& l : u.levels) {
      nlohmann::ordered_json j;
      j["level"] = l.name;
      j["policy"] = l.policy;
      j["hits"] = l.stats.hits;
      j["misses"] = l.stats.misses;
      j["hit_ratio"] = l.stats.hit_ratio();
      j["evictions"] = l.stats.evictions;
      j["prefetches_issued"] = l.stats.prefetches_issued;
      j["prefetches_used"] = l.stats.prefetches_used;
      if (l.name == "L3") {
        j["disk_bytes"] = l.bytes;  // the L3 directory, shared by every use
      } else {
        j["size"] = l.size;  // entries and capacity at the last saved run
        j["capacity"] = l.capacity;
      }
      levels.push_back(j);
    }
    arr.push_back({{"name", u.name}, {"levels", levels}});
  }
  return arr;
}

void PrintCaches(const std::vector<cache::Hierarchy::UseReport>& uses, const Status& error) {
  if (!error.ok()) {
    std::printf("caches           unreadable: %s\n", error.ToString().c_str());
    return;
  }
  if (uses.empty()) {
    std::printf("caches           none used yet\n");
    return;
  }
  std::printf("caches           hits / requests per level, every run so far\n");
  for (const auto& u : uses) {
    for (size_t i = 0; i < u.levels.size(); ++i) {
      const auto& l = u.levels[i];
      std::string where = l.name == "L3" ? "disk " + FormatBytes(static_cast<int64_t>(l.bytes))
                                         : std::to_string(l.size) + "/" + std::to_string(l.capacity) + " entries";
      std::string policy = l.policy.substr(0, l.policy.find('('));
      std::printf("  %-10s %s %-9s %8llu / %-8llu %5.1f%%  %s\n", i == 0 ? u.name.c_str() : "", l.name.c_str(),
                  policy.c_str(), static_cast<unsigned long long>(l.stats.hits),
                  static_cast<unsigned long long>(l.stats.requests()), 100.0 * l.stats.hit_ratio(), where.c_str());
    }
  }
}

int RunStatus(bool json, const Globals& g) {
  StoreStats st;
  bool exists = false;
  if (Status s = CheckDataDir(g, &exists); !s.ok()) return Fail(s);
  if (exists) {
    std::unique_ptr<Store> store;
    Status s = OpenStore(g, StoreOptions::Mode::kReadOnly, &store);
    if (!s.ok()) return Fail(s);
    s = store->Stats(&st);
    if (!s.ok()) return Fail(s);
  }
  std::vector<cache::Hierarchy::UseReport> caches;
  Status cache_error;
  if (exists) cache_error = cache::Hierarchy::ReadAllSavedStats(cache::CacheDir(g.db), &caches);
  int64_t sst = 0;
  for (const auto& f : st.families) sst += f.sst_bytes;
  const std::string health = !exists ? "no store yet (nothing recorded)"
                             : st.deletion_pending
                                 ? "a forget or clean is running or was interrupted: events it matches may remain "
                                   "until it ends (run the same forget or clean again to finish it)"
                                 : "ok";
  double ratio = sst > 0 ? static_cast<double>(st.raw_bytes) / static_cast<double>(sst) : 0;
  if (json) {
    nlohmann::ordered_json j;
    j["events"] = st.events;
    j["distinct_commands"] = st.distinct_commands;
    j["sessions"] = st.sessions;
    j["users"] = st.users;
    j["first_ts"] = st.first_ts_us;
    j["last_ts"] = st.last_ts_us;
    j["pending_spool_events"] = st.pending_spool_events;
    j["disk_bytes"] = st.disk_bytes;
    j["raw_bytes"] = st.raw_bytes;
    j["compression_ratio"] = ratio;
    j["recording"] = st.paused ? "paused" : "on";
    j["read_only"] = st.read_only;
    j["data_dir"] = g.db;
    auto& fams = j["families"] = nlohmann::ordered_json::array();
    for (const auto& f : st.families)
      fams.push_back({{"name", f.name}, {"keys", f.keys}, {"sst_bytes", f.sst_bytes}, {"memtable_bytes", f.memtable_bytes}});
    j["caches"] = CachesJson(caches);
    if (!cache_error.ok()) j["caches_error"] = cache_error.ToString();
    j["deletion_pending"] = st.deletion_pending;
    j["health"] = health;
    std::printf("%s\n", JsonText(j, 2).c_str());
    return 0;
  }
  std::printf("data directory   %s\n", g.db.c_str());
  std::printf("recording        %s\n", st.paused ? "PAUSED (memory learn --enable resumes)" : "on");
  std::printf("events           %lld", static_cast<long long>(st.events));
  if (st.pending_spool_events) std::printf("  (%lld in the spool, not folded yet)", static_cast<long long>(st.pending_spool_events));
  std::printf("\ndistinct commands %lld\n", static_cast<long long>(st.distinct_commands));
  std::printf("sessions         %lld\nusers            %lld\n", static_cast<long long>(st.sessions), static_cast<long long>(st.users));
  std::printf("first event      %s\nlast event       %s (%s)\n", FormatLocalTime(st.first_ts_us).c_str(),
              FormatLocalTime(st.last_ts_us).c_str(), FormatAge(st.last_ts_us).c_str());
  std::printf("on disk          %s (raw %s, compression %.1fx)\n", FormatBytes(st.disk_bytes).c_str(),
              FormatBytes(st.raw_bytes).c_str(), ratio);
  std::printf("column families\n");
  for (const auto& f : st.families)
    std::printf("  %-12s %10lld keys %12s\n", f.name.c_str(), static_cast<long long>(f.keys),
                FormatBytes(f.sst_bytes + f.memtable_bytes).c_str());
  PrintCaches(caches, cache_error);
  std::printf("health           %s\n", health.c_str());
  return 0;
}

void SetupStatus(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("status", "What the store holds: events, commands, sessions, sizes, cache hit ratios, health");
  auto json = std::make_shared<bool>(false);
  sub->add_flag("--json", *json, "Print JSON");
  sub->callback([json, &g, action] { *action = [json, &g] { return RunStatus(*json, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(20, "status", SetupStatus);
}  // namespace memory::cli
