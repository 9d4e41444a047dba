// SPDX-License-Identifier: Apache-2.0
// A simulated PROFIBUS energy meter: a SimSlave whose input image is filled through a meter
// profile (the same point map the driver decodes) from a small load model: energy grows with
// power over time; the profile's relay_open action, seen in the output image, opens the
// relay and stops consumption. Faults a test can set per meter: silent, a restart after N
// exchanges (power cycle: parameters and outputs lost), a configuration that differs from the
// profile's, an extended diagnosis, garbage before replies, a bad FCS every Nth reply.
// Pure apart from the time it is handed; one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "profibus/driver/profile.h"
#include "profibus/sim/sim_slave.h"

namespace meterd::profibus {

struct SimMeterFaults {
  bool silent = false;
  std::uint64_t restart_after = 0;  // data exchanges; 0 = never
  bool cfg_mismatch = false;        // the slave is built with one more module byte
  std::vector<std::uint8_t> ext_diag;
  bool garbage = false;             // noise bytes before every reply
  std::uint64_t bad_fcs_every = 0;  // every Nth reply carries a wrong FCS; 0 = never
};

struct SimMeterSpec {
  std::uint8_t address = 0;
  std::shared_ptr<const Profile> profile;
  double energy_wh = 1'000'000;
  double power_w = 1000;
  double voltage_v = 230;
  SimMeterFaults faults;
};

class SimMeter {
 public:
  using Clock = SimSlave::Clock;
  explicit SimMeter(SimMeterSpec spec);
  SimMeter(const SimMeter&) = delete;  // the slave's output hook points here
  SimMeter& operator=(const SimMeter&) = delete;

  // Reply bytes for a request telegram, or nothing; `now` drives the load and the watchdog.
  std::optional<std::vector<std::uint8_t>> handle(const Telegram& request, Clock::time_point now);

  bool relay_closed() const;
  double energy_wh() const { return energy_wh_; }
  SimSlave& slave() { return slave_; }
  const SimMeterSpec& spec() const { return spec_; }
  std::uint64_t restarts() const { return restarts_; }

 private:
  void update_inputs(Clock::time_point now);

  SimMeterSpec spec_;
  SimSlave slave_;
  double energy_wh_;
  std::optional<Clock::time_point> last_update_;
  Clock::time_point now_{};
  std::uint64_t replies_ = 0;
  std::uint64_t exchanges_at_restart_ = 0;
  std::uint64_t restarts_ = 0;
};

}  // namespace meterd::profibus
