// SPDX-License-Identifier: Apache-2.0
// Start-up: the store's picture first, then the configuration's accounts on top of it.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "engine/engine_events.h"
#include "engine/engine_impl.h"
#include "engine/local_time.h"

namespace meterd {
namespace {

WallTime from_unix_ms(std::int64_t ms) { return WallTime{} + std::chrono::milliseconds(ms); }

}  // namespace

void Engine::Impl::start() {
  // Demand windows start at local midnights (demand_windows.h): any one anchors the grid.
  demand_grid_ = DemandGrid{
      config_.demand_window.count(),
      to_unix_ms(local_instant(to_local(clock_.wall_now(), config_.zone).date, 0, config_.zone))};
  StoredEngineState stored;
  StoredControls controls;
  Status status = store_.load(stored, controls);
  if (!status) throw std::runtime_error("engine: cannot load state: " + status.error().message);
  controls_.load(controls);  // before the accounts: their relays consult the controls
  load(stored);
  seed_from_config();
  for (const std::string& meter_id : controls_.meter_ids()) {
    if (!meters_.count(meter_id)) update_supply(meter_id);
  }
  orders_.resume(stored.meter_recharges);
  start_period_close();
  prune_usage();  // after the closes: a month's days go once its row is folded from them
}

void Engine::Impl::load(const StoredEngineState& stored) {
  for (const AccountRow& row : stored.accounts) {
    AccountRuntime account;
    account.id = row.id;
    account.name = row.name;
    account.mode = row.mode;
    account.thresholds = row.thresholds;
    account.source = row.source;
    account.closed = row.closed;
    if (auto state = stored.states.find(row.id); state != stored.states.end()) {
      account.balance = state->second.balance;
      account.level = state->second.level;
      account.counters = state->second.counters;
    }
    accounts_[row.id] = std::move(account);
  }
  for (const TariffRow& row : stored.tariffs) {
    stored_tariff_json_[row.account_id] = row.tariff_json;  // rows come by effective time
    auto account = accounts_.find(row.account_id);
    if (account == accounts_.end()) continue;
    if (row.tariff) {  // the store logged why a stored tariff cannot be read
      account->second.tariffs.add(TariffChange{from_unix_ms(row.effective_ms), *row.tariff});
    }
  }
  for (const auto& [meter_id, account_id] : stored.meter_accounts) {
    auto account = accounts_.find(account_id);
    if (account == accounts_.end()) continue;
    account->second.meters.push_back(meter_id);
    MeterRuntime meter;
    meter.meter_id = meter_id;
    meter.account_id = account_id;
    if (auto billed = stored.billing.find(meter_id); billed != stored.billing.end()) {
      meter.has_billed = true;
      meter.billed_energy = meter.last_energy = billed->second.energy;
      meter.billed_time = meter.last_time = from_unix_ms(billed->second.ts_ms);
      // Demand continues from the same reading, so the Wh billed across a restart are in it.
      meter.demand.has_last = true;
      meter.demand.last_wh = billed->second.energy.wh;
      meter.demand.last_ms = billed->second.ts_ms;
    }
    meters_[meter_id] = std::move(meter);
  }
  orders_.load(stored.money_orders);
  relays_.load_forced_open(stored.forced_open);
  for (auto& [id, account] : accounts_) {
    if (account.mode == BillingMode::kGateway) set_supply(account);
  }
}

void Engine::Impl::seed_from_config() {
  for (const AccountSpec& spec : config_.accounts) {
    auto existing = accounts_.find(spec.id);
    if (existing == accounts_.end()) {
      create_account(spec);
    } else if (existing->second.source == "config") {
      update_config_account(existing->second, spec);
    } else {
      spdlog::warn(
          "engine: account '{}' was last set by the cloud; its entry in the "
          "configuration is not applied",
          spec.id);
    }
  }
}

void Engine::Impl::create_account(const AccountSpec& spec) {
  AccountRuntime& account = accounts_[spec.id];
  account.id = spec.id;
  account.name = spec.name;
  account.mode = spec.mode;
  account.meters = spec.meters;
  account.thresholds = spec.thresholds;
  account.source = "config";
  account.balance = spec.opening_balance;
  account.level =
      spec.balance_unknown() ? AlarmLevel::kUnknown : level_of(account.balance, account.thresholds);
  std::optional<TariffRow> tariff;
  if (!spec.tariff_id.empty()) {
    account.tariffs.add(TariffChange{WallTime{}, config_.tariffs.at(spec.tariff_id)});
    tariff = TariffRow{spec.id, 0, config_.tariff_json.at(spec.tariff_id), "config",
                       config_.tariffs.at(spec.tariff_id)};
  }
  for (const std::string& meter_id : spec.meters) {
    MeterRuntime& meter = meters_[meter_id];
    meter.meter_id = meter_id;
    meter.account_id = spec.id;
  }
  std::vector<EngineChange> changes{AccountRow{spec.id, spec.name, spec.mode, spec.thresholds,
                                               "config", false, to_unix_ms(clock_.wall_now())},
                                    AccountMetersRow{spec.id, spec.meters}};
  if (tariff) changes.emplace_back(std::move(*tariff));
  std::vector<LedgerEntry> credits;
  if (spec.opening_balance != Money{0}) {
    credits.push_back(LedgerEntry{spec.id, to_unix_ms(clock_.wall_now()), "adjustment",
                                  spec.opening_balance, Money{}, "opening:" + spec.id, "",
                                  "{\"reason\":\"opening balance\"}"});
  }
  commit_account(account, std::move(credits), {}, std::move(changes));
  spdlog::info("engine: account '{}' created from the configuration ({} meters, balance {})",
               spec.id, spec.meters.size(), format_money(account.balance));
  if (account.mode == BillingMode::kGateway) set_supply(account);
}

void Engine::Impl::update_config_account(AccountRuntime& account, const AccountSpec& spec) {
  account.name = spec.name;
  account.mode = spec.mode;
  account.thresholds = spec.thresholds;
  for (const std::string& old_meter : account.meters) {
    if (std::find(spec.meters.begin(), spec.meters.end(), old_meter) == spec.meters.end()) {
      meters_.erase(old_meter);
    }
  }
  account.meters = spec.meters;
  for (const std::string& meter_id : spec.meters) {
    MeterRuntime& meter = meters_[meter_id];
    meter.meter_id = meter_id;
    meter.account_id = spec.id;
  }
  std::optional<TariffRow> tariff;
  if (!spec.tariff_id.empty()) {
    const std::string& json = config_.tariff_json.at(spec.tariff_id);
    const auto& changes = account.tariffs.changes();
    auto stored = stored_tariff_json_.find(spec.id);
    const bool same = stored != stored_tariff_json_.end() && stored->second == json;
    if (!same) {
      const WallTime now = clock_.wall_now();
      const WallTime effective = changes.empty() ? WallTime{} : now;
      account.tariffs.add(TariffChange{effective, config_.tariffs.at(spec.tariff_id)});
      tariff = TariffRow{spec.id, to_unix_ms(effective), json, "config",
                         config_.tariffs.at(spec.tariff_id)};
      spdlog::info("engine: account '{}' takes tariff '{}' from now on", spec.id, spec.tariff_id);
    }
  }
  std::vector<EngineChange> changes{AccountRow{spec.id, spec.name, spec.mode, spec.thresholds,
                                               "config", false, to_unix_ms(clock_.wall_now())},
                                    AccountMetersRow{spec.id, spec.meters}};
  if (tariff) changes.emplace_back(std::move(*tariff));
  std::vector<Event> events;
  evaluate_alarm(account, events, /*defer_supply=*/true);  // set_supply follows
  commit_account(account, {}, std::move(events), std::move(changes));
  if (account.mode == BillingMode::kGateway) set_supply(account);
}

}  // namespace meterd
