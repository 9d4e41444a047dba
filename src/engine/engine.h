// SPDX-License-Identifier: Apache-2.0
// The prepaid engine: bills energy, keeps the ledger, raises balance alarms, cuts supply off
// at the cut-off and restores it on recharge, applies recharges and refunds exactly once.
// Runs on the loop thread; everything durable goes through the engine store port
// (engine_store.h) as EngineWrites, each atomic with the events it raises.
//
// Billing (gateway mode): each energy_total reading makes an increment since the meter's
// previous reading; it is priced at once (the live balance drives alarms and the relay), and
// deductions are coalesced per account into ledger entries, written when the account's
// pending increments would stop sharing one price (another TOU period, local day or tariff),
// after `ledger_interval`, when the alarm level changes, before a recharge or refund, and at
// stop. Each write carries the meters' last billed readings with the deduction, so a crash
// loses only unwritten increments, which are billed again, once, from the committed reading:
// no Wh is lost or billed twice. (The lost readings are gone, so the energy since the
// committed one is spread over the whole gap; if that gap crosses a price boundary the split
// between the prices can differ from what the lost readings would have given.)
//
// Meter mode: the meter keeps the balance; the engine mirrors `balance` readings (the drop
// becomes a deduction entry, so the ledger still sums to the balance), and writes recharges
// with the `recharge` action, the purchase count as the idempotency key, journaled in
// meter_recharges before the write so a crash at any step neither loses nor repeats it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/driver.h"
#include "core/meter_polled.h"
#include "engine/account_runtime.h"
#include "engine/action_port.h"
#include "engine/billing_config.h"
#include "engine/engine_store.h"
#include "engine/load_guard.h"
#include "engine/load_limits.h"
#include "engine/supply_schedule.h"

namespace meterd {

struct EngineStats {
  std::int64_t increments = 0;
  std::int64_t ledger_entries = 0;
  std::int64_t relay_actions = 0;
  std::int64_t relay_failures = 0;
  std::int64_t energy_reversals = 0;
  std::int64_t load_trips = 0;
  std::int64_t auto_restores = 0;
  // Relays the engine drives, by state of the relay state model (relay_state.h): "settled",
  // "armed", "failed" ...; filled by Engine::stats().
  std::map<std::string, std::int64_t> relay_states;
};

// What became of a parameter change at a meter-billed account's meter.
struct MeterWrite {
  std::string action;          // the first action that failed, or the last one
  std::optional<Error> error;  // none: the meter took every action
};

// The outcome of an account or parameter change from a command.
struct AdminOutcome {
  bool ok = false;
  std::string code;  // "" when ok; "unknown_account", "invalid", "in_arrears", ...
  std::string message;
  std::optional<MeterWrite> meter_write;  // meter billing mode: the meter's copy
};

// An account opened by a command.
struct AccountOpening {
  AccountSpec spec;                     // spec.tariff_id unused
  std::optional<CommandTariff> tariff;  // none: none (meter billing mode)
};

class Engine {
 public:
  using Post = std::function<void(std::function<void()>)>;  // onto the loop

  Engine(EngineStore& store, const Clock& clock, BillingConfig config, ActionPort& actions,
         Post post);
  ~Engine();

  // Loads accounts, balances and billed readings from the store, then creates or updates the
  // accounts of the configuration (see docs/billing.md) and resumes unfinished meter-mode
  // recharges. Throws std::runtime_error when the store cannot be read.
  void start();
  // Writes every pending deduction. No actions are started afterwards.
  void stop();

  void on_reading(const MeterPolled& polled);
  // A meter went offline or came back (the bus's MeterStateChanged): the offline time of
  // meters with an account goes into their statistics (docs/statistics.md).
  void on_meter_state(const std::string& meter_id, bool online, WallTime time);
  // Every second or so: relay retries, ledger_interval flushes.
  void on_tick();

  // `done` runs on the loop once the outcome is durable (or at once for a rejection).
  void recharge(const MoneyOrder& order, std::function<void(MoneyOutcome)> done);
  void refund(const MoneyOrder& order, std::function<void(MoneyOutcome)> done);

  // Account and parameter changes (from commands; the account's source becomes "command", so
  // the site file no longer overrides it). `done` runs on the loop once durable.
  using AdminDone = std::function<void(AdminOutcome)>;
  void set_tariff(const std::string& account_id, CommandTariff tariff,
                  std::optional<WallTime> effective_from, AdminDone done);
  void set_thresholds(const std::string& account_id, AlarmThresholds thresholds, AdminDone done);
  void open_account(AccountOpening opening, AdminDone done);
  void close_account(const std::string& account_id, AdminDone done);
  void assign_meter(const std::string& meter_id, const std::string& account_id, AdminDone done);
  // Load and time control of one meter (docs/load-and-time-control.md), as the command gave
  // them; none clears them. Persisted; the relay follows at once.
  void set_load_limits(const std::string& meter_id, const std::optional<LoadLimitsOrder>& order,
                       AdminDone done);
  void set_schedule(const std::string& meter_id, const std::optional<SupplySchedule>& schedule,
                    AdminDone done);
  // A relay command: open holds the relay open (persisted) until a close; close is refused
  // for a meter whose account is cut off or whose schedule has no supply now, and restores a
  // meter tripped by load control. The action's outcome comes back in `done`.
  void command_relay(const std::string& meter_id, bool close,
                     std::function<void(Result<MeterReading>)> done);

  // For queries and tests: the live state of an account.
  const AccountRuntime* account(const std::string& id) const;
  const MeterRuntime* meter(const std::string& id) const;
  // The load trip of a meter with load limits (nullptr: none set).
  const LoadTripState* load_trip(const std::string& meter_id) const;
  // Whether the meter's schedule allows supply now (true without a schedule).
  bool schedule_allows(const std::string& meter_id) const;
  const EngineStats& stats() const;
  // The statistics rollups `query` names, as stored (engine_store.h: a store read that the
  // loop waits for; the stats op bounds its size).
  Result<std::vector<UsageRollup>> read_usage(const UsageQuery& query) const;
  // Many meters' rollups summed per period, in one store read (a tag's aggregate).
  Result<std::vector<UsageRollup>> read_usage_sum(const UsageSumQuery& query) const;
  // The meter's relay in the relay state model, as a JSON object (docs/mqtt-api.md,
  // telemetry `relay`); nullopt while the engine has no goal for it.
  std::optional<std::string> relay_json(const std::string& meter_id) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meterd
