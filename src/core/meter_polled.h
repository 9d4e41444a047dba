// SPDX-License-Identifier: Apache-2.0
// What a bus worker hands on after a successful poll: the values of one meter's group at one
// time. Consumed by the reading router, the store and the prepaid engine.
#pragma once

#include <string>

#include "core/clock.h"
#include "core/driver.h"

namespace meterd {

struct MeterPolled {
  std::string meter_id;
  std::string group;
  WallTime time;
  MeterReading reading;
};

}  // namespace meterd
