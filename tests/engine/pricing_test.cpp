// SPDX-License-Identifier: Apache-2.0
#include "engine/pricing.h"

#include <gtest/gtest.h>

#include <chrono>

namespace meterd {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr LocalZone kUtc{};
constexpr LocalZone kUtcPlus8{std::chrono::minutes(8 * 60)};

WallTime utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
  return WallTime{std::chrono::sys_days{std::chrono::year{y} / m / d}} + hours(hh) + minutes(mm);
}

constexpr int kSharp = static_cast<int>(TouPeriod::kSharp);
constexpr int kPeak = static_cast<int>(TouPeriod::kPeak);
constexpr int kFlat = static_cast<int>(TouPeriod::kFlat);
constexpr int kValley = static_cast<int>(TouPeriod::kValley);

Tariff single(Money price, std::string id = "single") {
  Tariff t;
  t.id = std::move(id);
  t.price_per_kwh = price;
  return t;
}

// Valley 0.3000 from 00:00, peak 0.9000 from 08:00, flat 0.6000 from 18:00; sharp 1.2000.
Tariff valley_peak_flat() {
  TimeOfUse tou;
  tou.price_per_kwh = {Money{12000}, Money{9000}, Money{6000}, Money{3000}};
  tou.default_day = {
      {0, TouPeriod::kValley}, {8 * 60, TouPeriod::kPeak}, {18 * 60, TouPeriod::kFlat}};
  Tariff t;
  t.id = "tou";
  t.tou = tou;
  return t;
}

TariffHistory history(Tariff tariff, WallTime from = utc(2000, 1, 1)) {
  TariffHistory h;
  h.add({from, std::move(tariff)});
  return h;
}

TEST(Pricing, SinglePriceChargesPricePerKwhTimesEnergy) {
  BillingCounters counters;
  auto priced = price_increment(history(single(Money{6500})), kUtc, counters, utc(2026, 3, 1, 10),
                                utc(2026, 3, 1, 11), Energy{1000});
  EXPECT_EQ(priced.charge, Money{6500});
  EXPECT_EQ(priced.wh_by_period[kFlat], 1000);
  EXPECT_EQ(priced.cost_milli_by_period[kFlat], 6'500'000);
  EXPECT_EQ(priced.free, Energy{0});
  EXPECT_FALSE(priced.unpriced);
  EXPECT_EQ(counters.carry_milli, 0);
}

TEST(Pricing, IncrementSpanningATouSwitchIsSplitByTime) {
  BillingCounters counters;
  // 07:40..08:30: 20 of 50 minutes are valley -> floor(500 * 20 / 50) = 200 Wh.
  auto priced = price_increment(history(valley_peak_flat()), kUtc, counters, utc(2026, 3, 2, 7, 40),
                                utc(2026, 3, 2, 8, 30), Energy{500});
  EXPECT_EQ(priced.wh_by_period[kValley], 200);
  EXPECT_EQ(priced.wh_by_period[kPeak], 300);
  EXPECT_EQ(priced.cost_milli_by_period[kValley], 200 * 3000);
  EXPECT_EQ(priced.cost_milli_by_period[kPeak], 300 * 9000);
  EXPECT_EQ(priced.charge, Money{(200 * 3000 + 300 * 9000) / 1000});
}

TEST(Pricing, TouSwitchesAreLocalTime) {
  BillingCounters counters;
  // 08:00 at +08:00 is 00:00 UTC: 23:30..00:30 UTC is half valley, half peak locally.
  auto priced = price_increment(history(valley_peak_flat()), kUtcPlus8, counters,
                                utc(2026, 3, 1, 23, 30), utc(2026, 3, 2, 0, 30), Energy{100});
  EXPECT_EQ(priced.wh_by_period[kValley], 50);
  EXPECT_EQ(priced.wh_by_period[kPeak], 50);
}

TEST(Pricing, SplitUsesTheFloorOfTheProportionalShare) {
  // A tariff change 1 ms into a 3 ms increment of 10 Wh: floor(10 * 1 / 3) = 3 Wh before it.
  const WallTime t0 = utc(2026, 1, 1);
  TariffHistory h = history(single(Money{1000}, "old"));
  h.add({t0 + std::chrono::milliseconds(1), single(Money{2000}, "new")});
  BillingCounters counters;
  auto priced =
      price_increment(h, kUtc, counters, t0, t0 + std::chrono::milliseconds(3), Energy{10});
  EXPECT_EQ(priced.cost_milli_by_period[kFlat], 3 * 1000 + 7 * 2000);
}

