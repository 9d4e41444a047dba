// SPDX-License-Identifier: Apache-2.0
#include "lonworks/codec/lon_message.h"

#include "lonworks/codec/byte_cursor.h"

namespace meterd::lonworks {

namespace {

constexpr std::uint8_t kNodeFlag = 0x80;  // bit 7 of a source node byte: not a 2b address

Error malformed(std::string message) {
  return make_error(ErrorKind::kMalformed, std::move(message));
}

// The type code a service carries in its transport/session byte.
std::uint8_t type_code(Service service) {
  switch (service) {
    case Service::kAckd:
      return 0;
    case Service::kUnackdRpt:
      return 1;
    case Service::kAck:
      return 2;
    case Service::kRequest:
      return 0;
    case Service::kResponse:
      return 2;
    case Service::kUnackd:
      return 0;
  }
  return 0;
}

std::uint8_t address_format(const Destination& dest) {
  switch (dest.kind) {
    case Destination::Kind::kBroadcast:
      return 0;
    case Destination::Kind::kGroup:
      return 1;
    case Destination::Kind::kSubnetNode:
    case Destination::Kind::kGroupAck:
      return 2;
    case Destination::Kind::kNeuronId:
      return 3;
  }
  return 2;
}

}  // namespace

const char* to_string(Service service) {
  switch (service) {
    case Service::kAckd:
      return "ACKD";
    case Service::kUnackdRpt:
      return "UNACKD_RPT";
    case Service::kAck:
      return "ACK";
    case Service::kRequest:
      return "REQUEST";
    case Service::kResponse:
      return "RESPONSE";
    case Service::kUnackd:
      return "UNACKD";
  }
  return "?";
}

PduFormat pdu_format_of(Service service) {
  switch (service) {
    case Service::kAckd:
    case Service::kUnackdRpt:
    case Service::kAck:
      return PduFormat::kTpdu;
    case Service::kRequest:
    case Service::kResponse:
      return PduFormat::kSpdu;
    case Service::kUnackd:
      return PduFormat::kApdu;
  }
  return PduFormat::kApdu;
}

Status encode_enclosed(const LonMessage& m, std::vector<std::uint8_t>& out) {
  if (m.transaction_id > 15) return make_error(ErrorKind::kInvalidArgument, "transaction id > 15");
  if (m.apdu.size() > kMaxApdu) return make_error(ErrorKind::kInvalidArgument, "APDU too long");
  if (m.service == Service::kAck && !m.apdu.empty()) {
    return make_error(ErrorKind::kInvalidArgument, "an ACK carries no APDU");
  }
  if (m.service != Service::kAck && m.apdu.empty()) {
    return make_error(ErrorKind::kInvalidArgument, "the message has no APDU");
  }
  if (m.service != Service::kUnackd) {
    out.push_back(static_cast<std::uint8_t>((m.authenticated ? 0x80 : 0) |
                                            type_code(m.service) << 4 | m.transaction_id));
  }
  out.insert(out.end(), m.apdu.begin(), m.apdu.end());
  return Ok{};
}

Status decode_enclosed(PduFormat format, std::span<const std::uint8_t> bytes, LonMessage& m) {
  ByteCursor in(bytes);
  if (format == PduFormat::kApdu) {
    m.service = Service::kUnackd;
    m.transaction_id = 0;
    m.authenticated = false;
  } else {
    std::uint8_t header = 0;
    if (!in.u8(header)) return malformed("no transport/session byte");
    m.authenticated = (header & 0x80) != 0;
    m.transaction_id = header & 0x0F;
    const std::uint8_t type = (header >> 4) & 0x07;
    if (format == PduFormat::kAuthPdu) return malformed("authentication PDUs are not supported");
    if (format == PduFormat::kTpdu) {
      if (type == 0)
        m.service = Service::kAckd;
      else if (type == 1)
        m.service = Service::kUnackdRpt;
      else if (type == 2)
        m.service = Service::kAck;
      else
        return malformed("TPDU type " + std::to_string(type) + " (reminders) not supported");
    } else {
      if (type == 0)
        m.service = Service::kRequest;
      else if (type == 2)
        m.service = Service::kResponse;
      else
        return malformed("SPDU type " + std::to_string(type) + " (reminders) not supported");
    }
  }
  const auto apdu = in.rest();
  if (m.service == Service::kAck ? !apdu.empty() : apdu.empty()) {
    return malformed(m.service == Service::kAck ? "data after an ACK" : "no APDU");
  }
  if (apdu.size() > kMaxApdu) return malformed("APDU too long");
  m.apdu.assign(apdu.begin(), apdu.end());
  return Ok{};
}

Result<std::vector<std::uint8_t>> encode_npdu(const LonMessage& m) {
  if (!is_valid_domain_length(m.domain.length)) {
    return make_error(ErrorKind::kInvalidArgument, "domain length must be 0, 1, 3 or 6");
  }
  if (m.source.node > 127 || m.dest.node.node > 127) {
    return make_error(ErrorKind::kInvalidArgument, "node numbers are 0..127");
  }
  const std::uint8_t fmt = address_format(m.dest);
  std::vector<std::uint8_t> out;
  out.reserve(16 + m.apdu.size());
  out.push_back(static_cast<std::uint8_t>(static_cast<std::uint8_t>(pdu_format_of(m.service)) << 4 |
                                          fmt << 2 | m.domain.length_code()));
  out.push_back(m.source.subnet);
  const bool group_ack = m.dest.kind == Destination::Kind::kGroupAck;
  out.push_back(static_cast<std::uint8_t>(m.source.node | (group_ack ? 0 : kNodeFlag)));
  switch (m.dest.kind) {
    case Destination::Kind::kBroadcast:
      out.push_back(m.dest.subnet);
      break;
    case Destination::Kind::kGroup:
      out.push_back(m.dest.group);
      break;
    case Destination::Kind::kSubnetNode:
      out.push_back(m.dest.node.subnet);
      out.push_back(static_cast<std::uint8_t>(m.dest.node.node | kNodeFlag));
      break;
    case Destination::Kind::kGroupAck:
      out.push_back(m.dest.node.subnet);
      out.push_back(static_cast<std::uint8_t>(m.dest.node.node | kNodeFlag));
      out.push_back(m.dest.group);
      out.push_back(m.dest.member);
      break;
    case Destination::Kind::kNeuronId:
      out.push_back(m.dest.subnet);
      out.insert(out.end(), m.dest.neuron_id.begin(), m.dest.neuron_id.end());
      break;
  }
  out.insert(out.end(), m.domain.id.begin(), m.domain.id.begin() + m.domain.length);
  if (Status enclosed = encode_enclosed(m, out); !enclosed) return enclosed.error();
  return out;
}

Result<LonMessage> decode_npdu(std::span<const std::uint8_t> npdu) {
  ByteCursor in(npdu);
  std::uint8_t header = 0;
  if (!in.u8(header)) return malformed("empty NPDU");
  if ((header >> 6) != 0) return malformed("NPDU version " + std::to_string(header >> 6));
  const auto format = static_cast<PduFormat>((header >> 4) & 0x03);
  const std::uint8_t fmt = (header >> 2) & 0x03;
  LonMessage m;
  m.domain.length = *domain_length_of_code(header & 0x03);
  std::uint8_t src_node = 0;
  if (!in.u8(m.source.subnet) || !in.u8(src_node)) return malformed("truncated source address");
  m.source.node = src_node & 0x7F;
  bool ok = true;
  switch (fmt) {
    case 0:
      m.dest.kind = Destination::Kind::kBroadcast;
      ok = in.u8(m.dest.subnet);
      break;
    case 1:
      m.dest.kind = Destination::Kind::kGroup;
      ok = in.u8(m.dest.group);
      break;
    case 2: {
      m.dest.kind =
          (src_node & kNodeFlag) ? Destination::Kind::kSubnetNode : Destination::Kind::kGroupAck;
      std::uint8_t node = 0;
      ok = in.u8(m.dest.node.subnet) && in.u8(node);
      m.dest.node.node = node & 0x7F;
      if (ok && m.dest.kind == Destination::Kind::kGroupAck) {
        ok = in.u8(m.dest.group) && in.u8(m.dest.member);
      }
      break;
    }
    default:
      m.dest.kind = Destination::Kind::kNeuronId;
      ok = in.u8(m.dest.subnet) && in.copy(m.dest.neuron_id.data(), m.dest.neuron_id.size());
      break;
  }
  if (!ok) return malformed("truncated destination address");
  if (!in.copy(m.domain.id.data(), m.domain.length)) return malformed("truncated domain id");
  if (Status enclosed = decode_enclosed(format, in.rest(), m); !enclosed) return enclosed.error();
  return m;
}

std::uint8_t encode_link_header(const LinkHeader& h) {
  return static_cast<std::uint8_t>((h.priority ? 0x80 : 0) | (h.alt_path ? 0x40 : 0) |
                                   (h.delta_backlog & 0x3F));
}

LinkHeader decode_link_header(std::uint8_t byte) {
  return LinkHeader{(byte & 0x80) != 0, (byte & 0x40) != 0, static_cast<std::uint8_t>(byte & 0x3F)};
}

}  // namespace meterd::lonworks
