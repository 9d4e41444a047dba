#include "engine/local_time.h"

namespace meterd {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

// Local time expressed on the system clock: the UTC instant whose calendar reading equals the
// local reading.
WallTime shifted_to_local(WallTime t, UtcOffset offset) { return t + offset.offset; }
WallTime shifted_to_utc(WallTime local, UtcOffset offset) { return local - offset.offset; }

sys_days local_day(WallTime t, UtcOffset offset) {
  return std::chrono::floor<days>(shifted_to_local(t, offset));
}

}  // namespace

LocalDateTime to_local(WallTime t, UtcOffset offset) {
  const WallTime local = shifted_to_local(t, offset);
  const sys_days day = std::chrono::floor<days>(local);
  const auto minutes = std::chrono::floor<std::chrono::minutes>(local - day);
  return LocalDateTime{year_month_day{day}, static_cast<int>(minutes.count())};
}

std::int32_t yyyymmdd(year_month_day date) {
  return yyyymm(date) * 100 + static_cast<std::int32_t>(static_cast<unsigned>(date.day()));
}

std::int32_t yyyymm(year_month_day date) {
  return yyyy(date) * 100 + static_cast<std::int32_t>(static_cast<unsigned>(date.month()));
}

std::int32_t yyyy(year_month_day date) { return static_cast<int>(date.year()); }

int month_day(year_month_day date) {
  return static_cast<int>(static_cast<unsigned>(date.month()) * 100 +
                          static_cast<unsigned>(date.day()));
}

WallTime local_instant(year_month_day date, int minute_of_day, UtcOffset offset) {
  return shifted_to_utc(WallTime{sys_days{date}} + std::chrono::minutes(minute_of_day), offset);
}

WallTime start_of_next_local_day(WallTime t, UtcOffset offset) {
  return shifted_to_utc(WallTime{local_day(t, offset) + days(1)}, offset);
}

WallTime start_of_next_local_month(WallTime t, UtcOffset offset) {
  const year_month_day date{local_day(t, offset)};
  const auto next = std::chrono::year_month{date.year(), date.month()} + std::chrono::months(1);
  return shifted_to_utc(WallTime{sys_days{next / std::chrono::day{1}}}, offset);
}

WallTime start_of_next_local_year(WallTime t, UtcOffset offset) {
  const year_month_day date{local_day(t, offset)};
  const auto next = date.year() + std::chrono::years(1);
  return shifted_to_utc(WallTime{sys_days{next / std::chrono::January / 1}}, offset);
}

WallTime start_of_next_local_period(CalendarPeriod period, WallTime t, UtcOffset offset) {
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
