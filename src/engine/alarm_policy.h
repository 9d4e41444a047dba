// SPDX-License-Identifier: Apache-2.0
// Alarm levels of a balance, with hysteresis: a balance falls into a level as soon as it
// crosses the level's threshold, and climbs out of it only once it is `hysteresis` above, so a
// balance hovering at a threshold raises one alarm, not one per reading. Pure.
#pragma once

#include "core/money.h"

namespace meterd {

// kUnknown: a meter-billed account whose meter has not reported its balance yet (no alarm,
// no event until it does).
enum class AlarmLevel { kUnknown = -1, kNormal = 0, kLow1 = 1, kLow2 = 2, kCutOff = 3 };

// low_1 >= low_2 >= cut_off. The cut-off applies at or below `cut_off - credit_limit`.
struct AlarmThresholds {
  Money low_1{20 * Money::kUnitsPerCurrency};
  Money low_2{10 * Money::kUnitsPerCurrency};
  Money cut_off{0};
  Money hysteresis{1 * Money::kUnitsPerCurrency};
  Money credit_limit{0};

  friend bool operator==(const AlarmThresholds&, const AlarmThresholds&) = default;
};

// The level a balance is in without history: below low_1, below low_2, at/below cut-off.
AlarmLevel level_of(Money balance, const AlarmThresholds& thresholds);

// The level after `balance` is seen in `current`: worse at once, better only by hysteresis.
AlarmLevel next_level(AlarmLevel current, Money balance, const AlarmThresholds& thresholds);

// The event a change of level raises: "balance_low_1", "balance_low_2", "cut_off" going down
// (also from kUnknown: none when the first balance is normal);
// "restored" leaving cut-off, "balance_ok" back to normal from a low level; nullptr when the
// level did not change or got better without leaving cut-off or reaching normal.
const char* alarm_event(AlarmLevel from, AlarmLevel to);

const char* alarm_level_name(AlarmLevel level);  // "unknown", "normal", "low_1", "low_2", "cut_off"

}  // namespace meterd
