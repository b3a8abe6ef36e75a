// Fuzz target: a damaged or hostile intent snapshot file (what `memory predict` maps). Open
// rejects it or everything a reader reaches is safe: texts, lookups and Predict, whose
// probabilities stay within [0, 1]. With FUZZ_MAKE_SEED=DIR the program writes two sound snapshots
// (seeds) to DIR, of 8, 30 and 120 events, and exits.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_util.h"
#include "learner/intent_snapshot.h"


using namespace memory;
using namespace memory::learner;

namespace {
std::string g_path;  // the file each input is written to

Status WriteSeed(const char* dir, const char* name, int events) {
  IntentTrainer trainer;
  uint64_t x = 88172645463325252ULL;
  auto next = [&] { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; };
  const char* commands[] = {"ls", "git status", "make", "vim a.c", "cd src", "git commit -m 'x'", "ls -la /tmp", "tool_a"};
  const char* sessions[] = {"s0", "s1", "s2"};
  for (int i = 0; i < events; ++i) {
    Event e;
    e.command = commands[next() % 8];
    e.ts_us = 1700000000000000 + int64_t{i} * 1000000;
    e.session = sessions[next() % 3];
    e.cwd = next() % 2 ? "/a" : "/b";
    if (next() % 3 == 0) e.exit_code = static_cast<int32_t>(next() % 2);
    e.actor = next() % 4 == 0 ? "agent:x" : "human";
    trainer.Add(e);
  }
  std::string path(dir);
  path.append("/").append(name);
  return trainer.Write(path);
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("FUZZ_MAKE_SEED")) {
    Status s = WriteSeed(dir, "small", 8);
    if (s.ok()) s = WriteSeed(dir, "larger", 30);
    if (s.ok()) s = WriteSeed(dir, "large", 120);
    std::fprintf(stderr, "seeds in %s: %s\n", dir, s.ToString().c_str());
    std::exit(s.ok() ? 0 : 1);
  }
  g_path = fuzz::TempPath("snapshot");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::WriteFile(g_path, std::string_view(reinterpret_cast<const char*>(data), size));
  std::unique_ptr<IntentSnapshot> snap;
  if (!IntentSnapshot::Open(g_path, &snap).ok()) return 0;
  (void)snap->watermark_us();
  (void)snap->events();
  (void)snap->model();
  const size_t commands = snap->commands();
  for (CommandId id = 0; id < commands && id < 64; ++id) {
    (void)snap->TemplateText(id);
    (void)snap->DisplayText(id);
  }
  std::vector<CommandId> history;
  for (const char* c : {"ls", "git status", "make", "cd src"})
    if (CommandId id = snap->Find(c); id != kNoCommand) history.push_back(id);
  if (commands > 0) history.push_back(static_cast<CommandId>(commands - 1));
  std::vector<Prediction> out;
  std::vector<int> orders;
  for (int variant = 0; variant < 4; ++variant) {
    Context ctx;
    ctx.history = std::span<const CommandId>(history.data(), variant == 0 ? 0 : history.size());
    ctx.cwd = snap->FindCwd(variant % 2 ? "/a" : "/b");
    ctx.has_last_exit = variant == 2;
    ctx.last_exit = 1;
    ctx.position = static_cast<uint32_t>(variant);
    ctx.gap_us = variant == 3 ? -1 : 5;
    ctx.agent = variant == 1;
    snap->Predict(ctx, 10, &out, &orders);
    for (const Prediction& p : out) {
      FUZZ_CHECK(p.prob >= 0 && p.prob <= 1 + 1e-9);
      (void)snap->DisplayText(p.command);
    }
    snap->calibrator().Apply(&out);
  }
  return 0;
}
