// Civil (local) dates and times of a WallTime at a fixed UTC offset, and the local day, month
// and year boundaries pricing splits at. Pure functions on std::chrono civil types (no tzdb:
// the offset is fixed), any thread.
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

LocalDateTime to_local(WallTime t, UtcOffset offset);

// Dates as the integer keys tariffs and counters use.
std::int32_t yyyymmdd(std::chrono::year_month_day date);
std::int32_t yyyymm(std::chrono::year_month_day date);
std::int32_t yyyy(std::chrono::year_month_day date);
int month_day(std::chrono::year_month_day date);  // month*100+day, as in Season

// The instant at which `date` begins locally, plus `minute_of_day` minutes.
WallTime local_instant(std::chrono::year_month_day date, int minute_of_day, UtcOffset offset);

// The first instant strictly after `t` that starts a new local day / month / year.
WallTime start_of_next_local_day(WallTime t, UtcOffset offset);
WallTime start_of_next_local_month(WallTime t, UtcOffset offset);
WallTime start_of_next_local_year(WallTime t, UtcOffset offset);
WallTime start_of_next_local_period(CalendarPeriod period, WallTime t, UtcOffset offset);

// The counter key of the local period containing `date`: yyyymmdd, yyyymm or yyyy.
std::int32_t local_period_key(CalendarPeriod period, std::chrono::year_month_day date);

}  // namespace meterd
