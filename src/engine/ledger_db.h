// SPDX-License-Identifier: Apache-2.0
// The engine's tables (see store migration 2), read at start-up and written inside store
// batch transactions (StateWrite::apply). Each function is one statement's worth of work;
// the engine composes them into one atomic write. Store thread only.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "engine/account_runtime.h"
#include "store/sqlite_db.h"

namespace meterd {

struct AccountRow {
  std::string id;
  std::string name;
  BillingMode mode = BillingMode::kGateway;
  AlarmThresholds thresholds;
  std::string source;
  bool closed = false;
  std::int64_t updated_ms = 0;
};

struct TariffRow {
  std::string account_id;
  std::int64_t effective_ms = 0;
  std::string tariff_json;
  std::string source;
};

struct AccountStateRow {
  std::string account_id;
  Money balance;
  AlarmLevel level = AlarmLevel::kNormal;
  BillingCounters counters;
};

struct LedgerEntry {
  std::string account_id;
  std::int64_t ts_ms = 0;
  std::string kind;  // recharge, refund, deduction, fee, adjustment
  Money amount;      // signed: credit > 0, debit < 0
  Money balance_after;
  std::string order_id;  // empty: none
  std::string meter_id;
  std::string details_json = "{}";
};

struct MeterBillingRow {
  std::string meter_id;
  Energy energy;
  std::int64_t ts_ms = 0;
};

struct MeterRechargeRow {
  std::string order_id;
  std::string kind;  // recharge
  std::string account_id;
  std::string meter_id;
  Money amount;
  std::int64_t purchase_count = 0;
  std::string state;  // pending, done, failed
  std::int64_t ts_ms = 0;
};

struct StoredEngineState {
  std::vector<AccountRow> accounts;
  std::map<std::string, std::string> meter_accounts;  // meter -> account
  std::vector<TariffRow> tariffs;                     // by account, effective time
  std::map<std::string, AccountStateRow> states;
  std::map<std::string, MeterBillingRow> billing;
  std::vector<LedgerEntry> money_orders;  // recharge/refund entries with an order id
  std::vector<MeterRechargeRow> meter_recharges;
  std::set<std::string> forced_open;  // relay_overrides
};

Status load_engine_state(SqliteDb& db, StoredEngineState& out);
// Sum of the ledger per account (to check the cached balances at start-up).
Result<std::map<std::string, Money>> ledger_sums(SqliteDb& db);

Status upsert_account(SqliteDb& db, const AccountRow& row);
Status replace_account_meters(SqliteDb& db, const std::string& account_id,
                              const std::vector<std::string>& meters);
Status upsert_tariff_change(SqliteDb& db, const TariffRow& row);
Status save_account_state(SqliteDb& db, const AccountStateRow& row);
Status append_ledger(SqliteDb& db, const LedgerEntry& entry);
Status save_meter_billing(SqliteDb& db, const MeterBillingRow& row);
Status save_meter_recharge(SqliteDb& db, const MeterRechargeRow& row);
// Held open by a command (`command_id`), or released when `hold` is false.
Status save_relay_override(SqliteDb& db, const std::string& meter_id, bool hold,
                           const std::string& command_id, std::int64_t ts_ms);

}  // namespace meterd
