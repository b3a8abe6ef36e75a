// One simulated session (a shell or an agent run) written as events (private to env/).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "env/sim_random.h"
#include "env/sim_world.h"
#include "store/event.h"

namespace memory::env::sim {

// Appends the events of one human shell session starting at start_us to *out; returns the end
// time (last event's end plus a short pause).
int64_t RunHumanSession(User& user, Rng& rng, int64_t start_us, const std::string& session,
                        std::vector<Event>* out);

// Same for an agent run (actor "agent:<user.agent>") on one of the user's projects.
int64_t RunAgentSession(User& user, Rng& rng, int64_t start_us, const std::string& session,
                        std::vector<Event>* out);

}  // namespace memory::env::sim
