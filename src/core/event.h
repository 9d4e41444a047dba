// SPDX-License-Identifier: Apache-2.0
// Events: things that happened that the cloud must hear about (meter_offline, cut_off,
// store_eviction ...). Stored forever in the events table and delivered through the outbox.
#pragma once

#include <cstdint>
#include <string>

#include "core/clock.h"

namespace meterd {

struct Event {
  std::string type;      // "meter_offline", "meter_online", "store_eviction", "config_rejected"
  std::string meter_id;  // empty for gateway-level events
  WallTime time;
  std::string details_json = "{}";  // a JSON object with type-specific fields
};

}  // namespace meterd
