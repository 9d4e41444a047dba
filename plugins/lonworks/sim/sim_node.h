// SPDX-License-Identifier: Apache-2.0
// One simulated LON meter node: a Neuron ID and program ID, a subnet/node address, and the
// network variables of the meter model docs/lonworks.md describes (energy, power, voltage,
// current, power factor, frequency, relay state as outputs; the relay command as an input
// SNVT_switch). It answers NV polls (REQUEST, either direction bit) with RESPONSE, applies
// NV updates (ACKD, answered by ACK), answers Query ID, Query Address, Wink and Fetch NV,
// and keeps the last transaction id per source and service class so a repeat is answered
// from memory without being applied again. Pure: messages in, messages out, time passed in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "lonworks/codec/apdu.h"
#include "lonworks/codec/lon_message.h"
#include "lonworks/codec/snvt.h"

namespace meterd::lonworks::sim {

// The meter model's NV indices (selector = 0x3FFF - index, the unbound convention).
namespace nv {
inline constexpr std::uint16_t kEnergy = 0;        // SNVT_elec_kwh_l
inline constexpr std::uint16_t kPower = 1;         // SNVT_power
inline constexpr std::uint16_t kVoltage = 2;       // SNVT_volt
inline constexpr std::uint16_t kCurrent = 3;       // SNVT_amp
inline constexpr std::uint16_t kPowerFactor = 4;   // SNVT_pwr_fact
inline constexpr std::uint16_t kFrequency = 5;     // SNVT_freq_hz
inline constexpr std::uint16_t kRelayState = 6;    // SNVT_switch, output
inline constexpr std::uint16_t kRelayCommand = 7;  // SNVT_switch, input
inline constexpr std::uint16_t kEnergyKwh = 8;     // SNVT_elec_kwh
inline constexpr std::uint16_t kCount = 9;
}  // namespace nv

struct SimNodeConfig {
  SubnetNode address{1, 1};
  Domain domain;
  NeuronId neuron_id{};
  ProgramId program_id{0x90, 0x00, 0x0A, 0x5E, 0x00, 0x01, 0x04, 0x01};
  std::int64_t energy_wh = 1'000'000;  // starting register
  double load_w = 1000;                // mean load while the relay is closed
  bool vary = true;                    // a slow load curve around load_w
};

struct SimNodeStats {
  std::uint64_t polls = 0;
  std::uint64_t updates = 0;
  std::uint64_t duplicates_answered = 0;
  std::uint64_t management = 0;
  std::uint64_t ignored = 0;
};

class SimNode {
 public:
  SimNode(SimNodeConfig config, SteadyTime start);

  // The replies to `message` (none, or one), at time `now`.
  std::vector<LonMessage> handle(const LonMessage& message, SteadyTime now);

  const SimNodeConfig& config() const { return config_; }
  const SimNodeStats& stats() const { return stats_; }
  bool relay_closed() const { return relay_closed_; }
  // The registers at `now` (the load integrates between calls).
  std::int64_t energy_wh(SteadyTime now);
  double power_w(SteadyTime now) const;
  bool addressed(const Destination& dest) const;

 private:
  std::optional<std::vector<std::uint8_t>> nv_value(std::uint16_t index, SteadyTime now);
  std::optional<std::vector<std::uint8_t>> answer(const LonMessage& message, SteadyTime now);
  LonMessage reply_to(const LonMessage& request, Service service,
                      std::vector<std::uint8_t> apdu) const;

  SimNodeConfig config_;
  SteadyTime start_;
  SteadyTime integrated_until_;
  double energy_wh_exact_;
  bool relay_closed_ = true;
  SimNodeStats stats_;
  // Duplicate detection: (source subnet/node, service class) -> last tid and its reply.
  struct Remembered {
    std::uint8_t tid;
    std::optional<LonMessage> reply;
  };
  std::map<std::pair<std::uint16_t, int>, Remembered> last_;
};

}  // namespace meterd::lonworks::sim
