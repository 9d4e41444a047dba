// SPDX-License-Identifier: Apache-2.0
#include "sim/sim/sim_meter.h"

#include <algorithm>
#include <cmath>

#include "sim/sim/local_clock.h"
#include "sim/sim/seeded_hash.h"

namespace meterd::sim {
namespace {

constexpr std::int64_t kWmsPerWh = 3'600'000;

// A real meter reports analogs at its register resolution (0.1 V, 0.01 A, 0.001 PF ...):
// `steps_per_unit` 10, 100, 1000. Dividing the whole register by it rounds once, so the
// double is the one nearest 232.7 and its JSON is `232.7`; 2327 * 0.1 is 232.70000000000002.
PointScalar at_resolution(double value, double steps_per_unit) {
  return PointScalar{std::round(value * steps_per_unit) / steps_per_unit};
}

Result<PointScalar> not_supported(const std::string& point) {
  return make_error(ErrorKind::kNotSupported, "sim meter has no point '" + point + "'");
}

}  // namespace

std::int64_t default_base_load_w(std::uint64_t seed, std::size_t index) {
  return 200 + static_cast<std::int64_t>(mix(seed, index * 2 + 1) % 2801);
}

std::int64_t default_initial_energy_wh(std::uint64_t seed, std::size_t index) {
  return 1'000 + static_cast<std::int64_t>(mix(seed, index * 2 + 2) % 5'000'000);
}

std::uint64_t meter_key(std::uint64_t seed, std::size_t index) {
  return mix(seed, 0x51a0000ULL + index);
}

TouBand band_of_hour(int h) {
  if (h >= 19 && h < 21) return TouBand::kSharp;
  if ((h >= 8 && h < 11) || h == 18 || (h >= 21 && h < 23)) return TouBand::kPeak;
  if (h == 7 || (h >= 11 && h < 18)) return TouBand::kFlat;
  return TouBand::kValley;
}

SimMeter::SimMeter(const SimMeterParams& params, WallTime wall_now, SteadyTime steady_now,
                   WallTime start)
    : params_(params),
      key_(meter_key(params.seed, params.index)),
      base_(params.base_load_w, key_),
      start_(start),
      phase_share_a_(0.30 + 0.10 * unit(mix(key_, 3))),
      phase_share_b_(0.28 + 0.10 * unit(mix(key_, 4))),
      last_wall_(wall_now),
      last_steady_(steady_now) {
  state_.energy_wh = params.initial_energy_wh;
  state_.balance = params.balance;
  state_.price_per_kwh = params.price_per_kwh;
  // The initial reading is not split by band; count it as flat so the bands sum to the total.
  state_.band_wh[static_cast<int>(TouBand::kFlat)] = state_.energy_wh;
  load_ = load_at(wall_now);
}

SimMeter::Load SimMeter::load_at(WallTime t) const {
  const double base_w = base_.power_w(t);
  const ApplianceLoad appliances = appliance_load(params_.appliances, t, start_);
  return Load{base_w + appliances.power_w,
              base_w * std::tan(std::acos(base_.pf(t))) + appliances.reactive_var};
}

void SimMeter::advance(WallTime wall_now, SteadyTime steady_now) {
  const std::int64_t span_ms =
      std::chrono::duration_cast<Millis>(steady_now - last_steady_).count();
  if (span_ms > 0) {
    integrate(wall_now - Millis(span_ms), span_ms);
    last_steady_ += Millis(span_ms);  // the sub-millisecond rest counts next time
  }
  last_wall_ = wall_now;
  load_ = state_.relay_closed ? load_at(wall_now) : Load{};
}

// Walks the span in steps that end on wall-clock minute boundaries and appliance switchings,
// so the power follows the curve and the appliances, and each step's energy lands in the TOU
// band of its own hour.
void SimMeter::integrate(WallTime from, std::int64_t span_ms) {
  WallTime t = from;
  std::int64_t remaining = span_ms;
  while (remaining > 0) {
    WallTime step_end = std::min(next_minute(t), t + Millis(remaining));
    if (auto change = next_switching(params_.appliances, t, start_)) {
      step_end = std::min(step_end, *change);
    }
    const std::int64_t step =
        std::max<std::int64_t>(1, std::chrono::duration_cast<Millis>(step_end - t).count());
    const auto band = band_of_hour(local_time(t).tm_hour);
    consume(state_.relay_closed ? load_at(t).power_w : 0, std::min(step, remaining), band);
    t += Millis(step);
    remaining -= step;
  }
}

void SimMeter::consume(double power_w, std::int64_t ms, TouBand band) {
  state_.carry_wms += std::llround(power_w) * ms;
  const std::int64_t wh = state_.carry_wms / kWmsPerWh;
  if (wh == 0) return;
  state_.carry_wms -= wh * kWmsPerWh;
  state_.energy_wh += wh;
  state_.band_wh[static_cast<int>(band)] += wh;
  if (state_.balance) {
    // price is per kWh in 1/10000 units: a Wh costs price/1000; carry the remainder.
    state_.cost_carry += wh * state_.price_per_kwh;
    *state_.balance -= state_.cost_carry / 1000;
    state_.cost_carry %= 1000;
  }
}

void SimMeter::restore(const MeterState& state, WallTime saved, WallTime now, SteadyTime steady_now,
                       Millis max_catch_up) {
  const std::optional<std::int64_t> configured_balance = state_.balance;
  state_ = state;
  // A meter configured without a meter-side balance has none, whatever it once had.
  if (!configured_balance) state_.balance.reset();
  if (configured_balance && !state.balance) state_.balance = configured_balance;
  const std::int64_t away_ms = std::chrono::duration_cast<Millis>(now - saved).count();
  const std::int64_t catch_up = std::clamp<std::int64_t>(away_ms, 0, max_catch_up.count());
  if (catch_up > 0) integrate(now - Millis(catch_up), catch_up);
  last_wall_ = now;
  last_steady_ = steady_now;
  load_ = state_.relay_closed ? load_at(now) : Load{};
}

MeterState SimMeter::state() const { return state_; }

Status SimMeter::recharge(std::int64_t amount, std::int64_t purchase_count) {
  if (!state_.balance) {
    return make_error(ErrorKind::kNotSupported, "meter-side balance is not enabled");
  }
  if (amount <= 0) return make_error(ErrorKind::kInvalidArgument, "amount must be positive");
  if (purchase_count == state_.purchase_count)
    return Ok{};  // applied before (e.g. ahead of a crash)
  if (purchase_count != state_.purchase_count + 1) {
    return make_error(ErrorKind::kRejected, "purchase_count " + std::to_string(purchase_count) +
                                                " is not the next count (meter is at " +
                                                std::to_string(state_.purchase_count) + ")");
  }
  *state_.balance += amount;
  state_.purchase_count = purchase_count;
  return Ok{};
}

Result<PointScalar> SimMeter::value(const std::string& point) const {
  const std::uint64_t minute =
      static_cast<std::uint64_t>(floor_div(to_unix_ms(last_wall_), kMsPerMinute));
  auto voltage = [&](std::uint64_t phase) {
    return 230.0 + 6.0 * (unit(mix(key_ ^ (phase << 56), minute)) - 0.5);
  };
  const double p = std::round(load_.power_w);
  const double q = std::round(load_.reactive_var);
  const double s = std::hypot(p, q);
  const bool single = params_.phases == 1;
  const double share_a = single ? 1.0 : phase_share_a_;
  const double share_b = phase_share_b_;
  const double share_c = 1.0 - phase_share_a_ - phase_share_b_;
  const auto& band = state_.band_wh;

  if (point == "energy_total") return PointScalar{state_.energy_wh};
  if (point == "energy_sharp") return PointScalar{band[0]};
  if (point == "energy_peak") return PointScalar{band[1]};
  if (point == "energy_flat") return PointScalar{band[2]};
  if (point == "energy_valley") return PointScalar{band[3]};
  if (point == "power_total") return PointScalar{p};
  if (point == "reactive_power_total") return PointScalar{q};
  // No load at all (relay open): a meter shows unity.
  if (point == "pf_total") return at_resolution(s > 0 ? p / s : 1.0, 1000);
  if (point == "power_a") return at_resolution(p * share_a, 1);
  if (point == "voltage_a") return at_resolution(voltage(1), 10);
  if (point == "current_a") return at_resolution(s * share_a / voltage(1), 100);
  if (point == "frequency") {
    return at_resolution(50.0 + 0.1 * (unit(mix(key_ ^ 0xf1, minute)) - 0.5), 100);
  }
  if (point == "balance") {
    if (!state_.balance) {
      return make_error(ErrorKind::kNotSupported, "meter-side balance is not enabled");
    }
    return PointScalar{*state_.balance};
  }
  if (point == "purchase_count") return PointScalar{state_.purchase_count};
  if (point == "relay_closed") return PointScalar{state_.relay_closed};
  if (point == "alarm_low_1" || point == "alarm_low_2") return PointScalar{false};
  if (single) return not_supported(point);  // a single-phase meter has no phases b and c
  if (point == "power_b") return at_resolution(p * share_b, 1);
  if (point == "power_c") return at_resolution(p * share_c, 1);
  if (point == "voltage_b") return at_resolution(voltage(2), 10);
  if (point == "voltage_c") return at_resolution(voltage(3), 10);
  if (point == "current_b") return at_resolution(s * share_b / voltage(2), 100);
  if (point == "current_c") return at_resolution(s * share_c / voltage(3), 100);
  return not_supported(point);
}

}  // namespace meterd::sim
