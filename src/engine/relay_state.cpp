// SPDX-License-Identifier: Apache-2.0
#include "engine/relay_state.h"

#include <nlohmann/json.hpp>

#include "core/json_text.h"

namespace meterd {
namespace {

const char* relay_word(bool closed) { return closed ? "closed" : "open"; }

}  // namespace

const char* to_string(RelayPhase phase) {
  switch (phase) {
    case RelayPhase::kUnknown:
      return "unknown";
    case RelayPhase::kSwitching:
      return "switching";
    case RelayPhase::kRetrying:
      return "retrying";
    case RelayPhase::kSettled:
      return "settled";
    case RelayPhase::kArmed:
      return "armed";
    case RelayPhase::kFailed:
      return "failed";
    case RelayPhase::kMismatch:
      return "mismatch";
  }
  return "unknown";
}

RelayPhase relay_phase(const RelayState& relay) {
  if (!relay.desired) return RelayPhase::kUnknown;
  if (relay.gave_up) return RelayPhase::kFailed;
  if (relay.in_flight) return RelayPhase::kSwitching;
  // An action is due: the first at this goal, or a retry after a failed one.
  if (relay.needs_action)
    return relay.attempts > 0 ? RelayPhase::kRetrying : RelayPhase::kSwitching;
  if (!relay.reported) return RelayPhase::kUnknown;
  if (*relay.reported == *relay.desired) return RelayPhase::kSettled;
  if (*relay.desired && relay.close_allowed) return RelayPhase::kArmed;
  return RelayPhase::kMismatch;
}

std::string relay_state_json(const RelayState& relay, const std::vector<std::string>& held_by,
                             int max_attempts) {
  nlohmann::json j{{"state", to_string(relay_phase(relay))}};
  if (relay.desired) j["wanted"] = relay_word(*relay.desired);
  if (relay.reported) j["reported"] = relay_word(*relay.reported);
  if (!held_by.empty()) j["held_by"] = held_by;
  j["attempts"] = relay.attempts;
  j["max_attempts"] = max_attempts;
  return json_text(j);
}

}  // namespace meterd
