// SPDX-License-Identifier: Apache-2.0
// The statistics rollups table (store migration 6, usage_rollups): a UsageDelta added to the
// day's and the month's rows of its meter and account inside the engine's batch transaction,
// and the rows of one owner read back for `stats` and the contract test. Store thread only.
#pragma once

#include <vector>

#include "core/result.h"
#include "engine/usage_rollup.h"
#include "store/sqlite_db.h"

namespace meterd {

Status add_usage(SqliteDb& db, const UsageDelta& delta);
Status prune_usage(SqliteDb& db, const UsagePrune& prune);

Result<std::vector<UsageRollup>> read_usage(SqliteDb& db, const UsageQuery& query);
// The rows of `query`'s meters summed per period, in one statement.
Result<std::vector<UsageRollup>> read_usage_sum(SqliteDb& db, const UsageSumQuery& query);

// The figures' columns of usage_rollups as a select list, and the figures read back from a
// row whose select list has them from column `first` (for the queries that join the table).
const char* usage_figure_columns();
UsageFigures read_usage_figures(const Statement& st, int first);

}  // namespace meterd
