// SPDX-License-Identifier: Apache-2.0
// DL/T 645 meter addresses: 12 BCD digits on the nameplate, 6 bytes on the wire, least
// significant byte first. A byte AA is a wildcard digit pair (AA..AA: the one meter on the
// line); 99..99 is broadcast. Pure value type; no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meterd::dlt645 {

struct Address {
  std::array<std::uint8_t, 6> wire{};  // wire order: wire[0] holds the last two digits

  friend bool operator==(const Address&, const Address&) = default;
};

inline constexpr Address kWildcardAddress{{0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA}};
inline constexpr Address kBroadcastAddress{{0x99, 0x99, 0x99, 0x99, 0x99, 0x99}};

// "000000000001" -> wire 01 00 00 00 00 00. Exactly 12 characters; each pair is two decimal
// digits or "AA" (abbreviated addressing, case-insensitive). nullopt otherwise.
std::optional<Address> parse_address(std::string_view text);
// The 12-character nameplate form; wildcard pairs print as "AA".
std::string to_string(const Address& address);

bool is_wildcard(const Address& address);   // all six bytes AA
bool is_broadcast(const Address& address);  // all six bytes 99
// Whether a meter with address `meter` answers a frame sent to `target`: equal, or equal on
// every byte of `target` that is not AA.
bool address_matches(const Address& target, const Address& meter);

}  // namespace meterd::dlt645
