// SPDX-License-Identifier: Apache-2.0
// When the next attempt after `failures` failed ones may go, for relay actions and meter
// recharges alike: relay_retry_min, doubled per failure, at most relay_retry_max. Pure.
#pragma once

#include <algorithm>

#include "core/clock.h"
#include "engine/billing_config.h"

namespace meterd {

inline SteadyTime retry_after(const BillingConfig& config, SteadyTime now, int failures) {
  auto delay = config.relay_retry_min * (1LL << std::clamp(failures - 1, 0, 16));
  return now + std::min<std::chrono::milliseconds>(delay, config.relay_retry_max);
}

}  // namespace meterd
