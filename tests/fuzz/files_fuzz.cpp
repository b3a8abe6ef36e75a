// Fuzz target: files the engine reads back and inputs it parses from a file. The first byte picks
//   0 a binary event record (store and spool): DecodeEvent, PeekEvent, re-encoding
//   1 a spool file (what `record` appends and the fold reads), each record decoded
//   2 a GRU weight file (`gru(path=...)`, the trained model's export), run when it loads
//   3 the config file (config.yaml)
//   4 an experiment file (`memory experiment`), parse only
// With FUZZ_MAKE_SEED=DIR the program writes a sound input of kinds 0-2 to DIR and exits.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_util.h"
#include "learner/experiment.h"
#include "learner/gru.h"
#include "store/config.h"
#include "store/event.h"
#include "store/internal.h"
#include "store/recorder.h"


using namespace memory;

namespace {
std::string g_path;  // the file inputs of kinds 1-3 are written to

Event SampleEvent(int i) {
  Event e;
  e.ts_us = 1700000000000000 + i;
  e.id = NewEventId(e.ts_us);
  e.kind = i % 2 ? EventKind::kToolCall : EventKind::kShell;
  e.command = i % 2 ? "read_file" : "git status";
  if (i % 2) e.params_json = R"({"path":"a.txt"})";
  e.cwd = "/home/u";
  e.session = "s1";
  e.exit_code = i % 3;
  e.duration_us = 1234;
  e.tags = {"t"};
  return e;
}

void MakeSeeds(const std::string& dir) {
  std::string encoded = std::string(1, '\0');
  EncodeEvent(SampleEvent(1), &encoded);
  fuzz::WriteFile(dir + "/event", encoded);
  const std::string data_dir = dir + "/data";
  std::vector<Event> events = {SampleEvent(0), SampleEvent(1), SampleEvent(2)};
  Status s = RecordEvents(RecorderOptions{data_dir, false}, events);
  std::string spool;
  if (s.ok()) s = internal::ReadFile(internal::SpoolDir(data_dir) + "/" + internal::kCurrentSpool, &spool);
  if (s.ok()) fuzz::WriteFile(dir + "/spool", std::string(1, '\1') + spool);
  learner::GruWeights w;
  w.vocab = 3, w.embed = 2, w.hidden = 2;
  w.embedding.assign(6, 0.1f), w.w_ih.assign(12, 0.2f), w.w_hh.assign(12, -0.1f), w.b_ih.assign(6, 0.f);
  w.b_hh.assign(6, 0.f), w.out_w.assign(6, 0.3f), w.out_b.assign(3, 0.f);
  w.texts = {"<unk>", "ls", "make"};
  std::string gru;
  if (s.ok()) s = w.Save(dir + "/gru.tmp");
  if (s.ok()) s = internal::ReadFile(dir + "/gru.tmp", &gru);
  if (s.ok()) fuzz::WriteFile(dir + "/gru", std::string(1, '\2') + gru);
  std::remove((dir + "/gru.tmp").c_str());
  internal::RemoveTree(data_dir);
  std::fprintf(stderr, "seeds in %s: %s\n", dir.c_str(), s.ToString().c_str());
  std::exit(s.ok() ? 0 : 1);
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("FUZZ_MAKE_SEED")) MakeSeeds(dir);
  g_path = fuzz::TempPath("files");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0: {
      Event e;
      if (!DecodeEvent(bytes, &e).ok()) return 0;
      EventKey key;
      FUZZ_CHECK(PeekEvent(bytes, &key).ok());  // OK for whatever DecodeEvent accepts
      FUZZ_CHECK(key.ts_us == e.ts_us && key.id == e.id && key.cwd == e.cwd && key.session == e.session);
      std::string again, twice;  // compared as bytes: a decoded NaN is not == itself
      EncodeEvent(e, &again);
      Event back;
      FUZZ_CHECK(DecodeEvent(again, &back).ok());
      EncodeEvent(back, &twice);
      FUZZ_CHECK(twice == again);
      break;
    }
    case 1: {
      fuzz::WriteFile(g_path, bytes);
      std::vector<std::string> payloads;
      bool torn = false;
      if (!internal::ReadSpoolFile(g_path, &payloads, &torn).ok()) return 0;
      for (const std::string& p : payloads) {
        Event e;
        (void)DecodeEvent(p, &e);
      }
      break;
    }
    case 2: {
      fuzz::WriteFile(g_path, bytes);
      learner::GruWeights w;
      if (!learner::GruWeights::Load(g_path, &w).ok()) return 0;
      if (w.vocab == 0) return 0;
      learner::GruNet net(std::move(w));
      Eigen::VectorXf h = net.Zero(), logits;
      for (int32_t token : {0, 1, 2, 1}) net.Step(token % static_cast<int32_t>(net.weights().vocab), &h);
      std::vector<std::pair<int32_t, double>> top;
      net.Top(h, 3, &logits, &top);
      break;
    }
    case 3: {
      fuzz::WriteFile(g_path, bytes);
      Config config;
      (void)LoadConfig(g_path, &config);
      break;
    }
    case 4: {
      learner::ExperimentConfig config;
      (void)learner::ParseExperimentYaml(bytes, "fuzz.yaml", /*check_files=*/false, &config);
      break;
    }
  }
  return 0;
}
