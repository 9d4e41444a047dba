// SPDX-License-Identifier: Apache-2.0
#include "store/engine_tables.h"

#include <type_traits>

#include "store/usage_close_tables.h"
#include "store/usage_tables.h"

namespace meterd {

namespace {

BillingMode mode_of(const std::string& text) {
  return text == "meter" ? BillingMode::kMeter : BillingMode::kGateway;
}

}  // namespace

Status load_engine_state(SqliteDb& db, StoredEngineState& out) {
  Status status = for_each_row(
      db,
      "SELECT id, name, mode, low_1, low_2, cut_off, hysteresis, credit_limit, source, closed, "
      "updated_ms FROM accounts ORDER BY id",
      [&](Statement& st) {
        AccountRow row;
        row.id = st.column_text(0);
        row.name = st.column_text(1);
        row.mode = mode_of(st.column_text(2));
        row.thresholds = AlarmThresholds{Money{st.column_int(3)}, Money{st.column_int(4)},
                                         Money{st.column_int(5)}, Money{st.column_int(6)},
                                         Money{st.column_int(7)}};
        row.source = st.column_text(8);
        row.closed = st.column_int(9) != 0;
        row.updated_ms = st.column_int(10);
        out.accounts.push_back(std::move(row));
      });
  if (status) {
    status = for_each_row(
        db, "SELECT meter_id, account_id FROM account_meters",
        [&](Statement& st) { out.meter_accounts[st.column_text(0)] = st.column_text(1); });
  }
  if (status) {
    status = for_each_row(db,
                          "SELECT account_id, effective_ms, tariff, source FROM tariff_changes "
                          "ORDER BY account_id, effective_ms",
                          [&](Statement& st) {
                            out.tariffs.push_back({st.column_text(0), st.column_int(1),
                                                   st.column_text(2), st.column_text(3)});
                          });
  }
  if (status) {
    status = for_each_row(
        db,
        "SELECT account_id, balance, alarm_level, tier_period, tier_wh, allowance_period, "
        "allowance_used_wh, carry_milli FROM account_state",
        [&](Statement& st) {
          AccountStateRow row;
          row.account_id = st.column_text(0);
          row.balance = Money{st.column_int(1)};
          row.level = static_cast<AlarmLevel>(st.column_int(2));
          row.counters.tier_period = static_cast<std::int32_t>(st.column_int(3));
          row.counters.tier_wh = st.column_int(4);
          row.counters.allowance_period = static_cast<std::int32_t>(st.column_int(5));
          row.counters.allowance_used_wh = st.column_int(6);
          row.counters.carry_milli = st.column_int(7);
          out.states[row.account_id] = row;
        });
  }
  if (status) {
    status = for_each_row(
        db, "SELECT meter_id, energy_wh, ts_ms FROM meter_billing", [&](Statement& st) {
          MeterBillingRow row{st.column_text(0), Energy{st.column_int(1)}, st.column_int(2)};
          out.billing[row.meter_id] = row;
        });
  }
  if (status) {
    status = for_each_row(
        db,
        "SELECT account_id, ts_ms, kind, amount, balance_after, order_id, meter_id FROM ledger "
        "WHERE order_id IS NOT NULL AND kind IN ('recharge', 'refund') ORDER BY id",
        [&](Statement& st) {
          LedgerEntry entry;
          entry.account_id = st.column_text(0);
          entry.ts_ms = st.column_int(1);
          entry.kind = st.column_text(2);
          entry.amount = Money{st.column_int(3)};
          entry.balance_after = Money{st.column_int(4)};
          entry.order_id = st.column_text(5);
          entry.meter_id = st.column_text(6);
          out.money_orders.push_back(std::move(entry));
        });
  }
  if (status) {
    status = for_each_row(
        db,
        "SELECT order_id, kind, account_id, meter_id, amount, purchase_count, state, ts_ms "
        "FROM meter_recharges ORDER BY ts_ms",
        [&](Statement& st) {
          out.meter_recharges.push_back({st.column_text(0), st.column_text(1), st.column_text(2),
                                         st.column_text(3), Money{st.column_int(4)},
                                         st.column_int(5), st.column_text(6), st.column_int(7)});
        });
  }
  if (status) {
    status = for_each_row(db, "SELECT meter_id FROM relay_overrides",
                          [&](Statement& st) { out.forced_open.insert(st.column_text(0)); });
  }
  return status;
}

Status upsert_account(SqliteDb& db, const AccountRow& row) {
  Statement st(
      db,
      "INSERT INTO accounts(id, name, mode, low_1, low_2, cut_off, hysteresis, "
      "credit_limit, source, closed, updated_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11) "
      "ON CONFLICT(id) DO UPDATE SET name=excluded.name, mode=excluded.mode, "
      "low_1=excluded.low_1, low_2=excluded.low_2, cut_off=excluded.cut_off, "
      "hysteresis=excluded.hysteresis, credit_limit=excluded.credit_limit, "
      "source=excluded.source, closed=excluded.closed, updated_ms=excluded.updated_ms");
  st.bind(1, row.id);
  st.bind(2, row.name);
  st.bind(3, std::string_view(billing_mode_name(row.mode)));
  st.bind(4, row.thresholds.low_1.units);
  st.bind(5, row.thresholds.low_2.units);
  st.bind(6, row.thresholds.cut_off.units);
  st.bind(7, row.thresholds.hysteresis.units);
  st.bind(8, row.thresholds.credit_limit.units);
  st.bind(9, row.source);
  st.bind(10, std::int64_t{row.closed ? 1 : 0});
  st.bind(11, row.updated_ms);
  return st.run();
}

Status replace_account_meters(SqliteDb& db, const std::string& account_id,
                              const std::vector<std::string>& meters) {
  Statement clear(db, "DELETE FROM account_meters WHERE account_id = ?1");
  clear.bind(1, account_id);
  if (Status status = clear.run(); !status) return status;
  Statement insert(db,
                   "INSERT INTO account_meters(meter_id, account_id) VALUES(?1, ?2) "
                   "ON CONFLICT(meter_id) DO UPDATE SET account_id = excluded.account_id");
  for (const std::string& meter : meters) {
    insert.bind(1, meter);
    insert.bind(2, account_id);
    if (Status status = insert.run(); !status) return status;
  }
  return Ok{};
}

Status upsert_tariff_change(SqliteDb& db, const TariffRow& row) {
  Statement st(db,
               "INSERT INTO tariff_changes(account_id, effective_ms, tariff, source) "
               "VALUES(?1,?2,?3,?4) ON CONFLICT(account_id, effective_ms) DO UPDATE SET "
               "tariff = excluded.tariff, source = excluded.source");
  st.bind(1, row.account_id);
  st.bind(2, row.effective_ms);
  st.bind(3, row.tariff_json);
  st.bind(4, row.source);
  return st.run();
}

Status save_account_state(SqliteDb& db, const AccountStateRow& row) {
  // Runs with every ledger deduction: prepared once per connection.
  static const std::string sql =
      "INSERT OR REPLACE INTO account_state(account_id, balance, alarm_level, "
      "tier_period, tier_wh, allowance_period, allowance_used_wh, carry_milli) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7,?8)";
  Statement& st = db.cached(sql);
  st.bind(1, row.account_id);
  st.bind(2, row.balance.units);
  st.bind(3, std::int64_t{static_cast<int>(row.level)});
  st.bind(4, std::int64_t{row.counters.tier_period});
  st.bind(5, row.counters.tier_wh);
  st.bind(6, std::int64_t{row.counters.allowance_period});
  st.bind(7, row.counters.allowance_used_wh);
  st.bind(8, row.counters.carry_milli);
  return st.run();
}

Status append_ledger(SqliteDb& db, const LedgerEntry& entry) {
  // Runs with every ledger deduction: prepared once per connection.
  static const std::string sql =
      "INSERT INTO ledger(account_id, ts_ms, kind, amount, balance_after, order_id, "
      "meter_id, details) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)";
  Statement& st = db.cached(sql);
  st.bind(1, entry.account_id);
  st.bind(2, entry.ts_ms);
  st.bind(3, entry.kind);
  st.bind(4, entry.amount.units);
  st.bind(5, entry.balance_after.units);
  if (entry.order_id.empty()) {
    st.bind_null(6);
  } else {
    st.bind(6, entry.order_id);
  }
  st.bind(7, entry.meter_id);
  st.bind(8, entry.details_json);
  return st.run();
}

Status save_meter_billing(SqliteDb& db, const MeterBillingRow& row) {
  // Runs with every ledger deduction: prepared once per connection.
  static const std::string sql =
      "INSERT OR REPLACE INTO meter_billing(meter_id, energy_wh, ts_ms) VALUES(?1,?2,?3)";
  Statement& st = db.cached(sql);
  st.bind(1, row.meter_id);
  st.bind(2, row.energy.wh);
  st.bind(3, row.ts_ms);
  return st.run();
}

Status save_relay_override(SqliteDb& db, const std::string& meter_id, bool hold,
                           const std::string& command_id, std::int64_t ts_ms) {
  if (!hold) {
    Statement st(db, "DELETE FROM relay_overrides WHERE meter_id = ?1");
    st.bind(1, meter_id);
    return st.run();
  }
  Statement st(
      db, "INSERT OR REPLACE INTO relay_overrides(meter_id, command_id, ts_ms) VALUES(?1,?2,?3)");
  st.bind(1, meter_id);
  st.bind(2, command_id);
  st.bind(3, ts_ms);
  return st.run();
}

Status save_meter_recharge(SqliteDb& db, const MeterRechargeRow& row) {
  Statement st(db,
               "INSERT OR REPLACE INTO meter_recharges(order_id, kind, account_id, meter_id, "
               "amount, purchase_count, state, ts_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
  st.bind(1, row.order_id);
  st.bind(2, row.kind);
  st.bind(3, row.account_id);
  st.bind(4, row.meter_id);
  st.bind(5, row.amount.units);
  st.bind(6, row.purchase_count);
  st.bind(7, row.state);
  st.bind(8, row.ts_ms);
  return st.run();
}

Status read_controls(SqliteDb& db, StoredControls& out) {
  Status status =
      for_each_row(db, "SELECT meter_id, kind, json FROM meter_controls", [&](Statement& st) {
        auto& into = st.column_text(1) == kLoadLimitsControl ? out.load_limits : out.schedules;
        into[st.column_text(0)] = st.column_text(2);
      });
  if (!status) return status;
  return for_each_row(
      db,
      "SELECT meter_id, reason, tripped_ms, restore_at_ms, restores_today, restores_day, "
      "tripped FROM load_trips",
      [&](Statement& st) {
        LoadTripState trip;
        trip.tripped = st.column_int(6) != 0;
        trip.reason = load_trip_reason_named(st.column_text(1)).value_or(LoadTripReason::kOverload);
        trip.tripped_at = WallTime{} + std::chrono::milliseconds(st.column_int(2));
        if (!st.column_is_null(3)) {
          trip.restore_at = WallTime{} + std::chrono::milliseconds(st.column_int(3));
        }
        trip.restores_today = static_cast<int>(st.column_int(4));
        trip.restores_day = static_cast<std::int32_t>(st.column_int(5));
        out.trips[st.column_text(0)] = trip;
      });
}

Status save_control(SqliteDb& db, const std::string& meter_id, const std::string& kind,
                    const std::string& json, const std::string& source, std::int64_t ts_ms) {
  if (json.empty()) {
    Statement st(db, "DELETE FROM meter_controls WHERE meter_id = ?1 AND kind = ?2");
    st.bind_all(meter_id, kind);
    return st.run();
  }
  Statement st(db,
               "INSERT OR REPLACE INTO meter_controls(meter_id, kind, json, source, updated_ms) "
               "VALUES(?1,?2,?3,?4,?5)");
  st.bind_all(meter_id, kind, json, source, ts_ms);
  return st.run();
}

Status save_load_trip(SqliteDb& db, const std::string& meter_id, const LoadTripState& state) {
  if (!state.tripped && state.restores_today == 0) {
    Statement st(db, "DELETE FROM load_trips WHERE meter_id = ?1");
    st.bind_all(meter_id);
    return st.run();
  }
  Statement st(db,
               "INSERT OR REPLACE INTO load_trips(meter_id, reason, tripped_ms, restore_at_ms, "
               "restores_today, restores_day, tripped) VALUES(?1,?2,?3,?4,?5,?6,?7)");
  st.bind_all(meter_id, std::string(load_trip_event(state.reason)), to_unix_ms(state.tripped_at));
  if (state.restore_at) {
    st.bind(4, to_unix_ms(*state.restore_at));
  } else {
    st.bind_null(4);
  }
  st.bind(5, static_cast<std::int64_t>(state.restores_today));
  st.bind(6, static_cast<std::int64_t>(state.restores_day));
  st.bind(7, static_cast<std::int64_t>(state.tripped ? 1 : 0));
  return st.run();
}

Status apply_engine_change(SqliteDb& db, const EngineChange& change, UsageCoalescer& usage) {
  return std::visit(
      [&db, &usage](const auto& row) -> Status {
        using Row = std::decay_t<decltype(row)>;
        // A close marks the rollup rows that exist and a prune removes rows: both must find
        // the deltas before them written. A reopen and a summary only touch close records,
        // but no period change runs ahead of a delta before it.
        constexpr bool kPeriodChange =
            std::is_same_v<Row, UsagePrune> || std::is_same_v<Row, UsagePeriodClose> ||
            std::is_same_v<Row, UsageReopen> || std::is_same_v<Row, UsageSummary>;
        if constexpr (kPeriodChange) {
          if (Status status = usage.write(db); !status) return status;
        }
        if constexpr (std::is_same_v<Row, AccountRow>) {
          return upsert_account(db, row);
        } else if constexpr (std::is_same_v<Row, AccountMetersRow>) {
          return replace_account_meters(db, row.account_id, row.meters);
        } else if constexpr (std::is_same_v<Row, TariffRow>) {
          return upsert_tariff_change(db, row);
        } else if constexpr (std::is_same_v<Row, AccountStateRow>) {
          return save_account_state(db, row);
        } else if constexpr (std::is_same_v<Row, LedgerEntry>) {
          return append_ledger(db, row);
        } else if constexpr (std::is_same_v<Row, MeterBillingRow>) {
          return save_meter_billing(db, row);
        } else if constexpr (std::is_same_v<Row, MeterRechargeRow>) {
          return save_meter_recharge(db, row);
        } else if constexpr (std::is_same_v<Row, RelayOverrideRow>) {
          return save_relay_override(db, row.meter_id, row.hold, row.command_id, row.ts_ms);
        } else if constexpr (std::is_same_v<Row, ControlRow>) {
          return save_control(db, row.meter_id, row.kind, row.json, row.source, row.ts_ms);
        } else if constexpr (std::is_same_v<Row, LoadTripRow>) {
          return save_load_trip(db, row.meter_id, row.state);
        } else if constexpr (std::is_same_v<Row, UsageDelta>) {
          usage.add(row);
          return Ok{};
        } else if constexpr (std::is_same_v<Row, UsagePrune>) {
          if (Status status = prune_usage(db, row); !status) return status;
          return prune_usage_closes(db, row);
        } else if constexpr (std::is_same_v<Row, UsagePeriodClose>) {
          return close_usage_period(db, row);
        } else if constexpr (std::is_same_v<Row, UsageReopen>) {
          return reopen_usage(db, row);
        } else {
          static_assert(std::is_same_v<Row, UsageSummary>);
          return record_usage_summary(db, row);
        }
      },
      change);
}

}  // namespace meterd
