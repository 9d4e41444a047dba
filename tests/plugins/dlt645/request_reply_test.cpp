// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "dlt645/codec/reply.h"
#include "dlt645/codec/request.h"
#include "hex.h"

namespace meterd::dlt645 {
namespace {

using testing::bytes;
using testing::hex;

const Address kMeter1 = *parse_address("000000000001");
const Password kPassword{0x02, 0x123456};
constexpr OperatorCode kOperator = 0x12345678;

Frame decode(std::span<const std::uint8_t> wire) {
  const ScanResult scan = find_frame(wire);
  EXPECT_EQ(scan.status, ScanStatus::kFrame);
  return scan.frame;
}

TEST(Dlt645Request, PasswordParsesAsLevelThenCode) {
  EXPECT_EQ(parse_password("02123456"), kPassword);
  EXPECT_EQ(hex(encode_password(kPassword)), "02 56 34 12");
  EXPECT_FALSE(parse_password("0212345"));
  EXPECT_FALSE(parse_password("0212345Z"));
}

TEST(Dlt645Request, ReadFollowUpCarriesTheSequenceNumber) {
  EXPECT_EQ(hex(build_read_follow_up(kMeter1, di::kForwardActiveTotal, 2)),
            "68 01 00 00 00 00 00 68 12 05 33 33 34 33 35 EA 16");
}

TEST(Dlt645Request, WriteLaysOutDiPasswordOperatorThenData) {
  const auto data = *encode_bcd(2000, kFmtMoney);  // alarm limit 1 = 20.00
  const auto wire = build_write(kMeter1, di::kAlarmLimit1, kPassword, kOperator, data);
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(hex(wire.value()),
            "68 01 00 00 00 00 00 68 14 10 34 43 33 37 35 89 67 45 AB 89 67 45 33 53 33 33 0C 16");
}

TEST(Dlt645Request, WriteRefusesAPayloadThatOverflowsTheLengthByte) {
  const std::vector<std::uint8_t> data(244, 0);  // 12 + 244 = 256
  const auto wire = build_write(kMeter1, di::kAlarmLimit1, kPassword, kOperator, data);
  ASSERT_FALSE(wire.ok());
  EXPECT_EQ(wire.error().kind, ErrorKind::kInvalidArgument);
}

TEST(Dlt645Request, RelayControlCarriesCommandAndBcdDeadline) {
  const auto wire = build_relay_control(kMeter1, kPassword, kOperator, RelayCommand::kTrip,
                                        CivilTime{2024, 5, 6, 7, 8, 9});
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(hex(wire.value()),
            "68 01 00 00 00 00 00 68 1C 10 35 89 67 45 AB 89 67 45 4D 33 3C 3B 3A 39 38 57 40 16");
  const Frame frame = decode(wire.value());
  EXPECT_EQ(frame.data.size(), 16u);
  EXPECT_EQ(frame.data[8], 0x1A);
  EXPECT_EQ(frame.data[9], 0x00);
}

TEST(Dlt645Request, RelayControlRefusesAnImpossibleDeadline) {
  const auto wire = build_relay_control(kMeter1, kPassword, kOperator, RelayCommand::kTrip,
                                        CivilTime{2024, 13, 1, 0, 0, 0});
  ASSERT_FALSE(wire.ok());
  EXPECT_EQ(wire.error().kind, ErrorKind::kInvalidArgument);
}

TEST(Dlt645Request, Version1997UsesTwoByteDiAndNoOperatorCode) {
  EXPECT_EQ(hex(build_read_1997(kMeter1, 0x9010)), "68 01 00 00 00 00 00 68 01 02 43 C3 DA 16");
  EXPECT_EQ(decode(build_read_follow_up_1997(kMeter1, 0x9010)).control, fn1997::kReadFollowUp);
  const auto data = bytes("34 12");
  const auto wire = build_write_1997(kMeter1, 0xC010, kPassword, data);
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(hex(wire.value()), "68 01 00 00 00 00 00 68 04 08 43 F3 35 89 67 45 67 45 29 16");
}

TEST(Dlt645Reply, EnergyReplyParsesToItsPayload) {
  const auto wire = bytes("68 01 00 00 00 00 00 68 91 08 33 33 34 33 89 67 45 33 9F 16");
  const auto reply = parse_read_reply(decode(wire), kMeter1, di::kForwardActiveTotal);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply.value().id, di::kForwardActiveTotal);
  EXPECT_FALSE(reply.value().more_follows);
  EXPECT_EQ(decode_bcd(reply.value().payload, kFmtEnergy), (Scaled{123456, 2}));
}

TEST(Dlt645Reply, ConstructedReadReplyRoundTripsThroughTheWire) {
  const auto payload = bytes("00 00 01 00 00 00 02 00");
  const Frame sent = make_read_reply(kMeter1, di::kRemainingAmount, payload, true);
  EXPECT_EQ(sent.control, 0xB1);
  const auto reply =
      parse_read_reply(decode(encode_frame(sent, 4).value()), kMeter1, di::kRemainingAmount);
  ASSERT_TRUE(reply.ok());
  EXPECT_TRUE(reply.value().more_follows);
  EXPECT_EQ(reply.value().payload, payload);
}

TEST(Dlt645Reply, FollowUpReplySplitsOffTheSequenceNumber) {
  const Frame sent = make_follow_up_reply(kMeter1, di::kForwardActiveBlock, bytes("11 22"), 3);
  const auto reply = parse_follow_up_reply(sent, kMeter1, di::kForwardActiveBlock);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply.value().seq, 3);
  EXPECT_EQ(hex(reply.value().payload), "11 22");
}

