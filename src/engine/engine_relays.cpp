// Supply switching in gateway mode: the relay of every meter of an account follows its alarm
// level (open at cut-off, closed otherwise). Failed actions are retried with backoff; a
// reading that disagrees with the wanted state (a relay closed by hand while in arrears) is
// corrected, with an event.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "engine/engine_impl.h"

namespace meterd {

SteadyTime Engine::Impl::backoff_after(int failures) const {
  auto delay = config_.relay_retry_min * (1LL << std::min(failures - 1, 16));
  return clock_.steady_now() + std::min<std::chrono::milliseconds>(delay, config_.relay_retry_max);
}

bool Engine::Impl::supply_wanted(const AccountRuntime& account, const std::string& meter_id) {
  return account.level != AlarmLevel::kCutOff && !account.closed &&
         !relays_[meter_id].forced_open && controls_allow(meter_id);
}

void Engine::Impl::set_supply(AccountRuntime& account) {
  for (const std::string& meter_id : account.meters) {
    want_relay(meter_id, supply_wanted(account, meter_id));
  }
}

void Engine::Impl::update_supply(const std::string& meter_id) {
  if (auto meter = meters_.find(meter_id); meter != meters_.end()) {
    AccountRuntime& account = accounts_.at(meter->second.account_id);
    if (account.mode == BillingMode::kGateway) return set_supply(account);
  }
  want_relay(meter_id, !relays_[meter_id].forced_open && controls_allow(meter_id));
}

void Engine::Impl::want_relay(const std::string& meter_id, bool closed) {
  RelayState& relay = relays_[meter_id];
  if (relay.desired == closed) return;
  const bool first = !relay.desired.has_value();
  relay.desired = closed;
  // At start-up the stored level only says what we want; the first reading tells whether
  // the relay needs moving. A change at run time moves it at once.
  if (first && !relay.reported) return;
  relay.needs_action = relay.reported != closed || !first;
  relay.failures = 0;
  relay.retry_at = SteadyTime{};
  drive_relay(meter_id);
}

void Engine::Impl::reconcile_relay(const std::string& meter_id, bool closed, WallTime time) {
  RelayState& relay = relays_[meter_id];
  relay.reported = closed;
  if (!relay.desired || *relay.desired == closed || relay.in_flight || relay.needs_action) return;
  if (time < relay.last_done) return;  // polled before our last action went out
  spdlog::warn("engine: relay of meter {} is {} but should be {}; switching it back", meter_id,
               closed ? "closed" : "open", *relay.desired ? "closed" : "open");
  store_.append_event(event("relay_mismatch", meter_id,
                            std::string("{\"reported\":\"") + (closed ? "closed" : "open") +
                                "\",\"wanted\":\"" + (*relay.desired ? "closed" : "open") + "\"}"));
  relay.needs_action = true;
  drive_relay(meter_id);
}

void Engine::Impl::drive_relay(const std::string& meter_id) {
  RelayState& relay = relays_[meter_id];
  if (stopped_ || !relay.needs_action || relay.in_flight || !relay.desired) return;
  if (clock_.steady_now() < relay.retry_at) return;
  relay.in_flight = true;
  const bool closed = *relay.desired;
  ++stats_.relay_actions;
  actions_.submit(meter_id, Action{closed ? "relay_close" : "relay_open", {}, {}},
                  alive([this, meter_id, closed](Result<MeterReading> result) {
                    on_relay_done(meter_id, closed, std::move(result));
                  }));
}

void Engine::Impl::on_relay_done(const std::string& meter_id, bool closed,
                                 Result<MeterReading> result) {
  RelayState& relay = relays_[meter_id];
  relay.in_flight = false;
  relay.last_done = clock_.wall_now();
  if (result) {
    relay.failures = 0;
    relay.reported = flag_point(result.value(), "relay_closed").value_or(closed);
    // The wanted state may have changed while the action ran.
    relay.needs_action = relay.desired != relay.reported;
    if (relay.needs_action) drive_relay(meter_id);
    return;
  }
  ++stats_.relay_failures;
  ++relay.failures;
  relay.retry_at = backoff_after(relay.failures);
  if (relay.failures == 1 || relay.failures % 10 == 0) {
    spdlog::warn("engine: {} of meter {} failed ({} in a row): {}",
                 closed ? "relay_close" : "relay_open", meter_id, relay.failures,
                 result.error().message);
    store_.append_event(event("relay_action_failed", meter_id,
                              std::string("{\"action\":\"") + (closed ? "relay_close" : "relay_open") +
                                  "\",\"failures\":" + std::to_string(relay.failures) +
                                  ",\"error\":\"" + std::string(to_string(result.error().kind)) +
                                  "\"}"));
  }
}

}  // namespace meterd
