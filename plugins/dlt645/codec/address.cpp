// SPDX-License-Identifier: Apache-2.0
#include "dlt645/codec/address.h"

#include <algorithm>

namespace meterd::dlt645 {

namespace {

std::optional<std::uint8_t> parse_pair(char high, char low) {
  auto is_a = [](char c) { return c == 'A' || c == 'a'; };
  if (is_a(high) && is_a(low)) return std::uint8_t{0xAA};
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!is_digit(high) || !is_digit(low)) return std::nullopt;
  return static_cast<std::uint8_t>(((high - '0') << 4) | (low - '0'));
}

}  // namespace

std::optional<Address> parse_address(std::string_view text) {
  if (text.size() != 12) return std::nullopt;
  Address address;
  for (std::size_t i = 0; i < 6; ++i) {
    // The text reads most significant pair first; the wire carries it last.
    auto pair = parse_pair(text[2 * i], text[2 * i + 1]);
    if (!pair) return std::nullopt;
    address.wire[5 - i] = *pair;
  }
  return address;
}

std::string to_string(const Address& address) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text;
  text.reserve(12);
  for (std::size_t i = 6; i-- > 0;) {
    text.push_back(kHex[address.wire[i] >> 4]);
    text.push_back(kHex[address.wire[i] & 0x0F]);
  }
  return text;
}

bool is_wildcard(const Address& address) { return address == kWildcardAddress; }

bool is_broadcast(const Address& address) { return address == kBroadcastAddress; }

bool address_matches(const Address& target, const Address& meter) {
  for (std::size_t i = 0; i < 6; ++i) {
    if (target.wire[i] != 0xAA && target.wire[i] != meter.wire[i]) return false;
  }
  return true;
}

}  // namespace meterd::dlt645
