// memory learn --disable | --enable: pause or resume recording (and learning).
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "store/recorder.h"

namespace memory::cli {
namespace {

int RunLearn(bool enable, bool disable, bool json, const Globals& g) {
  if (enable && disable) return Fail(Status::InvalidArgument("--enable and --disable exclude each other"));
  if (enable || disable) {
    Status s = SetRecordingPaused(g.db, disable);
    if (!s.ok()) return Fail(s);
  }
  bool paused = RecordingPaused(g.db);
  if (json) std::printf("{\"recording\":\"%s\"}\n", paused ? "paused" : "on");
  else std::printf("recording and learning are %s\n", paused ? "paused (memory learn --enable resumes)" : "on");
  return 0;
}

void SetupLearn(CLI::App& app, Globals& g, Action* action) {
  auto* sub = app.add_subcommand("learn", "Pause (--disable) or resume (--enable) recording and learning");
  auto en = std::make_shared<bool>(false), dis = std::make_shared<bool>(false), json = std::make_shared<bool>(false);
  sub->add_flag("--enable", *en, "Resume recording");
  sub->add_flag("--disable", *dis, "Pause recording: nothing is recorded until --enable");
  sub->add_flag("--json", *json, "Print JSON");
  sub->callback([=, &g] { *action = [=, &g] { return RunLearn(*en, *dis, *json, g); }; });
}

}  // namespace
MEMORY_REGISTER_COMMAND(80, "learn", SetupLearn);
}  // namespace memory::cli
