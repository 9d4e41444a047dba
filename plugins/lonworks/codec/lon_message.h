// SPDX-License-Identifier: Apache-2.0
// A LonTalk message as values, and its NPDU encoding (ISO/IEC 14908-1 layer 3..5): the
// network header (version, PDU format, address format, domain length), the addresses, the
// domain id, then the transport/session byte (auth | type | transaction id) and the APDU.
// A message sent UNACKD is a bare APDU. Links (IP-852, LS/UDP) wrap these bytes; this file is
// pure: bytes in, values out.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "lonworks/codec/address.h"

namespace meterd::lonworks {

enum class PduFormat : std::uint8_t { kTpdu = 0, kSpdu = 1, kAuthPdu = 2, kApdu = 3 };

// The service a message is sent with, which fixes its PDU format and type.
enum class Service : std::uint8_t {
  kAckd,       // TPDU 0: acknowledged
  kUnackdRpt,  // TPDU 1: repeated, not acknowledged
  kAck,        // TPDU 2: the acknowledgement (no APDU)
  kRequest,    // SPDU 0: request/response
  kResponse,   // SPDU 2
  kUnackd,     // APDU: bare, no transport byte, no transaction id
};

const char* to_string(Service service);
PduFormat pdu_format_of(Service service);

struct LonMessage {
  Domain domain;
  SubnetNode source;
  Destination dest;
  Service service = Service::kUnackd;
  std::uint8_t transaction_id = 0;  // 0..15
  bool authenticated = false;
  std::vector<std::uint8_t> apdu;  // empty for an ACK
  friend bool operator==(const LonMessage&, const LonMessage&) = default;
};

// Largest APDU a classic node takes: 2 bytes of NV header + 31 bytes of value, or a network-
// management message of up to 229 bytes (the buffer limit of the standard's 255-byte frame).
inline constexpr std::size_t kMaxApdu = 229;

// The NPDU (no link byte, no CRC). Errors: invalid domain length, node > 127, transaction id
// > 15, APDU too long or missing where the service needs one.
Result<std::vector<std::uint8_t>> encode_npdu(const LonMessage& message);
Result<LonMessage> decode_npdu(std::span<const std::uint8_t> npdu);

// The part after the addresses and domain: the transport/session byte (absent for UNACKD)
// and the APDU. Shared with LS/UDP, which carries the PDU format in its own header.
Status encode_enclosed(const LonMessage& message, std::vector<std::uint8_t>& out);
Status decode_enclosed(PduFormat format, std::span<const std::uint8_t> bytes, LonMessage& message);

// The 1-byte link header IP-852 puts before the NPDU: priority, alternate path, delta backlog.
struct LinkHeader {
  bool priority = false;
  bool alt_path = false;
  std::uint8_t delta_backlog = 0;  // 0..63
  friend bool operator==(const LinkHeader&, const LinkHeader&) = default;
};
std::uint8_t encode_link_header(const LinkHeader& header);
LinkHeader decode_link_header(std::uint8_t byte);

}  // namespace meterd::lonworks
