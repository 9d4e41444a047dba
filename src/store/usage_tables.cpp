// SPDX-License-Identifier: Apache-2.0
#include "store/usage_tables.h"

#include <map>
#include <nlohmann/json.hpp>

namespace meterd {
namespace {

// The figures' columns, in the order the statements bind and read them.
constexpr const char* kColumns =
    "wh_sharp, wh_peak, wh_flat, wh_valley, cost_sharp, cost_peak, cost_flat, cost_valley, "
    "cost, free_wh, cut_offs, load_trips, relay_operations";
constexpr int kFigureColumns = 13;

}  // namespace

const char* usage_figure_columns() { return kColumns; }

namespace {

void bind_figures(Statement& st, int first, const UsageFigures& f) {
  int index = first;
  for (std::int64_t wh : f.wh_by_period) st.bind(index++, wh);
  for (std::int64_t cost : f.cost_by_period) st.bind(index++, cost);
  for (std::int64_t value : {f.cost, f.free_wh, f.cut_offs, f.load_trips, f.relay_operations}) {
    st.bind(index++, value);
  }
}

}  // namespace

UsageFigures read_usage_figures(const Statement& st, int first) {
  UsageFigures f;
  int index = first;
  for (std::int64_t& wh : f.wh_by_period) wh = st.column_int(index++);
  for (std::int64_t& cost : f.cost_by_period) cost = st.column_int(index++);
  for (std::int64_t* value :
       {&f.cost, &f.free_wh, &f.cut_offs, &f.load_trips, &f.relay_operations}) {
    *value = st.column_int(index++);
  }
  return f;
}

namespace {

std::string upsert_sql() {
  std::string sql = "INSERT INTO usage_rollups(scope, owner, granularity, period, ";
  sql += kColumns;
  sql += ") VALUES(?1, ?2, ?3, ?4";
  for (int i = 0; i < kFigureColumns; ++i) sql += ", ?" + std::to_string(5 + i);
  sql += ") ON CONFLICT(scope, owner, granularity, period) DO UPDATE SET ";
  const std::string columns = kColumns;
  std::size_t start = 0;
  bool first = true;
  while (start < columns.size()) {
    std::size_t end = columns.find(", ", start);
    if (end == std::string::npos) end = columns.size();
    const std::string name = columns.substr(start, end - start);
    if (!first) sql += ", ";
    sql.append(name).append(" = ").append(name).append(" + excluded.").append(name);
    first = false;
    start = end + 2;
  }
  return sql;
}

}  // namespace

Status add_usage(SqliteDb& db, const UsageDelta& delta) {
  // Prepared once per connection: parsing this upsert costs more than running it, and it runs
  // with every ledger deduction.
  static const std::string sql = upsert_sql();
  Statement& st = db.cached(sql);
  const std::int32_t month = month_of_day(delta.day);
  for (const auto& [scope, owner] : {std::pair{UsageScope::kMeter, &delta.meter_id},
                                     std::pair{UsageScope::kAccount, &delta.account_id}}) {
    if (owner->empty()) continue;
    for (const auto& [granularity, period] : {std::pair{UsageGranularity::kDay, delta.day},
                                              std::pair{UsageGranularity::kMonth, month}}) {
      st.bind(1, std::string_view(usage_scope_name(scope)));
      st.bind(2, *owner);
      st.bind(3, std::string_view(usage_granularity_name(granularity)));
      st.bind(4, std::int64_t{period});
      bind_figures(st, 5, delta.figures);
      if (Status status = st.run(); !status) return status;
    }
  }
  return Ok{};
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
