// SPDX-License-Identifier: Apache-2.0
// The simulator driven only through the codec, as a driver would drive a real line.
#include "dlt645/sim/line_sim.h"

#include <gtest/gtest.h>

#include "dlt645/codec/point_format.h"
#include "dlt645/codec/reply.h"
#include "hex.h"

namespace meterd::dlt645 {
namespace {

using namespace std::chrono;
using testing::hex;

const Address kMeter1 = *parse_address("000000000001");
const Address kMeter2 = *parse_address("000000000002");
const Password kPassword{0x02, 0x123456};
constexpr OperatorCode kOperator = 0x00000001;

class LineSimTest : public ::testing::Test {
 protected:
  // 2024-05-06 12:00:00 at UTC+8.
  LineSimTest() : clock_(sys_days{2024y / 5 / 6} + 4h), line_(clock_) {
    line_.add_meter(SimMeter(kMeter1, kPassword));
    line_.add_meter(SimMeter(kMeter2, kPassword));
  }

  // One exchange: request bytes in, the single reply frame out (nullopt on silence).
  std::optional<Frame> exchange(std::span<const std::uint8_t> request) {
    const auto wire = line_.receive(request);
    const ScanResult scan = find_frame(wire);
    if (scan.status != ScanStatus::kFrame) {
      EXPECT_TRUE(wire.empty()) << "unexpected reply bytes " << hex(wire);
      return std::nullopt;
    }
    EXPECT_EQ(scan.consume, wire.size());
    return scan.frame;
  }

  Result<ReadReply> read(const Address& meter, DataId id) {
    auto frame = exchange(build_read(meter, id, 4));
    if (!frame) return make_error(ErrorKind::kTimeout, "no reply");
    return parse_read_reply(*frame, meter, id);
  }

  PointScalar point(const Address& meter, std::string_view name) {
    const auto format = *find_point_format(name);
    const auto reply = read(meter, format.id);
    EXPECT_TRUE(reply.ok()) << name << ": " << reply.error().message;
    if (!reply.ok()) return PointScalar{};
    const auto value = decode_point(format, reply.value().payload);
    EXPECT_TRUE(value.ok()) << name;
    return value.value().value;
  }

  Status relay(const Address& meter, RelayCommand command, const Password& password,
               seconds valid_for = 60s) {
    const CivilTime deadline = add_seconds(civil_time(clock_.wall_now(), 8h), valid_for.count());
    auto frame =
        exchange(build_relay_control(meter, password, kOperator, command, deadline).value());
    if (!frame) return make_error(ErrorKind::kTimeout, "no reply");
    return parse_control_reply(*frame, meter);
  }

  Status recharge(const Address& meter, std::int64_t cents, std::int64_t count) {
    auto data = *encode_bcd(cents, kFmtMoney);
    const auto count_bytes = *encode_bcd(count, kFmtCount);
    data.insert(data.end(), count_bytes.begin(), count_bytes.end());
    auto frame =
        exchange(build_write(meter, di::kVendorRecharge, kPassword, kOperator, data).value());
    if (!frame) return make_error(ErrorKind::kTimeout, "no reply");
    return parse_write_reply(*frame, meter);
  }

