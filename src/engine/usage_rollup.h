// SPDX-License-Identifier: Apache-2.0
// Statistics rollups: the usage of a meter and of an account per local day and local month
// (local as billing reckons it, engine/local_time.h). The engine writes a UsageDelta with the
// ledger deduction it comes from, in the same EngineWrite, so the rollups and the ledger never
// disagree after a crash; the store adds each delta to the day's rows of the meter and of the
// account, and folds a month's rows from its days when the month closes (store/usage_tables.h).
// Plain values, any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tariff.h"

namespace meterd {

enum class UsageScope { kMeter, kAccount };
enum class UsageGranularity { kDay, kMonth };

const char* usage_scope_name(UsageScope scope);          // "meter", "account"
const char* usage_granularity_name(UsageGranularity g);  // "day", "month"
std::optional<UsageScope> usage_scope_named(std::string_view name);
std::optional<UsageGranularity> usage_granularity_named(std::string_view name);

struct UsageFigures {
  std::array<std::int64_t, kTouPeriods> wh_by_period{};    // indexed by TouPeriod
  std::array<std::int64_t, kTouPeriods> cost_by_period{};  // Money units (1/10000)
  // The ledger's charges. Equal to the sum by period, except for a meter-billed account,
  // whose cost is the balance drop the meter reports, not split by period.
  std::int64_t cost = 0;
  std::int64_t free_wh = 0;  // covered by the allowance
  std::int64_t cut_offs = 0;
  std::int64_t load_trips = 0;
  std::int64_t relay_operations = 0;  // relay actions that switched the relay
  std::int64_t offline_ms = 0;        // time the meter was offline (meter rows only)
  // Extremes, merged by max or min rather than summed; 0 means none seen.
  std::int64_t tier_reached = 0;    // the highest tier block (1-based) priced into
  std::int64_t demand_w = 0;        // maximum demand: highest average W over one window
  std::int64_t demand_at_ms = 0;    // start of that window (unix ms)
  std::int64_t voltage_min_dv = 0;  // lowest phase voltage polled, 0.1 V
  std::int64_t voltage_max_dv = 0;  // highest phase voltage polled, 0.1 V

  std::int64_t energy_wh() const {
    std::int64_t sum = 0;
    for (std::int64_t wh : wh_by_period) sum += wh;
    return sum;
  }
  // Merges `other` in: sums add, extremes take the max (the min for voltage_min_dv; the earlier
  // time when two windows tie for the maximum demand). Commutative and associative, so deltas
  // may be merged in any grouping (store batches, tag aggregates).
  UsageFigures& operator+=(const UsageFigures& other);
  // Whether any extreme is set: merging figures without one leaves every extreme as it was.
  bool has_extremes() const {
    return tier_reached != 0 || demand_w != 0 || demand_at_ms != 0 || voltage_min_dv != 0 ||
           voltage_max_dv != 0;
  }
  friend bool operator==(const UsageFigures&, const UsageFigures&) = default;
};

// Adds `figures` to local day `day` (yyyymmdd), and so to its month, of the meter and of the
// account; an empty id skips that owner.
struct UsageDelta {
  std::string meter_id;
  std::string account_id;
  std::int32_t day = 0;
  UsageFigures figures;
};

// Retention: removes the day rows before `before_day` (yyyymmdd) and the month rows before
// `before_month` (yyyymm), of every owner.
struct UsagePrune {
  std::int32_t before_day = 0;
  std::int32_t before_month = 0;
};

// One stored rollup row. `period` is yyyymmdd for a day, yyyymm for a month.
struct UsageRollup {
  UsageScope scope = UsageScope::kMeter;
  std::string owner;
  UsageGranularity granularity = UsageGranularity::kDay;
  std::int32_t period = 0;
  UsageFigures figures;
};

// The rows of one owner with `from` <= period <= `to`, in period order, at most `limit`.
struct UsageQuery {
  UsageScope scope = UsageScope::kMeter;
  std::string owner;
  UsageGranularity granularity = UsageGranularity::kDay;
  std::int32_t from = 0;
  std::int32_t to = 0;
  int limit = 0;
};

// The meter rows of all of `meters` with `from` <= period <= `to`, summed per period (the
// aggregate of a tag selector): one UsageRollup per period with a row of any of them, owner
// empty, in period order, at most `limit`. Meters without rows add nothing.
struct UsageSumQuery {
  std::vector<std::string> meters;
  UsageGranularity granularity = UsageGranularity::kDay;
  std::int32_t from = 0;
  std::int32_t to = 0;
  int limit = 0;
};

// The month key (yyyymm) of a day key (yyyymmdd).
inline std::int32_t month_of_day(std::int32_t day) { return day / 100; }

}  // namespace meterd
