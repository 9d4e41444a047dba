// SPDX-License-Identifier: Apache-2.0
// Civil (local) dates and times of a WallTime in the site's LocalZone (a fixed offset or an IANA
// zone with DST), and the local day, month and year boundaries pricing splits at. A local day
// may last 23 or 25 hours: a reading skipped by a DST change stands for the instant the clocks
// jumped, and a repeated one is read twice (each boundary is taken at its next occurrence).
// Pure functions, any thread.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/clock.h"
#include "engine/tariff.h"

namespace meterd {

struct LocalDateTime {
  std::chrono::year_month_day date;
  int minute_of_day = 0;  // 0..1439
};

LocalDateTime to_local(WallTime t, LocalZone offset);

// Dates as the integer keys tariffs and counters use.
std::int32_t yyyymmdd(std::chrono::year_month_day date);
std::int32_t yyyymm(std::chrono::year_month_day date);
std::int32_t yyyy(std::chrono::year_month_day date);
// The yyyymmdd key of the local day containing `t`.
std::int32_t local_day_key(WallTime t, LocalZone offset);
int month_day(std::chrono::year_month_day date);  // month*100+day, as in Season

// The instant at which `date` begins locally, plus `minute_of_day` minutes (the first, when
// that reading repeats).
WallTime local_instant(std::chrono::year_month_day date, int minute_of_day, LocalZone offset);
// The same reading's first occurrence after `t` (the second, when the first is not after `t`):
// the end of a period that `t` is in.
WallTime next_local_instant(WallTime t, std::chrono::year_month_day date, int minute_of_day,
                            LocalZone offset);

// The next instant after `t` at which the zone's UTC offset changes (a DST change); max() for
// a fixed offset. Local readings repeat after a change back, so a period ends there too.
WallTime next_offset_change(WallTime t, LocalZone offset);

// The first instant strictly after `t` that starts a new local day / month / year.
WallTime start_of_next_local_day(WallTime t, LocalZone offset);
WallTime start_of_next_local_month(WallTime t, LocalZone offset);
WallTime start_of_next_local_year(WallTime t, LocalZone offset);
WallTime start_of_next_local_period(CalendarPeriod period, WallTime t, LocalZone offset);

// The counter key of the local period containing `date`: yyyymmdd, yyyymm or yyyy.
std::int32_t local_period_key(CalendarPeriod period, std::chrono::year_month_day date);

}  // namespace meterd
