// SPDX-License-Identifier: Apache-2.0
#include "sim/sim/base_load.h"

#include <array>
#include <cmath>

#include "sim/sim/local_clock.h"
#include "sim/sim/seeded_hash.h"

namespace meterd::sim {
namespace {

// Share of the base load by local hour: low at night, a morning peak, a dip in the afternoon
// and the evening peak (cooking, lighting, heating).
constexpr std::array<double, 24> kDayProfile = {0.35, 0.30, 0.28, 0.27, 0.28, 0.35, 0.60, 0.95,
                                                1.00, 0.85, 0.75, 0.70, 0.80, 0.70, 0.65, 0.65,
                                                0.70, 0.90, 1.25, 1.40, 1.35, 1.10, 0.75, 0.50};

std::uint64_t minute_index(WallTime t) {
  return static_cast<std::uint64_t>(floor_div(to_unix_ms(t), kMsPerMinute));
}

}  // namespace

BaseLoad::BaseLoad(std::int64_t nominal_w, std::uint64_t meter_key)
    : nominal_w_(nominal_w),
      key_(meter_key),
      shift_minutes_(static_cast<int>(mix(meter_key, 1) % 91) - 45),
      amplitude_(0.85 + 0.30 * unit(mix(meter_key, 2))) {}

double BaseLoad::power_w(WallTime t) const {
  const int minute_of_day = (local_minute_of_day(t) + shift_minutes_ + 1440) % 1440;
  const int hour = minute_of_day / 60;
  const double frac = (minute_of_day % 60) / 60.0;
  const double shape = kDayProfile[hour] * (1 - frac) + kDayProfile[(hour + 1) % 24] * frac;
  const double noise = 1.0 + 0.12 * (unit(mix(key_, minute_index(t))) - 0.5);
  return static_cast<double>(
      std::llround(static_cast<double>(nominal_w_) * shape * amplitude_ * noise));
}

double BaseLoad::pf(WallTime t) const {
  return 0.93 + 0.04 * unit(mix(key_ ^ 0xf0, minute_index(t)));
}

}  // namespace meterd::sim
