// SPDX-License-Identifier: Apache-2.0
// When one appliance runs: a schedule of on-periods and/or a seeded random process, each a
// pure function of the wall time (and of the simulation's start for relative periods), so the
// same seed gives the same switchings in virtual time, in real time and across restarts.
// Any thread (immutable after construction).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/clock.h"

namespace meterd::sim {

// On for `duration` starting `after` the simulation's start; again every `every` if set
// (duration < every).
struct RelativePeriod {
  Millis after{0};
  Millis duration{0};
  std::optional<Millis> every;
};

// On every day from `from_minute` to `to_minute` (local minutes of the day, 0..1440); a `to`
// not after `from` runs past midnight.
struct DailyWindow {
  int from_minute = 0;
  int to_minute = 0;
};

// In each period of `every` (counted from the Unix epoch), with probability `chance`, on once
// at a random moment for a random time in [min_for, max_for] (max_for <= every), inside the
// period. Whole seconds.
struct RandomUse {
  Millis every{3'600'000};
  double chance = 0.5;
  Millis min_for{60'000};
  Millis max_for{300'000};
};

class Switching {
 public:
  Switching() = default;
  Switching(std::vector<RelativePeriod> periods, std::vector<DailyWindow> daily,
            std::optional<RandomUse> random, std::uint64_t key);

  bool on_at(WallTime t, WallTime start) const;
  // The earliest time after `t` at which on_at may change other than at a whole local minute
  // (daily windows switch on minutes, and the meter steps on minutes anyway); nullopt: none.
  std::optional<WallTime> next_change(WallTime t, WallTime start) const;
  bool empty() const { return periods_.empty() && daily_.empty() && !random_; }

 private:
  struct Run {
    std::int64_t begin_ms;
    std::int64_t end_ms;
  };
  // The random run in period `index`, if the dice say it runs.
  std::optional<Run> random_run(std::int64_t index) const;

  std::vector<RelativePeriod> periods_;
  std::vector<DailyWindow> daily_;
  std::optional<RandomUse> random_;
  std::uint64_t key_ = 0;
};

}  // namespace meterd::sim
