// The simulator: one stream per user (its own Rng, so users are independent of each other),
// each producing sessions on a working-day schedule; streams are merged by time.
#include "env/simulator.h"

#include <algorithm>
#include <cmath>
#include <queue>

#include "env/sim_random.h"
#include "env/sim_session.h"
#include "env/sim_world.h"

namespace memory::env {
namespace {

constexpr int64_t kSecondUs = 1'000'000;
constexpr int64_t kHourUs = 3600 * kSecondUs;
constexpr int64_t kDayUs = 24 * kHourUs;

// SplitMix64: derives independent seeds for the streams from the one seed.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

int AutoUsers(int64_t events) {
  return static_cast<int>(std::clamp<int64_t>(events / 25000, 3, 200));
}

class UserStream {
 public:
  UserStream(sim::User user, uint64_t seed, int64_t budget, int64_t start_us, double agent_share)
      : user_(std::move(user)), rng_(seed), budget_(budget), start_us_(start_us),
        agent_share_(agent_share), cursor_us_(start_us) {
    first_midnight_us_ = start_us - ((start_us % kDayUs) + kDayUs) % kDayUs;
  }

  bool HasEvent() const { return pos_ < buf_.size(); }
  int64_t FrontTs() const { return buf_[pos_].ts_us; }
  void Take(Event* e) { *e = std::move(buf_[pos_++]); }

  // Generates the next session; false once the budget is spent.
  bool Refill() {
    buf_.clear();
    pos_ = 0;
    if (emitted_ >= budget_) return false;
    int64_t start = NextSessionStart();
    bool agent = ChooseAgent();
    if (agent) {
      std::string session = user_.name + ":" + user_.agent + ":" + std::to_string(++agent_runs_);
      cursor_us_ = sim::RunAgentSession(user_, rng_, start, session, &buf_);
    } else {
      std::string session = user_.name + ":sh:" + std::to_string(++shell_sessions_);
      cursor_us_ = sim::RunHumanSession(user_, rng_, start, session, &buf_);
    }
    int64_t left = budget_ - emitted_;
    if (static_cast<int64_t>(buf_.size()) > left) buf_.resize(static_cast<size_t>(left));
    emitted_ += static_cast<int64_t>(buf_.size());
    if (agent) agent_events_ += static_cast<int64_t>(buf_.size());
    return !buf_.empty();
  }

 private:
  // Agent runs are about 24 events, shell sessions about 29: choose so that the share of
  // events (not of sessions) matches, and steer back in proportion to the running error.
  bool ChooseAgent() {
    if (agent_share_ <= 0) return false;
    if (agent_share_ >= 1) return true;
    constexpr double kAgentLen = 24, kHumanLen = 29;
    double a = agent_share_ / kAgentLen, h = (1 - agent_share_) / kHumanLen;
    double q = a / (a + h);
    if (emitted_ >= 30) {
      double actual = static_cast<double>(agent_events_) / static_cast<double>(emitted_);
      double err = (agent_share_ - actual) / std::min(agent_share_, 1 - agent_share_);
      q = std::clamp(q * (1 + 4 * err), 0.0, 1.0);
    }
    return rng_.Chance(q);
  }

  int64_t NextSessionStart() {
    while (today_pos_ >= today_.size()) PlanDay(++day_);
    int64_t planned = today_[today_pos_++];
    int64_t earliest = cursor_us_ + static_cast<int64_t>(rng_.Uniform(30, 900) * kSecondUs);
    return std::max(planned, earliest);
  }

  // Session starts for day `d` (counted from the start's midnight): working days mostly.
  void PlanDay(int64_t d) {
    today_.clear();
    today_pos_ = 0;
    int64_t midnight = first_midnight_us_ + d * kDayUs;
    int64_t days_since_epoch = midnight / kDayUs;
    int weekday = static_cast<int>(((days_since_epoch + 3) % 7 + 7) % 7);  // 0 = Monday
    bool weekend = weekday >= 5;
    if (weekend ? !rng_.Chance(0.12) : rng_.Chance(0.04)) return;  // day off
    double mean = (weekend ? 1.5 : 4.5) * user_.weight;
    int n = std::max(1, static_cast<int>(std::lround(rng_.LogNormal(mean, 0.35))));
    double begin_h = user_.start_hour + rng_.Normal() * 0.4;
    for (int i = 0; i < n; ++i) {
      int64_t t = midnight + static_cast<int64_t>((begin_h + rng_.Uniform(0, 9.5)) * kHourUs);
      if (t >= start_us_) today_.push_back(t);
    }
    std::sort(today_.begin(), today_.end());
  }