TEST(Pricing, SeasonAndHolidayChooseTheDaySchedule) {
  TimeOfUse tou;
  tou.price_per_kwh = {Money{40000}, Money{30000}, Money{20000}, Money{10000}};
  tou.default_day = {{0, TouPeriod::kFlat}};
  tou.seasons = {{701, 930, {{0, TouPeriod::kPeak}}}, {1101, 228, {{0, TouPeriod::kSharp}}}};
  tou.holidays = {20260803};  // no holiday_day: valley all day
  Tariff tariff;
  tariff.id = "seasons";
  tariff.tou = tou;
  const TariffHistory h = history(tariff);
  BillingCounters counters;

  auto into_summer =
      price_increment(h, kUtc, counters, utc(2026, 6, 30, 23), utc(2026, 7, 1, 1), Energy{200});
  EXPECT_EQ(into_summer.wh_by_period[kFlat], 100);
  EXPECT_EQ(into_summer.wh_by_period[kPeak], 100);
  EXPECT_EQ(into_summer.charge, Money{100 * 20 + 100 * 30});

  auto into_holiday =
      price_increment(h, kUtc, counters, utc(2026, 8, 2, 23), utc(2026, 8, 3, 1), Energy{200});
  EXPECT_EQ(into_holiday.wh_by_period[kPeak], 100);
  EXPECT_EQ(into_holiday.wh_by_period[kValley], 100);

  // The winter season wraps the year end; 2026 has no Feb 29, so March 1 is default again.
  auto out_of_winter =
      price_increment(h, kUtc, counters, utc(2026, 2, 28, 23), utc(2026, 3, 1, 1), Energy{200});
  EXPECT_EQ(out_of_winter.wh_by_period[kSharp], 100);
  EXPECT_EQ(out_of_winter.wh_by_period[kFlat], 100);
  auto new_year =
      price_increment(h, kUtc, counters, utc(2026, 12, 31, 23), utc(2027, 1, 1, 1), Energy{200});
  EXPECT_EQ(new_year.wh_by_period[kSharp], 200);
}

TEST(Pricing, HolidayDayScheduleAppliesOnHolidays) {
  Tariff tariff = valley_peak_flat();
  tariff.tou->holidays = {20261001};
  tariff.tou->holiday_day = {{0, TouPeriod::kValley}, {12 * 60, TouPeriod::kFlat}};
  BillingCounters counters;
  auto priced = price_increment(history(tariff), kUtc, counters, utc(2026, 10, 1, 11),
                                utc(2026, 10, 1, 13), Energy{20});
  EXPECT_EQ(priced.wh_by_period[kValley], 10);
  EXPECT_EQ(priced.wh_by_period[kFlat], 10);
  EXPECT_EQ(priced.wh_by_period[kPeak], 0);
}

Tiers three_blocks(CalendarPeriod period) {
  // 0..1 kWh +0, 1..2 kWh +0.1000, above +0.3000
  return Tiers{
      period, {{Energy{1000}, Money{0}}, {Energy{2000}, Money{1000}}, {std::nullopt, Money{3000}}}};
}

TEST(Pricing, TierBoundaryInsideOneIncrementSplitsItsEnergy) {
  Tariff tariff = single(Money{5000});
  tariff.tiers = three_blocks(CalendarPeriod::kMonth);
  const TariffHistory h = history(tariff);
  BillingCounters counters;
  auto first =
      price_increment(h, kUtc, counters, utc(2026, 4, 1, 1), utc(2026, 4, 1, 2), Energy{800});
  EXPECT_EQ(first.cost_milli_by_period[kFlat], 800 * 5000);
  // Positions 800..2299: 200 Wh in block 1, 1000 in block 2, 300 above.
  auto second =
      price_increment(h, kUtc, counters, utc(2026, 4, 1, 2), utc(2026, 4, 1, 3), Energy{1500});
  EXPECT_EQ(second.cost_milli_by_period[kFlat], 200 * 5000 + 1000 * 6000 + 300 * 8000);
  EXPECT_EQ(counters.tier_period, 202604);
  EXPECT_EQ(counters.tier_wh, 2300);
}

