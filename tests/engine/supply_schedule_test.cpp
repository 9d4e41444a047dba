// SPDX-License-Identifier: Apache-2.0
// Time control: supply windows by weekday and local time (also past midnight), holidays with
// their own rule, the effective range, and the command form read and stored.
#include "engine/supply_schedule.h"

#include <gtest/gtest.h>

namespace meterd {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

const LocalZone kOffset{480min};  // +08:00

// Local time at +08:00. 2026-03-02 is a Monday.
WallTime local(int day_of_march, int hour, int minute = 0) {
  return std::chrono::sys_days{std::chrono::year{2026} / 3 / day_of_march} +
         std::chrono::hours(hour) + std::chrono::minutes(minute) - 8h;
}

SupplySchedule schedule_of(const json& args) {
  Result<SupplySchedule> schedule = parse_supply_schedule(args);
  EXPECT_TRUE(schedule.ok()) << (schedule ? "" : schedule.error().message);
  return schedule ? schedule.value() : SupplySchedule{};
}

std::string error_of(const json& args) {
  Result<SupplySchedule> schedule = parse_supply_schedule(args);
  return schedule ? "" : schedule.error().message;
}

TEST(SupplyScheduleTest, WindowAllowsSupplyOnlyInsideOnItsWeekdays) {
  const SupplySchedule s = schedule_of(
      {{"windows",
        {{{"days", {"mon", "tue", "wed", "thu", "fri"}}, {"from", "06:00"}, {"to", "23:00"}}}}});
  EXPECT_FALSE(s.allows(local(2, 5, 59), kOffset));
  EXPECT_TRUE(s.allows(local(2, 6, 0), kOffset));
  EXPECT_TRUE(s.allows(local(2, 22, 59), kOffset));
  EXPECT_FALSE(s.allows(local(2, 23, 0), kOffset));
  EXPECT_FALSE(s.allows(local(7, 12, 0), kOffset));  // Saturday
}

TEST(SupplyScheduleTest, WindowPastMidnightBelongsToTheDayItStarts) {
  const SupplySchedule s =
      schedule_of({{"windows", {{{"days", {"fri"}}, {"from", "22:00"}, {"to", "02:00"}}}}});
  EXPECT_TRUE(s.allows(local(6, 23, 0), kOffset));  // Friday night
  EXPECT_TRUE(s.allows(local(7, 1, 59), kOffset));  // Saturday morning, Friday's window
  EXPECT_FALSE(s.allows(local(7, 2, 0), kOffset));
  EXPECT_FALSE(s.allows(local(6, 1, 0), kOffset));   // Friday morning: Thursday has none
  EXPECT_FALSE(s.allows(local(7, 23, 0), kOffset));  // Saturday night
}

TEST(SupplyScheduleTest, HolidaysFollowTheirOwnRule) {
  const json windows = {{{"from", "06:00"}, {"to", "23:00"}}};
  const SupplySchedule on =
      schedule_of({{"windows", windows}, {"holidays", {"2026-03-03"}}, {"on_holidays", "on"}});
  EXPECT_TRUE(on.allows(local(3, 3, 0), kOffset));
  EXPECT_FALSE(on.allows(local(4, 3, 0), kOffset));
  const SupplySchedule off =
      schedule_of({{"windows", windows}, {"holidays", {"2026-03-03"}}, {"on_holidays", "off"}});
  EXPECT_FALSE(off.allows(local(3, 12, 0), kOffset));
  EXPECT_TRUE(off.allows(local(4, 12, 0), kOffset));
  const SupplySchedule same =
      schedule_of({{"windows", windows}, {"holidays", {"2026-03-03"}}, {"on_holidays", "windows"}});
  EXPECT_TRUE(same.allows(local(3, 12, 0), kOffset));
  EXPECT_FALSE(same.allows(local(3, 3, 0), kOffset));
}

TEST(SupplyScheduleTest, OutsideTheEffectiveRangeSupplyIsNotRestricted) {
  const SupplySchedule s = schedule_of({{"windows", {{{"from", "06:00"}, {"to", "23:00"}}}},
                                        {"effective_from", to_unix_ms(local(3, 0, 0))},
                                        {"effective_to", to_unix_ms(local(5, 0, 0))}});
  EXPECT_TRUE(s.allows(local(2, 3, 0), kOffset));
  EXPECT_FALSE(s.allows(local(3, 3, 0), kOffset));
  EXPECT_FALSE(s.allows(local(4, 23, 30), kOffset));
  EXPECT_TRUE(s.allows(local(5, 3, 0), kOffset));
}

TEST(SupplyScheduleTest, BadMembersAreRefusedWithTheirPointer) {
  EXPECT_EQ(error_of({{"windows", {{{"from", "6:00"}, {"to", "23:00"}}}}}),
            "/windows/0/from: a local time HH:MM, 00:00..23:59");
  EXPECT_EQ(error_of({{"windows", {{{"from", "06:00"}, {"to", "24:01"}}}}}),
            "/windows/0/to: a local time HH:MM, 00:00..24:00");
  EXPECT_EQ(error_of({{"windows", {{{"from", "06:00"}, {"to", "06:00"}}}}}),
            "/windows/0/to: the same as from (a window of no time)");
  EXPECT_EQ(error_of({{"windows", {{{"days", {"monday"}}, {"from", "06:00"}, {"to", "07:00"}}}}}),
            "/windows/0/days/0: \"monday\" is not one of sun..sat");
  EXPECT_EQ(
      error_of({{"windows", {{{"days", {"mon", "tuesday"}}, {"from", "06:00"}, {"to", "07:00"}}}}}),
      "/windows/0/days/1: \"tuesday\" is not one of sun..sat");
  EXPECT_EQ(
      error_of({{"windows", {{{"from", "06:00"}, {"to", "07:00"}}}}, {"holidays", {"2026-02-30"}}}),
      "/holidays/0: a date YYYY-MM-DD");
  EXPECT_EQ(error_of({{"relay", json::array()}}), "/relay: unknown member");
  EXPECT_EQ(
      error_of({{"holidays", {"2026-03-03"}}}),
      "/windows: at least one window (or holidays with on_holidays off, or {\"clear\": true})");
}

TEST(SupplyScheduleTest, StoredFormReadsBackToTheSameSchedule) {
  const SupplySchedule s =
      schedule_of({{"windows",
                    {{{"days", {"sat", "sun"}}, {"from", "08:30"}, {"to", "24:00"}},
                     {{"from", "22:00"}, {"to", "01:15"}}}},
                   {"holidays", {"2026-10-01", "2026-10-02"}},
                   {"on_holidays", "off"},
                   {"effective_from", 1000}});
  Result<SupplySchedule> back = parse_supply_schedule(supply_schedule_json(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value(), s);
}

}  // namespace
}  // namespace meterd
