// serving_replay: how `memory predict` would have done on a store's newest events. Trains an
// intent snapshot (IntentTrainer, as the live snapshot is built) on the oldest 90 % of the store's
// events, then replays the newest 10 % session by session with the serving context
// (IntentSessionState: history, exit status, gap, position, actor): each event is predicted from
// the snapshot, scored (top-1, top-5) and then learnt. With --refresh the snapshot is rebuilt as
// predict's live snapshot is (after max(64, learnt/256) new events); without it the snapshot stays
// frozen at the cut. Calibration: ECE (10 bins) of the raw and of the calibrated probabilities,
// for the first prediction and for the whole top-5 list.
// Usage: serving_replay STORE_DIR [--spec SPEC] [--refresh] [--json]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <unistd.h>
#include <vector>

#include "learner/calibration.h"
#include "learner/intent_snapshot.h"
#include "learner/template.h"
#include "store/store.h"

using namespace memory;

int main(int argc, char** argv) {
  std::string dir, spec = learner::PredictModelSpec();
  bool refresh = false, json = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--spec" && i + 1 < argc) spec = argv[++i];
    else if (a == "--refresh") refresh = true;
    else if (a == "--json") json = true;
    else if (dir.empty() && a[0] != '-') dir = a;
    else dir.clear(), i = argc;
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: serving_replay STORE_DIR [--spec SPEC] [--refresh] [--json]\n");
    return 2;
  }
  StoreOptions o;
  o.dir = dir;
  o.mode = StoreOptions::Mode::kReadOnly;
  std::unique_ptr<Store> store;
  Status st = Store::Open(o, &store);
  if (!st.ok()) {
    std::fprintf(stderr, "serving_replay: %s\n", st.ToString().c_str());
    return 1;
  }
  std::vector<Event> events;
  ScanOptions so;
  so.newest_first = false;
  so.include_pending = true;
  st = store->Scan(so, [&](const Event& e) {
    if (!e.command.empty()) events.push_back(e);
    return true;
  });
  if (!st.ok() || events.size() < 20) {
    std::fprintf(stderr, "serving_replay: %s\n", st.ok() ? "fewer than 20 events" : st.ToString().c_str());
    return 1;
  }
  const size_t cut = events.size() * 9 / 10;
  learner::IntentTrainer trainer(spec);
  if (!trainer.status().ok()) {
    std::fprintf(stderr, "serving_replay: %s\n", trainer.status().ToString().c_str());
    return 2;
  }
  for (size_t i = 0; i < cut; ++i) trainer.Add(events[i]);
  const std::string path = "/tmp/serving_replay." + std::to_string(::getpid()) + ".snap";
  std::unique_ptr<learner::IntentSnapshot> snap;
  auto rebuild = [&] {
    snap.reset();
    Status s = trainer.Write(path);
    if (s.ok()) s = learner::IntentSnapshot::Open(path, &snap);
    return s;
  };
  if (Status s = rebuild(); !s.ok()) {
    std::fprintf(stderr, "serving_replay: %s\n", s.ToString().c_str());
    return 1;
  }
  std::unordered_map<std::string, learner::IntentSessionState> sessions;
  std::vector<learner::Prediction> preds;
  learner::ListReliability raw, cal;
  int64_t scored = 0, hit1 = 0, hit5 = 0, rebuilds = 0, since = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (i > cut && refresh && since >= std::max<int64_t>(64, trainer.events() / 256)) {
      if (Status s = rebuild(); !s.ok()) {
        std::fprintf(stderr, "serving_replay: %s\n", s.ToString().c_str());
        return 1;
      }
      ++rebuilds;
      since = 0;
    }
    const std::string tmpl = e.kind == EventKind::kToolCall ? e.command : learner::CommandTemplate(e.command);
    learner::IntentSessionState& state = sessions[learner::SessionKeyOf(e)];
    const learner::CommandId id = snap->Find(tmpl);
    if (i >= cut) {
      learner::Context ctx;
      state.Fill(e, snap->FindCwd(e.cwd), &ctx);
      snap->Predict(ctx, 5, &preds, nullptr);
      size_t rank = 5;
      for (size_t r = 0; r < preds.size(); ++r)
        if (id != learner::kNoCommand && preds[r].command == id) rank = std::min(rank, r);
      ++scored;
      hit1 += rank == 0;
      hit5 += rank < 5;
      raw.Add(preds, rank);
      snap->calibrator().Apply(&preds);
      cal.Add(preds, rank);
      if (refresh) trainer.Add(e), ++since;
    }
    state.Advance(e, id);
  }
  ::unlink(path.c_str());
  const double n = double(scored);
  if (json) {
    std::printf("{\"store\":\"%s\",\"spec\":\"%s\",\"refresh\":%s,\"rebuilds\":%lld,\"events\":%lld,\"top1\":%.6f,"
                "\"top5\":%.6f,\"raw\":{\"ece_top1\":%.6f,\"ece_top5\":%.6f,\"mean_prob_top1\":%.6f},"
                "\"calibrated\":{\"ece_top1\":%.6f,\"ece_top5\":%.6f,\"mean_prob_top1\":%.6f}}\n",
                dir.c_str(), spec.c_str(), refresh ? "true" : "false", (long long)rebuilds, (long long)scored,
                hit1 / n, hit5 / n, raw.first.Ece(), raw.listed.Ece(), raw.first.MeanProb(), cal.first.Ece(), cal.listed.Ece(), cal.first.MeanProb());
  } else {
    std::printf("%s: %lld events replayed%s, top-1 %.4f, top-5 %.4f\n", dir.c_str(), (long long)scored,
                refresh ? (" (" + std::to_string(rebuilds) + " rebuilds)").c_str() : " (frozen snapshot)", hit1 / n,
                hit5 / n);
    std::printf("  raw         ECE first %.4f (mean prob %.4f)  ECE top-5 %.4f\n", raw.first.Ece(), raw.first.MeanProb(), raw.listed.Ece());
    std::printf("  calibrated  ECE first %.4f (mean prob %.4f)  ECE top-5 %.4f\n", cal.first.Ece(), cal.first.MeanProb(), cal.listed.Ece());
  }
  return 0;
}