TEST(Pricing, PiecesCarryTheHighestTierTheirWhReached) {
  Tariff tariff = single(Money{5000});
  tariff.tiers = three_blocks(CalendarPeriod::kMonth);
  const TariffHistory h = history(tariff);
  BillingCounters counters;
  std::vector<PricedPiece> pieces;
  price_increment(h, kUtc, counters, utc(2026, 4, 1, 1), utc(2026, 4, 1, 2), Energy{1000}, &pieces);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].tier, 1) << "the 1000th Wh is the last of block 1";
  price_increment(h, kUtc, counters, utc(2026, 4, 1, 2), utc(2026, 4, 1, 3), Energy{1}, &pieces);
  EXPECT_EQ(pieces.at(0).tier, 2);
  price_increment(h, kUtc, counters, utc(2026, 4, 1, 3), utc(2026, 4, 1, 4), Energy{5000}, &pieces);
  EXPECT_EQ(pieces.at(0).tier, 3);
  // A new month starts again in block 1; a tariff without tiers reaches none.
  price_increment(h, kUtc, counters, utc(2026, 5, 1, 1), utc(2026, 5, 1, 2), Energy{10}, &pieces);
  EXPECT_EQ(pieces.at(0).tier, 1);
  BillingCounters plain;
  price_increment(history(single(Money{5000})), kUtc, plain, utc(2026, 4, 1, 1), utc(2026, 4, 1, 2),
                  Energy{5000}, &pieces);
  EXPECT_EQ(pieces.at(0).tier, 0);
}

TEST(Pricing, TierSurchargeAddsToTheTouPrice) {
  Tariff tariff = valley_peak_flat();
  tariff.tiers =
      Tiers{CalendarPeriod::kMonth, {{Energy{10}, Money{0}}, {std::nullopt, Money{1000}}}};
  BillingCounters counters;
  auto priced = price_increment(history(tariff), kUtc, counters, utc(2026, 4, 1, 9),
                                utc(2026, 4, 1, 10), Energy{30});
  EXPECT_EQ(priced.cost_milli_by_period[kPeak], 10 * 9000 + 20 * 10000);
}

TEST(Pricing, MonthlyTiersResetAtTheLocalMonthBoundary) {
  Tariff tariff = single(Money{5000});
  tariff.tiers =
      Tiers{CalendarPeriod::kMonth, {{Energy{1000}, Money{0}}, {std::nullopt, Money{10000}}}};
  const TariffHistory h = history(tariff);
  BillingCounters counters{.tier_period = 202602, .tier_wh = 1000};
  // March begins at 2026-02-28 16:00 UTC at +08:00.
  BillingCounters local = counters;
  auto priced =
      price_increment(h, kUtcPlus8, local, utc(2026, 2, 28, 15), utc(2026, 2, 28, 17), Energy{200});
  EXPECT_EQ(priced.cost_milli_by_period[kFlat], 100 * 15000 + 100 * 5000);
  EXPECT_EQ(local.tier_period, 202603);
  EXPECT_EQ(local.tier_wh, 100);
  // The same instants at UTC are all still February.
  BillingCounters at_utc = counters;
  auto february =
      price_increment(h, kUtc, at_utc, utc(2026, 2, 28, 15), utc(2026, 2, 28, 17), Energy{200});
  EXPECT_EQ(february.cost_milli_by_period[kFlat], 200 * 15000);
  EXPECT_EQ(at_utc.tier_wh, 1200);
}

TEST(Pricing, YearlyTiersKeepCountingAcrossMonths) {
  Tariff tariff = single(Money{5000});
  tariff.tiers = three_blocks(CalendarPeriod::kYear);
  BillingCounters counters{.tier_period = 2026, .tier_wh = 1900};
  auto priced = price_increment(history(tariff), kUtc, counters, utc(2026, 5, 31, 23),
                                utc(2026, 6, 1, 1), Energy{200});
  EXPECT_EQ(priced.cost_milli_by_period[kFlat], 100 * 6000 + 100 * 8000);
  EXPECT_EQ(counters.tier_period, 2026);
  EXPECT_EQ(counters.tier_wh, 2100);
}

TEST(Pricing, ReadingsOutOfOrderAcrossABoundaryCountIntoTheCurrentPeriod) {
  Tariff tariff = single(Money{5000});
  tariff.tiers = three_blocks(CalendarPeriod::kMonth);
  BillingCounters counters{.tier_period = 202603, .tier_wh = 1500};
  auto priced = price_increment(history(tariff), kUtc, counters, utc(2026, 2, 27, 10),
                                utc(2026, 2, 27, 11), Energy{100});
  EXPECT_EQ(counters.tier_period, 202603);
  EXPECT_EQ(counters.tier_wh, 1600);
  EXPECT_EQ(priced.cost_milli_by_period[kFlat], 100 * 6000);
}

