// SPDX-License-Identifier: Apache-2.0
// The relay state model (docs/load-and-time-control.md): each combination of goal, report,
// attempts and the DL/T 645 close-allowed flag maps to one state, and the JSON form names it.
#include "engine/relay_state.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace meterd {
namespace {

RelayState wanting(bool closed, std::optional<bool> reported) {
  RelayState relay;
  relay.desired = closed;
  relay.reported = reported;
  return relay;
}

TEST(RelayStateTest, EachSituationHasItsState) {
  EXPECT_EQ(relay_phase(RelayState{}), RelayPhase::kUnknown);
  EXPECT_EQ(relay_phase(wanting(true, std::nullopt)), RelayPhase::kUnknown);
  EXPECT_EQ(relay_phase(wanting(true, true)), RelayPhase::kSettled);
  EXPECT_EQ(relay_phase(wanting(false, false)), RelayPhase::kSettled);
  EXPECT_EQ(relay_phase(wanting(false, true)), RelayPhase::kMismatch);

  RelayState first = wanting(true, false);
  first.needs_action = true;
  EXPECT_EQ(relay_phase(first), RelayPhase::kSwitching);
  first.needs_action = false;
  first.in_flight = true;
  first.attempts = 1;
  EXPECT_EQ(relay_phase(first), RelayPhase::kSwitching);

  RelayState retry = wanting(true, false);
  retry.attempts = 2;
  retry.needs_action = true;
  EXPECT_EQ(relay_phase(retry), RelayPhase::kRetrying);
  retry.gave_up = true;
  retry.needs_action = false;
  EXPECT_EQ(relay_phase(retry), RelayPhase::kFailed);

  RelayState armed = wanting(true, false);
  armed.close_allowed = true;
  armed.attempts = 1;
  EXPECT_EQ(relay_phase(armed), RelayPhase::kArmed);
  armed.desired = false;  // a later open: the permission means nothing for that goal
  EXPECT_EQ(relay_phase(armed), RelayPhase::kSettled);
}

TEST(RelayStateTest, JsonNamesTheStateTheGoalTheReportAndTheHolds) {
  RelayState armed = wanting(true, false);
  armed.close_allowed = true;
  armed.attempts = 1;
  EXPECT_EQ(nlohmann::json::parse(relay_state_json(armed, {}, 5)),
            (nlohmann::json{{"state", "armed"},
                            {"wanted", "closed"},
                            {"reported", "open"},
                            {"attempts", 1},
                            {"max_attempts", 5}}));
  const RelayState held = wanting(false, std::nullopt);
  EXPECT_EQ(nlohmann::json::parse(relay_state_json(held, {"cut_off", "supply_schedule"}, 3)),
            (nlohmann::json{{"state", "unknown"},
                            {"wanted", "open"},
                            {"held_by", {"cut_off", "supply_schedule"}},
                            {"attempts", 0},
                            {"max_attempts", 3}}));
}

}  // namespace
}  // namespace meterd
