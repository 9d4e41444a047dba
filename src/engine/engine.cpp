// SPDX-License-Identifier: Apache-2.0
#include "engine/engine.h"

#include "engine/engine_impl.h"

namespace meterd {

Engine::Engine(EngineStore& store, const Clock& clock, BillingConfig config, ActionPort& actions,
               Post post)
    : impl_(std::make_unique<Impl>(store, clock, std::move(config), actions, std::move(post))) {}

Engine::~Engine() = default;

void Engine::start() { impl_->start(); }

void Engine::stop() {
  impl_->flush_all();
  impl_->flush_measures();
  impl_->stopped_ = true;
}

void Engine::on_reading(const MeterPolled& polled) { impl_->on_reading(polled); }

void Engine::on_tick() { impl_->on_tick(); }

void Engine::on_meter_state(const std::string& meter_id, bool online, WallTime time) {
  impl_->on_meter_state(meter_id, online, time);
}

void Engine::recharge(const MoneyOrder& order, std::function<void(MoneyOutcome)> done) {
  impl_->orders_.recharge(order, std::move(done));
}

void Engine::refund(const MoneyOrder& order, std::function<void(MoneyOutcome)> done) {
  impl_->orders_.refund(order, std::move(done));
}

void Engine::set_tariff(const std::string& account_id, CommandTariff tariff,
                        std::optional<WallTime> effective_from, AdminDone done) {
  impl_->set_tariff(account_id, std::move(tariff), effective_from, std::move(done));
}

void Engine::set_thresholds(const std::string& account_id, AlarmThresholds thresholds,
                            AdminDone done) {
  impl_->set_thresholds(account_id, thresholds, std::move(done));
}

void Engine::open_account(AccountOpening opening, AdminDone done) {
  impl_->open_account(std::move(opening), std::move(done));
}

void Engine::close_account(const std::string& account_id, AdminDone done) {
  impl_->close_account(account_id, std::move(done));
}

void Engine::assign_meter(const std::string& meter_id, const std::string& account_id,
                          AdminDone done) {
  impl_->assign_meter(meter_id, account_id, std::move(done));
}

void Engine::set_load_limits(const std::string& meter_id,
                             const std::optional<LoadLimitsOrder>& order, AdminDone done) {
  impl_->set_load_limits(meter_id, order, std::move(done));
}

void Engine::set_schedule(const std::string& meter_id,
                          const std::optional<SupplySchedule>& schedule, AdminDone done) {
  impl_->set_schedule(meter_id, schedule, std::move(done));
}

void Engine::command_relay(const std::string& meter_id, bool close,
                           std::function<void(Result<MeterReading>)> done) {
  impl_->command_relay(meter_id, close, std::move(done));
}

const AccountRuntime* Engine::account(const std::string& id) const {
  return impl_->find_account(id);
}

const MeterRuntime* Engine::meter(const std::string& id) const { return impl_->find_meter(id); }

const LoadTripState* Engine::load_trip(const std::string& meter_id) const {
  return impl_->controls_.load_trip(meter_id);
}

bool Engine::schedule_allows(const std::string& meter_id) const {
  return impl_->controls_.schedule_allows(meter_id);
}

Result<std::vector<UsageRollup>> Engine::read_usage(const UsageQuery& query) const {
  return impl_->store_.read_usage(query);
}

Result<std::vector<UsageRollup>> Engine::read_usage_sum(const UsageSumQuery& query) const {
  return impl_->store_.read_usage_sum(query);
}

const EngineStats& Engine::stats() const {
  impl_->stats_.relay_actions = impl_->relays_.actions_sent();
  impl_->stats_.relay_failures = impl_->relays_.failures();
  impl_->stats_.relay_states = impl_->relays_.phase_counts();
  impl_->stats_.load_trips = impl_->controls_.load_trips();
  impl_->stats_.auto_restores = impl_->controls_.auto_restores();
  return impl_->stats_;
}

std::optional<std::string> Engine::relay_json(const std::string& meter_id) const {
  return impl_->relays_.json(meter_id);
}

}  // namespace meterd
