// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "modbus/codec/frame.h"
#include "modbus/codec/value.h"
#include "modbus/driver/plan.h"
#include "profile_fixture.h"

namespace meterd::modbus {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(ModbusCrc, CheckValueOf123456789Is4B37) {
  const std::string s = "123456789";
  EXPECT_EQ(crc16(Bytes(s.begin(), s.end())), 0x4B37);
}

TEST(ModbusFrame, ReadRequestsMatchTheGoldenFramesByteForByte) {
  EXPECT_EQ(rtu_frame(1, read_request(3, 0x0000, 0x000A)),
            (Bytes{0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD}));
  EXPECT_EQ(rtu_frame(1, read_request(3, 0x0200, 0x0030)),
            (Bytes{0x01, 0x03, 0x02, 0x00, 0x00, 0x30, 0x44, 0x66}));
  EXPECT_EQ(rtu_frame(1, read_request(3, 0x0046, 0x001C)),
            (Bytes{0x01, 0x03, 0x00, 0x46, 0x00, 0x1C, 0xA5, 0xD6}));
}

TEST(ModbusFrame, WriteSingleMatchesTheGoldenFrame) {
  EXPECT_EQ(rtu_frame(1, write_single_request(0x0001, 0x0003)),
            (Bytes{0x01, 0x06, 0x00, 0x01, 0x00, 0x03, 0x98, 0x0B}));
}

TEST(ModbusFrame, DdsyRelayTripAndCloseMatchTheGoldenFrames) {
  const std::uint16_t trip[] = {1, 1}, close[] = {1, 0};
  EXPECT_EQ(rtu_frame(5, write_multiple_request(0x10, 0x0057, trip)),
            (Bytes{0x05, 0x10, 0x00, 0x57, 0x00, 0x02, 0x04, 0x00, 0x01, 0x00, 0x01, 0x32, 0x45}));
  EXPECT_EQ(rtu_frame(5, write_multiple_request(0x10, 0x0057, close)),
            (Bytes{0x05, 0x10, 0x00, 0x57, 0x00, 0x02, 0x04, 0x00, 0x01, 0x00, 0x00, 0xF3, 0x85}));
}

TEST(ModbusFrame, ParseRtuRejectsABadCrcAsChecksumError) {
  Bytes frame = rtu_frame(1, read_reply(3, std::vector<std::uint16_t>{0x1234}));
  ASSERT_TRUE(parse_rtu(frame).ok());
  frame.back() ^= 1;
  auto r = parse_rtu(frame);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kChecksum);
}

TEST(ModbusFrame, ReadReplyDecodesRegistersAndExceptions) {
  auto regs = parse_read_reply(Bytes{0x03, 0x04, 0x12, 0x34, 0xAB, 0xCD}, 3, 2);
  ASSERT_TRUE(regs.ok());
  EXPECT_EQ(regs.value(), (std::vector<std::uint16_t>{0x1234, 0xABCD}));
  auto ex = parse_read_reply(Bytes{0x83, 0x02}, 3, 2);
  ASSERT_FALSE(ex.ok());
  EXPECT_EQ(ex.error().kind, ErrorKind::kException);
  EXPECT_EQ(ex.error().code, 2);
  EXPECT_FALSE(parse_read_reply(Bytes{0x03, 0x02, 0x12, 0x34}, 3, 2).ok());  // wrong count
  EXPECT_FALSE(parse_read_reply(Bytes{0x04, 0x04, 1, 2, 3, 4}, 3, 2).ok());  // wrong fc
}

