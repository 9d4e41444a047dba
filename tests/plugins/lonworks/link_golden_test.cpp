// SPDX-License-Identifier: Apache-2.0
// Golden datagrams of the two links: IP-852 data packets (20-byte header, link byte, NPDU
// without CRC) and LS/UDP packets, byte for byte both ways; the LS/UDP IPv4 mapping.
#include <gtest/gtest.h>

#include "hex.h"
#include "lonworks/codec/apdu.h"
#include "lonworks/codec/ip852.h"
#include "lonworks/codec/ls_udp.h"

namespace meterd::lonworks {
namespace {

using testing::bytes;
using testing::hex;

LonMessage nv_poll() {
  LonMessage m;
  m.domain.length = 1;
  m.domain.id[0] = 0x2A;
  m.source = {1, 126};
  m.dest = to_node({1, 5});
  m.service = Service::kRequest;
  m.transaction_id = 3;
  m.apdu = encode_nv({0x3FFE, false, {}}).value();
  return m;
}

TEST(Ip852Golden, DataPacketIsHeaderLinkByteAndNpdu) {
  Ip852Header h;
  h.session = 0x12345678;
  h.sequence = 1;
  h.timestamp = 1000;
  const std::string golden =
      "00 1E 01 01 00 00 00 00 12 34 56 78 00 00 00 01 00 00 03 E8 00 19 01 FE 01 85 2A 03 BF FE";
  auto encoded = encode_ip852_data(h, LinkHeader{}, nv_poll());
  ASSERT_TRUE(encoded);
  EXPECT_EQ(hex(encoded.value()), golden);
  auto decoded = decode_ip852_data(bytes(golden));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded.value().header, h);
  EXPECT_EQ(decoded.value().link, LinkHeader{});
  EXPECT_EQ(decoded.value().message, nv_poll());
}

TEST(Ip852Decode, SkipsExtensionHeadersAndChecksTheSize) {
  // 1 extension word (4 bytes) before the payload; priority link byte 0x80.
  auto decoded = decode_ip852_data(bytes(
      "00 22 01 01 01 00 00 00 00 00 00 01 00 00 00 02 00 00 00 03 AA BB CC DD 80 19 01 FE 01 "
      "85 2A 03 BF FE"));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_TRUE(decoded.value().link.priority);
  EXPECT_EQ(decoded.value().message, nv_poll());
  // Size field off by one, truncated header, extension past the end, not a data packet, a
  // security-flagged packet.
  for (const char* bad :
       {"00 1F 01 01 00 00 00 00 12 34 56 78 00 00 00 01 00 00 03 E8 00 19 01 FE 01 85 2A 03 BF FE",
        "00 14 01 01 00 00 00 00 12 34 56 78 00 00 00 01 00 00 03",
        "00 15 01 01 02 00 00 00 00 00 00 01 00 00 00 02 00 00 00 03 00",
        "00 14 01 04 00 00 00 00 00 00 00 01 00 00 00 02 00 00 00 03",
        "00 1E 01 01 00 20 00 00 12 34 56 78 00 00 00 01 00 00 03 E8 00 19 01 FE 01 85 2A 03 BF "
        "FE"}) {
    EXPECT_FALSE(decode_ip852_data(bytes(bad))) << bad;
  }
  // A channel-membership packet is a valid IP-852 packet, just not data.
  auto membership =
      decode_ip852(bytes("00 14 01 04 00 00 00 00 00 00 00 01 00 00 00 02 00 00 00 03"));
  ASSERT_TRUE(membership);
  EXPECT_EQ(membership.value().header.type, ip852::kChannelMembership);
}

TEST(LsUdpGolden, ArbitrarySourceAndExplicitSubnetNode) {
  const std::string golden = "01 71 01 FE 01 2A 01 05 03 BF FE";
  auto encoded = encode_ls_udp(nv_poll());
  ASSERT_TRUE(encoded);
  EXPECT_EQ(hex(encoded.value()), golden);
  auto decoded = decode_ls_udp(bytes(golden));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded.value(), nv_poll());
}

TEST(LsUdpGolden, BacklogByteFollowsTheHeaderWhenMcrIsSet) {
  const std::string golden = "01 7D 02 01 FE 01 2A 01 05 03 BF FE";
  auto encoded = encode_ls_udp(nv_poll(), LsUdpOptions{true, 2});
  ASSERT_TRUE(encoded);
  EXPECT_EQ(hex(encoded.value()), golden);
  auto decoded = decode_ls_udp(bytes(golden));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded.value(), nv_poll());
}

TEST(LsUdpDecode, MappedAddressesStandInForAbsentOnes) {
  // No arbitrary source, format 1: both addresses from the IP mapping; bare APDU (UNACKD).
  LsUdpMappedAddresses mapped;
  mapped.source = SubnetNode{3, 4};
  mapped.dest = SubnetNode{3, 9};
  mapped.domain.length = 1;
  mapped.domain.id[0] = 7;
  auto decoded = decode_ls_udp(bytes("00 13 70"), mapped);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded.value().source, (SubnetNode{3, 4}));
  EXPECT_EQ(decoded.value().dest, to_node({3, 9}));
  EXPECT_EQ(decoded.value().service, Service::kUnackd);
  EXPECT_EQ(decoded.value().apdu, bytes("70"));
  EXPECT_FALSE(decode_ls_udp(bytes("00 13 70")));  // nothing to map from
  for (const char* bad : {"", "01", "11 71 01 FE 01 2A 01 05 03 BF FE", "01 71 01 FE 01 2A 01",
                          "01 71 01 FE 05 2A 01 05 03 BF FE", "01 F1 01 FE 01 2A 01 05 03 BF FE"}) {
    EXPECT_FALSE(decode_ls_udp(bytes(bad))) << bad;
  }
}

TEST(LsUdpMapping, DomainLengthPicksTheIpv4Form) {
  Domain none;
  EXPECT_EQ(map_to_ipv4(none, {1, 5}), (std::array<std::uint8_t, 4>{192, 168, 1, 5}));
  Domain one;
  one.length = 1;
  one.id[0] = 0x2A;
  EXPECT_EQ(map_to_ipv4(one, {1, 5}), (std::array<std::uint8_t, 4>{10, 42, 1, 5}));
  Domain three;
  three.length = 3;
  three.id = {0x0A, 0x0B, 0x00};
  EXPECT_EQ(map_to_ipv4(three, {1, 5}), (std::array<std::uint8_t, 4>{10, 11, 1, 5}));
  three.id[2] = 1;
  EXPECT_FALSE(map_to_ipv4(three, {1, 5}));
  Domain six;
  six.length = 6;
  EXPECT_FALSE(map_to_ipv4(six, {1, 5}));
  auto back = map_from_ipv4({10, 42, 1, 5}, 1);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->first, one);
  EXPECT_EQ(back->second, (SubnetNode{1, 5}));
  EXPECT_FALSE(map_from_ipv4({192, 168, 1, 200}, 0));  // node > 127
  EXPECT_FALSE(map_from_ipv4({172, 16, 1, 5}, 0));
}

}  // namespace
}  // namespace meterd::lonworks
