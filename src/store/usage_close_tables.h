// SPDX-License-Identifier: Apache-2.0
// The period-close tables (store migration 7, usage_closes and usage_close_marks): closing a
// period marks every rollup row of it due for a summary, a late delta marks its closed rows due
// again, a published summary records its revision and clears "due"; and the marks and the due
// rows read back for the engine (engine/period_close.h). Store thread only, inside the
// engine's batch transaction for the writes.
#pragma once

#include <vector>

#include "core/result.h"
#include "engine/period_close.h"
#include "store/sqlite_db.h"

namespace meterd {

Status close_usage_period(SqliteDb& db, const UsagePeriodClose& close);
Status reopen_usage(SqliteDb& db, const UsageReopen& reopen);
Status record_usage_summary(SqliteDb& db, const UsageSummary& summary);
// Retention: the close records of the rollup rows UsagePrune removes.
Status prune_usage_closes(SqliteDb& db, const UsagePrune& prune);

Result<UsageCloseMarks> read_usage_close_marks(SqliteDb& db);
// Up to `limit` rows due, oldest period first, with their rollup's figures.
Result<std::vector<DueSummary>> read_due_summaries(SqliteDb& db, int limit);

}  // namespace meterd
