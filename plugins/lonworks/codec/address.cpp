// SPDX-License-Identifier: Apache-2.0
#include "lonworks/codec/address.h"

namespace meterd::lonworks {

std::uint8_t Domain::length_code() const {
  switch (length) {
    case 1:
      return 1;
    case 3:
      return 2;
    case 6:
      return 3;
    default:
      return 0;
  }
}

bool operator==(const Domain& a, const Domain& b) {
  if (a.length != b.length) return false;
  for (std::size_t i = 0; i < a.length && i < a.id.size(); ++i) {
    if (a.id[i] != b.id[i]) return false;
  }
  return true;
}

std::optional<std::uint8_t> domain_length_of_code(std::uint8_t code) {
  static constexpr std::uint8_t kLengths[] = {0, 1, 3, 6};
  if (code > 3) return std::nullopt;
  return kLengths[code];
}

bool is_valid_domain_length(std::uint8_t length) {
  return length == 0 || length == 1 || length == 3 || length == 6;
}

Destination to_node(SubnetNode node) {
  Destination d;
  d.kind = Destination::Kind::kSubnetNode;
  d.node = node;
  return d;
}

Destination to_neuron_id(const NeuronId& id, std::uint8_t subnet) {
  Destination d;
  d.kind = Destination::Kind::kNeuronId;
  d.subnet = subnet;
  d.neuron_id = id;
  return d;
}

std::optional<NeuronId> parse_neuron_id(std::string_view text) {
  NeuronId id{};
  std::size_t nibbles = 0;
  for (char c : text) {
    if (c == ':' || c == '-' || c == ' ') continue;
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0 || nibbles >= 12) return std::nullopt;
    id[nibbles / 2] = static_cast<std::uint8_t>(id[nibbles / 2] << 4 | digit);
    ++nibbles;
  }
  if (nibbles != 12) return std::nullopt;
  return id;
}

std::string format_neuron_id(const NeuronId& id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (auto b : id) {
    text += kHex[b >> 4];
    text += kHex[b & 0xF];
  }
  return text;
}

}  // namespace meterd::lonworks
