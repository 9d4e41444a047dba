// SPDX-License-Identifier: Apache-2.0
#include "engine/demand_windows.h"

namespace meterd {
namespace {

using Wide = __int128;

}  // namespace

std::int64_t DemandGrid::start_of(std::int64_t t_ms) const {
  const std::int64_t since = t_ms - anchor_ms;
  const std::int64_t q = since / window_ms;
  return anchor_ms + (since % window_ms < 0 ? q - 1 : q) * window_ms;
}

void DemandWindows::add(const DemandGrid& grid, std::int64_t from_ms, std::int64_t to_ms,
                        std::int64_t wh) {
  if (wh <= 0) return;
  const std::int64_t window_ms = grid.window_ms;
  if (to_ms <= from_ms) {
    wh_by_start_[grid.start_of(to_ms)] += wh;
    return;
  }
  // Each window gets floor(wh * elapsed at its end / span) minus the same at its start, so
  // the shares add up to `wh` exactly; 128-bit so a long gap cannot overflow.
  const std::int64_t span = to_ms - from_ms;
  std::int64_t given = 0;
  for (std::int64_t start = grid.start_of(from_ms); start < to_ms; start += window_ms) {
    const std::int64_t end = start + window_ms < to_ms ? start + window_ms : to_ms;
    const auto before_end = static_cast<std::int64_t>(Wide{wh} * (end - from_ms) / span);
    if (before_end > given) wh_by_start_[start] += before_end - given;
    given = before_end;
  }
}

std::vector<WindowDemand> DemandWindows::close_through(const DemandGrid& grid, std::int64_t t_ms) {
  const std::int64_t window_ms = grid.window_ms;
  std::vector<WindowDemand> closed;
  auto it = wh_by_start_.begin();
  for (; it != wh_by_start_.end() && it->first + window_ms <= t_ms; ++it) {
    closed.push_back(WindowDemand{it->first, it->second * 3'600'000 / window_ms});
  }
  wh_by_start_.erase(wh_by_start_.begin(), it);
  return closed;
}

}  // namespace meterd
