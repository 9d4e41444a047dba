// SPDX-License-Identifier: Apache-2.0
// Time control of one meter, as a `set_schedule` command gives it (see
// docs/load-and-time-control.md): supply windows by weekday and local time, holidays with
// their own rule, and an effective date range outside which supply is not restricted. Pure;
// any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "engine/tariff.h"

namespace meterd {

// Supply from `from_minute` to `to_minute` (local minutes of the day, to may be 1440) on the
// weekdays set in `weekdays` (bit 0 Sunday .. bit 6 Saturday). A window whose end is not
// after its start runs past midnight into the next day.
struct SupplyWindow {
  std::uint8_t weekdays = 0x7f;
  int from_minute = 0;
  int to_minute = 1440;
  bool operator==(const SupplyWindow&) const = default;
};

enum class HolidaySupply { kOn, kOff, kWindows };

struct SupplySchedule {
  std::vector<SupplyWindow> windows;  // empty: supply at any time (holidays may still say off)
  std::set<std::int32_t> holidays;    // yyyymmdd
  HolidaySupply on_holidays = HolidaySupply::kOn;
  std::optional<WallTime> effective_from;
  std::optional<WallTime> effective_to;
  bool operator==(const SupplySchedule&) const = default;

  // May the meter supply at `t`?
  bool allows(WallTime t, LocalZone offset) const;
};

// Reads a command's args; errors name the member ("windows/0.from: HH:MM").
Result<SupplySchedule> parse_supply_schedule(const nlohmann::json& args);
// The stored form, which parse_supply_schedule reads back.
nlohmann::json supply_schedule_json(const SupplySchedule& schedule);

}  // namespace meterd
