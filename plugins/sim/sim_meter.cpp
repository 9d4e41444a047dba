#include "sim_meter.h"

#include <cmath>
#include <ctime>

namespace meterd::sim {
namespace {

constexpr std::int64_t kWmsPerWh = 3'600'000;
constexpr std::int64_t kMsPerMinute = 60'000;

// Share of the base load by local hour: low at night, a morning peak, a dip in the afternoon
// and the evening peak (cooking, lighting, heating).
constexpr std::array<double, 24> kDayProfile = {0.35, 0.30, 0.28, 0.27, 0.28, 0.35, 0.60, 0.95,
                                                1.00, 0.85, 0.75, 0.70, 0.80, 0.70, 0.65, 0.65,
                                                0.70, 0.90, 1.25, 1.40, 1.35, 1.10, 0.75, 0.50};

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) { return mix(a ^ mix(b)); }

// A deterministic number in [0, 1).
double unit(std::uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

std::tm local_time(WallTime t) {
  const std::time_t secs = static_cast<std::time_t>(floor_div(to_unix_ms(t), 1000));
  std::tm tm{};
  localtime_r(&secs, &tm);
  return tm;
}

std::uint64_t minute_index(WallTime t) {
  return static_cast<std::uint64_t>(floor_div(to_unix_ms(t), kMsPerMinute));
}

}  // namespace

std::int64_t default_base_load_w(std::uint64_t seed, std::size_t index) {
  return 200 + static_cast<std::int64_t>(mix(seed, index * 2 + 1) % 2801);
}

std::int64_t default_initial_energy_wh(std::uint64_t seed, std::size_t index) {
  return 1'000 + static_cast<std::int64_t>(mix(seed, index * 2 + 2) % 5'000'000);
}

TouBand band_of_hour(int h) {
  if (h >= 19 && h < 21) return TouBand::kSharp;
  if ((h >= 8 && h < 11) || h == 18 || (h >= 21 && h < 23)) return TouBand::kPeak;
  if (h == 7 || (h >= 11 && h < 18)) return TouBand::kFlat;
  return TouBand::kValley;
}

SimMeter::SimMeter(const SimMeterParams& params, WallTime wall_now, SteadyTime steady_now)
    : params_(params),
      meter_key_(mix(params.seed, 0x51a0000ULL + params.index)),
      shift_minutes_(static_cast<int>(mix(meter_key_, 1) % 91) - 45),
      amplitude_(0.85 + 0.30 * unit(mix(meter_key_, 2))),
      phase_share_a_(0.30 + 0.10 * unit(mix(meter_key_, 3))),
      phase_share_b_(0.28 + 0.10 * unit(mix(meter_key_, 4))),
      energy_wh_(params.initial_energy_wh),
      balance_(params.balance),
      price_per_kwh_(params.price_per_kwh),
      last_wall_(wall_now),
      last_steady_(steady_now),
      power_w_(load_w(wall_now)) {
  // The initial reading is not split by band; count it as flat so the bands sum to the total.
  band_wh_[static_cast<int>(TouBand::kFlat)] = energy_wh_;
}

std::int64_t SimMeter::load_w(WallTime t) const {
  const std::tm tm = local_time(t);
  int minute_of_day = (tm.tm_hour * 60 + tm.tm_min + shift_minutes_ + 1440) % 1440;
  const int hour = minute_of_day / 60;
  const double frac = (minute_of_day % 60) / 60.0;
  const double shape = kDayProfile[hour] * (1 - frac) + kDayProfile[(hour + 1) % 24] * frac;
  const double noise = 1.0 + 0.12 * (unit(mix(meter_key_, minute_index(t))) - 0.5);
  return std::llround(static_cast<double>(params_.base_load_w) * shape * amplitude_ * noise);
}

void SimMeter::advance(WallTime wall_now, SteadyTime steady_now) {
  const std::int64_t span_ms =
      std::chrono::duration_cast<Millis>(steady_now - last_steady_).count();
  if (span_ms > 0) {
    // Walk the span in steps that end on wall-clock minute boundaries, so the power follows
    // the curve and each step's energy lands in the TOU band of its own hour.
    WallTime t = wall_now - Millis(span_ms);
    std::int64_t remaining = span_ms;
    while (remaining > 0) {
      const std::int64_t into_minute =
          to_unix_ms(t) - floor_div(to_unix_ms(t), kMsPerMinute) * kMsPerMinute;
      const std::int64_t step = std::min(remaining, kMsPerMinute - into_minute);
      const auto band = band_of_hour(local_time(t).tm_hour);
      consume(relay_closed_ ? load_w(t) : 0, step, band);
      t += Millis(step);
      remaining -= step;
    }
    last_steady_ += Millis(span_ms);  // the sub-millisecond rest counts next time
  }
  last_wall_ = wall_now;
  power_w_ = relay_closed_ ? load_w(wall_now) : 0;
}

void SimMeter::consume(std::int64_t power_w, std::int64_t ms, TouBand band) {
  carry_wms_ += power_w * ms;
  const std::int64_t wh = carry_wms_ / kWmsPerWh;
  if (wh == 0) return;
  carry_wms_ -= wh * kWmsPerWh;
  energy_wh_ += wh;
  band_wh_[static_cast<int>(band)] += wh;
  if (balance_) {
    // price is per kWh in 1/10000 units: a Wh costs price/1000; carry the remainder.
    cost_carry_ += wh * price_per_kwh_;
    *balance_ -= cost_carry_ / 1000;
    cost_carry_ %= 1000;
  }
}

Status SimMeter::recharge(std::int64_t amount, std::int64_t purchase_count) {
  if (!balance_) return make_error(ErrorKind::kNotSupported, "meter-side balance is not enabled");
  if (amount <= 0) return make_error(ErrorKind::kInvalidArgument, "amount must be positive");
  if (purchase_count == purchase_count_) return Ok{};  // applied before (e.g. ahead of a crash)
  if (purchase_count != purchase_count_ + 1) {
    return make_error(ErrorKind::kRejected, "purchase_count " + std::to_string(purchase_count) +
                                                " is not the next count (meter is at " +
                                                std::to_string(purchase_count_) + ")");
  }
  *balance_ += amount;
  purchase_count_ = purchase_count;
  return Ok{};
}

namespace {

// A real meter reports analogs at its register resolution (0.1 V, 0.01 A, 0.001 PF ...).
PointScalar at_resolution(double value, double step) {
  return PointScalar{std::round(value / step) * step};
}

}  // namespace

Result<PointScalar> SimMeter::value(const std::string& point) const {
  const double power = static_cast<double>(power_w_);
  const std::uint64_t minute = minute_index(last_wall_);
  auto voltage = [&](std::uint64_t phase) {
    return 230.0 + 6.0 * (unit(mix(meter_key_ ^ (phase << 56), minute)) - 0.5);
  };
  const double pf = 0.93 + 0.04 * unit(mix(meter_key_ ^ 0xf0, minute));
  const double share_c = 1.0 - phase_share_a_ - phase_share_b_;

  if (point == "energy_total") return PointScalar{energy_wh_};
  if (point == "energy_sharp") return PointScalar{band_wh_[0]};
  if (point == "energy_peak") return PointScalar{band_wh_[1]};
  if (point == "energy_flat") return PointScalar{band_wh_[2]};
  if (point == "energy_valley") return PointScalar{band_wh_[3]};
  if (point == "power_total") return PointScalar{power};
  if (point == "power_a") return at_resolution(power * phase_share_a_, 1.0);
  if (point == "power_b") return at_resolution(power * phase_share_b_, 1.0);
  if (point == "power_c") return at_resolution(power * share_c, 1.0);
  if (point == "voltage_a") return at_resolution(voltage(1), 0.1);
  if (point == "voltage_b") return at_resolution(voltage(2), 0.1);
  if (point == "voltage_c") return at_resolution(voltage(3), 0.1);
  if (point == "current_a") return at_resolution(power * phase_share_a_ / voltage(1), 0.01);
  if (point == "current_b") return at_resolution(power * phase_share_b_ / voltage(2), 0.01);
  if (point == "current_c") return at_resolution(power * share_c / voltage(3), 0.01);
  if (point == "pf_total") return at_resolution(pf, 0.001);
  if (point == "reactive_power_total") {
    return at_resolution(power * std::tan(std::acos(pf)), 1.0);
  }
  if (point == "frequency") {
    return at_resolution(50.0 + 0.1 * (unit(mix(meter_key_ ^ 0xf1, minute)) - 0.5), 0.01);
  }
  if (point == "balance") {
    if (!balance_) {
      return make_error(ErrorKind::kNotSupported, "meter-side balance is not enabled");
    }
    return PointScalar{*balance_};
  }
  if (point == "purchase_count") return PointScalar{purchase_count_};
  if (point == "relay_closed") return PointScalar{relay_closed_};
  if (point == "alarm_low_1" || point == "alarm_low_2") return PointScalar{false};
  return make_error(ErrorKind::kNotSupported, "sim meter has no point '" + point + "'");
}

}  // namespace meterd::sim
