// SPDX-License-Identifier: Apache-2.0
#include "store/usage_tables.h"

#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

namespace meterd {
namespace {

// The figures' columns, in the order the statements bind and read them: first the sums, then
// the extremes (usage_rollup.h), each with how the upsert merges a delta into the stored row.
constexpr const char* kColumns =
    "wh_sharp, wh_peak, wh_flat, wh_valley, cost_sharp, cost_peak, cost_flat, cost_valley, "
    "cost, free_wh, cut_offs, load_trips, relay_operations, offline_ms, tier_reached, demand_w, "
    "demand_at_ms, voltage_min_dv, voltage_max_dv";
// The sums' columns: those before the first extreme.
constexpr std::string_view kSumColumns =
    std::string_view(kColumns).substr(0, std::string_view(kColumns).find(", tier_reached"));
constexpr int kSumColumnCount = 14;
constexpr int kFigureColumns = 19;

// The merge of UsageFigures::operator+= in SQL: the sums, then the extremes. SQLite evaluates
// every SET expression on the row as it was, so demand_at_ms compares the old demand_w.
constexpr const char* kSumMerge =
    "wh_sharp = wh_sharp + excluded.wh_sharp, wh_peak = wh_peak + excluded.wh_peak, "
    "wh_flat = wh_flat + excluded.wh_flat, wh_valley = wh_valley + excluded.wh_valley, "
    "cost_sharp = cost_sharp + excluded.cost_sharp, cost_peak = cost_peak + excluded.cost_peak, "
    "cost_flat = cost_flat + excluded.cost_flat, "
    "cost_valley = cost_valley + excluded.cost_valley, cost = cost + excluded.cost, "
    "free_wh = free_wh + excluded.free_wh, cut_offs = cut_offs + excluded.cut_offs, "
    "load_trips = load_trips + excluded.load_trips, "
    "relay_operations = relay_operations + excluded.relay_operations, "
    "offline_ms = offline_ms + excluded.offline_ms";
constexpr const char* kExtremeMerge =
    "tier_reached = MAX(tier_reached, excluded.tier_reached), "
    "demand_at_ms = CASE WHEN excluded.demand_w > demand_w OR (excluded.demand_w = demand_w AND "
    "excluded.demand_w > 0 AND excluded.demand_at_ms < demand_at_ms) THEN excluded.demand_at_ms "
    "ELSE demand_at_ms END, "
    "demand_w = MAX(demand_w, excluded.demand_w), "
    "voltage_min_dv = CASE WHEN excluded.voltage_min_dv > 0 AND (voltage_min_dv = 0 OR "
    "excluded.voltage_min_dv < voltage_min_dv) THEN excluded.voltage_min_dv ELSE voltage_min_dv "
    "END, "
    "voltage_max_dv = MAX(voltage_max_dv, excluded.voltage_max_dv)";

// The non-period fields, in column order after the periods' Wh and cost: six sums, then the
// extremes.
std::array<std::int64_t UsageFigures::*, 11> scalar_fields() {
  return {
      &UsageFigures::cost,           &UsageFigures::free_wh,          &UsageFigures::cut_offs,
      &UsageFigures::load_trips,     &UsageFigures::relay_operations, &UsageFigures::offline_ms,
      &UsageFigures::tier_reached,   &UsageFigures::demand_w,         &UsageFigures::demand_at_ms,
      &UsageFigures::voltage_min_dv, &UsageFigures::voltage_max_dv};
}

}  // namespace

const char* usage_figure_columns() { return kColumns; }

namespace {

// Binds the first `columns` figures (kSumColumnCount or kFigureColumns) from `first` on.
void bind_figures(Statement& st, int first, const UsageFigures& f, int columns) {
  int index = first;
  for (std::int64_t wh : f.wh_by_period) st.bind(index++, wh);
  for (std::int64_t cost : f.cost_by_period) st.bind(index++, cost);
  for (std::int64_t UsageFigures::*field : scalar_fields()) {
    if (index - first == columns) break;
    st.bind(index++, f.*field);
  }
}

}  // namespace

UsageFigures read_usage_figures(const Statement& st, int first) {
  UsageFigures f;
  int index = first;
  for (std::int64_t& wh : f.wh_by_period) wh = st.column_int(index++);
  for (std::int64_t& cost : f.cost_by_period) cost = st.column_int(index++);
  for (std::int64_t UsageFigures::*field : scalar_fields()) f.*field = st.column_int(index++);
  return f;
}

namespace {

// Rows per statement of add_usage_rows: a statement per row cost 30-40 % more per row (its
// step, reset and start-up paid by each row; measured on 4,000-row batches).
constexpr int kRowsPerStatement = 32;

// The two upserts: of every figure, and of the sums alone for figures without extremes (most
// rows: a bill's delta has none unless its tariff has tiers, and demand and voltage are
// written only when they rise), which leaves the stored extremes as they are, as merging none
// would, and skips their merge (bench_ledger). A new row gets the table's 0 (none) for them.
struct RowShape {
  std::string_view columns;
  int figures;
};
constexpr RowShape kAllFigures{kColumns, kFigureColumns};
constexpr RowShape kSumsOnly{kSumColumns, kSumColumnCount};

// The upsert of `rows` rows of `shape`: each one's figures added to the stored row with its
// key (a new row when there is none).
std::string upsert_sql(const RowShape& shape, int rows) {
  const int parameters = 4 + shape.figures;  // the key's four, then the figures
  std::string sql = "INSERT INTO usage_rollups(scope, owner, granularity, period, ";
  sql += shape.columns;
  sql += ") VALUES";
  for (int row = 0; row < rows; ++row) {
    sql += row == 0 ? "(" : ", (";
    for (int i = 1; i <= parameters; ++i) {
      sql += (i == 1 ? "?" : ", ?") + std::to_string(row * parameters + i);
    }
    sql += ")";
  }
  sql += " ON CONFLICT(scope, owner, granularity, period) DO UPDATE SET ";
  sql += kSumMerge;
  if (shape.figures == kFigureColumns) {
    sql += ", ";
    sql += kExtremeMerge;
  }
  return sql;
}

void bind_row(Statement& st, int first, const RowShape& shape, const UsageRowKey& key,
              const UsageFigures& figures) {
  // The key outlives the statement's run (upsert_rows), the names are literals.
  st.bind_uncopied(first, usage_scope_name(key.scope));
  st.bind_uncopied(first + 1, key.owner);
  st.bind_uncopied(first + 2, usage_granularity_name(key.granularity));
  st.bind(first + 3, std::int64_t{key.period});
  bind_figures(st, first + 4, figures, shape.figures);
}

using AdditionList = std::vector<const UsageAdditions::value_type*>;

// Upserts `rows` (in key order), all of `shape`: kRowsPerStatement to a statement, the rest
// one by one.
Status upsert_rows(SqliteDb& db, const RowShape& shape, const AdditionList& rows) {
  // Prepared once per connection: parsing these upserts costs more than running them.
  static const std::string many_all = upsert_sql(kAllFigures, kRowsPerStatement);
  static const std::string many_sums = upsert_sql(kSumsOnly, kRowsPerStatement);
  static const std::string one_all = upsert_sql(kAllFigures, 1);
  static const std::string one_sums = upsert_sql(kSumsOnly, 1);
  const bool all = shape.figures == kFigureColumns;
  const int parameters = 4 + shape.figures;
  auto row = rows.begin();
  for (std::size_t left = rows.size(); left >= kRowsPerStatement; left -= kRowsPerStatement) {
    Statement& st = db.cached(all ? many_all : many_sums);
    for (int i = 0; i < kRowsPerStatement; ++i, ++row) {
      bind_row(st, 1 + i * parameters, shape, (*row)->first, (*row)->second);
    }
    if (Status status = st.run(); !status) return status;
  }
  for (; row != rows.end(); ++row) {
    Statement& st = db.cached(all ? one_all : one_sums);
    bind_row(st, 1, shape, (*row)->first, (*row)->second);
    if (Status status = st.run(); !status) return status;
  }
  return Ok{};
}

}  // namespace

Status add_usage_row(SqliteDb& db, const UsageRowKey& key, const UsageFigures& figures) {
  // Every figure, extremes or none: the reference the merged writes are tested against.
  const UsageAdditions::value_type row{key, figures};
  return upsert_rows(db, kAllFigures, {&row});
}

Status add_usage_rows(SqliteDb& db, const UsageAdditions& rows) {
  AdditionList with_extremes;
  AdditionList sums_only;
  for (const auto& row : rows) {
    (row.second.has_extremes() ? with_extremes : sums_only).push_back(&row);
  }
  if (Status status = upsert_rows(db, kSumsOnly, sums_only); !status) return status;
  return upsert_rows(db, kAllFigures, with_extremes);
}

Result<std::int32_t> read_closed_month(SqliteDb& db) {
  std::int32_t month = 0;
  Status status = for_each_row(
      db.cached("SELECT closed_through FROM usage_close_marks WHERE granularity = 'month'"),
      [&month](const Statement& row) { month = static_cast<std::int32_t>(row.column_int(0)); });
  if (!status) return status.error();
  return month;
}

Status add_usage(SqliteDb& db, const UsageDelta& delta) {
  Result<std::int32_t> closed = read_closed_month(db);
  if (!closed) return closed.error();
  Status status = Ok{};
  for_each_usage_row(delta.meter_id, delta.account_id, delta.day, closed.value(),
                     [&](const UsageRowKey& key) {
                       if (status) status = add_usage_row(db, key, delta.figures);
                     });
  return status;
}

namespace {

std::int32_t next_month(std::int32_t month) {
  return month % 100 >= 12 ? (month / 100 + 1) * 100 + 1 : month + 1;
}

// The first and last day keys (yyyymmdd) of the months `from`..`to` (yyyymm); `from` may be
// one past a December (yyyy13), as a bound. In 64 bits: a query's bound may be any int32.
std::int64_t first_day_key(std::int32_t month) { return std::int64_t{month} * 100 + 1; }
std::int64_t last_day_key(std::int32_t month) { return std::int64_t{month} * 100 + 31; }

// The owners of a query: one, or many as a JSON array.
struct Owners {
  std::string_view text;
  bool many = false;
};

// Per period, the figures of the rows of `owners` (scope `scope`) of `granularity` with
// from <= period <= to; each row's period mapped through `period_of`.
template <typename PeriodOf>
Status sum_rows(SqliteDb& db, std::string_view scope, Owners owners, UsageGranularity granularity,
                std::int64_t from, std::int64_t to, PeriodOf period_of,
                std::map<std::int32_t, UsageFigures>& sums) {
  // Many owners in one statement: they go in as one JSON array, so the primary key (scope,
  // owner, granularity, period) is searched once per owner inside SQLite rather than once per
  // owner across the store thread. The rows come owner by owner and are summed here: SQLite's
  // GROUP BY would sort them through a temporary b-tree first, which took half the time
  // (bench_stats_query).
  static const std::string select =
      std::string("SELECT period, ") + kColumns + " FROM usage_rollups WHERE scope = ?1 AND owner ";
  static const std::string range = " AND granularity = ?3 AND period BETWEEN ?4 AND ?5";
  static const std::string one_sql = select + "= ?2" + range;
  static const std::string many_sql = select + "IN (SELECT value FROM json_each(?2))" + range;
  Statement& st = db.cached(owners.many ? many_sql : one_sql);
  st.bind_all(scope, owners.text, std::string_view(usage_granularity_name(granularity)), from, to);
  return for_each_row(st, [&](const Statement& row) {
    sums[period_of(static_cast<std::int32_t>(row.column_int(0)))] += read_usage_figures(row, 1);
  });
}

// The figures per period of `owners` for `granularity` from `from` to `to`: a closed month's
// from its row, a month after the last closed one from its days.
Result<std::map<std::int32_t, UsageFigures>> sum_periods(SqliteDb& db, std::string_view scope,
                                                         Owners owners,
                                                         UsageGranularity granularity,
                                                         std::int32_t from, std::int32_t to) {
  std::map<std::int32_t, UsageFigures> sums;
  const auto same = [](std::int32_t period) { return period; };
  if (granularity == UsageGranularity::kDay) {
    if (Status s = sum_rows(db, scope, owners, granularity, from, to, same, sums); !s) {
      return s.error();
    }
    return sums;
  }
  Result<std::int32_t> closed = read_closed_month(db);
  if (!closed) return closed.error();
  if (from <= std::min(to, closed.value())) {
    if (Status s = sum_rows(db, scope, owners, granularity, from, std::min(to, closed.value()),
                            same, sums);
        !s) {
      return s.error();
    }
  }
  if (to > closed.value()) {
    const std::int32_t first = std::max(from, next_month(closed.value()));
    if (Status s = sum_rows(db, scope, owners, UsageGranularity::kDay, first_day_key(first),
                            last_day_key(to), month_of_day, sums);
        !s) {
      return s.error();
    }
  }
  return sums;
}

std::vector<UsageRollup> first_rollups(const std::map<std::int32_t, UsageFigures>& sums,
                                       UsageScope scope, const std::string& owner,
                                       UsageGranularity granularity, int limit) {
  std::vector<UsageRollup> out;
  for (const auto& [period, figures] : sums) {
    if (static_cast<int>(out.size()) >= limit) break;
    out.push_back(UsageRollup{scope, owner, granularity, period, figures});
  }
  return out;
}

}  // namespace

Status fold_months(SqliteDb& db, std::int32_t after, std::int32_t through) {
  // The first close folds every month with days up to it; a gap of more than a century (a
  // clock far off) is not walked month by month.
  std::int32_t month = next_month(after);
  if (after == 0) {
    month = through;
    Status status =
        for_each_row(db.cached("SELECT MIN(period) FROM usage_rollups WHERE granularity = 'day'"),
                     [&month](const Statement& row) {
                       if (!row.column_is_null(0))
                         month = month_of_day(static_cast<std::int32_t>(row.column_int(0)));
                     });
    if (!status) return status;
  }
  month = std::max(month, through - 100 * 100);
  for (; month <= through; month = next_month(month)) {
    Statement& drop =
        db.cached("DELETE FROM usage_rollups WHERE granularity = 'month' AND period = ?1");
    drop.bind_all(std::int64_t{month});
    if (Status status = drop.run(); !status) return status;
    Statement& days = db.cached(std::string("SELECT scope, owner, ") + kColumns +
                                " FROM usage_rollups WHERE granularity = 'day' AND period "
                                "BETWEEN ?1 AND ?2");
    days.bind_all(first_day_key(month), last_day_key(month));
    UsageAdditions rows;
    Status status = for_each_row(days, [&](const Statement& row) {
      const UsageScope scope = usage_scope_named(row.column_text(0)).value_or(UsageScope::kMeter);
      rows[UsageRowKey{scope, row.column_text(1), UsageGranularity::kMonth, month}] +=
          read_usage_figures(row, 2);
    });
    if (!status) return status;
    if (status = add_usage_rows(db, rows); !status) return status;
  }
  return Ok{};
}

Status prune_usage(SqliteDb& db, const UsagePrune& prune) {
  // The days of a month not closed stay until it is: its row is folded from them then.
  Statement days(db,
                 "DELETE FROM usage_rollups WHERE granularity = 'day' AND period < MIN(?1, "
                 "COALESCE((SELECT closed_through * 100 + 32 FROM usage_close_marks WHERE "
                 "granularity = 'month'), ?1))");
  days.bind_all(std::int64_t{prune.before_day});
  if (Status status = days.run(); !status) return status;
  Statement months(db, "DELETE FROM usage_rollups WHERE granularity = 'month' AND period < ?1");
  months.bind_all(std::int64_t{prune.before_month});
  return months.run();
}

Result<std::vector<UsageRollup>> read_usage(SqliteDb& db, const UsageQuery& query) {
  Result<std::map<std::int32_t, UsageFigures>> sums =
      sum_periods(db, usage_scope_name(query.scope), Owners{query.owner, false}, query.granularity,
                  query.from, query.to);
  if (!sums) return sums.error();
  return first_rollups(sums.value(), query.scope, query.owner, query.granularity, query.limit);
}

Result<std::vector<UsageRollup>> read_usage_sum(SqliteDb& db, const UsageSumQuery& query) {
  const std::string owners = nlohmann::json(query.meters).dump();
  Result<std::map<std::int32_t, UsageFigures>> sums =
      sum_periods(db, "meter", Owners{owners, true}, query.granularity, query.from, query.to);
  if (!sums) return sums.error();
  return first_rollups(sums.value(), UsageScope::kMeter, "", query.granularity, query.limit);
}

}  // namespace meterd
