// Next-access models of the intent work as cache prefetchers: any learner::NextCommandModel
// (count models, "best", or the GRU that memory-train trains) becomes a cache::Predictor, so
// `memory eval cache --prefetch ...` can use it. cache/ cannot depend on learner/, so this
// adapter lives in the cli and plugs into cache::NewPredictor through RegisterPredictorFactory.
//
// Specs (after RegisterIntentPredictors()):
//   "intent(MODEL[,threshold=T][,degree=D])"   MODEL is a learner::NewModel spec, e.g.
//                                              intent(markov(order=1)), intent(ppm(order=3)),
//                                              intent(best); it learns online along the trace
//   "neural(path=FILE[,threshold=T][,degree=D])"  the GRU weights file of memory-train
//                                              (= intent(gru(path=FILE))); it does not learn,
//                                              its hidden state follows the trace
// threshold: the model's probability a guess needs to be loaded (default 0.2); degree: guesses
// per access (default 1, at most 16).
//
// Keys and texts: a key's text is its decimal value, so a GRU trained on a trace written one
// decimal key per line (memory-train --format bash) serves the same trace read as lirs/cache2k/
// corda/scarab. A network token that is not a decimal number stands for the key of that text as
// a `lines` trace hashes it (env::TraceKeyOfString), so a GRU trained on a command history
// serves that history replayed with --format lines. Keys the network does not know are never
// predicted (see CountUnknownKeys).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "store/status.h"

namespace memory::cli {

// Registers "intent" and "neural" with cache::NewPredictor. Idempotent.
void RegisterIntentPredictors();

// For a "neural(path=FILE...)" spec: how many distinct keys of `keys` the network has no token
// for (they are never predicted), and the network's vocabulary size (tokens without <unk>).
// *applies is false (and the counts 0) for other specs. Errors as for loading the weights.
Status CountUnknownKeys(std::string_view spec, std::span<const uint64_t> keys, bool* applies,
                        size_t* unknown, size_t* vocab);

}  // namespace memory::cli
