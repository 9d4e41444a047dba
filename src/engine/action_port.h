// SPDX-License-Identifier: Apache-2.0
// Where the engine's relay and recharge actions go: the bus of the meter. Loop thread.
#pragma once

#include <functional>
#include <string>

#include "core/driver.h"

namespace meterd {

// `done` must run on the loop.
class ActionPort {
 public:
  virtual ~ActionPort() = default;
  virtual void submit(const std::string& meter_id, Action action,
                      std::function<void(Result<MeterReading>)> done) = 0;
};

}  // namespace meterd
