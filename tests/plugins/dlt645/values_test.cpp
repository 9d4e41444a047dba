// SPDX-License-Identifier: Apache-2.0
// Addresses, control bytes, ERR text, BCD numbers, deadlines and data identifiers.
#include <gtest/gtest.h>

#include "dlt645/codec/address.h"
#include "dlt645/codec/bcd.h"
#include "dlt645/codec/control.h"
#include "dlt645/codec/data_id.h"
#include "hex.h"

namespace meterd::dlt645 {
namespace {

using testing::bytes;
using testing::hex;

TEST(Dlt645Address, NameplateDigitsGoOnTheWireLeastSignificantByteFirst) {
  const auto address = parse_address("123456789012");
  ASSERT_TRUE(address);
  EXPECT_EQ(hex(address->wire), "12 90 78 56 34 12");
  EXPECT_EQ(to_string(*address), "123456789012");
}

TEST(Dlt645Address, WildcardAndBroadcastAreRecognised) {
  EXPECT_TRUE(is_wildcard(*parse_address("AAAAAAAAAAAA")));
  EXPECT_TRUE(is_wildcard(*parse_address("aaaaaaaaaaaa")));
  EXPECT_TRUE(is_broadcast(*parse_address("999999999999")));
  EXPECT_EQ(to_string(kWildcardAddress), "AAAAAAAAAAAA");
  EXPECT_FALSE(is_wildcard(*parse_address("000000000001")));
}

TEST(Dlt645Address, MalformedTextIsRejected) {
  EXPECT_FALSE(parse_address("00000000001"));    // 11 digits
  EXPECT_FALSE(parse_address("0000000000012"));  // 13 digits
  EXPECT_FALSE(parse_address("00000000000x"));
  EXPECT_FALSE(parse_address("0000000000A1"));  // half a wildcard pair
}

TEST(Dlt645Address, AbbreviatedAddressMatchesOnItsConcreteBytes) {
  const auto meter = *parse_address("000012345678");
  EXPECT_TRUE(address_matches(kWildcardAddress, meter));
  EXPECT_TRUE(address_matches(*parse_address("AAAA12345678"), meter));
  EXPECT_FALSE(address_matches(*parse_address("AAAA12345679"), meter));
  EXPECT_FALSE(address_matches(*parse_address("000012345679"), meter));
}

TEST(Dlt645Control, FieldsDecodeAndEncode) {
  const ControlByte reply_more = decode_control(0xB1);
  EXPECT_TRUE(reply_more.reply);
  EXPECT_FALSE(reply_more.abnormal);
  EXPECT_TRUE(reply_more.follow_up);
  EXPECT_EQ(reply_more.function, fn2007::kRead);
  const ControlByte error = decode_control(0xDC);
  EXPECT_TRUE(error.reply && error.abnormal && !error.follow_up);
  EXPECT_EQ(error.function, fn2007::kControl);
  for (unsigned byte = 0; byte < 256; ++byte) {
    EXPECT_EQ(encode_control(decode_control(static_cast<std::uint8_t>(byte))), byte);
  }
}

TEST(Dlt645Control, ErrBitsDecodeToText) {
  EXPECT_EQ(describe_err(err::kPassword), "password wrong/unauthorised");
  EXPECT_EQ(describe_err(err::kOther | err::kNoData), "other error, no data requested");
  EXPECT_EQ(describe_err(0), "no error bits");
  EXPECT_EQ(describe_err(0x02, Version::k1997), "wrong data identifier");
}

TEST(Dlt645Bcd, UnsignedFormatsDecodeToExactScaledIntegers) {
  // XXXXXX.XX 123456.78 arrives as 78 56 34 12.
  EXPECT_EQ(decode_bcd(bytes("78 56 34 12"), kFmtEnergy), (Scaled{12345678, 2}));
  EXPECT_EQ(decode_bcd(bytes("05 22"), kFmtVoltage), (Scaled{2205, 1}));       // 220.5 V
  EXPECT_EQ(decode_bcd(bytes("00 20 01 00"), kFmtPrice), (Scaled{12000, 4}));  // 1.2000
  EXPECT_EQ(decode_bcd(bytes("99 99 99 99"), kFmtMoney), (Scaled{99999999, 2}));
}

TEST(Dlt645Bcd, SignedFormatsKeepTheSignInTheTopBit) {
  EXPECT_EQ(decode_bcd(bytes("23 51 00"), kFmtCurrent), (Scaled{5123, 3}));
  EXPECT_EQ(decode_bcd(bytes("23 51 80"), kFmtCurrent), (Scaled{-5123, 3}));
  EXPECT_EQ(decode_bcd(bytes("50 09 80"), kFmtPowerFactor), std::nullopt) << "3 bytes for 2";
  EXPECT_EQ(decode_bcd(bytes("50 89"), kFmtPowerFactor), (Scaled{-950, 3}));
  EXPECT_EQ(hex(*encode_bcd(-950, kFmtPowerFactor)), "50 89");
  EXPECT_EQ(hex(*encode_bcd(-5123, kFmtCurrent)), "23 51 80");
}

TEST(Dlt645Bcd, InvalidDigitsAndSizesAreRejected) {
  EXPECT_FALSE(decode_bcd(bytes("7A 56 34 12"), kFmtEnergy));
  EXPECT_FALSE(decode_bcd(bytes("FF FF FF FF"), kFmtEnergy));
  EXPECT_FALSE(decode_bcd(bytes("56 34 12"), kFmtEnergy));
}

TEST(Dlt645Bcd, EncodingRefusesValuesThatDoNotFit) {
  EXPECT_EQ(hex(*encode_bcd(12345678, kFmtEnergy)), "78 56 34 12");
  EXPECT_FALSE(encode_bcd(100000000, kFmtEnergy));
  EXPECT_FALSE(encode_bcd(-1, kFmtEnergy));
  EXPECT_FALSE(encode_bcd(800000, kFmtCurrent)) << "an 8 in the top digit would be the sign";
  EXPECT_EQ(hex(*encode_bcd(799999, kFmtCurrent)), "99 99 79");
}

TEST(Dlt645Bcd, RoundTripsAcrossTheRangeOfEachFormat) {
  for (BcdFormat format :
       {kFmtEnergy, kFmtVoltage, kFmtCurrent, kFmtPower, kFmtPowerFactor, kFmtCount}) {
    for (std::int64_t value : {0LL, 1LL, 9LL, 10LL, 99LL, 1234LL, -1LL, -1234LL}) {
      const auto wire = encode_bcd(value, format);
      if (value < 0 && !format.is_signed) {
        EXPECT_FALSE(wire);
        continue;
      }
      ASSERT_TRUE(wire) << value;
      EXPECT_EQ(decode_bcd(*wire, format), (Scaled{value, format.decimals}));
    }
  }
}

TEST(Dlt645Bcd, RescaleIsExactUpwardAndTruncatesDownward) {
  EXPECT_EQ(rescale(Scaled{123456, 2}, 4), 12345600);  // 1234.56 money -> 1/10000 units
  EXPECT_EQ(rescale(Scaled{123456, -1}, 0), 1234560);  // 1234.56 kWh (in 10 Wh) -> Wh
  EXPECT_EQ(rescale(Scaled{12345, 3}, 2), 1234);
  EXPECT_EQ(rescale(Scaled{-12345, 3}, 2), -1234);
  EXPECT_FALSE(rescale(Scaled{1'000'000'000'000'000'000LL, 0}, 2));
}

TEST(Dlt645Deadline, CivilTimeEncodesAsSecondsFirstBcd) {
  const CivilTime t{2024, 5, 6, 7, 8, 9};
  EXPECT_EQ(hex(*encode_deadline(t)), "09 08 07 06 05 24");
  EXPECT_EQ(decode_deadline(bytes("09 08 07 06 05 24")), t);
  EXPECT_FALSE(encode_deadline(CivilTime{2024, 2, 30, 0, 0, 0}));
  EXPECT_FALSE(decode_deadline(bytes("60 00 00 01 01 24")));  // 60 seconds
  EXPECT_FALSE(decode_deadline(bytes("00 00 00 01 13 24")));  // month 13
}

TEST(Dlt645Deadline, WallTimeBecomesMeterLocalTime) {
  using namespace std::chrono;
  const WallTime wall = sys_days{2024y / 12 / 31} + 20h + 30min;  // UTC
  EXPECT_EQ(civil_time(wall, minutes{8 * 60}), (CivilTime{2025, 1, 1, 4, 30, 0}));
  EXPECT_EQ(add_seconds(CivilTime{2024, 2, 28, 23, 59, 30}, 86400 + 45),
            (CivilTime{2024, 3, 1, 0, 0, 15}));
}

TEST(Dlt645DataId, ParsesFormatsAndEncodesLowByteFirst) {
  EXPECT_EQ(parse_data_id("00 01 00 00"), 0x00010000u);
  EXPECT_EQ(parse_data_id("04000503"), 0x04000503u);
  EXPECT_EQ(parse_data_id("04-90-00-00"), 0x04900000u);
  EXPECT_FALSE(parse_data_id("0 0010000"));
  EXPECT_FALSE(parse_data_id("00 01 00"));
  EXPECT_FALSE(parse_data_id("00 01 00 0G"));
  EXPECT_EQ(format_data_id(0x00900200), "00 90 02 00");
  EXPECT_EQ(hex(encode_data_id(0x00900200)), "00 02 90 00");
}

TEST(Dlt645DataId, KnownNumericItemsHaveTheirFormats) {
  EXPECT_EQ(numeric_format(di::kForwardActiveTotal), kFmtEnergy);
  EXPECT_EQ(numeric_format(di::kForwardActiveTariff1 + 0x300), kFmtEnergy);
  EXPECT_EQ(numeric_format(di::kVoltageA + 0x200), kFmtVoltage);
  EXPECT_EQ(numeric_format(di::kCurrentA), kFmtCurrent);
  EXPECT_EQ(numeric_format(di::kActivePowerTotal), kFmtPower);
  EXPECT_EQ(numeric_format(di::kPowerFactorTotal), kFmtPowerFactor);
  EXPECT_EQ(numeric_format(di::kRemainingAmount), kFmtMoney);
  EXPECT_EQ(numeric_format(di::kPurchaseCount), kFmtCount);
  EXPECT_EQ(numeric_format(di::kTariffPrice1 + 3), kFmtPrice);
  EXPECT_FALSE(numeric_format(di::kForwardActiveBlock));
  EXPECT_FALSE(numeric_format(di::kStatusWord3));
  EXPECT_FALSE(numeric_format(di::kVoltageA - 0x100)) << "02 01 00 00 is the voltage block";
}

}  // namespace
}  // namespace meterd::dlt645
