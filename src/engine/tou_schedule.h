// SPDX-License-Identifier: Apache-2.0
// Which time-of-use period applies at a local date and minute, and when it next may change.
// Pure functions on a TimeOfUse, any thread.
#pragma once

#include <chrono>

#include "engine/tariff.h"

namespace meterd {

inline constexpr int kMinutesPerDay = 24 * 60;

// The schedule of a local date: the holiday schedule on a holiday (valley all day when it is
// empty), else that of the first season containing the date, else the default day.
// nullptr means valley all day.
const DaySchedule* day_schedule_on(const TimeOfUse& tou, std::chrono::year_month_day date);

struct TouSlot {
  TouPeriod period = TouPeriod::kValley;
  int until_minute = kMinutesPerDay;  // the next switch that day, or midnight
};

// The period at `minute_of_day` under `schedule` (nullptr: valley all day) and how long it
// lasts that day. A schedule that does not start at minute 0 is valley until its first switch.
TouSlot tou_slot(const DaySchedule* schedule, int minute_of_day);

}  // namespace meterd
