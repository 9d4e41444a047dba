// SPDX-License-Identifier: Apache-2.0
// The engine's durable state as plain values: what it loads at start and the changes it
// writes (EngineChange). The engine store port (engine_store.h) moves them; the SQLite tables
// that hold them are the store's business (store/engine_tables.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/money.h"
#include "engine/account_runtime.h"
#include "engine/load_guard.h"
#include "engine/period_close.h"
#include "engine/tariff.h"
#include "engine/usage_rollup.h"

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
  // The tariff the JSON says. Written by the engine with the row; on loading, the store reads
  // it from the JSON, and leaves it empty (and logs why) when the JSON is not a tariff.
  std::optional<Tariff> tariff{};
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

inline constexpr const char* kLoadLimitsControl = "load_limits";
inline constexpr const char* kScheduleControl = "schedule";

struct StoredControls {
  std::map<std::string, std::string> load_limits;  // meter -> JSON
  std::map<std::string, std::string> schedules;    // meter -> JSON
  std::map<std::string, LoadTripState> trips;      // tripped, or restored automatically today
};

// The meters of an account, replacing the ones stored.
struct AccountMetersRow {
  std::string account_id;
  std::vector<std::string> meters;
};

// A relay held open by a command (`command_id`), or released when `hold` is false.
struct RelayOverrideRow {
  std::string meter_id;
  bool hold = false;
  std::string command_id;
  std::int64_t ts_ms = 0;
};

// A meter's load limits or supply schedule (`kind`) as JSON; `json` empty removes it.
struct ControlRow {
  std::string meter_id;
  std::string kind;
  std::string json;
  std::string source;
  std::int64_t ts_ms = 0;
};

// A meter's load trip; a state neither tripped nor with restores to count removes it.
struct LoadTripRow {
  std::string meter_id;
  LoadTripState state;
};

// One change of an EngineWrite. An AccountStateRow, MeterBillingRow, MeterRechargeRow or
// TariffRow replaces the stored row with the same key; a LedgerEntry is appended; a UsageDelta
// is added to the statistics rollups it names (usage_rollup.h); a UsagePrune removes old ones
// (and their close records); UsagePeriodClose, UsageReopen and UsageSummary close periods and
// publish their summaries (period_close.h).
using EngineChange =
    std::variant<AccountRow, AccountMetersRow, TariffRow, AccountStateRow, LedgerEntry,
                 MeterBillingRow, MeterRechargeRow, RelayOverrideRow, ControlRow, LoadTripRow,
                 UsageDelta, UsagePrune, UsagePeriodClose, UsageReopen, UsageSummary>;

}  // namespace meterd
