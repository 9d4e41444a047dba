// SPDX-License-Identifier: Apache-2.0
// IP-852 (ANSI/CEA-852, ISO/IEC 14908-4; "CN/IP") packets on UDP 1628: the 20-byte common
// header (packet size, version, type, extension-header words, protocol flags, vendor code,
// session, sequence, timestamp), extension headers skipped, and the data packet that carries
// one LonTalk frame without CRC: link byte, then the NPDU. Pure.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "lonworks/codec/lon_message.h"

namespace meterd::lonworks {

inline constexpr std::uint16_t kIp852Port = 1628;
inline constexpr std::size_t kIp852HeaderSize = 20;
inline constexpr std::uint8_t kIp852Version = 1;

// Packet types (the data packet carries LonTalk; the rest are the configuration-server
// dialogue of a channel: registration, membership, send list, routing, acknowledge).
namespace ip852 {
inline constexpr std::uint8_t kData = 0x01;
inline constexpr std::uint8_t kDeviceRegistration = 0x03;
inline constexpr std::uint8_t kChannelMembership = 0x04;
inline constexpr std::uint8_t kSendList = 0x06;
inline constexpr std::uint8_t kAcknowledge = 0x07;
inline constexpr std::uint8_t kChannelRouting = 0x08;
inline constexpr std::uint8_t kStatusRequest = 0x60;
inline constexpr std::uint8_t kDeviceConfigurationRequest = 0x63;
inline constexpr std::uint8_t kChannelMembershipRequest = 0x64;
inline constexpr std::uint8_t kSendListRequest = 0x66;
inline constexpr std::uint8_t kChannelRoutingRequest = 0x68;
inline constexpr std::uint8_t kStatusResponse = 0x70;
inline constexpr std::uint8_t kDeviceConfiguration = 0x71;
inline constexpr std::uint8_t kProtocolLonTalk = 0x00;  // low 5 bits of the flags
inline constexpr std::uint8_t kFlagSecurity = 0x20;
}  // namespace ip852

struct Ip852Header {
  std::uint8_t version = kIp852Version;
  std::uint8_t type = ip852::kData;
  std::uint8_t protocol_flags = ip852::kProtocolLonTalk;
  std::uint16_t vendor_code = 0;
  std::uint32_t session = 0;
  std::uint32_t sequence = 0;
  std::uint32_t timestamp = 0;  // ms of the sender's clock
  friend bool operator==(const Ip852Header&, const Ip852Header&) = default;
};

struct Ip852Packet {
  Ip852Header header;
  std::vector<std::uint8_t> payload;  // after the header and any extension headers
};

// Header (no extension) + payload; packetSize is the whole datagram.
std::vector<std::uint8_t> encode_ip852(const Ip852Header& header,
                                       std::span<const std::uint8_t> payload);
// Errors: shorter than 20 bytes, packetSize not the datagram length, extension beyond it.
Result<Ip852Packet> decode_ip852(std::span<const std::uint8_t> datagram);

// A data packet carrying `message` behind `link`.
Result<std::vector<std::uint8_t>> encode_ip852_data(const Ip852Header& header,
                                                    const LinkHeader& link,
                                                    const LonMessage& message);
struct Ip852Data {
  Ip852Header header;
  LinkHeader link;
  LonMessage message;
};
// Errors: not a data packet, not LonTalk, security flag set (not supported), bad NPDU.
Result<Ip852Data> decode_ip852_data(std::span<const std::uint8_t> datagram);

}  // namespace meterd::lonworks
