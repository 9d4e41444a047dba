// SPDX-License-Identifier: Apache-2.0
// Golden NPDUs built by hand from the layouts of ISO/IEC 14908-1 as docs/lonworks.md gives
// them (and as Wireshark's LON dissector reads them), checked byte for byte both ways.
#include <gtest/gtest.h>

#include "hex.h"
#include "lonworks/codec/apdu.h"
#include "lonworks/codec/lon_message.h"

namespace meterd::lonworks {
namespace {

using testing::bytes;
using testing::hex;

Domain domain(std::vector<std::uint8_t> id) {
  Domain d;
  d.length = static_cast<std::uint8_t>(id.size());
  for (std::size_t i = 0; i < id.size(); ++i) d.id[i] = id[i];
  return d;
}

LonMessage message(Domain d, SubnetNode from, Destination to, Service service, std::uint8_t tid,
                   std::vector<std::uint8_t> apdu) {
  LonMessage m;
  m.domain = d;
  m.source = from;
  m.dest = to;
  m.service = service;
  m.transaction_id = tid;
  m.apdu = std::move(apdu);
  return m;
}

void expect_golden(const LonMessage& m, const std::string& golden) {
  auto encoded = encode_npdu(m);
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(hex(encoded.value()), golden);
  auto decoded = decode_npdu(bytes(golden));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded.value(), m);
}

TEST(NpduGolden, NvPollIsASubnetNodeRequestWithTheSelectorOnly) {
  // SPDU, address format 2a, 1-byte domain 0x2A; 1/126 -> 1/5; REQUEST tid 3; NV 0x3FFE in.
  expect_golden(message(domain({0x2A}), {1, 126}, to_node({1, 5}), Service::kRequest, 3,
                        encode_nv({0x3FFE, false, {}}).value()),
                "19 01 FE 01 85 2A 03 BF FE");
}

TEST(NpduGolden, NvPollResponseCarriesTheValueUnderTheSameTransactionId) {
  // SNVT_volt 230.5 V = 2305 = 0x0901, output NV.
  expect_golden(message(domain({0x2A}), {1, 5}, to_node({1, 126}), Service::kResponse, 3,
                        encode_nv({0x3FFE, true, {0x09, 0x01}}).value()),
                "19 01 85 01 FE 2A 23 FF FE 09 01");
}

TEST(NpduGolden, AcknowledgedNvUpdateAndItsAck) {
  // No domain bytes; 2/1 -> 2/10; ACKD tid 7; SNVT_switch on (200, 1) to selector 0x0010.
  expect_golden(message(Domain{}, {2, 1}, to_node({2, 10}), Service::kAckd, 7,
                        encode_nv({0x0010, false, {0xC8, 0x01}}).value()),
                "08 02 81 02 8A 07 80 10 C8 01");
  expect_golden(message(Domain{}, {2, 10}, to_node({2, 1}), Service::kAck, 7, {}),
                "08 02 8A 02 81 27");
}

TEST(NpduGolden, DomainWideBroadcastQueryIdWithThreeByteDomain) {
  Destination all;
  all.kind = Destination::Kind::kBroadcast;
  all.subnet = 0;
  expect_golden(
      message(domain({0x01, 0x02, 0x03}), {1, 126}, all, Service::kRequest, 1, build_query_id(3)),
      "12 01 FE 00 01 02 03 01 61 03");
}

TEST(NpduGolden, NeuronIdAddressedWinkWithSixByteDomain) {
  expect_golden(message(domain({0x11, 0x22, 0x33, 0x44, 0x55, 0x66}), {1, 126},
                        to_neuron_id(*parse_neuron_id("04:a1:b2:c3:d4:e5")), Service::kUnackd, 0,
                        build_wink()),
                "3F 01 FE 00 04 A1 B2 C3 D4 E5 11 22 33 44 55 66 70");
}

TEST(NpduGolden, GroupRepeatedAndGroupAcknowledgement) {
  Destination group;
  group.kind = Destination::Kind::kGroup;
  group.group = 5;
  expect_golden(message(domain({0x2A}), {1, 126}, group, Service::kUnackdRpt, 2,
                        encode_nv({0x0020, false, {0x00, 0x64}}).value()),
                "05 01 FE 05 2A 12 80 20 00 64");
  // 2b: bit 7 of the source node clear; member 3 of group 5 acknowledges to 1/126.
  Destination ack;
  ack.kind = Destination::Kind::kGroupAck;
  ack.node = {1, 126};
  ack.group = 5;
  ack.member = 3;
  expect_golden(message(domain({0x2A}), {1, 5}, ack, Service::kAck, 2, {}),
                "09 01 05 01 FE 05 03 2A 22");
}

TEST(NpduGolden, LinkHeaderBitsArePriorityAltPathDeltaBacklog) {
  EXPECT_EQ(encode_link_header({true, false, 2}), 0x82);
  EXPECT_EQ(encode_link_header({false, true, 63}), 0x7F);
  EXPECT_EQ(decode_link_header(0xC5), (LinkHeader{true, true, 5}));
}

TEST(NpduDecode, RefusesWhatIsNotAWholeMessage) {
  for (const char* bad : {"", "19", "19 01 FE 01", "19 01 FE 01 85", "19 01 FE 01 85 2A",
                          "19 01 FE 01 85 2A 03", "08 02 8A 02 81 27 00", "59 01 FE 01 85 2A 03 BF",
                          "29 01 FE 01 85 2A 03 BF FE", "19 01 FE 01 85 2A 43 BF FE"}) {
    EXPECT_FALSE(decode_npdu(bytes(bad))) << bad;
  }
}

TEST(NpduEncode, RefusesValuesTheWireCannotCarry) {
  auto m = message(Domain{}, {1, 1}, to_node({1, 2}), Service::kAckd, 16, {0x80, 0x01});
  EXPECT_FALSE(encode_npdu(m));  // transaction id > 15
  m.transaction_id = 1;
  m.source.node = 128;
  EXPECT_FALSE(encode_npdu(m));
  m.source.node = 1;
  m.domain.length = 2;
  EXPECT_FALSE(encode_npdu(m));
  m.domain.length = 0;
  m.apdu.clear();
  EXPECT_FALSE(encode_npdu(m));  // ACKD needs an APDU
}

}  // namespace
}  // namespace meterd::lonworks
