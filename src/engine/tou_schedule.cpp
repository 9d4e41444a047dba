// SPDX-License-Identifier: Apache-2.0
#include "engine/tou_schedule.h"

#include "engine/local_time.h"

namespace meterd {
namespace {

bool season_contains(const Season& season, int date_month_day) {
  if (season.from_month_day <= season.to_month_day) {
    return season.from_month_day <= date_month_day && date_month_day <= season.to_month_day;
  }
  // Wraps the year end, e.g. 1101..0228.
  return date_month_day >= season.from_month_day || date_month_day <= season.to_month_day;
}

}  // namespace

const DaySchedule* day_schedule_on(const TimeOfUse& tou, std::chrono::year_month_day date) {
  if (!tou.holidays.empty() && tou.holidays.count(yyyymmdd(date))) {
    return tou.holiday_day.empty() ? nullptr : &tou.holiday_day;
  }
  const int md = month_day(date);
  for (const Season& season : tou.seasons) {
    if (season_contains(season, md)) return &season.day;
  }
  return &tou.default_day;
}

TouSlot tou_slot(const DaySchedule* schedule, int minute_of_day) {
  TouSlot slot;
  if (schedule == nullptr) return slot;
  for (const TouSwitch& s : *schedule) {
    if (s.minute_of_day > minute_of_day) {
      slot.until_minute = s.minute_of_day;
      break;
    }
    slot.period = s.period;
  }
  return slot;
}

}  // namespace meterd
