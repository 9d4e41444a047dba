// SPDX-License-Identifier: Apache-2.0
// Billing in an IANA time zone: days of 23 and 25 hours priced by the local clock reading, to
// the 1/10000, against an independent computation (glibc's localtime_r over the same tz
// database, minute by minute), and Asia/Shanghai priced exactly as a fixed +08:00.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <array>
#include <chrono>
#include <set>
#include <string>

#include "config/yaml_to_settings.h"
#include "core/settings.h"
#include "engine/billing_config.h"
#include "engine/local_time.h"
#include "engine/pricing.h"

namespace meterd {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

WallTime utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
  return WallTime{std::chrono::sys_days{std::chrono::year{y} / m / d}} + hours(hh) + minutes(mm);
}

LocalZone zone(const std::string& name) {
  Result<LocalZone> found = find_time_zone(name);
  EXPECT_TRUE(found.ok()) << (found.ok() ? "" : found.error().message);
  return found.ok() ? found.value() : LocalZone{};
}

// Valley 0.3000 from 00:00, flat 0.6000 from 02:30 (inside both DST hours of Europe/Berlin),
// peak 0.9000 from 08:00, valley again from 22:00.
Tariff tou_with_a_switch_at_0230() {
  TimeOfUse tou;
  tou.price_per_kwh = {Money{12000}, Money{9000}, Money{6000}, Money{3000}};
  tou.default_day = {{0, TouPeriod::kValley},
                     {2 * 60 + 30, TouPeriod::kFlat},
                     {8 * 60, TouPeriod::kPeak},
                     {22 * 60, TouPeriod::kValley}};
  Tariff t;
  t.id = "tou";
  t.tou = tou;
  return t;
}

int period_at_local_minute(int minute_of_day) {
  if (minute_of_day < 150) return static_cast<int>(TouPeriod::kValley);
  if (minute_of_day < 480) return static_cast<int>(TouPeriod::kFlat);
  if (minute_of_day < 1320) return static_cast<int>(TouPeriod::kPeak);
  return static_cast<int>(TouPeriod::kValley);
}

// The independent side: glibc converts each UTC minute to Berlin time; 1 Wh per minute.
struct Expected {
  std::array<std::int64_t, kTouPeriods> wh{};
  std::int64_t cost_milli = 0;  // 1/1000 of a 1/10000 unit, as pricing keeps it
};

