// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <string>

#include "config/yaml_to_settings.h"
#include "engine/tariff.h"

namespace meterd {
namespace {

struct Parsed {
  std::optional<Tariff> tariff;
  ConfigErrors errors;
  std::string all_errors() const {
    std::string out;
    for (const auto& e : errors.all()) out += e.to_string() + "\n";
    return out;
  }
};

Parsed parse(const std::string& yaml) {
  Parsed parsed;
  auto root = yaml_to_settings(yaml, "tariff.yaml", parsed.errors);
  EXPECT_TRUE(root.has_value()) << parsed.all_errors();
  if (root) parsed.tariff = read_tariff(*root, parsed.errors);
  return parsed;
}

const char* const kFullTariff = R"(id: tou-2026
tou:
  prices: {sharp: "1.2000", peak: 0.9, flat: "0.6", valley: 0.3125}
  day:
    - {from: "00:00", period: valley}
    - {from: "08:00", period: peak}
    - {from: "10:30", period: sharp}
    - {from: "12:00", period: flat}
    - {from: "23:00", period: valley}
  seasons:
    - from: "07-01"
      to: "09-30"
      day: [{from: "00:00", period: flat}, {from: "19:00", period: sharp}]
    - {from: "11-01", to: "02-28", day: [{from: "00:00", period: peak}]}
  holiday_day: [{from: "00:00", period: valley}, {from: "18:00", period: flat}]
  holidays: ["2026-10-01", "2026-10-02"]
tiers:
  period: year
  blocks:
    - {up_to_kwh: "200", surcharge: "0"}
    - {up_to_kwh: 400.5, surcharge: "0.05"}
    - {surcharge: "0.30"}
allowance: {period: day, kwh: "5"}
)";

TEST(TariffSettings, ReadsAFullTimeOfUseTariffWithTiersAndAllowance) {
  Parsed p = parse(kFullTariff);
  ASSERT_TRUE(p.errors.empty()) << p.all_errors();
  ASSERT_TRUE(p.tariff.has_value());
  const Tariff& t = *p.tariff;
  EXPECT_EQ(t.id, "tou-2026");
  ASSERT_TRUE(t.tou.has_value());
  EXPECT_EQ(t.tou->price_per_kwh[0], Money{12000});
  EXPECT_EQ(t.tou->price_per_kwh[1], Money{9000});
  EXPECT_EQ(t.tou->price_per_kwh[2], Money{6000});
  EXPECT_EQ(t.tou->price_per_kwh[3], Money{3125});
  ASSERT_EQ(t.tou->default_day.size(), 5u);
  EXPECT_EQ(t.tou->default_day[2].minute_of_day, 10 * 60 + 30);
  EXPECT_EQ(t.tou->default_day[2].period, TouPeriod::kSharp);
  ASSERT_EQ(t.tou->seasons.size(), 2u);
  EXPECT_EQ(t.tou->seasons[0].from_month_day, 701);
  EXPECT_EQ(t.tou->seasons[0].to_month_day, 930);
  EXPECT_EQ(t.tou->seasons[0].day[1].minute_of_day, 19 * 60);
  EXPECT_EQ(t.tou->seasons[1].from_month_day, 1101);
  EXPECT_EQ(t.tou->seasons[1].to_month_day, 228);
  ASSERT_EQ(t.tou->holiday_day.size(), 2u);
  EXPECT_EQ(t.tou->holiday_day[1].period, TouPeriod::kFlat);
  EXPECT_EQ(t.tou->holidays, (std::set<std::int32_t>{20261001, 20261002}));
  ASSERT_TRUE(t.tiers.has_value());
  EXPECT_EQ(t.tiers->period, CalendarPeriod::kYear);
  ASSERT_EQ(t.tiers->blocks.size(), 3u);
  EXPECT_EQ(t.tiers->blocks[0].up_to, Energy{200'000});
  EXPECT_EQ(t.tiers->blocks[1].up_to, Energy{400'500});
  EXPECT_EQ(t.tiers->blocks[1].surcharge_per_kwh, Money{500});
  EXPECT_FALSE(t.tiers->blocks[2].up_to.has_value());
  EXPECT_EQ(t.tiers->blocks[2].surcharge_per_kwh, Money{3000});
  ASSERT_TRUE(t.allowance.has_value());
  EXPECT_EQ(t.allowance->period, CalendarPeriod::kDay);
  EXPECT_EQ(t.allowance->free, Energy{5000});
}

TEST(TariffSettings, ReadsASinglePriceFromANumberOrAString) {
  Parsed p = parse("id: flat\nprice: 0.65\n");
  ASSERT_TRUE(p.tariff.has_value()) << p.all_errors();
  EXPECT_EQ(p.tariff->price_per_kwh, Money{6500});
  EXPECT_FALSE(p.tariff->tou || p.tariff->tiers || p.tariff->allowance);
  // 0.1 + 0.2 style drift would show here if the value went through a double.
  Parsed q = parse("id: flat\nprice: \"1234.5679\"\ntiers: {blocks: [{surcharge: 0}]}\n");
  ASSERT_TRUE(q.tariff.has_value()) << q.all_errors();
  EXPECT_EQ(q.tariff->price_per_kwh, Money{12'345'679});
  EXPECT_EQ(q.tariff->tiers->period, CalendarPeriod::kMonth);
}

TEST(TariffSettings, ReportsBadMoneyAtItsPosition) {
  Parsed p = parse("id: x\nprice: \"0.12345\"\n");
  EXPECT_FALSE(p.tariff.has_value());
  ASSERT_EQ(p.errors.size(), 1u) << p.all_errors();
  EXPECT_EQ(p.errors.all()[0].pos.line, 2);
  EXPECT_EQ(p.errors.all()[0].pos.column, 8);
  EXPECT_NE(p.errors.all()[0].message.find("more than 4 decimals"), std::string::npos);
}

TEST(TariffSettings, RejectsNegativeAndExponentPrices) {
  Parsed p = parse("id: x\nprice: -0.5\n");
  ASSERT_EQ(p.errors.size(), 1u) << p.all_errors();
  EXPECT_EQ(p.errors.all()[0].to_string(),
            "tariff.yaml:2:8: 'price' = -0.5 is out of range [0, 10000.0000]");
  Parsed q = parse("id: x\nprice: 1e3\n");
  ASSERT_EQ(q.errors.size(), 1u) << q.all_errors();
  EXPECT_EQ(q.errors.all()[0].pos.line, 2);
}

TEST(TariffSettings, PriceAndTouAreMutuallyExclusiveAndOneIsRequired) {
  Parsed both = parse(
      "id: x\nprice: 1\ntou:\n  prices: {flat: 1}\n  day: [{from: \"00:00\", period: flat}]\n");
  EXPECT_FALSE(both.tariff.has_value());
  ASSERT_EQ(both.errors.size(), 1u) << both.all_errors();
  EXPECT_EQ(both.errors.all()[0].to_string(),
            "tariff.yaml:4:3: 'price' and 'tou' are mutually exclusive");
  Parsed neither = parse("id: x\n");
  ASSERT_EQ(neither.errors.size(), 1u) << neither.all_errors();
  EXPECT_EQ(neither.errors.all()[0].pos.line, 1);
  EXPECT_NE(neither.errors.all()[0].message.find("needs 'price'"), std::string::npos);
}

TEST(TariffSettings, ReportsEveryProblemWithItsPosition) {
  Parsed p = parse(R"(id: bad
colour: blue
tou:
  prices: {peak: "0.9", valley: "x"}
  day:
    - {from: "01:00", period: peak}
    - {from: "25:00", period: valley}
    - {from: "00:30", period: midday}
  seasons: [{from: "02-30", to: "03-01", day: [{from: "00:00", period: sharp}]}]
  holidays: ["2026-02-29"]
tiers:
  period: week
  blocks: [{up_to_kwh: "100", surcharge: 0}, {up_to_kwh: "50", surcharge: 0}]
allowance: {kwh: "-1"}
)");
  EXPECT_FALSE(p.tariff.has_value());
  const std::string all = p.all_errors();
  EXPECT_NE(all.find("tariff.yaml:2:1: tariff 'bad': unknown key 'colour'"), std::string::npos)
      << all;
  EXPECT_NE(all.find("tariff.yaml:4:33: 'valley' must be an amount"), std::string::npos) << all;
  EXPECT_NE(all.find("tariff.yaml:6:14: 'day' must start at \"00:00\""), std::string::npos) << all;
  EXPECT_NE(all.find("tariff.yaml:7:14: 'from' must be a local time like \"08:00\", got '25:00'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("tariff.yaml:8:31: 'period' must be one of sharp, peak, flat, valley, got "
                     "'midday'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("tariff.yaml:9:20: 'from' must be a date like \"07-01\", got '02-30'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("tariff.yaml:9:72: period 'sharp' has no price in 'prices'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("tariff.yaml:10:14: holidays must be dates like"), std::string::npos) << all;
  EXPECT_NE(all.find("tariff.yaml:12:11: 'period' must be one of month, year, got 'week'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("tariff.yaml:13:58: 'up_to_kwh' must be above that of the block before "
                     "(100.000)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("tariff.yaml:13:58: the last tier block must not have 'up_to_kwh'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("tariff.yaml:14:18: 'kwh' must be kWh"), std::string::npos) << all;
}

TEST(TariffSettings, SwitchTimesMustIncrease) {
  Parsed p = parse(
      "id: x\ntou:\n  prices: {flat: 1, peak: 2}\n  day:\n    - {from: \"00:00\", period: flat}\n"
      "    - {from: \"09:00\", period: peak}\n    - {from: \"09:00\", period: flat}\n");
  ASSERT_EQ(p.errors.size(), 1u) << p.all_errors();
  EXPECT_EQ(p.errors.all()[0].to_string(),
            "tariff.yaml:7:14: switch times must increase; '09:00' is not after the switch "
            "before");
}

TEST(TariffSettings, HolidaysWithoutAHolidayDayNeedAValleyPrice) {
  Parsed p = parse(
      "id: x\ntou:\n  prices: {flat: 1}\n  day: [{from: \"00:00\", period: flat}]\n"
      "  holidays: [\"2026-01-01\"]\n");
  ASSERT_EQ(p.errors.size(), 1u) << p.all_errors();
  EXPECT_EQ(p.errors.all()[0].to_string(),
            "tariff.yaml:5:13: period 'valley' has no price in 'prices'");
}

TEST(TariffSettings, MissingRequiredKeysAreReportedAtTheirMap) {
  Parsed p = parse("price: 1\ntiers:\n  blocks: [{up_to_kwh: 10}, {}]\nallowance: {period: day}\n");
  const std::string all = p.all_errors();
  EXPECT_NE(all.find("tariff.yaml:1:1: tariff: missing required key 'id'"), std::string::npos)
      << all;
  EXPECT_NE(all.find("tariff.yaml:3:12: tier block 1: missing required key 'surcharge'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("tariff.yaml:3:29: tier block 2: missing required key 'surcharge'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("tariff.yaml:4:12: allowance: missing required key 'kwh'"), std::string::npos)
      << all;
  EXPECT_EQ(p.errors.size(), 4u) << all;
}

TEST(UtcOffsetParsing, AcceptsSignedHoursAndMinutesAndZ) {
  EXPECT_EQ(parse_utc_offset("+08:00").value().fixed_offset(), std::chrono::minutes(480));
  EXPECT_EQ(parse_utc_offset("-03:30").value().fixed_offset(), std::chrono::minutes(-210));
  EXPECT_EQ(parse_utc_offset("Z").value().fixed_offset(), std::chrono::minutes(0));
  EXPECT_EQ(parse_utc_offset("+00:00").value().fixed_offset(), std::chrono::minutes(0));
  EXPECT_EQ(parse_utc_offset("+14:00").value().fixed_offset(), std::chrono::minutes(840));
  for (const char* bad : {"", "8", "+8:00", "08:00", "+08:60", "+15:00", "+08-00", "z", "+0800"}) {
    EXPECT_FALSE(parse_utc_offset(bad).ok()) << bad;
  }
}

TEST(TouPeriodName, NamesEveryPeriod) {
  EXPECT_STREQ(tou_period_name(TouPeriod::kSharp), "sharp");
  EXPECT_STREQ(tou_period_name(TouPeriod::kPeak), "peak");
  EXPECT_STREQ(tou_period_name(TouPeriod::kFlat), "flat");
  EXPECT_STREQ(tou_period_name(TouPeriod::kValley), "valley");
}

}  // namespace
}  // namespace meterd