  ManualClock clock_;
  LineSim line_;
};

TEST_F(LineSimTest, EveryDefaultPointReadsThroughTheCodec) {
  EXPECT_EQ(point(kMeter1, "energy_total"), PointScalar{std::int64_t{1234560}});
  EXPECT_EQ(point(kMeter1, "energy_sharp"), PointScalar{std::int64_t{100000}});
  EXPECT_EQ(point(kMeter1, "energy_valley"), PointScalar{std::int64_t{234560}});
  EXPECT_EQ(point(kMeter1, "energy_reverse"), PointScalar{std::int64_t{0}});
  EXPECT_EQ(point(kMeter1, "voltage_a"), PointScalar{220.5});
  EXPECT_EQ(point(kMeter1, "current_a"), PointScalar{5.123});
  EXPECT_EQ(point(kMeter1, "power_total"), PointScalar{3300.0});
  EXPECT_EQ(point(kMeter1, "reactive_power_total"), PointScalar{500.0});
  EXPECT_EQ(point(kMeter1, "pf_total"), PointScalar{0.95});
  EXPECT_EQ(point(kMeter1, "frequency"), PointScalar{50.0});
  EXPECT_EQ(point(kMeter1, "balance"), PointScalar{std::int64_t{1000000}});
  EXPECT_EQ(point(kMeter1, "purchase_count"), PointScalar{std::int64_t{3}});
  EXPECT_EQ(point(kMeter1, "relay_closed"), PointScalar{true});
  for (const auto& format : default_2007_profile()) {
    EXPECT_TRUE(read(kMeter2, format.id).ok()) << format.point;
  }
}

TEST_F(LineSimTest, GoldenRequestsGetAnswers) {
  for (const char* golden : {"68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16",
                             "68 01 00 00 00 00 00 68 11 04 33 35 C3 33 44 16",
                             "68 01 00 00 00 00 00 68 11 04 36 38 33 37 BE 16"}) {
    const auto frame = exchange(testing::bytes(golden));
    ASSERT_TRUE(frame) << golden;
    EXPECT_EQ(frame->control, 0x91);
  }
}

TEST_F(LineSimTest, ParameterItemsAndClockRead) {
  auto limit = read(kMeter1, di::kAlarmLimit1);
  ASSERT_TRUE(limit.ok());
  EXPECT_EQ(decode_bcd(limit.value().payload, kFmtMoney), (Scaled{2000, 2}));
  auto price = read(kMeter1, di::kTariffPrice1 + 1);
  ASSERT_TRUE(price.ok());
  EXPECT_EQ(decode_bcd(price.value().payload, kFmtPrice), (Scaled{9000, 4}));
  auto date = read(kMeter1, di::kDate);
  ASSERT_TRUE(date.ok());
  EXPECT_EQ(hex(date.value().payload), "01 06 05 24");  // Monday 2024-05-06
  auto time = read(kMeter1, di::kTime);
  ASSERT_TRUE(time.ok());
  EXPECT_EQ(hex(time.value().payload), "00 00 12");
  auto block = read(kMeter1, di::kForwardActiveBlock);
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(block.value().payload.size(), 20u);
}

TEST_F(LineSimTest, UnknownItemIsAnAbnormalReplyWithNoDataBit) {
  const auto reply = read(kMeter1, 0x12345678);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().kind, ErrorKind::kException);
  EXPECT_EQ(reply.error().code, err::kNoData);
}

TEST_F(LineSimTest, TripAndCloseChangeStatusWordThree) {
  ASSERT_TRUE(relay(kMeter1, RelayCommand::kTrip, kPassword).ok());
  EXPECT_EQ(point(kMeter1, "relay_closed"), PointScalar{false});
  EXPECT_EQ(point(kMeter2, "relay_closed"), PointScalar{true}) << "only the addressed meter";
  auto word = read(kMeter1, di::kStatusWord3);
  ASSERT_TRUE(word.ok());
  EXPECT_EQ(hex(word.value().payload), "50 02");  // relay open, trip commanded, money prepaid
  ASSERT_TRUE(relay(kMeter1, RelayCommand::kCloseDirect, kPassword).ok());
  EXPECT_EQ(point(kMeter1, "relay_closed"), PointScalar{true});
}

TEST_F(LineSimTest, CloseAllowedLiftsTheTripCommandAndLeavesTheRelayToTheCustomer) {
  ASSERT_TRUE(relay(kMeter1, RelayCommand::kTrip, kPassword).ok());
  ASSERT_TRUE(relay(kMeter1, RelayCommand::kCloseAllowed, kPassword).ok());
  EXPECT_EQ(point(kMeter1, "relay_closed"), PointScalar{false});
  EXPECT_EQ(point(kMeter1, "relay_close_allowed"), PointScalar{true});
  ASSERT_TRUE(relay(kMeter1, RelayCommand::kTrip, kPassword).ok());
  EXPECT_EQ(point(kMeter1, "relay_close_allowed"), PointScalar{false});
  EXPECT_EQ(line_.stats().control_frames, 3u);
}

TEST_F(LineSimTest, WrongPasswordIsRejectedWithPasswordBitAndChangesNothing) {
  const auto status = relay(kMeter1, RelayCommand::kTrip, Password{0x02, 0x654321});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kRejected);
  EXPECT_EQ(status.error().code, err::kPassword);
  EXPECT_TRUE(line_.find(kMeter1)->relay_closed());
}

