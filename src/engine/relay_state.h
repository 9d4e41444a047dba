// SPDX-License-Identifier: Apache-2.0
// The relay of one meter as the engine sees it, one model for every protocol: what is wanted
// (the goal) and what holds it open, what the meter reports, the attempts at the goal and
// where they stand (docs/load-and-time-control.md, "The relay state model"). Pure values, no
// I/O; loop thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"

namespace meterd {

// Each goal gets at most `relay_attempts` actions, spaced by the backoff; then the engine gives
// up on it until the goal changes, a relay command arrives or a reading shows the relay where
// it is wanted.
struct RelayState {
  bool forced_open = false;      // a relay_open command holds it open until relay_close
  std::optional<bool> desired;   // closed?
  std::optional<bool> reported;  // from the last reading or action
  bool close_allowed = false;    // open, and the meter took "close allowed": the customer closes it
  bool needs_action = false;
  bool in_flight = false;
  int attempts = 0;      // actions sent for the current goal
  bool gave_up = false;  // the attempts are spent: no action until something changes
  SteadyTime retry_at{};
  WallTime last_done{};  // readings taken before this do not count for reconciliation

  void new_goal() {
    attempts = 0;
    gave_up = false;
    retry_at = SteadyTime{};
  }
};

// Where a relay stands. Final for the engine: settled, armed, failed (and mismatch, which
// the engine leaves alone: a meter-billed meter's own cut-off). Passing: switching, retrying.
enum class RelayPhase {
  kUnknown,    // no goal yet, or the meter has not reported its relay since the start
  kSwitching,  // an action is on the bus, or due now
  kRetrying,   // an attempt failed; the next waits for its backoff
  kSettled,    // the meter reports the relay where it is wanted
  kArmed,      // DL/T 645 "close allowed": open, the meter waits for the customer to close it
  kFailed,     // relay_attempts spent (relay_action_failed); nothing until something changes
  kMismatch,   // reported otherwise than wanted and the engine does not act on it
};

const char* to_string(RelayPhase phase);
RelayPhase relay_phase(const RelayState& relay);

// The telemetry/event form: {"state":"armed","wanted":"closed","reported":"open",
// "held_by":[...],"attempts":1,"max_attempts":5}; "reported" and "held_by" only when known
// and not empty.
std::string relay_state_json(const RelayState& relay, const std::vector<std::string>& held_by,
                             int max_attempts);

}  // namespace meterd
