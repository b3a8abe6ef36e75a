// Bandit decisions as the store keeps them. A decision is an Event with `decision` set; its
// reward is the decision's own reward, or the latest one recorded later by `memory reward`
// (an event tagged "reward" whose decision carries the same id and the value).
// `memory tune` decisions are tagged "tune" and keep {"template", "params", "load"} in
// params_json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policies/ope.h"
#include "store/event.h"
#include "store/status.h"
#include "store/store.h"

namespace memory::policies {

constexpr const char* kTuneTag = "tune";
constexpr const char* kRewardTag = "reward";

// Decisions since `since_us` in time order, each with its latest reward attached.
Status ReadDecisions(Store& store, int64_t since_us, std::vector<Event>* decisions);

// The runs of one `memory tune` template, with each action mapped to its index in
// `action_names` (runs of actions no longer in the grid are skipped).
struct TuneRun;
Status ReadTuneRuns(Store& store, const std::string& template_text, const std::vector<std::string>& action_names,
                    std::vector<TuneRun>* runs);

// The action set of the latest recorded run of a tune template (empty when there is none).
Status ReadTuneActionSet(Store& store, const std::string& template_text, std::vector<std::string>* action_names);

// Turns decisions that have a reward into OPE input: context = hashed words of the tune
// template or suggest task (else the command) + the load; actions = the decision's action set, each described by its
// hashed name; cost = 1 - reward. Decisions without a reward, with an empty action set, or
// whose action is not in the set are skipped (counted in *skipped).
void ToLoggedDecisions(const std::vector<Event>& decisions, std::vector<LoggedDecision>* out, size_t* skipped);

}  // namespace memory::policies