TEST_F(LineSimTest, ExpiredDeadlineIsRejected) {
  const auto status = relay(kMeter1, RelayCommand::kTrip, kPassword, -1s);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, err::kOther);
  EXPECT_TRUE(line_.find(kMeter1)->relay_closed());
}

TEST_F(LineSimTest, KeepPowerBlocksTrip) {
  ASSERT_TRUE(relay(kMeter1, RelayCommand::kKeepPower, kPassword).ok());
  EXPECT_FALSE(relay(kMeter1, RelayCommand::kTrip, kPassword).ok());
  ASSERT_TRUE(relay(kMeter1, RelayCommand::kKeepPowerRelease, kPassword).ok());
  EXPECT_TRUE(relay(kMeter1, RelayCommand::kTrip, kPassword).ok());
}

TEST_F(LineSimTest, WriteChangesAParameterOnlyWithThePassword) {
  const auto limit = *encode_bcd(5000, kFmtMoney);
  auto frame =
      exchange(build_write(kMeter1, di::kAlarmLimit1, Password{0x02, 0}, kOperator, limit).value());
  ASSERT_TRUE(frame);
  EXPECT_EQ(parse_write_reply(*frame, kMeter1).error().code, err::kPassword);
  frame = exchange(build_write(kMeter1, di::kAlarmLimit1, kPassword, kOperator, limit).value());
  ASSERT_TRUE(frame);
  EXPECT_TRUE(parse_write_reply(*frame, kMeter1).ok());
  EXPECT_EQ(line_.find(kMeter1)->get(di::kAlarmLimit1), 5000);
  frame = exchange(build_write(kMeter1, di::kForwardActiveTotal, kPassword, kOperator,
                               *encode_bcd(0, kFmtEnergy))
                       .value());
  ASSERT_TRUE(frame);
  EXPECT_FALSE(parse_write_reply(*frame, kMeter1).ok()) << "energy is read-only";
}

TEST_F(LineSimTest, RechargeIsAppliedOnceWhenCommandRepeats) {
  ASSERT_TRUE(recharge(kMeter1, 5000, 4).ok());  // 50.00 with purchase count 3 + 1
  EXPECT_EQ(point(kMeter1, "balance"), PointScalar{std::int64_t{1500000}});
  EXPECT_EQ(point(kMeter1, "purchase_count"), PointScalar{std::int64_t{4}});
  const auto repeated = recharge(kMeter1, 5000, 4);
  ASSERT_FALSE(repeated.ok());
  EXPECT_EQ(repeated.error().code, err::kOther);
  EXPECT_EQ(point(kMeter1, "balance"), PointScalar{std::int64_t{1500000}});
  EXPECT_EQ(point(kMeter1, "purchase_count"), PointScalar{std::int64_t{4}});
}

TEST_F(LineSimTest, RechargeThatSkipsAPurchaseCountIsRefused) {
  EXPECT_FALSE(recharge(kMeter1, 5000, 6).ok());
  EXPECT_EQ(line_.find(kMeter1)->get(di::kRemainingAmount), 10000);
}

TEST_F(LineSimTest, ReadAddressAnswersOnlyOnAOneMeterLine) {
  EXPECT_FALSE(exchange(build_read_address())) << "two meters would collide";
  LineSim single(clock_);
  single.add_meter(SimMeter(*parse_address("123456789012")));
  const auto wire = single.receive(build_read_address(2));
  const ScanResult scan = find_frame(wire);
  ASSERT_EQ(scan.status, ScanStatus::kFrame);
  const auto address = parse_read_address_reply(scan.frame);
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(to_string(address.value()), "123456789012");
}

TEST_F(LineSimTest, OtherAddressesAndBroadcastGetNoReply) {
  EXPECT_FALSE(exchange(build_read(*parse_address("000000000003"), di::kForwardActiveTotal)));
  EXPECT_FALSE(exchange(build_read(kBroadcastAddress, di::kForwardActiveTotal)));
}

