// SPDX-License-Identifier: Apache-2.0
#include "engine/local_time.h"

#include <date/tz.h>

namespace meterd {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

// Local time expressed on the system clock: the UTC instant whose calendar reading equals the
// local reading.
WallTime shifted_to_local(WallTime t, LocalZone zone) {
  if (zone.zone() == nullptr) return t + zone.fixed_offset();
  return WallTime{zone.zone()->to_local(t).time_since_epoch()};
}

// The instant a local reading names. Under a zone a reading can name none (skipped by a DST
// change: the instant the clocks jumped stands for it) or two (repeated: `later` picks the
// second, else the first).
WallTime shifted_to_utc(WallTime local, LocalZone zone, bool later = false) {
  if (zone.zone() == nullptr) return local - zone.fixed_offset();
  const date::local_time<WallTime::duration> reading{local.time_since_epoch()};
  return zone.zone()->to_sys(reading, later ? date::choose::latest : date::choose::earliest);
}

// The first instant after `t` that reads `local`: a boundary of a period that `t` is in.
WallTime boundary_after(WallTime t, WallTime local, LocalZone zone) {
  const WallTime first = shifted_to_utc(local, zone);
  return first > t ? first : shifted_to_utc(local, zone, true);
}

sys_days local_day(WallTime t, LocalZone zone) {
  return std::chrono::floor<days>(shifted_to_local(t, zone));
}

}  // namespace

LocalDateTime to_local(WallTime t, LocalZone zone) {
  const WallTime local = shifted_to_local(t, zone);
  const sys_days day = std::chrono::floor<days>(local);
  const auto minutes = std::chrono::floor<std::chrono::minutes>(local - day);
  return LocalDateTime{year_month_day{day}, static_cast<int>(minutes.count())};
}

std::int32_t yyyymmdd(year_month_day date) {
  return yyyymm(date) * 100 + static_cast<std::int32_t>(static_cast<unsigned>(date.day()));
}

std::int32_t local_day_key(WallTime t, LocalZone offset) {
  return yyyymmdd(to_local(t, offset).date);
}

std::int32_t yyyymm(year_month_day date) {
  return yyyy(date) * 100 + static_cast<std::int32_t>(static_cast<unsigned>(date.month()));
}

std::int32_t yyyy(year_month_day date) { return static_cast<int>(date.year()); }

int month_day(year_month_day date) {
  return static_cast<int>(static_cast<unsigned>(date.month()) * 100 +
                          static_cast<unsigned>(date.day()));
}

WallTime local_instant(year_month_day date, int minute_of_day, LocalZone zone) {
  return shifted_to_utc(WallTime{sys_days{date}} + std::chrono::minutes(minute_of_day), zone);
}

WallTime next_local_instant(WallTime t, year_month_day date, int minute_of_day, LocalZone zone) {
  return boundary_after(t, WallTime{sys_days{date}} + std::chrono::minutes(minute_of_day), zone);
}

WallTime next_offset_change(WallTime t, LocalZone zone) {
  if (zone.zone() == nullptr) return WallTime::max();
  const date::sys_info info = zone.zone()->get_info(t);
  // A zone with no change ahead ends its last period at the end of the library's range, far
  // past what a nanosecond WallTime holds: compare in seconds, before any conversion.
  const auto last_whole_second = std::chrono::floor<std::chrono::seconds>(WallTime::max());
  if (info.end >= last_whole_second) return WallTime::max();
  const WallTime end{info.end};
  return end > t ? end : WallTime::max();
}

WallTime start_of_next_local_day(WallTime t, LocalZone zone) {
  return boundary_after(t, WallTime{local_day(t, zone) + days(1)}, zone);
}

WallTime start_of_next_local_month(WallTime t, LocalZone zone) {
  const year_month_day date{local_day(t, zone)};
  const auto next = std::chrono::year_month{date.year(), date.month()} + std::chrono::months(1);
  return boundary_after(t, WallTime{sys_days{next / std::chrono::day{1}}}, zone);
}

WallTime start_of_next_local_year(WallTime t, LocalZone zone) {
  const year_month_day date{local_day(t, zone)};
  const auto next = date.year() + std::chrono::years(1);
  return boundary_after(t, WallTime{sys_days{next / std::chrono::January / 1}}, zone);
}

WallTime start_of_next_local_period(CalendarPeriod period, WallTime t, LocalZone offset) {
  switch (period) {
    case CalendarPeriod::kDay:
      return start_of_next_local_day(t, offset);
    case CalendarPeriod::kMonth:
      return start_of_next_local_month(t, offset);
    case CalendarPeriod::kYear:
      return start_of_next_local_year(t, offset);
  }
  return start_of_next_local_day(t, offset);
}

std::int32_t local_period_key(CalendarPeriod period, year_month_day date) {
  switch (period) {
    case CalendarPeriod::kDay:
      return yyyymmdd(date);
    case CalendarPeriod::kMonth:
      return yyyymm(date);
    case CalendarPeriod::kYear:
      return yyyy(date);
  }
  return yyyymmdd(date);
}

}  // namespace meterd