TEST(Pricing, DailyAllowanceIsFreeFirstAndResetsAtLocalMidnight) {
  Tariff tariff = single(Money{10000});
  tariff.allowance = Allowance{CalendarPeriod::kDay, Energy{1000}};
  const TariffHistory h = history(tariff);
  BillingCounters counters;
  // 10:00..11:00 local (+08:00) on May 10.
  auto morning = price_increment(h, kUtcPlus8, counters, utc(2026, 5, 10, 2), utc(2026, 5, 10, 3),
                                 Energy{800});
  EXPECT_EQ(morning.free, Energy{800});
  EXPECT_EQ(morning.charge, Money{0});
  EXPECT_EQ(morning.wh_by_period[kFlat], 800);
  // 23:00..01:00 local: 300 Wh before midnight (200 free, 100 charged), 300 after (free).
  auto night = price_increment(h, kUtcPlus8, counters, utc(2026, 5, 10, 15), utc(2026, 5, 10, 17),
                               Energy{600});
  EXPECT_EQ(night.free, Energy{500});
  EXPECT_EQ(night.cost_milli_by_period[kFlat], 100 * 10000);
  EXPECT_EQ(night.charge, Money{1000});
  EXPECT_EQ(counters.allowance_period, 20260511);
  EXPECT_EQ(counters.allowance_used_wh, 300);
}

TEST(Pricing, AllowanceCountsTowardsTiers) {
  Tariff tariff = single(Money{5000});
  tariff.allowance = Allowance{CalendarPeriod::kMonth, Energy{1000}};
  tariff.tiers =
      Tiers{CalendarPeriod::kMonth, {{Energy{1000}, Money{0}}, {std::nullopt, Money{10000}}}};
  BillingCounters counters;
  auto priced = price_increment(history(tariff), kUtc, counters, utc(2026, 5, 1, 1),
                                utc(2026, 5, 1, 2), Energy{1500});
  EXPECT_EQ(priced.free, Energy{1000});
  EXPECT_EQ(priced.cost_milli_by_period[kFlat], 500 * 15000);
  EXPECT_EQ(counters.tier_wh, 1500);
  EXPECT_EQ(counters.allowance_used_wh, 1000);
  EXPECT_EQ(counters.allowance_period, 202605);
}

TEST(Pricing, TariffChangeMidIncrementPricesThePartBeforeAtTheOldTariff) {
  TariffHistory h = history(single(Money{5000}, "old"));
  h.add({utc(2026, 1, 1, 12), single(Money{10000}, "new")});
  BillingCounters counters;
  auto priced =
      price_increment(h, kUtc, counters, utc(2026, 1, 1, 11), utc(2026, 1, 1, 13), Energy{400});
  EXPECT_EQ(priced.cost_milli_by_period[kFlat], 200 * 5000 + 200 * 10000);
  EXPECT_EQ(priced.charge, Money{3000});
}

TEST(Pricing, EnergyBeforeTheFirstTariffIsUnpriced) {
  const TariffHistory h = history(single(Money{10000}), utc(2026, 1, 1, 12));
  BillingCounters counters;
  auto priced =
      price_increment(h, kUtc, counters, utc(2026, 1, 1, 11), utc(2026, 1, 1, 13), Energy{400});
  EXPECT_TRUE(priced.unpriced);
  EXPECT_EQ(priced.cost_milli_by_period[kFlat], 200 * 10000);
  EXPECT_EQ(priced.wh_by_period[kFlat], 400);  // unpriced energy is still reported (as flat)
  auto nothing = price_increment(TariffHistory{}, kUtc, counters, utc(2026, 1, 1, 11),
                                 utc(2026, 1, 1, 13), Energy{400});
  EXPECT_TRUE(nothing.unpriced);
  EXPECT_EQ(nothing.charge, Money{0});
}

