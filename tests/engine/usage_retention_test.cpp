// SPDX-License-Identifier: Apache-2.0
// Retention of the statistics rollups in the engine: once per local day (at start and on the
// first tick of a new day) the days and months past billing.stats_days_kept and
// stats_months_kept are removed; what is kept stays as billed.
#include <gtest/gtest.h>

#include "config/yaml_to_settings.h"
#include "core/settings.h"
#include "engine/billing_config.h"
#include "engine_fixture.h"

namespace meterd::test {
namespace {

class UsageRetention : public EngineTest {
 protected:
  std::vector<std::int32_t> periods(UsageScope scope, const std::string& owner,
                                    UsageGranularity g) {
    std::vector<std::int32_t> out;
    Result<std::vector<UsageRollup>> rows =
        store_.read_usage(UsageQuery{scope, owner, g, 0, 99'999'999, 1000});
    EXPECT_TRUE(rows);
    if (rows) {
      for (const UsageRollup& row : rows.value()) out.push_back(row.period);
    }
    return out;
  }
};

TEST_F(UsageRetention, DaysAndMonthsPastTheirRetentionGoOnTheFirstTickOfANewDay) {
  BillingConfig config = flat_config(Money{500 * kUnits}, Money{kUnits});
  config.stats_days_kept = 3;
  config.stats_months_kept = 2;
  // kStart is 2026-03-02 10:00 local: bill an hour a day, 2026-03-02 .. 2026-03-06.
  start_engine(config);
  std::int64_t wh = 0;
  read("m1", gateway_reading(wh, true));
  for (int day = 0; day < 5; ++day) {
    clock_.advance(1h);
    read("m1", gateway_reading(wh += 1000, true));
    engine_->on_tick();
    drain();
    if (day < 4) {
      clock_.advance(23h);
      read("m1", gateway_reading(wh, true));  // nothing used overnight
    }
  }
  restart_engine(config);  // writes what is pending; the day's retention already ran
  // March is not closed: its month's figures are still folded from its days, which stay.
  const std::vector<std::int32_t> march{20260302, 20260303, 20260304, 20260305, 20260306};
  EXPECT_EQ(periods(UsageScope::kMeter, "m1", UsageGranularity::kDay), march);
  EXPECT_EQ(periods(UsageScope::kAccount, "a1", UsageGranularity::kDay), march);
  ASSERT_EQ(periods(UsageScope::kMeter, "m1", UsageGranularity::kMonth),
            (std::vector<std::int32_t>{202603}));
  Result<std::vector<UsageRollup>> month = store_.read_usage(
      UsageQuery{UsageScope::kMeter, "m1", UsageGranularity::kMonth, 202603, 202603, 1});
  ASSERT_TRUE(month);
  EXPECT_EQ(month.value().at(0).figures.energy_wh(), 5000) << "months keep their own days";

  // Two months later March is closed (its row folded from its days) and its rows are past both
  // retentions (kept: April and May).
  clock_.advance(std::chrono::days{62});
  engine_->on_tick();
  drain();
  EXPECT_TRUE(periods(UsageScope::kMeter, "m1", UsageGranularity::kDay).empty());
  EXPECT_TRUE(periods(UsageScope::kMeter, "m1", UsageGranularity::kMonth).empty());
}

TEST(UsageRetentionConfig, DefaultsAre400DaysAnd36MonthsAndBoundsAreChecked) {
  auto read = [](const std::string& yaml, ConfigErrors& errors) {
    const std::optional<SettingsNode> root = yaml_to_settings(yaml, "billing.yaml", errors);
    EXPECT_TRUE(root.has_value());
    return read_billing_config(root ? *root : SettingsNode{}, {}, errors);
  };
  ConfigErrors none;
  const BillingConfig defaults = read("utc_offset: \"+08:00\"\n", none);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(defaults.stats_days_kept, 400);
  EXPECT_EQ(defaults.stats_months_kept, 36);

  ConfigErrors ok;
  const BillingConfig set = read("stats_days_kept: 30\nstats_months_kept: 13\n", ok);
  EXPECT_TRUE(ok.empty()) << (ok.empty() ? "" : ok.all().front().to_string());
  EXPECT_EQ(set.stats_days_kept, 30);
  EXPECT_EQ(set.stats_months_kept, 13);

  ConfigErrors zero;
  read("stats_days_kept: 0\n", zero);
  ASSERT_EQ(zero.size(), 1u);
  EXPECT_NE(zero.all().front().message.find("stats_days_kept"), std::string::npos)
      << zero.all().front().to_string();
}

}  // namespace
}  // namespace meterd::test
