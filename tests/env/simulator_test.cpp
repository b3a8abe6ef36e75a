#include "env/simulator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace memory::env {
namespace {

std::vector<Event> Generate(uint64_t seed, int64_t events, int users = 4, double agent_share = 0.2) {
  SimulatorOptions o;
  o.seed = seed;
  o.events = events;
  o.users = users;
  o.agent_share = agent_share;
  std::vector<Event> out;
  Status s = Simulate(o, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::string FirstWord(const std::string& c) { return c.substr(0, c.find(' ')); }

bool IsEditor(const Event& e) {
  static const std::set<std::string> kEditors = {"vim", "nvim", "code", "emacs", "nano"};
  return e.command == "edit_file" || kEditors.count(FirstWord(e.command)) > 0;
}

std::map<std::string, std::vector<const Event*>> BySession(const std::vector<Event>& ev) {
  std::map<std::string, std::vector<const Event*>> m;
  for (const auto& e : ev) m[e.session].push_back(&e);
  return m;
}

TEST(Simulator, SameSeedSameEventsDifferentSeedDifferentEvents) {
  auto a = Generate(7, 3000);
  auto b = Generate(7, 3000);
  ASSERT_EQ(a.size(), 3000u);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << "event " << i;
  auto c = Generate(8, 3000);
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i].command == c[i].command && a[i].ts_us == c[i].ts_us;
  EXPECT_LT(same, a.size() / 10);
}

TEST(Simulator, StreamingMatchesBatchAndCountIsExact) {
  for (int64_t n : {0, 1, 17, 2500}) {
    SimulatorOptions o;
    o.seed = 3;
    o.events = n;
    std::unique_ptr<Simulator> sim;
    ASSERT_TRUE(Simulator::Create(o, &sim).ok());
    std::vector<Event> streamed;
    Event e;
    while (sim->Next(&e)) streamed.push_back(e);
    EXPECT_FALSE(sim->Next(&e));
    EXPECT_EQ(sim->produced(), n);
    ASSERT_EQ(static_cast<int64_t>(streamed.size()), n);
    std::vector<Event> batch;
    ASSERT_TRUE(Simulate(o, &batch).ok());
    EXPECT_EQ(batch, streamed);
  }
}

TEST(Simulator, EveryEventHasTheRequiredFields) {
  auto ev = Generate(11, 6000);
  std::set<std::string> ids;
  int64_t prev = 0;
  for (const auto& e : ev) {
    ASSERT_EQ(e.id.size(), 32u);
    EXPECT_EQ(e.id.find_first_not_of("0123456789abcdef"), std::string::npos) << e.id;
    EXPECT_TRUE(ids.insert(e.id).second) << "duplicate id " << e.id;
    EXPECT_GE(e.ts_us, kDefaultSimulationStartUs);
    EXPECT_GE(e.ts_us, prev) << "events must come in time order";
    prev = e.ts_us;
    EXPECT_FALSE(e.command.empty());
    EXPECT_EQ(e.cwd.rfind("/home/" + e.user, 0), 0u) << e.cwd;
    EXPECT_FALSE(e.user.empty());
    EXPECT_FALSE(e.session.empty());
    EXPECT_FALSE(e.host.empty());
    EXPECT_TRUE(e.actor == "human" || e.actor.rfind("agent:", 0) == 0) << e.actor;
    ASSERT_TRUE(e.exit_code.has_value());
    ASSERT_TRUE(e.duration_us.has_value());
    EXPECT_GT(*e.duration_us, 0);
    ASSERT_TRUE(e.cpu_us.has_value());
    ASSERT_TRUE(e.peak_rss_kb.has_value());
    EXPECT_GT(*e.peak_rss_kb, 0);
    EXPECT_NE(std::find(e.tags.begin(), e.tags.end(), "sim"), e.tags.end());
    if (!e.repo_root.empty()) {
      EXPECT_EQ(e.cwd.rfind(e.repo_root, 0), 0u) << e.cwd << " not under " << e.repo_root;
      EXPECT_FALSE(e.branch.empty());
    }
    if (e.actor != "human") {
      EXPECT_FALSE(e.repo_root.empty());
    }
    if (e.kind == EventKind::kToolCall) {
      auto j = nlohmann::json::parse(e.params_json, nullptr, false);
      EXPECT_TRUE(j.is_object()) << e.params_json;
      EXPECT_NE(e.actor, "human");
    } else {
      EXPECT_TRUE(e.params_json.empty());
    }
    // A failure other than grep's "no match" explains itself.
    if (e.failed() && FirstWord(e.command) != "grep") {
      EXPECT_FALSE(e.error.empty()) << e.command;
    }
    if (!e.failed()) {
      EXPECT_TRUE(e.error.empty()) << e.command;
    }
  }
}

// Build and test failures are followed, in the same session, by an edit and the same command.
TEST(Simulator, FailuresAreFollowedByAFixAndARerun) {
  auto ev = Generate(5, 20000);
  int failures = 0, fixed = 0;
  for (const auto& [session, list] : BySession(ev)) {
    for (size_t i = 0; i < list.size(); ++i) {
      const Event& f = *list[i];
      bool build_or_test = f.command == "run_tests" || f.error.find("FAIL") != std::string::npos ||
                           f.error.find("error") != std::string::npos;
      if (!f.failed() || *f.exit_code == 127 || !build_or_test) continue;
      if (f.command.rfind("git ", 0) == 0 || f.command.rfind("docker", 0) == 0 ||
          f.command.rfind("kubectl", 0) == 0 || f.command.rfind("k ", 0) == 0 ||
          f.command == "edit_file" || f.command == "read_file")
        continue;
      ++failures;
      bool edited = false;
      for (size_t j = i + 1; j < list.size() && j <= i + 10; ++j) {
        if (IsEditor(*list[j])) edited = true;
        if (edited && list[j]->command == f.command && list[j]->params_json == f.params_json) {
          ++fixed;
          break;
        }
      }
    }
  }
  RecordProperty("failures", failures);
  RecordProperty("fixed_and_rerun", fixed);
  EXPECT_GT(failures, 200);
  EXPECT_GT(fixed, failures * 7 / 10) << fixed << " of " << failures;
}

TEST(Simulator, SessionsUsersProjectsAndVariety) {
  const int users = 5;
  auto ev = Generate(21, 20000, users);
  std::set<std::string> user_names, repos, cwds, hosts, commits, commands, first_words;
  for (const auto& e : ev) {
    user_names.insert(e.user);
    if (!e.repo_root.empty()) repos.insert(e.repo_root);
    cwds.insert(e.cwd);
    hosts.insert(e.host);
    commands.insert(e.command);
    first_words.insert(FirstWord(e.command));
    if (e.command.find("commit -m") != std::string::npos) commits.insert(e.command);
  }
  EXPECT_EQ(user_names.size(), static_cast<size_t>(users));
  EXPECT_GE(repos.size(), 2u * users);
  EXPECT_GT(cwds.size(), repos.size());
  EXPECT_EQ(hosts.size(), static_cast<size_t>(users));
  EXPECT_GT(commits.size(), 50u);                     // messages vary
  EXPECT_GT(commands.size(), 10 * first_words.size());  // arguments vary: templates matter

  auto sessions = BySession(ev);
  std::vector<size_t> human, agent;
  for (const auto& [id, list] : sessions) {
    (list.front()->actor == "human" ? human : agent).push_back(list.size());
    for (const Event* e : list) ASSERT_EQ(e->actor, list.front()->actor) << id;
  }
  ASSERT_GT(human.size(), 50u);
  ASSERT_GT(agent.size(), 20u);
  std::sort(human.begin(), human.end());
  std::sort(agent.begin(), agent.end());
  EXPECT_GE(human[human.size() / 2], 8u);   // median shell session: several commands
  EXPECT_GE(agent[agent.size() / 2], 10u);  // agent runs: tens of steps
  EXPECT_LE(agent[agent.size() / 2], 60u);
}

TEST(Simulator, HumansWorkInWorkingHoursOnWeekdays) {
  auto ev = Generate(2, 10000, 3, 0.0);
  size_t in_hours = 0, weekday = 0;
  for (const auto& e : ev) {
    int64_t sec = e.ts_us / 1'000'000;
    int hour = static_cast<int>((sec % 86400) / 3600);
    int dow = static_cast<int>(((sec / 86400) + 3) % 7);  // 0 = Monday
    in_hours += hour >= 6 && hour < 23;
    weekday += dow < 5;
  }
  EXPECT_GT(in_hours, ev.size() * 95 / 100);
  EXPECT_GT(weekday, ev.size() * 85 / 100);
}

TEST(Simulator, AgentShareIsHonoured) {
  for (double share : {0.0, 0.2, 0.5, 1.0}) {
    auto ev = Generate(9, 20000, 4, share);
    size_t agent = 0, tools = 0;
    std::set<std::string> tool_names;
    for (const auto& e : ev) {
      if (e.actor == "human") continue;
      ++agent;
      if (e.kind == EventKind::kToolCall) {
        ++tools;
        tool_names.insert(e.command);
      }
    }
    double got = static_cast<double>(agent) / static_cast<double>(ev.size());
    EXPECT_NEAR(got, share, 0.04) << "share " << share;
    if (share > 0) {
      EXPECT_GT(tools, agent / 2);
      for (const char* t : {"read_file", "edit_file", "search_code", "run_tests"})
        EXPECT_TRUE(tool_names.count(t)) << t;
    }
  }
}

TEST(Simulator, AutomaticUserCountAndStart) {
  SimulatorOptions o;
  o.events = 500;
  o.start_ts_us = 1'800'000'000LL * 1'000'000;
  std::vector<Event> ev;
  ASSERT_TRUE(Simulate(o, &ev).ok());
  std::set<std::string> users;
  for (const auto& e : ev) {
    users.insert(e.user);
    EXPECT_GE(e.ts_us, o.start_ts_us);
  }
  EXPECT_EQ(users.size(), 3u);
}

TEST(Simulator, StartEndingBeforeShiftsByWholeWeeks) {
  SimulatorOptions o;
  o.seed = 4;
  o.events = 2000;
  std::vector<Event> base;
  ASSERT_TRUE(Simulate(o, &base).ok());
  const int64_t end = base.back().ts_us + 100LL * 86400 * 1'000'000;  // 100 days after
  int64_t start = 0;
  ASSERT_TRUE(StartEndingBefore(o, end, &start).ok());
  const int64_t week = 7LL * 86400 * 1'000'000;
  const int64_t shift = start - kDefaultSimulationStartUs;
  EXPECT_EQ(shift % week, 0);
  EXPECT_GT(shift, 0);
  o.start_ts_us = start;
  std::vector<Event> moved;
  ASSERT_TRUE(Simulate(o, &moved).ok());
  ASSERT_EQ(moved.size(), base.size());
  for (size_t i = 0; i < base.size(); ++i) {
    ASSERT_EQ(moved[i].ts_us, base[i].ts_us + shift);
    ASSERT_EQ(moved[i].command, base[i].command);
  }
  EXPECT_LE(moved.back().ts_us + *moved.back().duration_us, end);
  EXPECT_GT(moved.back().ts_us, end - week - 86400LL * 1'000'000);
}

TEST(Simulator, BadOptionsAreRejected) {
  std::unique_ptr<Simulator> sim;
  SimulatorOptions o;
  o.events = -1;
  Status s = Simulator::Create(o, &sim);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("--events"), std::string::npos);
  o = {};
  o.agent_share = 1.5;
  s = Simulator::Create(o, &sim);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("--agents-share"), std::string::npos);
  o.agent_share = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(Simulator::Create(o, &sim).IsInvalidArgument());
  o = {};
  o.users = -2;
  s = Simulator::Create(o, &sim);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("--users"), std::string::npos);
  o = {};
  o.start_ts_us = -5;
  EXPECT_TRUE(Simulator::Create(o, &sim).IsInvalidArgument());
  std::vector<Event> out;
  EXPECT_TRUE(Simulate(o, &out).IsInvalidArgument());
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace memory::env
