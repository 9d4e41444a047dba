// SPDX-License-Identifier: Apache-2.0
// One simulated electricity meter: a base load plus appliances that switch on and off, each
// with its own power factor, summed as active and reactive power so power, power factor and
// current agree; energy integrated from the clock (split into TOU bands), an optional
// meter-side prepaid balance, a latching relay and a purchase counter. Pure model: no I/O, no
// sleeping; time is passed in. Used by the bus thread only (one SimDriver owns its meters).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/point.h"
#include "core/result.h"
#include "sim/sim/appliance.h"
#include "sim/sim/base_load.h"
#include "sim/sim/meter_state.h"

namespace meterd::sim {

struct SimMeterParams {
  std::uint64_t seed = 1;
  std::size_t index = 0;  // position on the bus: varies the curve between meters
  std::int64_t base_load_w = 1000;
  std::int64_t initial_energy_wh = 0;
  std::optional<std::int64_t> balance;  // 1/10000 units; set = meter-side balance
  std::int64_t price_per_kwh = 10'000;  // 1/10000 units per kWh
  int phases = 3;                       // 1: everything on phase a
  std::vector<Appliance> appliances;
};

// Defaults derived from the seed and the meter's index, so an unconfigured bus still has
// meters that differ from one another.
std::int64_t default_base_load_w(std::uint64_t seed, std::size_t index);  // 200..3000
std::int64_t default_initial_energy_wh(std::uint64_t seed, std::size_t index);
// The key of a meter's randomness (curve, noise, random appliance use).
std::uint64_t meter_key(std::uint64_t seed, std::size_t index);

enum class TouBand { kSharp = 0, kPeak = 1, kFlat = 2, kValley = 3 };
// sharp 19-21; peak 8-11, 18-19, 21-23; flat 7-8, 11-18; valley 23-7 (local hours).
TouBand band_of_hour(int local_hour);

class SimMeter {
 public:
  // `start` is when the simulated world began: relative appliance schedules count from it.
  SimMeter(const SimMeterParams& params, WallTime wall_now, SteadyTime steady_now, WallTime start);

  // Integrates consumption up to now (steady time for the span, wall time for the hour).
  void advance(WallTime wall_now, SteadyTime steady_now);
  // The value of `point` as of the last advance(); kNotSupported for unknown points.
  Result<PointScalar> value(const std::string& point) const;

  // Takes over registers and relay saved at `saved` (a restart) and integrates what the room
  // drew from `saved` to `now`, at most `max_catch_up` of it, as a real meter kept counting
  // while the gateway was away.
  void restore(const MeterState& state, WallTime saved, WallTime now, SteadyTime steady_now,
               Millis max_catch_up);
  MeterState state() const;

  bool relay_closed() const { return state_.relay_closed; }
  void set_relay(bool closed) { state_.relay_closed = closed; }
  // Applies a recharge only when `purchase_count` is the next count (the idempotency key).
  Status recharge(std::int64_t amount, std::int64_t purchase_count);
  void set_price(std::int64_t price_per_kwh) { state_.price_per_kwh = price_per_kwh; }
  std::int64_t energy_wh() const { return state_.energy_wh; }

 private:
  struct Load {
    double power_w = 0;
    double reactive_var = 0;
  };
  // What the room draws at `t` with the relay closed.
  Load load_at(WallTime t) const;
  void integrate(WallTime from, std::int64_t span_ms);
  void consume(double power_w, std::int64_t ms, TouBand band);

  SimMeterParams params_;
  std::uint64_t key_;
  BaseLoad base_;
  WallTime start_;
  double phase_share_a_;
  double phase_share_b_;

  MeterState state_;
  WallTime last_wall_;
  SteadyTime last_steady_;
  Load load_;  // at the last advance, zero while the relay is open
};

}  // namespace meterd::sim
