// SPDX-License-Identifier: Apache-2.0
// The statistics rollups table (store migration 6, usage_rollups): a UsageDelta added to the
// day's rows of its meter and account inside the engine's batch transaction, and the rows of
// one owner read back for `stats` and the contract test. Store thread only.
//
// A month's row is folded from its day rows when the month closes (close_usage_period), not
// written with every delta: until then a month's figures are the sum of its days, read from
// the day rows. A delta that arrives for a closed month (a meter offline across its end) is
// added to the month's row as well as to the day's. Half the rows written per reading.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "engine/usage_rollup.h"
#include "store/sqlite_db.h"

namespace meterd {

// The primary key of one row of usage_rollups.
struct UsageRowKey {
  UsageScope scope = UsageScope::kMeter;
  std::string owner;
  UsageGranularity granularity = UsageGranularity::kDay;
  std::int32_t period = 0;
  auto operator<=>(const UsageRowKey&) const = default;
};

// Calls `each(UsageRowKey)` for the rows a delta of `meter_id` and `account_id` on local day
// `day` adds to: the day of the meter and of the account, and their month when it is closed
// (at or before `closed_month`, yyyymm; 0: none closed); an empty id skips that owner.
template <typename Each>
void for_each_usage_row(const std::string& meter_id, const std::string& account_id,
                        std::int32_t day, std::int32_t closed_month, Each each) {
  const std::int32_t month = month_of_day(day);
  for (const auto& [scope, owner] :
       {std::pair{UsageScope::kMeter, &meter_id}, std::pair{UsageScope::kAccount, &account_id}}) {
    if (owner->empty()) continue;
    each(UsageRowKey{scope, *owner, UsageGranularity::kDay, day});
    if (month <= closed_month) each(UsageRowKey{scope, *owner, UsageGranularity::kMonth, month});
  }
}

// The last closed month (yyyymm), 0 when none is.
Result<std::int32_t> read_closed_month(SqliteDb& db);
// Writes the rows of each month after `after` up to `through` (yyyymm) as the sum of its day
// rows, per owner, replacing any row the month had.
Status fold_months(SqliteDb& db, std::int32_t after, std::int32_t through);

// Figures to add to rows of usage_rollups, by row, in key order.
using UsageAdditions = std::map<UsageRowKey, UsageFigures>;

// Adds `figures` to the row `key` (created when there is none), merging every figure.
Status add_usage_row(SqliteDb& db, const UsageRowKey& key, const UsageFigures& figures);
// add_usage_row for each of `rows`, in key order, several rows per statement; rows without
// extremes with an upsert of the sums alone.
Status add_usage_rows(SqliteDb& db, const UsageAdditions& rows);
// add_usage_row for each row of the delta. The engine's writes go through UsageCoalescer
// instead, which merges a batch's deltas first (store/usage_coalescer.h).
Status add_usage(SqliteDb& db, const UsageDelta& delta);
// Never removes the day rows of a month not closed: its row is still to be folded from them.
Status prune_usage(SqliteDb& db, const UsagePrune& prune);

Result<std::vector<UsageRollup>> read_usage(SqliteDb& db, const UsageQuery& query);
// The rows of `query`'s meters summed per period, in one statement.
Result<std::vector<UsageRollup>> read_usage_sum(SqliteDb& db, const UsageSumQuery& query);

// The figures' columns of usage_rollups as a select list, and the figures read back from a
// row whose select list has them from column `first` (for the queries that join the table).
const char* usage_figure_columns();
UsageFigures read_usage_figures(const Statement& st, int first);

}  // namespace meterd
