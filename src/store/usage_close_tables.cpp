// SPDX-License-Identifier: Apache-2.0
#include "store/usage_close_tables.h"

#include "store/usage_tables.h"

namespace meterd {
namespace {

std::string_view name_of(UsageScope scope) { return usage_scope_name(scope); }
std::string_view name_of(UsageGranularity granularity) {
  return usage_granularity_name(granularity);
}

// Marks one row of a closed period due: a new record (never published) or an old one again.
Status mark_due(SqliteDb& db, UsageScope scope, const std::string& owner,
                UsageGranularity granularity, std::int32_t period) {
  Statement& st = db.cached(
      "INSERT INTO usage_closes(scope, owner, granularity, period, revision, due) "
      "VALUES(?1, ?2, ?3, ?4, NULL, 1) ON CONFLICT(scope, owner, granularity, period) "
      "DO UPDATE SET due = 1");
  st.bind_all(name_of(scope), std::string_view(owner), name_of(granularity), std::int64_t{period});
  return st.run();
}

}  // namespace

Status close_usage_period(SqliteDb& db, const UsagePeriodClose& close) {
  if (close.granularity == UsageGranularity::kMonth) {
    // The month's row (and that of any month skipped since the last close) is folded from its
    // days now; from here on a late delta for it adds to the row as well.
    Result<std::int32_t> closed = read_closed_month(db);
    if (!closed) return closed.error();
    if (Status status = fold_months(db, closed.value(), close.period); !status) return status;
  }
  Statement mark(db,
                 "INSERT INTO usage_close_marks(granularity, closed_through) VALUES(?1, ?2) "
                 "ON CONFLICT(granularity) DO UPDATE SET closed_through = excluded.closed_through");
  mark.bind_all(name_of(close.granularity), std::int64_t{close.period});
  if (Status status = mark.run(); !status) return status;
  if (!close.publish) return Ok{};
  Statement due(db,
                "INSERT INTO usage_closes(scope, owner, granularity, period, revision, due) "
                "SELECT scope, owner, granularity, period, NULL, 1 FROM usage_rollups "
                "WHERE granularity = ?1 AND period = ?2 "
                "ON CONFLICT(scope, owner, granularity, period) DO UPDATE SET due = 1");
  due.bind_all(name_of(close.granularity), std::int64_t{close.period});
  return due.run();
}

Status reopen_usage(SqliteDb& db, const UsageReopen& reopen) {
  for (const auto& [scope, owner] : {std::pair{UsageScope::kMeter, &reopen.meter_id},
                                     std::pair{UsageScope::kAccount, &reopen.account_id}}) {
    if (owner->empty()) continue;
    if (Status s = mark_due(db, scope, *owner, UsageGranularity::kDay, reopen.day); !s) return s;
    if (!reopen.month_closed) continue;
    if (Status s = mark_due(db, scope, *owner, UsageGranularity::kMonth, month_of_day(reopen.day));
        !s) {
      return s;
    }
  }
  return Ok{};
}

Status record_usage_summary(SqliteDb& db, const UsageSummary& summary) {
  Statement& st = db.cached(
      "UPDATE usage_closes SET revision = ?5, due = 0 "
      "WHERE scope = ?1 AND owner = ?2 AND granularity = ?3 AND period = ?4");
  st.bind_all(name_of(summary.scope), std::string_view(summary.owner), name_of(summary.granularity),
              std::int64_t{summary.period}, std::int64_t{summary.revision});
  return st.run();
}

Status prune_usage_closes(SqliteDb& db, const UsagePrune& prune) {
  Statement st(db, "DELETE FROM usage_closes WHERE granularity = ?1 AND period < ?2");
  st.bind_all(std::string_view("day"), std::int64_t{prune.before_day});
  if (Status status = st.run(); !status) return status;
  st.bind_all(std::string_view("month"), std::int64_t{prune.before_month});
  return st.run();
}

Result<UsageCloseMarks> read_usage_close_marks(SqliteDb& db) {
  Statement st(db, "SELECT granularity, closed_through FROM usage_close_marks");
  UsageCloseMarks marks;
  while (true) {
    Result<Statement::Step> step = st.step();
    if (!step) return step.error();
    if (step.value() == Statement::Step::kDone) return marks;
    const auto period = static_cast<std::int32_t>(st.column_int(1));
    if (usage_granularity_named(st.column_text(0)) == UsageGranularity::kDay) {
      marks.day = period;
    } else {
      marks.month = period;
    }
  }
}

Result<std::vector<DueSummary>> read_due_summaries(SqliteDb& db, int limit) {
  Statement st(db, std::string("SELECT c.scope, c.owner, c.granularity, c.period, c.revision, ") +
                       usage_figure_columns() +
                       " FROM usage_closes c JOIN usage_rollups r "
                       "USING(scope, owner, granularity, period) WHERE c.due = 1 "
                       "ORDER BY c.granularity, c.period, c.scope, c.owner LIMIT ?1");
  st.bind_all(std::int64_t{limit});
  std::vector<DueSummary> out;
  while (true) {
    Result<Statement::Step> step = st.step();
    if (!step) return step.error();
    if (step.value() == Statement::Step::kDone) return out;
    DueSummary row;
    row.rollup.scope = usage_scope_named(st.column_text(0)).value_or(UsageScope::kMeter);
    row.rollup.owner = st.column_text(1);
    row.rollup.granularity =
        usage_granularity_named(st.column_text(2)).value_or(UsageGranularity::kDay);
    row.rollup.period = static_cast<std::int32_t>(st.column_int(3));
    if (!st.column_is_null(4)) row.published = static_cast<std::int32_t>(st.column_int(4));
    row.rollup.figures = read_usage_figures(st, 5);
    out.push_back(std::move(row));
  }
}

}  // namespace meterd
