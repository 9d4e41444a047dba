// SPDX-License-Identifier: Apache-2.0
// Statistics from readings and meter states, in the engine (virtual time): maximum demand per
// meter and per account (the account's meters together, window by window), the day's phase
// voltage range, and offline time split at local midnight.
#include <gtest/gtest.h>

#include "engine_fixture.h"

namespace meterd::test {
namespace {

MeterReading energy_and_voltages(std::int64_t wh, double a, double b, double c) {
  MeterReading reading = gateway_reading(wh, true);
  reading.values.push_back({"voltage_a", PointScalar{a}});
  reading.values.push_back({"voltage_b", PointScalar{b}});
  reading.values.push_back({"voltage_c", PointScalar{c}});
  return reading;
}

class UsageMeasures : public EngineTest {
 protected:
  UsageFigures row(UsageScope scope, const std::string& owner, UsageGranularity g,
                   std::int32_t period) {
    Result<std::vector<UsageRollup>> rows =
        store_.read_usage(UsageQuery{scope, owner, g, period, period, 1});
    EXPECT_TRUE(rows);
    if (!rows || rows.value().empty()) return {};
    return rows.value().front().figures;
  }
  UsageFigures meter_day(const std::string& meter, std::int32_t day) {
    return row(UsageScope::kMeter, meter, UsageGranularity::kDay, day);
  }
  UsageFigures account_day(std::int32_t day) {
    return row(UsageScope::kAccount, "a1", UsageGranularity::kDay, day);
  }
  void tick() {
    engine_->on_tick();
    drain();
  }
};

TEST_F(UsageMeasures, MaximumDemandIsTheHighestWindowAverageWithItsStartForMeterAndAccount) {
  start_engine(flat_config(Money{500 * kUnits}, Money{kUnits}, {"m1", "m2"}));
  // From 10:00 local (quarter-hour aligned), one reading a minute for an hour: m1 draws a
  // steady 1.2 kW (20 Wh a minute); m2 3.6 kW from 10:30 to 10:45 only, and 2.4 kW from
  // 10:15 to 10:30. Meter m1's maximum is 1.2 kW (its first window); m2's 3.6 kW at 10:30;
  // the account's is 4.8 kW at 10:30 (both together), not the sum of the two maxima.
  std::int64_t wh1 = 0;
  std::int64_t wh2 = 0;
  read("m1", gateway_reading(wh1, true));
  read("m2", gateway_reading(wh2, true));
  for (int minute = 1; minute <= 60; ++minute) {
    clock_.advance(1min);
    wh1 += 20;
    if (minute > 15 && minute <= 30) wh2 += 40;
    if (minute > 30 && minute <= 45) wh2 += 60;
    read("m1", gateway_reading(wh1, true));
    read("m2", gateway_reading(wh2, true));
  }
  tick();
  restart_engine(flat_config(Money{500 * kUnits}, Money{kUnits}, {"m1", "m2"}));
  const std::int64_t at_1015 = to_unix_ms(kStart + 15min);
  const std::int64_t at_1030 = to_unix_ms(kStart + 30min);
  EXPECT_EQ(meter_day("m1", 20260302).demand_w, 1200);
  EXPECT_EQ(meter_day("m1", 20260302).demand_at_ms, to_unix_ms(kStart))
      << "equal windows: the first one";
  EXPECT_EQ(meter_day("m2", 20260302).demand_w, 3600);
  EXPECT_EQ(meter_day("m2", 20260302).demand_at_ms, at_1030);
  EXPECT_EQ(account_day(20260302).demand_w, 4800);
  EXPECT_EQ(account_day(20260302).demand_at_ms, at_1030);
  const UsageFigures month = row(UsageScope::kMeter, "m2", UsageGranularity::kMonth, 202603);
  EXPECT_EQ(month.demand_w, 3600) << "the month keeps its highest day";
  EXPECT_EQ(month.demand_at_ms, at_1030);
  EXPECT_NE(at_1015, at_1030);
}

TEST_F(UsageMeasures, ADemandWindowIsWrittenOnlyWhenItRaisesTheDaysMaximum) {
  start_engine(flat_config(Money{500 * kUnits}, Money{kUnits}, {"m1"}));
  // From 10:00 local, a reading a minute: a steady 1.2 kW for two hours, then 2.4 kW from
  // 12:00 to 12:15, then 1.2 kW again. Of the ten windows that close, three raise the day's
  // maximum of the meter and of the account: the first, and the 2.4 kW one.
  std::int64_t wh = 0;
  read("m1", gateway_reading(wh, true));
  for (int minute = 1; minute <= 150; ++minute) {
    clock_.advance(1min);
    wh += minute > 120 && minute <= 135 ? 40 : 20;
    read("m1", gateway_reading(wh, true));
  }
  tick();
  EXPECT_EQ(store_.demand_deltas, 4) << "the first window and the 2.4 kW one, meter and account";
  EXPECT_EQ(meter_day("m1", 20260302).demand_w, 2400);
  EXPECT_EQ(meter_day("m1", 20260302).demand_at_ms, to_unix_ms(kStart + 120min));
  EXPECT_EQ(account_day(20260302).demand_w, 2400);
  // After a restart the engine no longer knows the day's maximum: it writes the next window
  // again, which leaves the rows as they are.
  restart_engine(flat_config(Money{500 * kUnits}, Money{kUnits}, {"m1"}));
  const int before = store_.demand_deltas;
  read("m1", gateway_reading(wh, true));
  for (int minute = 1; minute <= 30; ++minute) {
    clock_.advance(1min);
    wh += 20;
    read("m1", gateway_reading(wh, true));
  }
  tick();
  EXPECT_EQ(store_.demand_deltas - before, 2) << "the first window after the restart";
  EXPECT_EQ(meter_day("m1", 20260302).demand_w, 2400);
  EXPECT_EQ(meter_day("m1", 20260302).demand_at_ms, to_unix_ms(kStart + 120min));
}

TEST_F(UsageMeasures, DemandWindowIsConfigurable) {
  BillingConfig config = flat_config(Money{500 * kUnits}, Money{kUnits});
  config.demand_window = 5min;
  start_engine(config);
  // 5 minutes at 6 kW (100 Wh a minute) inside an otherwise idle quarter hour.
  std::int64_t wh = 0;
  read("m1", gateway_reading(wh, true));
  for (int minute = 1; minute <= 20; ++minute) {
    clock_.advance(1min);
    if (minute > 5 && minute <= 10) wh += 100;
    read("m1", gateway_reading(wh, true));
  }
  restart_engine(config);
  EXPECT_EQ(meter_day("m1", 20260302).demand_w, 6000) << "a 15 min window would give 2000";
  EXPECT_EQ(meter_day("m1", 20260302).demand_at_ms, to_unix_ms(kStart + 5min));
}

TEST_F(UsageMeasures, VoltageRangeIsTheDaysLowestAndHighestConnectedPhase) {
  const BillingConfig config = flat_config(Money{500 * kUnits}, Money{kUnits});
  start_engine(config);
  std::int64_t wh = 0;
  read("m1", energy_and_voltages(wh, 229.5, 231.0, 0.0));  // phase c not connected
  clock_.advance(1min);
  read("m1", energy_and_voltages(wh += 10, 218.3, 230.0, 0.0));
  clock_.advance(1min);
  read("m1", energy_and_voltages(wh += 10, 226.0, 245.1, 0.0));
  clock_.advance(14h);  // 00:02 local next day
  read("m1", energy_and_voltages(wh += 10, 230.2, 230.4, 0.0));
  restart_engine(config);
  const UsageFigures first = meter_day("m1", 20260302);
  EXPECT_EQ(first.voltage_min_dv, 2183);
  EXPECT_EQ(first.voltage_max_dv, 2451);
  const UsageFigures second = meter_day("m1", 20260303);
  EXPECT_EQ(second.voltage_min_dv, 2302);
  EXPECT_EQ(second.voltage_max_dv, 2304);
  const UsageFigures month = row(UsageScope::kMeter, "m1", UsageGranularity::kMonth, 202603);
  EXPECT_EQ(month.voltage_min_dv, 2183);
  EXPECT_EQ(month.voltage_max_dv, 2451);
}

TEST_F(UsageMeasures, OfflineTimeIsSplitAtLocalMidnightAndWrittenBeforeTheDayCloses) {
  const BillingConfig config = flat_config(Money{500 * kUnits}, Money{kUnits});
  start_engine(config);
  read("m1", gateway_reading(0, true));
  clock_.advance(12h);  // 22:00 local
  engine_->on_meter_state("m1", false, clock_.wall_now());
  clock_.advance(2h + 5s);  // 00:00:05 the next day: the ended day gets its 2 hours
  tick();
  EXPECT_EQ(meter_day("m1", 20260302).offline_ms, 2 * 3'600'000);
  clock_.advance(3h - 5s);  // 03:00: back
  engine_->on_meter_state("m1", true, clock_.wall_now());
  read("m1", gateway_reading(0, true));
  restart_engine(config);
  EXPECT_EQ(meter_day("m1", 20260302).offline_ms, 2 * 3'600'000) << "counted once";
  EXPECT_EQ(meter_day("m1", 20260303).offline_ms, 3 * 3'600'000);
  EXPECT_EQ(account_day(20260303).offline_ms, 0) << "offline time is the meter's";
  EXPECT_EQ(row(UsageScope::kMeter, "m1", UsageGranularity::kMonth, 202603).offline_ms,
            5 * 3'600'000);
}

}  // namespace
}  // namespace meterd::test
