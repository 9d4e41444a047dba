// SPDX-License-Identifier: Apache-2.0
// LonTalk addressing as values (ISO/IEC 14908-1): domains of 0/1/3/6 bytes, subnet/node
// addresses, and the destinations a message may carry (broadcast, group, subnet/node, group
// acknowledgement, 48-bit Neuron ID). Pure value types, no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meterd::lonworks {

using NeuronId = std::array<std::uint8_t, 6>;

// A domain id; `length` is 0, 1, 3 or 6 and only the first `length` bytes of `id` count.
struct Domain {
  std::uint8_t length = 0;
  std::array<std::uint8_t, 6> id{};

  // The NPDU's 2-bit domain length code (0, 1, 2, 3 for 0, 1, 3, 6 bytes).
  std::uint8_t length_code() const;
  friend bool operator==(const Domain& a, const Domain& b);
};

// nullopt for a code outside 0..3.
std::optional<std::uint8_t> domain_length_of_code(std::uint8_t code);
bool is_valid_domain_length(std::uint8_t length);

struct SubnetNode {
  std::uint8_t subnet = 0;  // 1..255 on a configured node
  std::uint8_t node = 0;    // 1..127
  friend bool operator==(const SubnetNode&, const SubnetNode&) = default;
};

struct Destination {
  enum class Kind {
    kBroadcast,   // `subnet` (0: the whole domain)
    kGroup,       // `group`
    kSubnetNode,  // `node`
    kGroupAck,    // `node` acknowledges to its group: `group`, `member`
    kNeuronId,    // `subnet` (0: any) and `neuron_id`
  };
  Kind kind = Kind::kSubnetNode;
  SubnetNode node;
  std::uint8_t subnet = 0;
  std::uint8_t group = 0;
  std::uint8_t member = 0;
  NeuronId neuron_id{};
  friend bool operator==(const Destination&, const Destination&) = default;
};

Destination to_node(SubnetNode node);
Destination to_neuron_id(const NeuronId& id, std::uint8_t subnet = 0);

// "04:a1:b2:c3:d4:e5" or "04A1B2C3D4E5" -> NeuronId.
std::optional<NeuronId> parse_neuron_id(std::string_view text);
std::string format_neuron_id(const NeuronId& id);  // "04a1b2c3d4e5"

}  // namespace meterd::lonworks
