// SPDX-License-Identifier: Apache-2.0
#include "lonworks/codec/apdu.h"

#include "lonworks/codec/byte_cursor.h"

namespace meterd::lonworks {

namespace {
Error malformed(std::string message) {
  return make_error(ErrorKind::kMalformed, std::move(message));
}

void put_index(std::vector<std::uint8_t>& out, std::uint16_t index) {
  if (index < 255) {
    out.push_back(static_cast<std::uint8_t>(index));
  } else {
    out.push_back(0xFF);
    put_u16(out, index);
  }
}
}  // namespace

Result<std::vector<std::uint8_t>> encode_nv(const NvMessage& nv) {
  if (nv.selector > kMaxSelector) {
    return make_error(ErrorKind::kInvalidArgument, "NV selector above 0x3FFF");
  }
  if (nv.data.size() > kMaxNvLength) {
    return make_error(ErrorKind::kInvalidArgument, "NV value longer than 31 bytes");
  }
  std::vector<std::uint8_t> out;
  out.push_back(static_cast<std::uint8_t>(0x80 | (nv.output ? 0x40 : 0) | nv.selector >> 8));
  out.push_back(static_cast<std::uint8_t>(nv.selector));
  out.insert(out.end(), nv.data.begin(), nv.data.end());
  return out;
}

bool is_nv_message(std::span<const std::uint8_t> apdu) {
  return !apdu.empty() && (apdu[0] & 0x80) != 0;
}

Result<NvMessage> decode_nv(std::span<const std::uint8_t> apdu) {
  if (!is_nv_message(apdu)) return malformed("not a network-variable message");
  if (apdu.size() < 2) return malformed("truncated NV selector");
  if (apdu.size() - 2 > kMaxNvLength) return malformed("NV value longer than 31 bytes");
  NvMessage nv;
  nv.output = (apdu[0] & 0x40) != 0;
  nv.selector = static_cast<std::uint16_t>((apdu[0] & 0x3F) << 8 | apdu[1]);
  nv.data.assign(apdu.begin() + 2, apdu.end());
  return nv;
}

namespace nm {
std::uint8_t success_code(std::uint8_t request) {
  if ((request & 0xF0) == 0x50) return static_cast<std::uint8_t>((request & 0x0F) | 0x30);
  return static_cast<std::uint8_t>((request & 0x1F) | 0x20);
}
std::uint8_t failure_code(std::uint8_t request) {
  if ((request & 0xF0) == 0x50) return static_cast<std::uint8_t>((request & 0x0F) | 0x10);
  return static_cast<std::uint8_t>(request & 0x1F);
}
}  // namespace nm

std::vector<std::uint8_t> build_query_id(std::uint8_t selector) { return {nm::kQueryId, selector}; }
std::vector<std::uint8_t> build_wink() { return {nm::kWink}; }
std::vector<std::uint8_t> build_query_address() { return {nm::kQueryAddress}; }
std::vector<std::uint8_t> build_query_status() { return {nm::kQueryStatus}; }

std::vector<std::uint8_t> build_fetch_nv(std::uint16_t index) {
  std::vector<std::uint8_t> out{nm::kFetchNv};
  put_index(out, index);
  return out;
}

std::vector<std::uint8_t> build_service_pin(const NeuronId& id, const ProgramId& program) {
  std::vector<std::uint8_t> out{nm::kServicePin};
  out.insert(out.end(), id.begin(), id.end());
  out.insert(out.end(), program.begin(), program.end());
  return out;
}

std::vector<std::uint8_t> build_query_id_response(const NodeIdentity& identity) {
  std::vector<std::uint8_t> out{nm::success_code(nm::kQueryId)};
  out.insert(out.end(), identity.neuron_id.begin(), identity.neuron_id.end());
  out.insert(out.end(), identity.program_id.begin(), identity.program_id.end());
  return out;
}

Result<NodeIdentity> parse_identity(std::span<const std::uint8_t> apdu) {
  if (apdu.empty()) return malformed("empty APDU");
  if (apdu[0] != nm::success_code(nm::kQueryId) && apdu[0] != nm::kServicePin) {
    if (apdu[0] == nm::failure_code(nm::kQueryId)) {
      return make_error(ErrorKind::kRejected, "Query ID failed", apdu[0]);
    }
    return malformed("not a Query ID response or service-pin message");
  }
  ByteCursor in(apdu.subspan(1));
  NodeIdentity identity;
  if (!in.copy(identity.neuron_id.data(), 6) || !in.copy(identity.program_id.data(), 8)) {
    return malformed("truncated Neuron ID or program ID");
  }
  return identity;
}

std::vector<std::uint8_t> build_fetch_nv_response(std::uint16_t index,
                                                  std::span<const std::uint8_t> value) {
  std::vector<std::uint8_t> out{nm::success_code(nm::kFetchNv)};
  put_index(out, index);
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

Result<std::vector<std::uint8_t>> parse_fetch_nv_response(std::span<const std::uint8_t> apdu,
                                                          std::uint16_t index) {
  if (apdu.empty()) return malformed("empty APDU");
  if (apdu[0] == nm::failure_code(nm::kFetchNv)) {
    return make_error(ErrorKind::kRejected, "Fetch NV failed (no such NV index?)", apdu[0]);
  }
  if (apdu[0] != nm::success_code(nm::kFetchNv)) return malformed("not a Fetch NV response");
  ByteCursor in(apdu.subspan(1));
  std::uint8_t first = 0;
  if (!in.u8(first)) return malformed("truncated NV index");
  std::uint16_t got = first;
  if (first == 0xFF && !in.u16(got)) return malformed("truncated NV index");
  if (got != index) return malformed("Fetch NV response for another index");
  if (in.remaining() > kMaxNvLength) return malformed("NV value longer than 31 bytes");
  const auto rest = in.rest();
  return std::vector<std::uint8_t>(rest.begin(), rest.end());
}

std::vector<std::uint8_t> build_query_address_response(const NodeAddress& a) {
  std::vector<std::uint8_t> out{nm::success_code(nm::kQueryAddress), a.address.subnet,
                                static_cast<std::uint8_t>(a.address.node | 0x80),
                                a.domain.length_code()};
  out.insert(out.end(), a.domain.id.begin(), a.domain.id.begin() + a.domain.length);
  return out;
}

Result<NodeAddress> parse_query_address_response(std::span<const std::uint8_t> apdu) {
  ByteCursor in(apdu);
  std::uint8_t code = 0, node = 0, length_code = 0;
  if (!in.u8(code)) return malformed("empty APDU");
  if (code != nm::success_code(nm::kQueryAddress)) return malformed("not a Query Address response");
  NodeAddress a;
  if (!in.u8(a.address.subnet) || !in.u8(node) || !in.u8(length_code)) {
    return malformed("truncated Query Address response");
  }
  a.address.node = node & 0x7F;
  const auto length = domain_length_of_code(length_code);
  if (!length) return malformed("bad domain length code");
  a.domain.length = *length;
  if (!in.copy(a.domain.id.data(), a.domain.length)) return malformed("truncated domain id");
  return a;
}

}  // namespace meterd::lonworks
