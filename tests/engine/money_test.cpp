// SPDX-License-Identifier: Apache-2.0
#include "core/money.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace meterd {
namespace {

std::int64_t units_of(std::string_view text) {
  auto money = parse_money(text);
  EXPECT_TRUE(money.ok()) << text << ": " << (money.ok() ? "" : money.error().message);
  return money.ok() ? money.value().units : -1;
}

TEST(Money, ParsesUpToFourDecimalsExactly) {
  EXPECT_EQ(units_of("12.3456"), 123456);
  EXPECT_EQ(units_of("7"), 70000);
  EXPECT_EQ(units_of("0.5"), 5000);
  EXPECT_EQ(units_of("0.0001"), 1);
  EXPECT_EQ(units_of("0"), 0);
  EXPECT_EQ(units_of("007.10"), 71000);
  EXPECT_EQ(units_of("99999999999999.9999"), 999'999'999'999'999'999);
}

TEST(Money, ParsesNegatives) {
  EXPECT_EQ(units_of("-0.5"), -5000);
  EXPECT_EQ(units_of("-12.3456"), -123456);
  EXPECT_EQ(units_of("-0"), 0);
}

TEST(Money, RejectsAnythingButAPlainDecimal) {
  for (const char* bad : {"1.23456", "", "-", "1e3", " 1", "1 ", "+1", "1.", ".5", "1,5", "--1",
                          "0x10", "1.2.3", "12a", "nan", "inf", "-.5"}) {
    auto money = parse_money(bad);
    EXPECT_FALSE(money.ok()) << "'" << bad << "' parsed as " << money.value().units;
    if (!money.ok()) {
      EXPECT_EQ(money.error().kind, ErrorKind::kInvalidArgument) << bad;
    }
  }
}

TEST(Money, RejectsValuesOfTenToTheFourteenAndMore) {
  EXPECT_FALSE(parse_money("100000000000000").ok());
  EXPECT_FALSE(parse_money("-100000000000000").ok());
  EXPECT_FALSE(parse_money("99999999999999999999999999").ok());
  EXPECT_TRUE(parse_money("00000000000000000000001").ok());  // leading zeros are not size
}

TEST(Money, ErrorSaysWhy) {
  auto money = parse_money("1.23456");
  ASSERT_FALSE(money.ok());
  EXPECT_NE(money.error().message.find("more than 4 decimals"), std::string::npos)
      << money.error().message;
}

TEST(Money, FormatsWithFourDecimals) {
  EXPECT_EQ(format_money(Money{123456}), "12.3456");
  EXPECT_EQ(format_money(Money{-500}), "-0.0500");
  EXPECT_EQ(format_money(Money{0}), "0.0000");
  EXPECT_EQ(format_money(Money{1}), "0.0001");
  EXPECT_EQ(format_money(Money{std::numeric_limits<std::int64_t>::min()}), "-922337203685477.5808");
}

TEST(Money, FormatThenParseRoundTrips) {
  for (std::int64_t units :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{9999}, std::int64_t{10000},
        std::int64_t{-123456789}, std::int64_t{999'999'999'999'999'999}}) {
    EXPECT_EQ(units_of(format_money(Money{units})), units);
  }
  for (const char* text : {"0.0000", "12.3456", "-0.0500", "100.0000"}) {
    EXPECT_EQ(format_money(Money{units_of(text)}), text);
  }
}

TEST(Money, ArithmeticIsOnUnits) {
  EXPECT_EQ(Money{5} + Money{7}, Money{12});
  EXPECT_EQ(Money{5} - Money{7}, Money{-2});
  Money m{10};
  m -= Money{3};
  EXPECT_EQ(-m, Money{-7});
}

TEST(Kwh, ParsesToWh) {
  auto energy = parse_kwh("200");
  ASSERT_TRUE(energy.ok());
  EXPECT_EQ(energy.value().wh, 200'000);
  EXPECT_EQ(parse_kwh("0.5").value().wh, 500);
  EXPECT_EQ(parse_kwh("1.001").value().wh, 1001);
}

TEST(Kwh, RejectsNegativeTooPreciseAndMalformed) {
  for (const char* bad : {"-1", "0.0001", "", "1e3", " 5", "5kWh"}) {
    EXPECT_FALSE(parse_kwh(bad).ok()) << bad;
  }
}

TEST(Kwh, FormatsWithThreeDecimals) {
  EXPECT_EQ(format_kwh(Energy{1500}), "1.500");
  EXPECT_EQ(format_kwh(Energy{7}), "0.007");
  EXPECT_EQ(format_kwh(Energy{-7}), "-0.007");
  EXPECT_EQ(parse_kwh(format_kwh(Energy{123456})).value().wh, 123456);
}

}  // namespace
}  // namespace meterd