TEST(ModbusFrame, VendorCodeRequestParsesInTheMultipleLayout) {
  const std::uint16_t v[] = {7, 0, 1234};
  Bytes pdu = write_multiple_request(0xAA, 0x004E, v);
  auto r = parse_request(pdu, [](std::uint8_t fc) { return fc == 0x10 || fc == 0xAA; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().fc, 0xAA);
  EXPECT_EQ(r.value().address, 0x004E);
  EXPECT_EQ(r.value().values, (std::vector<std::uint16_t>{7, 0, 1234}));
  EXPECT_EQ(write_reply(r.value()), (Bytes{0xAA, 0x00, 0x4E, 0x00, 0x03}));
}

TEST(ModbusFrame, TcpFrameCarriesTheMbapHeaderAndParsesBack) {
  const Bytes pdu = read_request(3, 0x0000, 0x000A);
  const Bytes frame = tcp_frame(0x0102, 17, pdu);
  EXPECT_EQ(frame, (Bytes{0x01, 0x02, 0x00, 0x00, 0x00, 0x06, 0x11, 0x03, 0x00, 0x00, 0x00, 0x0A}));
  EXPECT_EQ(tcp_frame_length(std::span(frame).first(6)), std::nullopt);
  EXPECT_EQ(tcp_frame_length(frame), frame.size());
  auto adu = parse_tcp(frame);
  ASSERT_TRUE(adu.ok());
  EXPECT_EQ(adu.value().transaction, 0x0102);
  EXPECT_EQ(adu.value().unit, 17);
  EXPECT_EQ(Bytes(adu.value().pdu.begin(), adu.value().pdu.end()), pdu);
  EXPECT_EQ(tcp_frame_length(Bytes{0, 1, 0, 1, 0, 3, 1}), 0u);  // protocol id 1
  EXPECT_EQ(tcp_frame_length(Bytes{0, 1, 0, 0, 0, 1, 1}), 0u);  // no PDU
  EXPECT_FALSE(parse_tcp(std::span(frame).first(10)).ok());
}

TEST(ModbusFrame, VendorCodeReplyLengthTellsTheExceptionFromTheEcho) {
  const Bytes exception = rtu_frame(1, exception_reply(0xAA, 4));
  EXPECT_EQ(rtu_reply_length(std::span(exception).first(4), 0xAA), std::nullopt);
  EXPECT_EQ(rtu_reply_length(exception, 0xAA), 5u);
  const Bytes echo = rtu_frame(1, Bytes{0xAA, 0x00, 0x4E, 0x00, 0x03});
  EXPECT_EQ(rtu_reply_length(std::span(echo).first(5), 0xAA), 8u);
  EXPECT_EQ(rtu_reply_length(rtu_frame(1, exception_reply(0x03, 2)), 0x03), 5u);
  EXPECT_EQ(rtu_reply_length(Bytes{1, 3, 96}, 0x03), 101u);
}

TEST(ModbusTiming, CharacterTimesMatchTheProtocolTable) {
  EXPECT_NEAR(line_timing(9600, false, 1).char_seconds * 1e3, 1.042, 0.001);
  EXPECT_NEAR(line_timing(9600, false, 1).t35_seconds * 1e3, 3.65, 0.01);
  EXPECT_NEAR(line_timing(9600, true, 1).t35_seconds * 1e3, 4.01, 0.01);
  EXPECT_NEAR(line_timing(38400, true, 1).t35_seconds * 1e3, 1.75, 0.001);
}

TEST(ModbusValue, EnergyInHundredthsOfKwhIsExactWh) {
  ValueFormat f{
      RegisterType::kU32,  WordOrder::kHighFirst, 0, false, parse_scale("0.01")->times(1000),
      PointKind::kEnergyWh};
  const std::uint16_t regs[] = {0x0012, 0xD687};  // 1234567 -> 12345.67 kWh
  auto v = decode_value(regs, f);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(std::get<std::int64_t>(v.value()), 12'345'670);
  EXPECT_EQ(encode_value(v.value(), f), (std::vector<std::uint16_t>{0x0012, 0xD687}));
}

TEST(ModbusValue, MoneyAndWordOrderAndSignedAndBits) {
  ValueFormat money{
      RegisterType::kU32, WordOrder::kLowFirst, 0, false, parse_scale("0.01")->times(10000),
      PointKind::kMoney};
  const std::uint16_t low_first[] = {0xD687, 0x0012};
  EXPECT_EQ(std::get<std::int64_t>(decode_value(low_first, money).value()), 123'456'700);
  ValueFormat kw{
      RegisterType::kS16, WordOrder::kHighFirst, 0, false, parse_scale("0.001")->times(1000),
      PointKind::kAnalog};
  const std::uint16_t neg[] = {0xFF38};  // -200 -> -0.2 kW
  EXPECT_DOUBLE_EQ(std::get<double>(decode_value(neg, kw).value()), -200.0);
  ValueFormat relay{RegisterType::kBit, WordOrder::kHighFirst, 13, false, {}, PointKind::kFlag};
  const std::uint16_t status[] = {0x2000};
  EXPECT_TRUE(std::get<bool>(decode_value(status, relay).value()));
  const std::uint16_t open[] = {0x00F0};
  EXPECT_FALSE(std::get<bool>(decode_value(open, relay).value()));
  ValueFormat fl{RegisterType::kFloat32, WordOrder::kHighFirst, 0, false, {}, PointKind::kAnalog};
  const std::uint16_t f230[] = {0x4366, 0x0000};  // 230.0f
  EXPECT_DOUBLE_EQ(std::get<double>(decode_value(f230, fl).value()), 230.0);
}

TEST(ModbusValue, ArgumentsAreEncodedExactlyOrRefused) {
  ValueFormat money{RegisterType::kU32, WordOrder::kHighFirst, 0, false,
                    Scale{100, 1},      PointKind::kMoney};  // 0.01 currency per register unit
  auto exact = encode_exact(1'234'500, money);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact.value(), (std::vector<std::uint16_t>{0x0000, 12'345}));
  auto fine = encode_exact(12'345, money);
  ASSERT_FALSE(fine.ok());
  EXPECT_EQ(fine.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(encode_exact(-100, money).error().kind, ErrorKind::kInvalidArgument);  // u32
  ValueFormat count{RegisterType::kU16, WordOrder::kHighFirst, 0, false,
                    Scale{1, 1},        PointKind::kCount};
  EXPECT_TRUE(encode_exact(65'535, count).ok());
  EXPECT_EQ(encode_exact(65'536, count).error().kind, ErrorKind::kInvalidArgument);
}

TEST(ModbusValue, ScaleParsesDecimalsExactly) {
  auto s = parse_scale("0.01");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->num, 1);
  EXPECT_EQ(s->den, 100);
  EXPECT_FALSE(parse_scale("1e-3"));
  EXPECT_FALSE(parse_scale("-0.1"));
  EXPECT_FALSE(parse_scale("0"));
}

TEST(ModbusPlan, DdsyLivePointsAreOneReadOf48RegistersFrom0x0200) {
  auto profile = testing::shipped_profile("acrel-ddsy1352");
  ASSERT_TRUE(profile);
  std::vector<RegisterSpan> spans;
  for (const auto& p : profile->points) spans.push_back(p.span);
  auto reads = plan_reads(spans, profile->read_blocks, profile->max_gap);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].span.fc, 3);
  EXPECT_EQ(reads[0].span.address, 0x0200);
  EXPECT_EQ(reads[0].span.count, 48);
  EXPECT_EQ(reads[0].points.size(), spans.size());
}

TEST(ModbusPlan, CoalescesSmallGapsAndSplitsAt125AndByFunction) {
  const std::vector<RegisterSpan> points = {
      {3, 0, 2},   {3, 5, 1},  {3, 40, 1},  // gap 3 bridged; gap 34 not
      {3, 41, 2},  {4, 0, 1},               // another function
      {3, 100, 2}, {3, 160, 2}};            // 100..161 would be fine; 40..161 > 125
  auto reads = plan_reads(points, {}, 8);
  ASSERT_EQ(reads.size(), 5u);
  EXPECT_EQ(reads[0].span.address, 0);
  EXPECT_EQ(reads[0].span.count, 6);
  EXPECT_EQ(reads[1].span.address, 40);
  EXPECT_EQ(reads[1].span.count, 3);
  EXPECT_EQ(reads[2].span.address, 100);
  EXPECT_EQ(reads[3].span.address, 160);
  EXPECT_EQ(reads[4].span.fc, 4);
  for (const auto& r : reads) EXPECT_LE(r.span.count, 125);
}

TEST(ModbusPlan, ContiguousFloatsFillReadsOf124Registers) {
  std::vector<RegisterSpan> points;
  for (std::uint16_t i = 0; i < 100; ++i)
    points.push_back({3, static_cast<std::uint16_t>(i * 2), 2});
  auto reads = plan_reads(points, {}, 0);
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].span.count, 124);
  EXPECT_EQ(reads[1].span.count, 76);
}

}  // namespace
}  // namespace meterd::modbus
