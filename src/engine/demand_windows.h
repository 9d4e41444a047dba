// SPDX-License-Identifier: Apache-2.0
// Maximum demand: the energy a meter (or an account's meters together) consumes in fixed
// windows, as average power per window. Windows are aligned to a local midnight (the grid's
// anchor), so with a length that divides an hour every local day starts a window and no
// window straddles two days (a DST change moves the clocks by a whole hour). The Wh of a reading
// are spread evenly over the time since the previous one, as billing spreads an increment
// (pricing.h), so a meter read after an outage gives each window of the gap the gap's average
// power. Pure, loop thread.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace meterd {

// Where windows fall: every `window_ms` from `anchor_ms` (a local midnight), both ways.
struct DemandGrid {
  std::int64_t window_ms = 900'000;  // 15 min
  std::int64_t anchor_ms = 0;
  std::int64_t start_of(std::int64_t t_ms) const;
};

struct WindowDemand {
  std::int64_t start_ms = 0;
  std::int64_t w = 0;  // average power: Wh in the window * 3600 s / window length, floored
};

class DemandWindows {
 public:
  // Adds `wh` consumed over [from_ms, to_ms); `to_ms <= from_ms` puts it all at to_ms.
  void add(const DemandGrid& grid, std::int64_t from_ms, std::int64_t to_ms, std::int64_t wh);
  // Removes and returns, in time order, the windows that end at or before `t_ms`.
  std::vector<WindowDemand> close_through(const DemandGrid& grid, std::int64_t t_ms);
  bool empty() const { return wh_by_start_.empty(); }

 private:
  std::map<std::int64_t, std::int64_t> wh_by_start_;  // window start (unix ms) -> Wh
};

// The highest window of one local day already handed to the rollups (0 W: none). A window
// that does not beat it (lower, or as high and not earlier) leaves the day's row as it is,
// since the rollups keep the highest window and the earlier of two that tie, so it is not
// written again: after the first hours of a day most readings add no demand row. Forgotten at
// a restart, which only writes a window again.
struct DemandPeak {
  std::int32_t day = 0;  // yyyymmdd
  std::int64_t w = 0;
  std::int64_t start_ms = 0;
};

// A meter's demand windows and the energy reading they continue from: the billed reading at
// start (gateway billing), else the first reading; one after an energy reversal is a new
// baseline.
struct MeterDemand {
  bool has_last = false;
  std::int64_t last_wh = 0;
  std::int64_t last_ms = 0;
  DemandWindows windows;
  DemandPeak peak;
};

}  // namespace meterd
