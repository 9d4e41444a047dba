// SPDX-License-Identifier: Apache-2.0
// LS/UDP ("LON/IP", UDP 2541): how IzoT IP devices and the Linux LON USB interface carry
// LonTalk. No link byte; a 2-byte header (version | flags | arbitrary-source bit; LS/UDP
// address format | MCR | priority | PDU format), a backlog byte when MCR is set, the
// arbitrary source address when the source is not the IP-mapped one, the destination by
// LS/UDP address format, then the transport/session byte and APDU as in the NPDU. Nodes map
// to IPv4 addresses by domain and subnet/node; on loopback no mapping exists, so this codec
// always sends the arbitrary source and format 7 (explicit subnet/node). Pure.
// The layout is reconstructed from the reference driver's translation and is unconfirmed by
// any dissector: see docs/lonworks.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/result.h"
#include "lonworks/codec/lon_message.h"

namespace meterd::lonworks {

inline constexpr std::uint16_t kLsUdpPort = 2541;

enum class LsUdpAddressFormat : std::uint8_t {
  kNeuronId = 0,            // subnet, 6-byte Neuron ID
  kSubnetNode = 1,          // the destination IP address says which node: no bytes
  kDomainBroadcast = 2,     // no bytes
  kSubnetBroadcast = 3,     // subnet
  kGroup = 4,               // group
  kGroupResponse = 5,       // subnet, node, group, member
  kBroadcastNeuronId = 6,   // subnet, 6-byte Neuron ID
  kExplicitSubnetNode = 7,  // subnet, node
};

struct LsUdpOptions {
  bool priority = false;
  std::optional<std::uint8_t> backlog;  // sets MCR
};

// Encodes with the arbitrary source address and an explicit destination.
Result<std::vector<std::uint8_t>> encode_ls_udp(const LonMessage& message,
                                                const LsUdpOptions& options = {});

// What the IP addresses of a datagram say, for packets that rely on the mapping.
struct LsUdpMappedAddresses {
  std::optional<SubnetNode> source;
  std::optional<SubnetNode> dest;
  Domain domain;
};
Result<LonMessage> decode_ls_udp(std::span<const std::uint8_t> datagram,
                                 const LsUdpMappedAddresses& mapped = {});

// The IPv4 address of a node: domain length 0 -> 192.168.subnet.node; 1 -> 10.d1.subnet.node;
// 3 -> d1.d2.subnet.node when d3 is 0; nullopt otherwise (6-byte domains have no mapping).
std::optional<std::array<std::uint8_t, 4>> map_to_ipv4(const Domain& domain, SubnetNode node);
// The reverse for a given domain length; nullopt when the address is not in the mapping.
std::optional<std::pair<Domain, SubnetNode>> map_from_ipv4(const std::array<std::uint8_t, 4>& ip,
                                                           std::uint8_t domain_length);

}  // namespace meterd::lonworks
