// SPDX-License-Identifier: Apache-2.0
#include "lonworks/codec/ls_udp.h"

#include "lonworks/codec/byte_cursor.h"

namespace meterd::lonworks {

namespace {

constexpr std::uint8_t kLsUdpVersion = 0;
constexpr std::uint8_t kArbitrarySource = 0x01;  // byte 0, bit 0
constexpr std::uint8_t kMcr = 0x08;              // byte 1
constexpr std::uint8_t kPriority = 0x04;         // byte 1
constexpr std::uint8_t kDomainFollows = 0x80;    // source node byte

Error malformed(std::string message) {
  return make_error(ErrorKind::kMalformed, std::move(message));
}

}  // namespace

Result<std::vector<std::uint8_t>> encode_ls_udp(const LonMessage& m, const LsUdpOptions& options) {
  if (!is_valid_domain_length(m.domain.length)) {
    return make_error(ErrorKind::kInvalidArgument, "domain length must be 0, 1, 3 or 6");
  }
  if (m.source.node > 127 || m.dest.node.node > 127) {
    return make_error(ErrorKind::kInvalidArgument, "node numbers are 0..127");
  }
  LsUdpAddressFormat format = LsUdpAddressFormat::kExplicitSubnetNode;
  switch (m.dest.kind) {
    case Destination::Kind::kBroadcast:
      format = m.dest.subnet == 0 ? LsUdpAddressFormat::kDomainBroadcast
                                  : LsUdpAddressFormat::kSubnetBroadcast;
      break;
    case Destination::Kind::kGroup:
      format = LsUdpAddressFormat::kGroup;
      break;
    case Destination::Kind::kSubnetNode:
      format = LsUdpAddressFormat::kExplicitSubnetNode;
      break;
    case Destination::Kind::kGroupAck:
      format = LsUdpAddressFormat::kGroupResponse;
      break;
    case Destination::Kind::kNeuronId:
      format = LsUdpAddressFormat::kNeuronId;
      break;
  }
  std::vector<std::uint8_t> out;
  out.reserve(16 + m.apdu.size());
  out.push_back(static_cast<std::uint8_t>(kLsUdpVersion << 4 | kArbitrarySource));
  out.push_back(static_cast<std::uint8_t>(
      static_cast<std::uint8_t>(format) << 4 | (options.backlog ? kMcr : 0) |
      (options.priority ? kPriority : 0) | static_cast<std::uint8_t>(pdu_format_of(m.service))));
  if (options.backlog) out.push_back(*options.backlog);
  out.push_back(m.source.subnet);
  out.push_back(static_cast<std::uint8_t>(m.source.node | kDomainFollows));
  out.push_back(m.domain.length_code());
  out.insert(out.end(), m.domain.id.begin(), m.domain.id.begin() + m.domain.length);
  switch (format) {
    case LsUdpAddressFormat::kNeuronId:
    case LsUdpAddressFormat::kBroadcastNeuronId:
      out.push_back(m.dest.subnet);
      out.insert(out.end(), m.dest.neuron_id.begin(), m.dest.neuron_id.end());
      break;
    case LsUdpAddressFormat::kSubnetNode:
    case LsUdpAddressFormat::kDomainBroadcast:
      break;
    case LsUdpAddressFormat::kSubnetBroadcast:
      out.push_back(m.dest.subnet);
      break;
    case LsUdpAddressFormat::kGroup:
      out.push_back(m.dest.group);
      break;
    case LsUdpAddressFormat::kGroupResponse:
      out.push_back(m.dest.node.subnet);
      out.push_back(m.dest.node.node);
      out.push_back(m.dest.group);
      out.push_back(m.dest.member);
      break;
    case LsUdpAddressFormat::kExplicitSubnetNode:
      out.push_back(m.dest.node.subnet);
      out.push_back(m.dest.node.node);
      break;
  }
  if (Status enclosed = encode_enclosed(m, out); !enclosed) return enclosed.error();
  return out;
}

Result<LonMessage> decode_ls_udp(std::span<const std::uint8_t> datagram,
                                 const LsUdpMappedAddresses& mapped) {
  ByteCursor in(datagram);
  std::uint8_t b0 = 0, b1 = 0;
  if (!in.u8(b0) || !in.u8(b1)) return malformed("LS/UDP header shorter than 2 bytes");
  if ((b0 >> 4) != kLsUdpVersion) return malformed("LS/UDP version " + std::to_string(b0 >> 4));
  const auto format = static_cast<LsUdpAddressFormat>(b1 >> 4);
  const auto pdu_format = static_cast<PduFormat>(b1 & 0x03);
  if ((b1 & kMcr) && !in.skip(1)) return malformed("truncated backlog");
  LonMessage m;
  if (b0 & kArbitrarySource) {
    std::uint8_t node = 0;
    if (!in.u8(m.source.subnet) || !in.u8(node)) return malformed("truncated source address");
    m.source.node = node & 0x7F;
    if (node & kDomainFollows) {
      std::uint8_t code = 0;
      if (!in.u8(code)) return malformed("truncated domain");
      const auto length = domain_length_of_code(code);
      if (!length) return malformed("bad domain length code");
      m.domain.length = *length;
      if (!in.copy(m.domain.id.data(), m.domain.length)) return malformed("truncated domain");
    } else {
      m.domain = mapped.domain;
    }
  } else {
    if (!mapped.source) return malformed("no source address and no IP mapping for it");
    m.source = *mapped.source;
    m.domain = mapped.domain;
  }
  bool ok = true;
  std::uint8_t node = 0;
  switch (format) {
    case LsUdpAddressFormat::kNeuronId:
    case LsUdpAddressFormat::kBroadcastNeuronId:
      m.dest.kind = Destination::Kind::kNeuronId;
      ok = in.u8(m.dest.subnet) && in.copy(m.dest.neuron_id.data(), 6);
      break;
    case LsUdpAddressFormat::kSubnetNode:
      if (!mapped.dest) return malformed("subnet/node from an IP address that maps to none");
      m.dest = to_node(*mapped.dest);
      break;
    case LsUdpAddressFormat::kDomainBroadcast:
      m.dest.kind = Destination::Kind::kBroadcast;
      break;
    case LsUdpAddressFormat::kSubnetBroadcast:
      m.dest.kind = Destination::Kind::kBroadcast;
      ok = in.u8(m.dest.subnet);
      break;
    case LsUdpAddressFormat::kGroup:
      m.dest.kind = Destination::Kind::kGroup;
      ok = in.u8(m.dest.group);
      break;
    case LsUdpAddressFormat::kGroupResponse:
      m.dest.kind = Destination::Kind::kGroupAck;
      ok = in.u8(m.dest.node.subnet) && in.u8(node) && in.u8(m.dest.group) && in.u8(m.dest.member);
      m.dest.node.node = node & 0x7F;
      break;
    case LsUdpAddressFormat::kExplicitSubnetNode:
      m.dest.kind = Destination::Kind::kSubnetNode;
      ok = in.u8(m.dest.node.subnet) && in.u8(node);
      m.dest.node.node = node & 0x7F;
      break;
    default:
      return malformed("LS/UDP address format " + std::to_string(b1 >> 4));
  }
  if (!ok) return malformed("truncated destination address");
  if (Status enclosed = decode_enclosed(pdu_format, in.rest(), m); !enclosed) {
    return enclosed.error();
  }
  return m;
}

std::optional<std::array<std::uint8_t, 4>> map_to_ipv4(const Domain& d, SubnetNode n) {
  switch (d.length) {
    case 0:
      return std::array<std::uint8_t, 4>{192, 168, n.subnet, n.node};
    case 1:
      return std::array<std::uint8_t, 4>{10, d.id[0], n.subnet, n.node};
    case 3:
      if (d.id[2] != 0) return std::nullopt;
      return std::array<std::uint8_t, 4>{d.id[0], d.id[1], n.subnet, n.node};
    default:
      return std::nullopt;
  }
}

std::optional<std::pair<Domain, SubnetNode>> map_from_ipv4(const std::array<std::uint8_t, 4>& ip,
                                                           std::uint8_t domain_length) {
  Domain d;
  d.length = domain_length;
  const SubnetNode n{ip[2], ip[3]};
  if (n.node > 127) return std::nullopt;
  switch (domain_length) {
    case 0:
      if (ip[0] != 192 || ip[1] != 168) return std::nullopt;
      break;
    case 1:
      if (ip[0] != 10) return std::nullopt;
      d.id[0] = ip[1];
      break;
    case 3:
      d.id[0] = ip[0];
      d.id[1] = ip[1];
      break;
    default:
      return std::nullopt;
  }
  return std::make_pair(d, n);
}

}  // namespace meterd::lonworks
