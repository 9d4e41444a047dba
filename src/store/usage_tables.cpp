// SPDX-License-Identifier: Apache-2.0
#include "store/usage_tables.h"

#include <array>
#include <map>
#include <nlohmann/json.hpp>

namespace meterd {
namespace {

// The figures' columns, in the order the statements bind and read them: first the sums, then
// the extremes (usage_rollup.h), each with how the upsert merges a delta into the stored row.
constexpr const char* kColumns =
    "wh_sharp, wh_peak, wh_flat, wh_valley, cost_sharp, cost_peak, cost_flat, cost_valley, "
    "cost, free_wh, cut_offs, load_trips, relay_operations, offline_ms, tier_reached, demand_w, "
    "demand_at_ms, voltage_min_dv, voltage_max_dv";
constexpr int kFigureColumns = 19;

// The merge of UsageFigures::operator+= in SQL. SQLite evaluates every SET expression on the
// row as it was, so demand_at_ms compares the old demand_w.
constexpr const char* kMerge =
    "wh_sharp = wh_sharp + excluded.wh_sharp, wh_peak = wh_peak + excluded.wh_peak, "
    "wh_flat = wh_flat + excluded.wh_flat, wh_valley = wh_valley + excluded.wh_valley, "
    "cost_sharp = cost_sharp + excluded.cost_sharp, cost_peak = cost_peak + excluded.cost_peak, "
    "cost_flat = cost_flat + excluded.cost_flat, "
    "cost_valley = cost_valley + excluded.cost_valley, cost = cost + excluded.cost, "
    "free_wh = free_wh + excluded.free_wh, cut_offs = cut_offs + excluded.cut_offs, "
    "load_trips = load_trips + excluded.load_trips, "
    "relay_operations = relay_operations + excluded.relay_operations, "
    "offline_ms = offline_ms + excluded.offline_ms, "
    "tier_reached = MAX(tier_reached, excluded.tier_reached), "
    "demand_at_ms = CASE WHEN excluded.demand_w > demand_w OR (excluded.demand_w = demand_w AND "
    "excluded.demand_w > 0 AND excluded.demand_at_ms < demand_at_ms) THEN excluded.demand_at_ms "
    "ELSE demand_at_ms END, "
    "demand_w = MAX(demand_w, excluded.demand_w), "
    "voltage_min_dv = CASE WHEN excluded.voltage_min_dv > 0 AND (voltage_min_dv = 0 OR "
    "excluded.voltage_min_dv < voltage_min_dv) THEN excluded.voltage_min_dv ELSE voltage_min_dv "
    "END, "
    "voltage_max_dv = MAX(voltage_max_dv, excluded.voltage_max_dv)";

// The non-period fields, in column order after the periods' Wh and cost.
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

void bind_figures(Statement& st, int first, const UsageFigures& f) {
  int index = first;
  for (std::int64_t wh : f.wh_by_period) st.bind(index++, wh);
  for (std::int64_t cost : f.cost_by_period) st.bind(index++, cost);
  for (std::int64_t UsageFigures::*field : scalar_fields()) st.bind(index++, f.*field);
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

// A row's parameters: its key's four, then its figures.
constexpr int kRowParameters = 4 + kFigureColumns;
// Rows per statement of add_usage_rows: a statement per row cost 30-40 % more per row (its
// step, reset and start-up paid by each row; measured on 4,000-row batches).
constexpr int kRowsPerStatement = 32;

// The upsert of `rows` rows: each one's figures added to the stored row with its key (a new
// row when there is none).
std::string upsert_sql(int rows) {
  std::string sql = "INSERT INTO usage_rollups(scope, owner, granularity, period, ";
  sql += kColumns;
  sql += ") VALUES";
  for (int row = 0; row < rows; ++row) {
    sql += row == 0 ? "(" : ", (";
    for (int i = 1; i <= kRowParameters; ++i) {
      sql += (i == 1 ? "?" : ", ?") + std::to_string(row * kRowParameters + i);
    }
    sql += ")";
  }
  sql += " ON CONFLICT(scope, owner, granularity, period) DO UPDATE SET ";
  sql += kMerge;
  return sql;
}

void bind_row(Statement& st, int first, const UsageRowKey& key, const UsageFigures& figures) {
  st.bind(first, std::string_view(usage_scope_name(key.scope)));
  st.bind(first + 1, key.owner);
  st.bind(first + 2, std::string_view(usage_granularity_name(key.granularity)));
  st.bind(first + 3, std::int64_t{key.period});
  bind_figures(st, first + 4, figures);
}

}  // namespace

Status add_usage_row(SqliteDb& db, const UsageRowKey& key, const UsageFigures& figures) {
  // Prepared once per connection: parsing this upsert costs more than running it.
  static const std::string sql = upsert_sql(1);
  Statement& st = db.cached(sql);
  bind_row(st, 1, key, figures);
  return st.run();
}

Status add_usage_rows(SqliteDb& db, const UsageAdditions& rows) {
  static const std::string sql = upsert_sql(kRowsPerStatement);
  auto row = rows.begin();
  for (std::size_t left = rows.size(); left >= kRowsPerStatement; left -= kRowsPerStatement) {
    Statement& st = db.cached(sql);
    for (int i = 0; i < kRowsPerStatement; ++i, ++row) {
      bind_row(st, 1 + i * kRowParameters, row->first, row->second);
    }
    if (Status status = st.run(); !status) return status;
  }
  for (; row != rows.end(); ++row) {
    if (Status status = add_usage_row(db, row->first, row->second); !status) return status;
  }
  return Ok{};
}

Status add_usage(SqliteDb& db, const UsageDelta& delta) {
  Status status = Ok{};
  for_each_usage_row(delta, [&](const UsageRowKey& key) {
    if (status) status = add_usage_row(db, key, delta.figures);
  });
  return status;
}

Status prune_usage(SqliteDb& db, const UsagePrune& prune) {
  Statement st(db, "DELETE FROM usage_rollups WHERE granularity = ?1 AND period < ?2");
  st.bind_all(std::string_view("day"), std::int64_t{prune.before_day});
  if (Status status = st.run(); !status) return status;
  st.bind_all(std::string_view("month"), std::int64_t{prune.before_month});
  return st.run();
}

Result<std::vector<UsageRollup>> read_usage(SqliteDb& db, const UsageQuery& query) {
  Statement st(db, std::string("SELECT period, ") + kColumns +
                       " FROM usage_rollups WHERE scope = ?1 AND owner = ?2 AND granularity = ?3 "
                       "AND period BETWEEN ?4 AND ?5 ORDER BY period LIMIT ?6");
  st.bind_all(std::string_view(usage_scope_name(query.scope)), std::string_view(query.owner),
              std::string_view(usage_granularity_name(query.granularity)), std::int64_t{query.from},
              std::int64_t{query.to}, std::int64_t{query.limit});
  std::vector<UsageRollup> out;
  while (true) {
    Result<Statement::Step> step = st.step();
    if (!step) return step.error();
    if (step.value() == Statement::Step::kDone) return out;
    out.push_back(UsageRollup{query.scope, query.owner, query.granularity,
                              static_cast<std::int32_t>(st.column_int(0)),
                              read_usage_figures(st, 1)});
  }
}

Result<std::vector<UsageRollup>> read_usage_sum(SqliteDb& db, const UsageSumQuery& query) {
  // One statement over every meter: the owners go in as one JSON array, so the primary key
  // (scope, owner, granularity, period) is searched once per meter inside SQLite rather than
  // once per meter across the store thread. The rows come meter by meter and are summed here:
  // SQLite's GROUP BY would sort them through a temporary b-tree first, which took half the
  // time (bench_stats_query).
  static const std::string sql = std::string("SELECT period, ") + kColumns +
                                 " FROM usage_rollups WHERE scope = 'meter' AND owner IN (SELECT "
                                 "value FROM json_each(?1)) AND granularity = ?2 AND period "
                                 "BETWEEN ?3 AND ?4";
  Statement st(db, sql);
  const std::string owners = nlohmann::json(query.meters).dump();
  st.bind_all(std::string_view(owners), std::string_view(usage_granularity_name(query.granularity)),
              std::int64_t{query.from}, std::int64_t{query.to});
  std::map<std::int32_t, UsageFigures> sums;
  while (true) {
    Result<Statement::Step> step = st.step();
    if (!step) return step.error();
    if (step.value() == Statement::Step::kDone) break;
    sums[static_cast<std::int32_t>(st.column_int(0))] += read_usage_figures(st, 1);
  }
  std::vector<UsageRollup> out;
  for (const auto& [period, figures] : sums) {
    if (static_cast<int>(out.size()) == query.limit) break;
    out.push_back(UsageRollup{UsageScope::kMeter, "", query.granularity, period, figures});
  }
  return out;
}

}  // namespace meterd
