#include "learner/online_eval.h"

#include <algorithm>
#include <chrono>
#include <atomic>
#include <climits>
#include <mutex>
#include <thread>

namespace memory::learner {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Fills `ctx` for command i of `s` (history = commands before i).
void MakeContext(const UserStream& s, size_t i, uint32_t* session_start, Context* ctx) {
  ctx->history = std::span<const CommandId>(s.commands.data(), i);
  if (!s.sessions.empty() && i > 0 && s.sessions[i] != s.sessions[i - 1]) *session_start = static_cast<uint32_t>(i);
  ctx->position = static_cast<uint32_t>(i) - *session_start;
  ctx->cwd = s.cwds.empty() ? 0 : s.cwds[i];
  ctx->has_last_exit = i > 0 && !s.exits.empty() && s.exits[i - 1] != INT32_MIN;
  ctx->last_exit = ctx->has_last_exit ? s.exits[i - 1] : 0;
  ctx->gap_us = (i > 0 && !s.ts_us.empty()) ? s.ts_us[i] - s.ts_us[i - 1] : -1;
  ctx->agent = !s.agent.empty() && s.agent[i] != 0;
}

}  // namespace

UserStream StreamFromEvents(std::string name, const std::vector<Event>& events, StreamVocabularies* v) {
  UserStream s;
  s.name = std::move(name);
  const size_t n = events.size();
  s.commands.reserve(n);
  bool any_cwd = false, any_exit = false, any_ts = false, any_session = false, any_agent = false;
  for (const Event& e : events) {
    any_cwd |= !e.cwd.empty();
    any_exit |= e.exit_code.has_value();
    any_ts |= e.ts_us != 0;
    any_session |= !e.session.empty();
    any_agent |= !e.actor.empty() && e.actor != "human";
  }
  v->cwds.Intern("");  // id 0 = unknown
  for (const Event& e : events) {
    s.commands.push_back(v->commands.Intern(e.command));
    if (any_cwd) s.cwds.push_back(v->cwds.Intern(e.cwd));
    if (any_exit) s.exits.push_back(e.exit_code ? *e.exit_code : INT32_MIN);
    if (any_ts) s.ts_us.push_back(e.ts_us);
    if (any_session) s.sessions.push_back(v->sessions.Intern(e.session));
    if (any_agent) s.agent.push_back(!e.actor.empty() && e.actor != "human");
  }
  return s;
}

double EvalResult::Macro(int i) const {
  if (users.empty()) return 0;
  double sum = 0;
  int n = 0;
  for (const User& u : users)
    if (u.counts.scored) { sum += u.counts.Rate(i); ++n; }
  return n ? sum / n : 0;
}
double EvalResult::Min(int i) const {
  double m = 1;
  for (const User& u : users)
    if (u.counts.scored) m = std::min(m, u.counts.Rate(i));
  return users.empty() ? 0 : m;
}
double EvalResult::Max(int i) const {
  double m = 0;
  for (const User& u : users)
    if (u.counts.scored) m = std::max(m, u.counts.Rate(i));
  return m;
}

namespace {

// Runs the protocol on one user's stream with `model` (predict, score, learn per command).
void EvaluateUser(NextCommandModel* model, const UserStream& s, size_t top_k, EvalResult::User* u) {
  const size_t want = std::max<size_t>(top_k, 5);
  std::vector<Prediction> preds;
  preds.reserve(want);
  std::vector<uint8_t> seen;  // per command id: already seen by this user's model
  Context ctx;
  u->name = s.name;
  uint32_t session_start = 0;
  for (size_t i = 0; i < s.commands.size(); ++i) {
    CommandId actual = s.commands[i];
    MakeContext(s, i, &session_start, &ctx);
    if (actual >= seen.size()) seen.resize(std::max<size_t>(actual + 1, seen.size() * 2), 0);
    if (i > 0) {
      model->Predict(ctx, want, &preds);
      size_t rank = want;
      for (size_t r = 0; r < preds.size(); ++r)
        if (preds[r].command == actual) { rank = r; break; }
      for (int j = 0; j < 3; ++j) u->counts.hits[j] += rank < static_cast<size_t>(kEvalKs[j]);
      u->counts.calibration.Add(preds, rank);
      u->counts.hits[3] += rank < top_k;
      u->counts.novel += !seen[actual];
      ++u->counts.scored;
    }
    seen[actual] = 1;
    model->Learn(ctx, actual);
  }
  u->counts.events = static_cast<int64_t>(s.commands.size());
}

}  // namespace

int DefaultEvalJobs() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(std::min(n, 64u));
}

Status EvaluateOnline(const std::string& spec, const std::vector<UserStream>& users,
                      const std::vector<UserStream>& pretrain, size_t top_k, EvalResult* result,
                      const Vocabulary* vocab, int jobs) {
  if (top_k == 0) return Status::InvalidArgument("--top must be at least 1");
  if (jobs < 1) return Status::InvalidArgument("--jobs must be at least 1");
  std::unique_ptr<NextCommandModel> population;
  MEMORY_RETURN_IF_ERROR(NewModel(spec, &population));
  population->SetVocabulary(vocab);
  *result = EvalResult();
  result->model = population->Name();
  result->top_k = top_k;

  Context ctx;
  double t0 = Now();
  for (const UserStream& s : pretrain) {
    uint32_t session_start = 0;
    for (size_t i = 0; i < s.commands.size(); ++i) {
      MakeContext(s, i, &session_start, &ctx);
      population->Learn(ctx, s.commands[i]);
    }
    result->pretrain_events += static_cast<int64_t>(s.commands.size());
  }
  result->pretrain_seconds = Now() - t0;

  // Users are independent: each gets its own model, so they run on `jobs` threads, longest
  // streams first; results land in input order, identical to a sequential run.
  result->users.resize(users.size());
  std::vector<size_t> order(users.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return users[a].commands.size() > users[b].commands.size();
  });
  std::atomic<size_t> next{0};
  std::mutex error_mu;
  Status error;
  auto worker = [&] {
    for (size_t n; (n = next.fetch_add(1)) < order.size();) {
      const size_t idx = order[n];
      std::unique_ptr<NextCommandModel> model;
      if (pretrain.empty()) {
        Status st = NewModel(spec, &model);
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(error_mu);
          if (error.ok()) error = st;
          next = order.size();
          return;
        }
        model->SetVocabulary(vocab);
      } else {
        model = population->Clone();
      }
      EvaluateUser(model.get(), users[idx], top_k, &result->users[idx]);
    }
  };
  t0 = Now();
  const size_t threads = std::min<size_t>(static_cast<size_t>(jobs), users.size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  result->seconds = Now() - t0;
  MEMORY_RETURN_IF_ERROR(error);
  for (const EvalResult::User& u : result->users) {
    result->total.events += u.counts.events;
    result->total.scored += u.counts.scored;
    result->total.novel += u.counts.novel;
    for (int j = 0; j < 4; ++j) result->total.hits[j] += u.counts.hits[j];
    result->total.calibration.Merge(u.counts.calibration);
  }
  return Status::OK();
}

}  // namespace memory::learner
