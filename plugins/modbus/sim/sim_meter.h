// SPDX-License-Identifier: Apache-2.0
// One simulated Modbus meter: register maps driven by a profile. Its state (energy, load
// curve, relay, balance, purchase count, price) is encoded into the registers the profile
// maps before every read; writes land in the holding registers and are interpreted through
// the profile's actions (relay literals open/close the relay, arguments such as balance,
// purchase_count and price_per_kwh are decoded back). Not thread-safe: the line server owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "modbus/codec/frame.h"
#include "modbus/driver/profile.h"

namespace meterd::modbus::sim {

struct SimMeterParams {
  std::uint8_t unit = 1;
  double base_load_w = 800;
  std::int64_t initial_energy_wh = 100'000;
  std::int64_t balance = 500'000;  // 1/10000 units
  std::int64_t purchase_count = 1;
  std::int64_t price_per_kwh = 6'000;
  bool frozen = false;  // state stays at its initial values (tests compare exactly)
  // A relay stuck in this state (a welded contact, a meter in local keep-power mode): it
  // starts there, and relay writes are acknowledged but change nothing.
  std::optional<bool> relay_stuck_closed;
};

// The canonical state the registers encode.
struct SimState {
  double energy_wh = 0;  // fractional Wh accumulate; registers show the floor
  double power_w = 0;
  bool relay_closed = true;
  std::int64_t balance = 0;
  std::int64_t purchase_count = 0;
  std::int64_t price_per_kwh = 0;
  double voltage = 230.0;
};

class SimMeter {
 public:
  SimMeter(std::shared_ptr<const Profile> profile, SimMeterParams params);

  std::uint8_t unit() const { return params_.unit; }
  const SimState& state() const { return state_; }
  // When each relay_open/relay_close write (as the profile's actions spell them) arrived.
  const std::vector<std::chrono::steady_clock::time_point>& relay_writes() const {
    return relay_writes_;
  }
  // The canonical value of `point` as the registers show it now.
  PointScalar expected(const std::string& point) const;

  // Serves one request (already addressed to this meter or broadcast); returns the reply PDU.
  std::vector<std::uint8_t> serve(const Request& request,
                                  std::chrono::steady_clock::time_point now);

 private:
  void advance(std::chrono::steady_clock::time_point now);
  void encode();
  void apply_write(const Request& request, std::chrono::steady_clock::time_point now);
  PointScalar canonical(const PointMap& point) const;

  std::shared_ptr<const Profile> profile_;
  SimMeterParams params_;
  SimState state_;
  std::chrono::steady_clock::time_point last_{};
  std::vector<std::uint16_t> holding_;
  std::vector<std::uint16_t> input_;
  std::vector<std::chrono::steady_clock::time_point> relay_writes_;
};

}  // namespace meterd::modbus::sim