TEST(Pricing, CarryKeepsSubUnitCostsUntilTheyAddUpToAUnit) {
  // 0.0001 per kWh: 1 Wh costs 1/1000 of a unit.
  const TariffHistory cheap = history(single(Money{1}));
  BillingCounters counters;
  for (int i = 1; i <= 3; ++i) {
    auto priced = price_increment(cheap, kUtc, counters, utc(2026, 1, 1, 0, i),
                                  utc(2026, 1, 1, 0, i + 1), Energy{1});
    EXPECT_EQ(priced.charge, Money{0});
    EXPECT_EQ(counters.carry_milli, i);
  }
  // 0.3333 per kWh: 3333 milli per Wh.
  const TariffHistory odd = history(single(Money{3333}));
  counters = BillingCounters{};
  std::int64_t charged = 0;
  const std::int64_t expected_charges[] = {3, 3, 3, 4};
  const std::int64_t expected_carry[] = {333, 666, 999, 332};
  for (int i = 0; i < 4; ++i) {
    auto priced = price_increment(odd, kUtc, counters, utc(2026, 1, 1, 1, i),
                                  utc(2026, 1, 1, 1, i + 1), Energy{1});
    EXPECT_EQ(priced.charge.units, expected_charges[i]) << i;
    EXPECT_EQ(counters.carry_milli, expected_carry[i]) << i;
    charged += priced.charge.units;
  }
  EXPECT_EQ(charged * 1000 + counters.carry_milli, 4 * 3333);
}

TEST(Pricing, ZeroLengthOrBackwardsIncrementIsPricedAtItsEnd) {
  const TariffHistory h = history(valley_peak_flat());
  BillingCounters counters;
  auto at_eight =
      price_increment(h, kUtc, counters, utc(2026, 3, 2, 8), utc(2026, 3, 2, 8), Energy{10});
  EXPECT_EQ(at_eight.wh_by_period[kPeak], 10);
  auto backwards =
      price_increment(h, kUtc, counters, utc(2026, 3, 2, 9), utc(2026, 3, 2, 7), Energy{10});
  EXPECT_EQ(backwards.wh_by_period[kValley], 10);
}

TEST(Pricing, NoEnergyChangesNothing) {
  Tariff tariff = single(Money{5000});
  tariff.tiers = three_blocks(CalendarPeriod::kMonth);
  BillingCounters counters{.tier_period = 202601, .tier_wh = 5, .carry_milli = 7};
  const BillingCounters before = counters;
  auto priced =
      price_increment(history(tariff), kUtc, counters, utc(2026, 3, 1), utc(2026, 3, 2), Energy{0});
  EXPECT_EQ(priced.charge, Money{0});
  EXPECT_EQ(counters, before);
}

TEST(Pricing, LongGapWithLittleEnergyPutsEachWhInItsOwnSlot) {
  // 3 Wh over 3 days from 04:00: the k-th Wh is consumed in the ms before day k 04:00 (valley).
  const TariffHistory h = history(valley_peak_flat());
  BillingCounters counters;
  auto priced =
      price_increment(h, kUtc, counters, utc(2026, 3, 1, 4), utc(2026, 3, 4, 4), Energy{3});
  EXPECT_EQ(priced.wh_by_period[kValley], 3);
  // From 12:00 the slots are 11:59:59.999 of each following day: peak.
  auto midday =
      price_increment(h, kUtc, counters, utc(2026, 3, 1, 12), utc(2026, 3, 4, 12), Energy{3});
  EXPECT_EQ(midday.wh_by_period[kPeak], 3);
}

TEST(Pricing, AWhWhoseSlotEndsOnABoundaryBelongsBeforeIt) {
  // 2 Wh over 2 days from midnight: each Wh is consumed in the last ms before a midnight,
  // which is flat (from 18:00), not the valley that starts at midnight.
  BillingCounters counters;
  auto priced = price_increment(history(valley_peak_flat()), kUtc, counters, utc(2026, 3, 1),
                                utc(2026, 3, 3), Energy{2});
  EXPECT_EQ(priced.wh_by_period[kFlat], 2);
  EXPECT_EQ(priced.wh_by_period[kValley], 0);
}

TEST(Pricing, ATariffChangeInsideAMillisecondTakesEffectFromTheNextOne) {
  const WallTime t0 = utc(2026, 1, 1);
  TariffHistory h = history(single(Money{1000}, "old"));
  h.add({t0 + std::chrono::microseconds(1500), single(Money{2000}, "new")});
  BillingCounters counters;
  // 4 Wh over 4 ms: one per ms slot; slots 0 and 1 are old, 2 and 3 new.
  auto priced =
      price_increment(h, kUtc, counters, t0, t0 + std::chrono::milliseconds(4), Energy{4});
  EXPECT_EQ(priced.cost_milli_by_period[kFlat], 2 * 1000 + 2 * 2000);
}

}  // namespace
}  // namespace meterd
