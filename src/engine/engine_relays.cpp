// SPDX-License-Identifier: Apache-2.0
// Supply: what the relay of every meter should do, from what decides it (the account's level
// in gateway mode, relay commands, load and time control). The relay desk (relay_desk.h)
// drives the relays towards it.
#include "engine/engine_impl.h"

namespace meterd {

bool Engine::Impl::supply_wanted(const AccountRuntime& account, const std::string& meter_id) const {
  return account.level != AlarmLevel::kCutOff && !account.closed &&
         !relays_.forced_open(meter_id) && controls_.allows(meter_id);
}

void Engine::Impl::set_supply(AccountRuntime& account) {
  for (const std::string& meter_id : account.meters) {
    relays_.want(meter_id, supply_wanted(account, meter_id));
  }
}

void Engine::Impl::update_supply(const std::string& meter_id) {
  if (auto meter = meters_.find(meter_id); meter != meters_.end()) {
    AccountRuntime& account = accounts_.at(meter->second.account_id);
    if (account.mode == BillingMode::kGateway) return set_supply(account);
  }
  relays_.want(meter_id, !relays_.forced_open(meter_id) && controls_.allows(meter_id));
}

std::vector<std::string> Engine::Impl::relay_holds(const std::string& meter_id) const {
  std::vector<std::string> holds;
  if (auto meter = meters_.find(meter_id); meter != meters_.end()) {
    const AccountRuntime& account = accounts_.at(meter->second.account_id);
    if (account.mode == BillingMode::kGateway) {
      if (account.level == AlarmLevel::kCutOff) holds.emplace_back("cut_off");
      if (account.closed) holds.emplace_back("account_closed");
    }
  }
  if (relays_.forced_open(meter_id)) holds.emplace_back("relay_open_command");
  for (std::string& hold : controls_.holds(meter_id)) holds.push_back(std::move(hold));
  return holds;
}

void Engine::Impl::count_load_trip(const std::string& meter_id) {
  count_usage(meter_id, account_of(meter_id), &UsageFigures::load_trips);
}

void Engine::Impl::relay_switched(const std::string& meter_id) {
  count_usage(meter_id, account_of(meter_id), &UsageFigures::relay_operations);
  write_to_store(EngineWrite{});
}

}  // namespace meterd
