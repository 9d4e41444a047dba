// SPDX-License-Identifier: Apache-2.0
// The base load of a simulated room (lights, standby, a fridge on average): a day/night curve
// shifted and scaled per meter, with a little noise per minute, and its power factor. A pure
// function of the wall time and the meter's key; any thread.
#pragma once

#include <cstdint>

#include "core/clock.h"

namespace meterd::sim {

class BaseLoad {
 public:
  BaseLoad(std::int64_t nominal_w, std::uint64_t meter_key);
  // Active power in W at wall time `t`.
  double power_w(WallTime t) const;
  // Its power factor at `t`: 0.93..0.97, varying by the minute.
  double pf(WallTime t) const;

 private:
  std::int64_t nominal_w_;
  std::uint64_t key_;
  int shift_minutes_;  // the room's daily routine runs a little early or late
  double amplitude_;
};

}  // namespace meterd::sim
