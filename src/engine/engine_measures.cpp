// SPDX-License-Identifier: Apache-2.0
// Statistics that come from readings and meter states rather than from billing: maximum
// demand (demand_windows.h), the range of polled phase voltages and the time a meter was
// offline. Each lands in the rollups as a UsageDelta that rides with the next store write
// (write_to_store), which is at the latest the close of the period it belongs to.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "engine/engine_impl.h"
#include "engine/local_time.h"

namespace meterd {
namespace {

constexpr const char* kVoltagePoints[] = {"voltage", "voltage_a", "voltage_b", "voltage_c"};

// Whether `window` of local day `day` changes the day's maximum demand beyond `peak`, which
// then moves to it. The newest day's peak is kept; a window of an earlier day (a meter that
// was silent while the account's windows closed) is written without it.
bool raises_peak(DemandPeak& peak, std::int32_t day, const WindowDemand& window) {
  if (day < peak.day) return true;
  if (day > peak.day) peak = DemandPeak{day, 0, 0};
  if (window.w < peak.w || (window.w == peak.w && window.start_ms >= peak.start_ms)) return false;
  peak.w = window.w;
  peak.start_ms = window.start_ms;
  return true;
}

// The highest demand of each local day among `closed` that raises `peak`, as figures of that
// day.
std::map<std::int32_t, UsageFigures> demand_by_day(const std::vector<WindowDemand>& closed,
                                                   LocalZone zone, DemandPeak& peak) {
  std::map<std::int32_t, UsageFigures> days;
  for (const WindowDemand& window : closed) {
    if (window.w <= 0) continue;
    const std::int32_t day = local_day_key(WallTime{Millis(window.start_ms)}, zone);
    if (!raises_peak(peak, day, window)) continue;
    UsageFigures figures;
    figures.demand_w = window.w;
    figures.demand_at_ms = window.start_ms;
    days[day] += figures;
  }
  return days;
}

}  // namespace

void Engine::Impl::observe_measures(AccountRuntime& account, MeterRuntime& meter,
                                    const MeterPolled& polled) {
  if (std::optional<std::int64_t> energy = integer_point(polled.reading, "energy_total")) {
    observe_demand(account, meter, *energy, to_unix_ms(polled.time));
  }
  observe_voltage(meter, polled);
}

void Engine::Impl::observe_demand(AccountRuntime& account, MeterRuntime& meter,
                                  std::int64_t energy_wh, std::int64_t time_ms) {
  MeterDemand& demand = meter.demand;
  const DemandGrid& grid = demand_grid_;
  const std::int64_t window = grid.window_ms;
  if (demand.has_last && time_ms <= demand.last_ms) return;  // out of order: nothing new
  if (demand.has_last && energy_wh >= demand.last_wh) {
    const std::int64_t wh = energy_wh - demand.last_wh;
    demand.windows.add(grid, demand.last_ms, time_ms, wh);
    account.demand.add(grid, demand.last_ms, time_ms, wh);
  }
  // The first reading, and one after a reversal, is the baseline.
  demand.has_last = true;
  demand.last_wh = energy_wh;
  demand.last_ms = time_ms;
  for (auto& [day, figures] :
       demand_by_day(demand.windows.close_through(grid, time_ms), config_.zone, demand.peak)) {
    usage_counts_.push_back(UsageDelta{meter.meter_id, "", day, figures});
  }
  // The account's window closes once each of its meters has been read past it, or a window
  // after the newest reading (a meter that stays silent holds it back no longer).
  std::int64_t oldest = time_ms;
  std::int64_t newest = time_ms;
  for (const std::string& id : account.meters) {
    auto found = meters_.find(id);
    if (found == meters_.end() || !found->second.demand.has_last) continue;
    oldest = std::min(oldest, found->second.demand.last_ms);
    newest = std::max(newest, found->second.demand.last_ms);
  }
  const std::int64_t through = std::max(oldest, newest - window);
  for (auto& [day, figures] : demand_by_day(account.demand.close_through(grid, through),
                                            config_.zone, account.demand_peak)) {
    usage_counts_.push_back(UsageDelta{"", account.id, day, figures});
  }
}

void Engine::Impl::observe_voltage(MeterRuntime& meter, const MeterPolled& polled) {
  std::int64_t low = 0;
  std::int64_t high = 0;
  for (const char* name : kVoltagePoints) {
    std::optional<double> volts = analog_point(polled.reading, name);
    // A phase that reads 0 V (or nonsense) is taken as not connected.
    if (!volts || !std::isfinite(*volts) || *volts <= 0 || *volts > 1e6) continue;
    const auto dv = std::max<std::int64_t>(1, std::llround(*volts * 10.0));
    low = low == 0 ? dv : std::min(low, dv);
    high = std::max(high, dv);
  }
  if (high == 0) return;
  VoltageRange& range = meter.voltage;
  const std::int32_t day = local_day(polled.time);
  if (range.day != day) range = VoltageRange{day, 0, 0};
  // Only a widened range is written: a steady supply costs nothing after the first readings.
  if (range.min_dv != 0 && low >= range.min_dv && high <= range.max_dv) return;
  range.min_dv = range.min_dv == 0 ? low : std::min(range.min_dv, low);
  range.max_dv = std::max(range.max_dv, high);
  UsageDelta delta{meter.meter_id, "", day, {}};
  delta.figures.voltage_min_dv = range.min_dv;
  delta.figures.voltage_max_dv = range.max_dv;
  usage_counts_.push_back(std::move(delta));
}

void Engine::Impl::on_meter_state(const std::string& meter_id, bool online, WallTime time) {
  auto found = meters_.find(meter_id);
  if (stopped_ || found == meters_.end()) return;
  MeterRuntime& meter = found->second;
  if (!online) {
    if (!meter.offline_since) meter.offline_since = time;
    return;
  }
  if (meter.offline_since) add_offline(meter, time);
  meter.offline_since.reset();
}

void Engine::Impl::add_offline(MeterRuntime& meter, WallTime until) {
  WallTime from = *meter.offline_since;
  while (from < until) {
    const WallTime day_end = std::min(start_of_next_local_day(from, config_.zone), until);
    UsageDelta delta{meter.meter_id, "", local_day(from), {}};
    delta.figures.offline_ms = to_unix_ms(day_end) - to_unix_ms(from);
    usage_counts_.push_back(std::move(delta));
    from = day_end;
  }
  meter.offline_since = until;
}

void Engine::Impl::flush_offline_days() {
  // The offline time of days that have ended goes to their rows before they close; today's
  // stays open until the meter answers or the day ends.
  const WallTime now = clock_.wall_now();
  const std::int32_t today = local_day(now);
  for (auto& [id, meter] : meters_) {
    if (!meter.offline_since || local_day(*meter.offline_since) == today) continue;
    WallTime today_start = *meter.offline_since;
    while (start_of_next_local_day(today_start, config_.zone) <= now) {
      today_start = start_of_next_local_day(today_start, config_.zone);
    }
    add_offline(meter, today_start);
  }
  if (!usage_counts_.empty()) write_to_store(EngineWrite{});
}

void Engine::Impl::flush_measures() {
  // At stop: the windows still open are closed as they are (a lower bound of their demand;
  // the next start begins from a new baseline) and the offline time so far is counted.
  const std::int64_t all = std::numeric_limits<std::int64_t>::max() - demand_grid_.window_ms;
  for (auto& [id, meter] : meters_) {
    for (auto& [day, figures] : demand_by_day(meter.demand.windows.close_through(demand_grid_, all),
                                              config_.zone, meter.demand.peak)) {
      usage_counts_.push_back(UsageDelta{meter.meter_id, "", day, figures});
    }
    if (meter.offline_since) add_offline(meter, std::max(*meter.offline_since, clock_.wall_now()));
  }
  for (auto& [id, account] : accounts_) {
    for (auto& [day, figures] : demand_by_day(account.demand.close_through(demand_grid_, all),
                                              config_.zone, account.demand_peak)) {
      usage_counts_.push_back(UsageDelta{"", account.id, day, figures});
    }
  }
  if (!usage_counts_.empty()) write_to_store(EngineWrite{});
}

}  // namespace meterd
