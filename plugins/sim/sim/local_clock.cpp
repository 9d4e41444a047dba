// SPDX-License-Identifier: Apache-2.0
#include "sim/sim/local_clock.h"

#include "sim/sim/seeded_hash.h"

namespace meterd::sim {

std::tm local_time(WallTime t) {
  const std::time_t secs = static_cast<std::time_t>(floor_div(to_unix_ms(t), 1000));
  std::tm tm{};
  localtime_r(&secs, &tm);
  return tm;
}

int local_minute_of_day(WallTime t) {
  const std::tm tm = local_time(t);
  return tm.tm_hour * 60 + tm.tm_min;
}

WallTime next_minute(WallTime t) {
  const std::int64_t ms = to_unix_ms(t);
  return WallTime{} + Millis((floor_div(ms, kMsPerMinute) + 1) * kMsPerMinute);
}

}  // namespace meterd::sim
