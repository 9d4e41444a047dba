// SPDX-License-Identifier: Apache-2.0
#include "dlt645/codec/point_format.h"

#include <gtest/gtest.h>

#include "hex.h"

namespace meterd::dlt645 {
namespace {

using testing::bytes;

PointScalar decode(std::string_view point, std::string_view payload) {
  const auto format = find_point_format(point);
  EXPECT_TRUE(format) << point;
  const auto value = decode_point(*format, bytes(payload));
  EXPECT_TRUE(value.ok()) << point << ": " << value.error().message;
  return value.value().value;
}

TEST(Dlt645PointFormat, EveryDefaultPointIsInTheVocabularyAndItsDiHasAFormat) {
  for (const auto& format : default_2007_profile()) {
    EXPECT_TRUE(find_point(format.point)) << format.point;
    if (format.encoding == ValueEncoding::kBcd) {
      EXPECT_EQ(numeric_format(format.id), format.bcd) << format.point;
    }
  }
}

TEST(Dlt645PointFormat, EnergyBecomesExactWattHours) {
  EXPECT_EQ(decode("energy_total", "56 34 12 00"), PointScalar{std::int64_t{1234560}});
  EXPECT_EQ(find_point_format("energy_valley")->id, 0x00010400u);
}

TEST(Dlt645PointFormat, BalanceBecomesTenThousandthsOfMoney) {
  EXPECT_EQ(decode("balance", "99 99 99 99"), PointScalar{std::int64_t{9999999900}});
  EXPECT_EQ(decode("balance", "01 00 00 00"), PointScalar{std::int64_t{100}});
}

TEST(Dlt645PointFormat, AnalogsBecomeSiDoubles) {
  EXPECT_EQ(decode("voltage_a", "05 22"), PointScalar{220.5});
  EXPECT_EQ(decode("current_b", "00 50 80"), PointScalar{-5.0});
  EXPECT_EQ(decode("power_total", "00 30 03"), PointScalar{3300.0});  // 3.3000 kW
  EXPECT_EQ(decode("pf_total", "50 09"), PointScalar{0.95});
  EXPECT_EQ(decode("frequency", "00 50"), PointScalar{50.0});
}

TEST(Dlt645PointFormat, PurchaseCountIsAnInteger) {
  EXPECT_EQ(decode("purchase_count", "12 00"), PointScalar{std::int64_t{12}});
}

TEST(Dlt645PointFormat, RelayClosedIsBitFourOfStatusWordThreeCleared) {
  EXPECT_EQ(decode("relay_closed", "00 02"), PointScalar{true});
  EXPECT_EQ(decode("relay_closed", "10 02"), PointScalar{false});
  EXPECT_EQ(decode("relay_closed", "EF FF"), PointScalar{true});
}

TEST(Dlt645PointFormat, ShortOrNonBcdPayloadsAreMalformed) {
  const auto energy = *find_point_format("energy_total");
  EXPECT_EQ(decode_point(energy, bytes("56 34 12")).error().kind, ErrorKind::kMalformed);
  EXPECT_EQ(decode_point(energy, bytes("5A 34 12 00")).error().kind, ErrorKind::kMalformed);
  const auto relay = *find_point_format("relay_closed");
  EXPECT_EQ(decode_point(relay, bytes("10")).error().kind, ErrorKind::kMalformed);
}

TEST(Dlt645PointFormat, BlockOffsetsSelectAValueInsideAPayload) {
  auto valley = *find_point_format("energy_valley");
  valley.id = di::kForwardActiveBlock;
  valley.offset = 16;  // total, sharp, peak, flat, valley
  const auto value =
      decode_point(valley, bytes("00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00"));
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value.value().value, PointScalar{std::int64_t{10}});
}

TEST(Dlt645PointFormat, UnknownPointsHaveNoFormat) {
  EXPECT_FALSE(find_point_format("energy_bogus"));
}

}  // namespace
}  // namespace meterd::dlt645