TEST_F(LineSimTest, BytesMayArriveOneAtATimeAndAfterNoise) {
  auto request = testing::bytes("00 13 68 16");
  const auto frame = build_read(kMeter2, di::kForwardActiveTotal, 2);
  request.insert(request.end(), frame.begin(), frame.end());
  std::vector<std::uint8_t> reply;
  for (std::uint8_t byte : request) {
    const auto out = line_.receive(std::span(&byte, 1));
    reply.insert(reply.end(), out.begin(), out.end());
  }
  const ScanResult scan = find_frame(reply);
  ASSERT_EQ(scan.status, ScanStatus::kFrame);
  EXPECT_EQ(scan.frame.address, kMeter2);
  EXPECT_GT(line_.stats().garbage_bytes, 0u);
}

TEST_F(LineSimTest, CorruptedRequestGetsNoReply) {
  auto request = build_read(kMeter1, di::kForwardActiveTotal);
  request[request.size() - 2] ^= 0x01;
  EXPECT_TRUE(line_.receive(request).empty());
  EXPECT_EQ(line_.stats().bad_checksum, 1u);
}

TEST_F(LineSimTest, InjectedFaultsShapeTheNextReplies) {
  const auto request = build_read(kMeter1, di::kForwardActiveTotal);
  line_.inject_fault(kMeter1, SimFault::kNoReply, 2);
  EXPECT_TRUE(line_.receive(request).empty());
  EXPECT_TRUE(line_.receive(request).empty());
  EXPECT_FALSE(line_.receive(request).empty()) << "the fault lasts two replies";

  line_.inject_fault(kMeter1, SimFault::kBadChecksum);
  EXPECT_EQ(find_frame(line_.receive(request)).status, ScanStatus::kBadChecksum);

  line_.inject_fault(kMeter1, SimFault::kGarbagePrefix);
  auto wire = line_.receive(request);
  std::span<const std::uint8_t> rest(wire);
  ScanResult scan = find_frame(rest);
  int garbage_scans = 0;
  for (; scan.status == ScanStatus::kGarbage; scan = find_frame(rest)) {
    rest = rest.subspan(scan.consume);
    ++garbage_scans;
  }
  EXPECT_GT(garbage_scans, 0);
  EXPECT_EQ(scan.status, ScanStatus::kFrame) << "the receiver resynchronises on the reply";

  line_.inject_fault(kMeter1, SimFault::kExtraPreamble);
  line_.set_reply_preamble(2);
  wire = line_.receive(request);
  EXPECT_EQ(hex(std::span(wire).first(7)), "FE FE FE FE FE FE 68");
  EXPECT_EQ(find_frame(wire).status, ScanStatus::kFrame);
}

TEST_F(LineSimTest, PersistentFaultLastsUntilCleared) {
  const auto request = build_read(kMeter2, di::kForwardActiveTotal);
  line_.inject_fault(kMeter2, SimFault::kNoReply, -1);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(line_.receive(request).empty());
  line_.inject_fault(kMeter2, SimFault::kNone);
  EXPECT_FALSE(line_.receive(request).empty());
}

TEST_F(LineSimTest, A1997MeterAnswersOnlyItsOwnDialect) {
  const Address old = *parse_address("000000001997");
  line_.add_meter(SimMeter(old, kPassword, Version::k1997));
  // 1997 read of 90 10 (forward active total): the same register in 1997 framing.
  auto frame = exchange(build_read_1997(old, 0x9010));
  ASSERT_TRUE(frame);
  auto reply = parse_read_reply_1997(*frame, old, 0x9010);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(decode_bcd(reply.value().payload, kFmtEnergy), (Scaled{123456, 2}));
  // B6 11 voltage A is XXX V in 1997: 220.5 V shows as 220.
  frame = exchange(build_read_1997(old, 0xB611));
  ASSERT_TRUE(frame);
  reply = parse_read_reply_1997(*frame, old, 0xB611);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(decode_bcd(reply.value().payload, BcdFormat{2, 0, false}), (Scaled{220, 0}));
  // An unknown 1997 DI is an abnormal reply, not silence.
  frame = exchange(build_read_1997(old, 0x1234));
  ASSERT_TRUE(frame);
  EXPECT_EQ(parse_read_reply_1997(*frame, old, 0x1234).error().kind, ErrorKind::kException);
  // Each meter ignores the other dialect.
  EXPECT_TRUE(line_.receive(build_read(old, di::kForwardActiveTotal)).empty());
  EXPECT_TRUE(line_.receive(build_read_1997(kMeter1, 0x9010)).empty());
}

}  // namespace
}  // namespace meterd::dlt645
