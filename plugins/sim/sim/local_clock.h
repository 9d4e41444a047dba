// SPDX-License-Identifier: Apache-2.0
// The local wall clock of the simulated rooms (the process's time zone, as a real meter's
// clock would be set on site). Pure functions; any thread.
#pragma once

#include <cstdint>
#include <ctime>

#include "core/clock.h"

namespace meterd::sim {

inline constexpr std::int64_t kMsPerMinute = 60'000;

std::tm local_time(WallTime t);
// 0..1439
int local_minute_of_day(WallTime t);
// The first whole wall-clock minute strictly after `t`.
WallTime next_minute(WallTime t);

}  // namespace meterd::sim
