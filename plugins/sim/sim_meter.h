// One simulated electricity meter: a deterministic day/night load curve, energy integrated
// from the clock (split into TOU bands), an optional meter-side prepaid balance, a relay and
// a purchase counter. Pure model: no I/O, no sleeping; time is passed in. Used by the bus
// thread only (one SimDriver owns its meters).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/point.h"
#include "core/result.h"

namespace meterd::sim {

struct SimMeterParams {
  std::uint64_t seed = 1;
  std::size_t index = 0;  // position on the bus: varies the curve between meters
  std::int64_t base_load_w = 1000;
  std::int64_t initial_energy_wh = 0;
  std::optional<std::int64_t> balance;  // 1/10000 units; set = meter-side balance
  std::int64_t price_per_kwh = 10'000;  // 1/10000 units per kWh
};

// Defaults derived from the seed and the meter's index, so an unconfigured bus still has
// meters that differ from one another.
std::int64_t default_base_load_w(std::uint64_t seed, std::size_t index);  // 200..3000
std::int64_t default_initial_energy_wh(std::uint64_t seed, std::size_t index);

enum class TouBand { kSharp = 0, kPeak = 1, kFlat = 2, kValley = 3 };
// sharp 19-21; peak 8-11, 18-19, 21-23; flat 7-8, 11-18; valley 23-7 (local hours).
TouBand band_of_hour(int local_hour);

class SimMeter {
 public:
  SimMeter(const SimMeterParams& params, WallTime wall_now, SteadyTime steady_now);

  // Integrates consumption up to now (steady time for the span, wall time for the hour).
  void advance(WallTime wall_now, SteadyTime steady_now);
  // The value of `point` as of the last advance(); kNotSupported for unknown points.
  Result<PointScalar> value(const std::string& point) const;

  bool relay_closed() const { return relay_closed_; }
  void set_relay(bool closed) { relay_closed_ = closed; }
  // Applies a recharge only when `purchase_count` is the next count (the idempotency key).
  Status recharge(std::int64_t amount, std::int64_t purchase_count);
  void set_price(std::int64_t price_per_kwh) { price_per_kwh_ = price_per_kwh; }
  std::int64_t energy_wh() const { return energy_wh_; }

 private:
  // Active power in W at wall time `t` with the relay closed.
  std::int64_t load_w(WallTime t) const;
  void consume(std::int64_t power_w, std::int64_t ms, TouBand band);

  SimMeterParams params_;
  std::uint64_t meter_key_;  // hash of seed and index: per-meter variation and noise
  int shift_minutes_;        // the meter's daily routine runs a little early or late
  double amplitude_;
  double phase_share_a_;
  double phase_share_b_;

  bool relay_closed_ = true;
  std::int64_t energy_wh_;
  std::array<std::int64_t, 4> band_wh_{};
  std::int64_t carry_wms_ = 0;  // W*ms not yet a whole Wh
  std::optional<std::int64_t> balance_;
  std::int64_t cost_carry_ = 0;  // price*Wh not yet a whole 1/10000 unit (per 1000)
  std::int64_t price_per_kwh_;
  std::int64_t purchase_count_ = 0;

  WallTime last_wall_;
  SteadyTime last_steady_;
  std::int64_t power_w_ = 0;  // at the last advance
};

}  // namespace meterd::sim
