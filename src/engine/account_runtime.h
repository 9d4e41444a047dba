// SPDX-License-Identifier: Apache-2.0
// The engine's in-memory picture of accounts and meters. The store holds the last committed
// picture; the engine is ahead of it by the deductions not yet flushed (coalesced per account,
// see engine.h), and a restart rebuilds this from the store. Loop thread only.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/money.h"
#include "engine/alarm_policy.h"
#include "engine/billing_config.h"
#include "engine/demand_windows.h"
#include "engine/pricing.h"
#include "engine/tariff.h"
#include "engine/usage_rollup.h"

namespace meterd {

// What one local day of a pending deduction adds to the statistics rollups.
struct DayUsage {
  std::int32_t day = 0;  // local yyyymmdd
  UsageFigures figures;
};

// What a flushed ledger deduction of one meter carries.
struct PendingDeduction {
  Money amount;  // positive: what was deducted
  Energy energy;
  Energy free;
  std::array<std::int64_t, kTouPeriods> wh_by_period{};
  WallTime from{};
  WallTime to{};
  std::vector<DayUsage> usage;  // the same charges and Wh by local day, for the rollups
  bool empty() const { return amount == Money{0} && energy == Energy{0}; }
};

// The range of phase voltages a meter reported on one local day (0.1 V; 0: none yet).
struct VoltageRange {
  std::int32_t day = 0;
  std::int64_t min_dv = 0;
  std::int64_t max_dv = 0;
};

struct MeterRuntime {
  std::string meter_id;
  std::string account_id;
  // The last billed reading as committed (meter_billing) and the newest one seen.
  bool has_billed = false;
  Energy billed_energy;
  WallTime billed_time{};
  Energy last_energy;
  WallTime last_time{};
  PendingDeduction pending;  // between billed and last
  // Meter billing mode: what the meter itself reports.
  std::optional<std::int64_t> purchase_count;
  std::optional<Money> meter_balance;
  // Statistics from readings and states (engine_measures.cpp).
  MeterDemand demand;
  VoltageRange voltage;
  std::optional<WallTime> offline_since;  // offline time not yet in the rollups starts here
};

struct AccountRuntime {
  std::string id;
  std::string name;
  BillingMode mode = BillingMode::kGateway;
  std::vector<std::string> meters;
  AlarmThresholds thresholds;
  TariffHistory tariffs;
  std::string source = "config";  // who set it last: "config" or "command"
  bool closed = false;

  Money balance;  // live: committed balance minus pending deductions
  AlarmLevel level = AlarmLevel::kNormal;
  BillingCounters counters;
  // Coalescing: what the pending deductions have in common (see engine.cpp).
  std::optional<std::int64_t> pending_signature;
  SteadyTime pending_since{};
  bool has_pending = false;
  DemandWindows demand;  // the energy of all its meters, for the account's maximum demand
  DemandPeak demand_peak;
};

// A recharge or refund, as ordered.
struct MoneyOrder {
  std::string order_id;
  std::string account_id;
  Money amount;             // > 0
  std::string operator_id;  // "cloud", or the technician for local commands
};

// A recharge or refund, as remembered for duplicates: the same order id gets this again.
struct MoneyOutcome {
  bool ok = false;
  std::string code;  // "" when ok; "unknown_account", "insufficient_balance", ...
  std::string message;
  Money amount;
  Money balance_after;
  bool duplicate = false;
};

}  // namespace meterd