TEST(Dlt645Reply, AbnormalReplyBecomesAnErrorCarryingTheErrByte) {
  const auto wire = bytes("68 01 00 00 00 00 00 68 D1 01 35 D8 16");
  const auto reply = parse_read_reply(decode(wire), kMeter1, di::kForwardActiveTotal);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().kind, ErrorKind::kException);
  EXPECT_EQ(reply.error().code, err::kNoData);
  EXPECT_NE(reply.error().message.find("no data requested"), std::string::npos);
}

TEST(Dlt645Reply, PasswordErrorIsARejection) {
  const Frame sent = make_abnormal_reply(kMeter1, fn2007::kControl, err::kPassword);
  EXPECT_EQ(sent.control, 0xDC);
  const auto status = parse_control_reply(sent, kMeter1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kRejected);
  EXPECT_EQ(status.error().code, err::kPassword);
}

TEST(Dlt645Reply, MismatchesAreMalformed) {
  const Frame energy = make_read_reply(kMeter1, di::kForwardActiveTotal, bytes("00 00 00 00"));
  // Wrong DI echo, wrong meter, wrong function, a request instead of a reply.
  EXPECT_EQ(parse_read_reply(energy, kMeter1, di::kRemainingAmount).error().kind,
            ErrorKind::kMalformed);
  EXPECT_EQ(parse_read_reply(energy, *parse_address("000000000002"), di::kForwardActiveTotal)
                .error()
                .kind,
            ErrorKind::kMalformed);
  EXPECT_FALSE(parse_write_reply(energy, kMeter1).ok());
  const Frame request = decode(build_read(kMeter1, di::kForwardActiveTotal));
  EXPECT_FALSE(parse_read_reply(request, kMeter1, di::kForwardActiveTotal).ok());
  Frame short_reply = energy;
  short_reply.data.resize(3);
  EXPECT_FALSE(parse_read_reply(short_reply, kMeter1, di::kForwardActiveTotal).ok());
  // A wildcard request accepts whichever meter answers.
  EXPECT_TRUE(parse_read_reply(energy, kWildcardAddress, di::kForwardActiveTotal).ok());
}

TEST(Dlt645Reply, ReadAddressReplyYieldsTheMeterAddress) {
  const auto wire = bytes("68 56 34 12 90 78 00 68 93 06 89 67 45 C3 AB 33 E3 16");
  const auto address = parse_read_address_reply(decode(wire));
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(to_string(address.value()), "007890123456");
}

TEST(Dlt645Reply, WriteAndControlAcknowledgementsParse) {
  EXPECT_TRUE(parse_write_reply(make_reply(kMeter1, fn2007::kWrite, {}), kMeter1).ok());
  EXPECT_TRUE(parse_control_reply(make_reply(kMeter1, fn2007::kControl, {}), kMeter1).ok());
  EXPECT_TRUE(
      parse_write_reply(make_reply(kMeter1, fn1997::kWrite, {}), kMeter1, Version::k1997).ok());
}

TEST(Dlt645Reply, Version1997ReadReplyEchoesTwoByteDi) {
  const Frame sent = make_reply(kMeter1, fn1997::kRead, bytes("10 90 56 34 12 00"));
  EXPECT_EQ(sent.control, 0x81);
  const auto reply = parse_read_reply_1997(sent, kMeter1, 0x9010);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(decode_bcd(reply.value().payload, kFmtEnergy), (Scaled{123456, 2}));
  EXPECT_FALSE(parse_read_reply_1997(sent, kMeter1, 0x9020).ok());
}

}  // namespace
}  // namespace meterd::dlt645