Expected expected_by_localtime(const char* tz, WallTime from, WallTime to) {
  const char* saved = getenv("TZ");
  const std::string restore = saved ? saved : "";
  setenv("TZ", tz, 1);
  tzset();
  constexpr std::array<std::int64_t, kTouPeriods> kPrice{12000, 9000, 6000, 3000};
  Expected e;
  for (WallTime t = from; t < to; t += minutes(1)) {
    const time_t seconds = std::chrono::system_clock::to_time_t(t);
    tm local{};
    localtime_r(&seconds, &local);
    const int period = period_at_local_minute(local.tm_hour * 60 + local.tm_min);
    e.wh[period] += 1;
    e.cost_milli += kPrice[period];  // 1 Wh at price/kWh = price/1000 units = price milli
  }
  if (saved) {
    setenv("TZ", restore.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
  return e;
}

void expect_day_priced_as_localtime_says(WallTime from, WallTime to) {
  const LocalZone berlin = zone("Europe/Berlin");
  TariffHistory tariffs;
  tariffs.add({utc(2000, 1, 1), tou_with_a_switch_at_0230()});
  BillingCounters counters;
  const std::int64_t wh = std::chrono::duration_cast<minutes>(to - from).count();
  const PricedIncrement priced = price_increment(tariffs, berlin, counters, from, to, Energy{wh});
  const Expected expected = expected_by_localtime("Europe/Berlin", from, to);
  std::int64_t cost_milli = 0;
  for (int p = 0; p < kTouPeriods; ++p) {
    EXPECT_EQ(priced.wh_by_period[p], expected.wh[p]) << "period " << p;
    cost_milli += priced.cost_milli_by_period[p];
  }
  EXPECT_EQ(cost_milli, expected.cost_milli);
  EXPECT_EQ(priced.charge.units * 1000 + counters.carry_milli, expected.cost_milli);
}

TEST(LocalZone, TheSpringChangeDayHas23HoursAndIsBilledByTheLocalClock) {
  const LocalZone berlin = zone("Europe/Berlin");
  // 2026-03-29: 02:00 CET becomes 03:00 CEST. Local midnight is 23:00 UTC the day before.
  const WallTime start = utc(2026, 3, 28, 23);
  EXPECT_EQ(to_local(start, berlin).minute_of_day, 0);
  const WallTime next_day = start_of_next_local_day(start, berlin);
  EXPECT_EQ(next_day - start, hours(23));
  EXPECT_EQ(next_offset_change(start, berlin), utc(2026, 3, 29, 1));
  // The skipped 02:30 switch takes effect when the clocks jump.
  EXPECT_EQ(next_local_instant(start, to_local(start, berlin).date, 150, berlin),
            utc(2026, 3, 29, 1));
  expect_day_priced_as_localtime_says(start, next_day);
}

TEST(LocalZone, TheAutumnChangeDayHas25HoursAndTheRepeatedHourIsBilledTwice) {
  const LocalZone berlin = zone("Europe/Berlin");
  // 2026-10-25: 03:00 CEST becomes 02:00 CET. Local midnight is 22:00 UTC the day before.
  const WallTime start = utc(2026, 10, 24, 22);
  const WallTime next_day = start_of_next_local_day(start, berlin);
  EXPECT_EQ(next_day - start, hours(25));
  expect_day_priced_as_localtime_says(start, next_day);
}

TEST(LocalZone, AReadingSpanningBothChangesOfTheYearIsBilledAsLocaltimeSays) {
  expect_day_priced_as_localtime_says(utc(2026, 3, 27, 5, 17), utc(2026, 3, 31, 2, 3));
  expect_day_priced_as_localtime_says(utc(2026, 10, 23, 19, 41), utc(2026, 10, 27, 0, 1));
}

TEST(LocalZone, ShanghaiIsPricedExactlyAsAFixedPlusEight) {
  const LocalZone shanghai = zone("Asia/Shanghai");
  const LocalZone plus8{minutes(480)};
  TariffHistory tariffs;
  Tariff tariff = tou_with_a_switch_at_0230();
  tariff.tiers =
      Tiers{CalendarPeriod::kMonth, {{Energy{200'000}, Money{0}}, {std::nullopt, Money{500}}}};
  tariff.allowance = Allowance{CalendarPeriod::kDay, Energy{1000}};
  tariffs.add({utc(2000, 1, 1), tariff});
  BillingCounters a;
  BillingCounters b;
  WallTime t = utc(2025, 12, 30, 7, 11);
  for (int i = 0; i < 400; ++i) {
    const WallTime next = t + hours(7) + minutes(13) + std::chrono::seconds(i % 59);
    EXPECT_EQ(to_local(t, shanghai).minute_of_day, to_local(t, plus8).minute_of_day);
    EXPECT_EQ(to_local(t, shanghai).date, to_local(t, plus8).date);
    const PricedIncrement x = price_increment(tariffs, shanghai, a, t, next, Energy{1234 + i});
    const PricedIncrement y = price_increment(tariffs, plus8, b, t, next, Energy{1234 + i});
    ASSERT_EQ(x.charge, y.charge) << i;
    ASSERT_EQ(x.wh_by_period, y.wh_by_period) << i;
    ASSERT_EQ(a, b) << i;
    t = next;
  }
}

TEST(LocalZone, BillingTakesATimezoneOrAnOffsetButNotBoth) {
  const std::set<std::string> meters;
  auto read = [&](const std::string& yaml, ConfigErrors& errors) {
    const std::optional<SettingsNode> root = yaml_to_settings(yaml, "billing.yaml", errors);
    EXPECT_TRUE(root.has_value());
    return read_billing_config(root ? *root : SettingsNode{}, meters, errors);
  };
  ConfigErrors ok;
  const BillingConfig berlin = read("timezone: Europe/Berlin\n", ok);
  EXPECT_TRUE(ok.empty()) << (ok.empty() ? "" : ok.all().front().to_string());
  EXPECT_NE(berlin.zone.zone(), nullptr);

  ConfigErrors unknown;
  read("ledger_interval: 15m\ntimezone: Mars/Olympus_Mons\n", unknown);
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown.all().front().pos.line, 2);
  EXPECT_NE(unknown.all().front().message.find("Mars/Olympus_Mons"), std::string::npos);

  ConfigErrors both;
  read("timezone: Asia/Shanghai\nutc_offset: \"+08:00\"\n", both);
  ASSERT_EQ(both.size(), 1u) << both.all().front().to_string();
  EXPECT_NE(both.all().front().message.find("both set"), std::string::npos);
}

}  // namespace
}  // namespace meterd
