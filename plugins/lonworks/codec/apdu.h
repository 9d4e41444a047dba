// SPDX-License-Identifier: Apache-2.0
// Application PDUs a gateway uses (ISO/IEC 14908-1 layer 6/7): network-variable messages
// (first byte 1dssssss: selector 14 bits, d = output) and the network-management messages
// for discovery and installation: Query ID, Query Address, Query Status, Wink, Fetch NV by
// index, and the service-pin message. Pure: bytes in, values out.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/result.h"
#include "lonworks/codec/address.h"

namespace meterd::lonworks {

inline constexpr std::uint16_t kMaxSelector = 0x3FFF;
inline constexpr std::size_t kMaxNvLength = 31;  // classic Neuron NV value limit

// The convention for unbound NVs: selector = 0x3FFF - NV index (unconfirmed, profile-chosen).
inline constexpr std::uint16_t selector_of_unbound_index(std::uint16_t index) {
  return static_cast<std::uint16_t>(kMaxSelector - index);
}

struct NvMessage {
  std::uint16_t selector = 0;      // 0..0x3FFF
  bool output = false;             // the direction bit (0x40 of the first byte)
  std::vector<std::uint8_t> data;  // empty: an NV poll
  friend bool operator==(const NvMessage&, const NvMessage&) = default;
};

Result<std::vector<std::uint8_t>> encode_nv(const NvMessage& nv);
// nullopt when the APDU is not an NV message; an error when it is one but malformed.
Result<NvMessage> decode_nv(std::span<const std::uint8_t> apdu);
bool is_nv_message(std::span<const std::uint8_t> apdu);

// Network-management and diagnostic message codes.
namespace nm {
inline constexpr std::uint8_t kQueryStatus = 0x51;  // network diagnostic
inline constexpr std::uint8_t kQueryId = 0x61;
inline constexpr std::uint8_t kQueryAddress = 0x67;
inline constexpr std::uint8_t kWink = 0x70;
inline constexpr std::uint8_t kFetchNv = 0x73;
inline constexpr std::uint8_t kServicePin = 0x7F;
// A network-management request 0x6n/0x7n is answered by (code & 0x1F) | 0x20 on success and
// (code & 0x1F) on failure; a diagnostic 0x5n by (code & 0x0F) | 0x30 and (code & 0x0F) | 0x10.
std::uint8_t success_code(std::uint8_t request);
std::uint8_t failure_code(std::uint8_t request);
}  // namespace nm

using ProgramId = std::array<std::uint8_t, 8>;

// Query ID request: selector 0 = unconfigured nodes only, 1 = selected (service pin held),
// 2 = selected and unconfigured, 3 = any node (unconfirmed: not every firmware takes 3).
std::vector<std::uint8_t> build_query_id(std::uint8_t selector);
std::vector<std::uint8_t> build_wink();
std::vector<std::uint8_t> build_query_address();
std::vector<std::uint8_t> build_query_status();
// Fetch NV by index (1 byte, or the escape 0xFF + 2 bytes for index >= 255).
std::vector<std::uint8_t> build_fetch_nv(std::uint16_t index);
std::vector<std::uint8_t> build_service_pin(const NeuronId& id, const ProgramId& program);

// The identity a node gives in a Query ID response or a service-pin message.
struct NodeIdentity {
  NeuronId neuron_id{};
  ProgramId program_id{};
  friend bool operator==(const NodeIdentity&, const NodeIdentity&) = default;
};
std::vector<std::uint8_t> build_query_id_response(const NodeIdentity& identity);
// Parses 0x21 + NID + program ID (Query ID response) or 0x7F + NID + program ID (service pin).
Result<NodeIdentity> parse_identity(std::span<const std::uint8_t> apdu);

// Fetch NV response: 0x33 + index (as in the request) + value.
std::vector<std::uint8_t> build_fetch_nv_response(std::uint16_t index,
                                                  std::span<const std::uint8_t> value);
Result<std::vector<std::uint8_t>> parse_fetch_nv_response(std::span<const std::uint8_t> apdu,
                                                          std::uint16_t index);

// Query Address response: 0x27 + subnet, node|0x80, domain length code, domain.
struct NodeAddress {
  SubnetNode address;
  Domain domain;
  friend bool operator==(const NodeAddress&, const NodeAddress&) = default;
};
std::vector<std::uint8_t> build_query_address_response(const NodeAddress& address);
Result<NodeAddress> parse_query_address_response(std::span<const std::uint8_t> apdu);

}  // namespace meterd::lonworks