  sim::User user_;
  sim::Rng rng_;
  int64_t budget_;
  int64_t start_us_;
  double agent_share_;
  int64_t cursor_us_;
  int64_t first_midnight_us_ = 0;
  int64_t day_ = -1;
  std::vector<int64_t> today_;
  size_t today_pos_ = 0;
  int64_t emitted_ = 0, agent_events_ = 0;
  int64_t shell_sessions_ = 0, agent_runs_ = 0;
  std::vector<Event> buf_;
  size_t pos_ = 0;
};

class MergedSimulator final : public Simulator {
 public:
  explicit MergedSimulator(const SimulatorOptions& o) {
    int n = o.users > 0 ? o.users : AutoUsers(o.events);
    int64_t start = o.start_ts_us > 0 ? o.start_ts_us : kDefaultSimulationStartUs;
    sim::Rng world(Mix(o.seed));
    std::vector<sim::User> users;
    double total_weight = 0;
    for (int i = 0; i < n; ++i) {
      users.push_back(sim::MakeUser(i, world));
      total_weight += users.back().weight;
    }
    // Budgets proportional to activity, summing to exactly o.events.
    std::vector<int64_t> budgets(static_cast<size_t>(n));
    int64_t assigned = 0;
    for (int i = 0; i < n; ++i) {
      budgets[i] = static_cast<int64_t>(std::floor(static_cast<double>(o.events) *
                                                   users[i].weight / total_weight));
      assigned += budgets[i];
    }
    for (int64_t i = 0; assigned < o.events; i = (i + 1) % n, ++assigned) ++budgets[i];
    streams_.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      streams_.emplace_back(std::move(users[i]), Mix(o.seed ^ Mix(static_cast<uint64_t>(i) + 1)),
                            budgets[i], start, o.agent_share);
      if (streams_.back().Refill()) heap_.push({streams_.back().FrontTs(), static_cast<size_t>(i)});
    }
  }

  bool Next(Event* e) override {
    if (heap_.empty()) return false;
    auto [ts, i] = heap_.top();
    heap_.pop();
    UserStream& s = streams_[i];
    s.Take(e);
    ++produced_;
    if (s.HasEvent() || s.Refill()) heap_.push({s.FrontTs(), i});
    return true;
  }

  int64_t produced() const override { return produced_; }

 private:
  using Entry = std::pair<int64_t, size_t>;  // (time, stream): ties go to the lower stream
  int64_t produced_ = 0;
  std::vector<UserStream> streams_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
};

}  // namespace

Status ValidateSimulatorOptions(const SimulatorOptions& o) {
  if (o.events < 0) return Status::InvalidArgument("--events must be >= 0, got " + std::to_string(o.events));
  if (o.users < 0 || o.users > 100000) {
    return Status::InvalidArgument("--users must be between 0 (automatic) and 100000, got " +
                                   std::to_string(o.users));
  }
  if (!(o.agent_share >= 0.0 && o.agent_share <= 1.0)) {
    return Status::InvalidArgument("--agents-share must be between 0 and 1, got " +
                                   std::to_string(o.agent_share));
  }
  constexpr int64_t kYear2200Us = 7'258'118'400LL * kSecondUs;
  if (o.start_ts_us < 0 || o.start_ts_us > kYear2200Us) {
    return Status::InvalidArgument("start time must be between 1970 and 2200");
  }
  return Status::OK();
}

Status Simulator::Create(const SimulatorOptions& options, std::unique_ptr<Simulator>* out) {
  MEMORY_RETURN_IF_ERROR(ValidateSimulatorOptions(options));
  *out = std::make_unique<MergedSimulator>(options);
  return Status::OK();
}

Status StartEndingBefore(const SimulatorOptions& options, int64_t end_us, int64_t* start_us) {
  std::unique_ptr<Simulator> sim;
  MEMORY_RETURN_IF_ERROR(Simulator::Create(options, &sim));
  const int64_t start = options.start_ts_us > 0 ? options.start_ts_us : kDefaultSimulationStartUs;
  int64_t last = start;
  Event e;
  while (sim->Next(&e)) last = std::max(last, e.ts_us + e.duration_us.value_or(0));
  constexpr int64_t kWeekUs = 7 * kDayUs;
  int64_t gap = end_us - last;
  // Whole weeks, rounding towards the past, so the last event ends before end_us.
  int64_t weeks = gap >= 0 ? gap / kWeekUs : -((-gap + kWeekUs - 1) / kWeekUs);
  int64_t shifted = start + weeks * kWeekUs;
  if (shifted <= 0) return Status::InvalidArgument("the simulated period would start before 1970");
  *start_us = shifted;
  return Status::OK();
}

Status Simulate(const SimulatorOptions& options, std::vector<Event>* out) {
  std::unique_ptr<Simulator> sim;
  MEMORY_RETURN_IF_ERROR(Simulator::Create(options, &sim));
  out->reserve(out->size() + static_cast<size_t>(std::min<int64_t>(options.events, 1 << 22)));
  Event e;
  while (sim->Next(&e)) out->push_back(std::move(e));
  return Status::OK();
}

}  // namespace memory::env
