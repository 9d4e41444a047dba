// SPDX-License-Identifier: Apache-2.0
// Supply switching: the relay of every meter follows what decides it (the account's level in
// gateway mode, relay commands, load and time control). Every attempt at a goal counts; a
// failed one is retried with backoff, and after `relay_attempts` the engine gives up with one
// relay_action_failed until something changes. A reading that disagrees with the goal (a
// relay closed by hand while in arrears) is corrected, with an event, within the same budget.
// A meter that took "close allowed" (DL/T 645 1B) is left for the customer to close.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/engine_impl.h"

namespace meterd {
namespace {

const char* relay_action_name(bool closed) { return closed ? "relay_close" : "relay_open"; }
const char* relay_word(bool closed) { return closed ? "closed" : "open"; }

// What one relay action achieved, judged from the driver's answer and its read-back.
struct RelayOutcome {
  enum class Kind { kSwitched, kCloseAllowed, kFailed } kind = Kind::kFailed;
  std::optional<bool> reported;  // relay_closed as read back
  std::string reason;            // kFailed: the error kind, or "not_switched"
  std::string message;
};

RelayOutcome judge_relay_action(bool close, const Result<MeterReading>& result) {
  using Kind = RelayOutcome::Kind;
  if (!result) {
    return {Kind::kFailed, std::nullopt, to_string(result.error().kind), result.error().message};
  }
  const std::optional<bool> closed = flag_point(result.value(), "relay_closed");
  if (!closed || *closed == close)
    return {Kind::kSwitched, close, "", ""};  // no read-back: trust it
  if (close && flag_point(result.value(), "relay_close_allowed").value_or(false)) {
    return {Kind::kCloseAllowed, false, "", ""};
  }
  return {Kind::kFailed, closed, "not_switched",
          std::string("the meter answered, but its relay is still ") + relay_word(*closed)};
}

}  // namespace

SteadyTime Engine::Impl::backoff_after(int failures) const {
  auto delay = config_.relay_retry_min * (1LL << std::clamp(failures - 1, 0, 16));
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
  relay.new_goal();
  // At start-up the stored level only says what we want; the first reading tells whether
  // the relay needs moving. A change at run time moves it at once.
  if (first && !relay.reported) return;
  relay.needs_action = relay.reported != closed || !first;
  drive_relay(meter_id);
}

void Engine::Impl::reconcile_relay(const MeterPolled& polled) {
  const std::optional<bool> reported = flag_point(polled.reading, "relay_closed");
  if (!reported) return;
  const bool closed = *reported;
  const std::string& meter_id = polled.meter_id;
  RelayState& relay = relays_[meter_id];
  if (polled.time < relay.last_done) return;  // polled before our last action went out
  relay.reported = closed;
  relay.close_allowed =
      !closed && flag_point(polled.reading, "relay_close_allowed").value_or(relay.close_allowed);
  if (!relay.desired || relay.in_flight || relay.needs_action) return;
  if (*relay.desired == closed) {  // where it is wanted: a later mismatch is news again
    relay.new_goal();
    return;
  }
  if (relay.gave_up) return;  // only a change of the relay, the goal or a command retries
  if (*relay.desired && relay.close_allowed) return;  // the customer closes it at the meter
  if (relay.attempts >= config_.relay_attempts) {
    return give_up_relay(meter_id, "not_switched",
                         std::string("readings still show the relay ") + relay_word(closed));
  }
  spdlog::warn("engine: relay of meter {} is {} but should be {}; switching it back", meter_id,
               relay_word(closed), relay_word(*relay.desired));
  relay.needs_action = true;
  store_.append_event(event("relay_mismatch", meter_id,
                            with_relay(meter_id, {{"reported", relay_word(closed)},
                                                  {"wanted", relay_word(*relay.desired)}})));
  drive_relay(meter_id);
}

void Engine::Impl::drive_relay(const std::string& meter_id) {
  RelayState& relay = relays_[meter_id];
  if (stopped_ || !relay.needs_action || relay.in_flight || !relay.desired || relay.gave_up) return;
  if (clock_.steady_now() < relay.retry_at) return;
  submit_relay(meter_id, *relay.desired, nullptr);
}

void Engine::Impl::submit_relay(const std::string& meter_id, bool closed,
                                std::function<void(Result<MeterReading>)> done) {
  RelayState& relay = relays_[meter_id];
  relay.in_flight = true;
  relay.needs_action = false;
  ++relay.attempts;
  ++stats_.relay_actions;
  actions_.submit(meter_id, Action{relay_action_name(closed), {}, {}},
                  alive([this, meter_id, closed, done = std::move(done)](Result<MeterReading> r) {
                    on_relay_done(meter_id, closed, r);
                    if (done) done(r);
                  }));
}

void Engine::Impl::on_relay_done(const std::string& meter_id, bool closed,
                                 Result<MeterReading> result) {
  RelayState& relay = relays_[meter_id];
  relay.in_flight = false;
  relay.last_done = clock_.wall_now();
  if (stopped_) return;  // the buses are stopping: an aborted action is no news
  const RelayOutcome outcome = judge_relay_action(closed, result);
  if (outcome.kind == RelayOutcome::Kind::kSwitched) {  // a relay operation, for the rollups
    count_usage(meter_id, account_of(meter_id), &UsageFigures::relay_operations);
    write_to_store(EngineWrite{});
  }
  if (outcome.reported) relay.reported = outcome.reported;
  if (outcome.kind != RelayOutcome::Kind::kFailed) {
    relay.close_allowed = outcome.kind == RelayOutcome::Kind::kCloseAllowed;
  }
  if (relay.desired != closed) {  // the goal changed while the action ran
    relay.needs_action = relay.desired.has_value();
    return drive_relay(meter_id);
  }
  relay.retry_at = backoff_after(relay.attempts);  // spaces a retry after a mismatch too
  switch (outcome.kind) {
    case RelayOutcome::Kind::kSwitched:
      return;
    case RelayOutcome::Kind::kCloseAllowed:
      spdlog::info(
          "engine: meter {} allows closing; its relay stays open until the customer "
          "closes it",
          meter_id);
      store_.append_event(
          event("relay_close_allowed", meter_id, with_relay(meter_id, {{"reported", "open"}})));
      return;
    case RelayOutcome::Kind::kFailed:
      break;
  }
  ++stats_.relay_failures;
  if (relay.attempts >= config_.relay_attempts) {
    return give_up_relay(meter_id, outcome.reason, outcome.message);
  }
  if (relay.attempts == 1) {
    spdlog::warn("engine: {} of meter {} failed ({}), retrying: {}", relay_action_name(closed),
                 meter_id, outcome.reason, outcome.message);
  }
  relay.needs_action = true;
}

void Engine::Impl::give_up_relay(const std::string& meter_id, const std::string& reason,
                                 const std::string& message) {
  RelayState& relay = relays_[meter_id];
  relay.gave_up = true;
  relay.needs_action = false;
  const char* action = relay_action_name(relay.desired.value_or(false));
  spdlog::error(
      "engine: {} of meter {} failed {} times ({}: {}); no more attempts until the "
      "relay, the wanted state or a relay command changes",
      action, meter_id, relay.attempts, reason, message);
  store_.append_event(event("relay_action_failed", meter_id,
                            with_relay(meter_id, {{"action", action},
                                                  {"attempts", relay.attempts},
                                                  {"reason", reason},
                                                  {"message", message}})));
}

std::vector<std::string> Engine::Impl::relay_holds(const std::string& meter_id) const {
  std::vector<std::string> holds;
  if (auto meter = meters_.find(meter_id); meter != meters_.end()) {
    const AccountRuntime& account = accounts_.at(meter->second.account_id);
    if (account.mode == BillingMode::kGateway) {
      if (account.level == AlarmLevel::kCutOff) holds.push_back("cut_off");
      if (account.closed) holds.push_back("account_closed");
    }
  }
  if (auto relay = relays_.find(meter_id); relay != relays_.end() && relay->second.forced_open) {
    holds.push_back("relay_open_command");
  }
  if (auto controls = controls_.find(meter_id); controls != controls_.end()) {
    const LoadTripState& trip = controls->second.guard.state();
    if (trip.tripped) holds.push_back(load_trip_event(trip.reason));
    if (!controls->second.schedule_allows) holds.push_back("supply_schedule");
  }
  return holds;
}

std::optional<std::string> Engine::Impl::relay_json(const std::string& meter_id) const {
  auto relay = relays_.find(meter_id);
  if (relay == relays_.end() || !relay->second.desired) return std::nullopt;
  return relay_state_json(relay->second, relay_holds(meter_id), config_.relay_attempts);
}

std::string Engine::Impl::with_relay(const std::string& meter_id, nlohmann::json details) const {
  if (std::optional<std::string> relay = relay_json(meter_id)) {
    details["relay"] = nlohmann::json::parse(*relay);
  }
  return details.dump();
}

void Engine::Impl::observe_relay(const MeterPolled& polled) {
  auto relay = relays_.find(polled.meter_id);
  if (relay == relays_.end() || polled.time < relay->second.last_done) return;
  const std::optional<bool> reported = flag_point(polled.reading, "relay_closed");
  if (!reported) return;
  relay->second.reported = *reported;
  relay->second.close_allowed =
      !*reported &&
      flag_point(polled.reading, "relay_close_allowed").value_or(relay->second.close_allowed);
}

std::map<std::string, std::int64_t> Engine::Impl::relay_phase_counts() const {
  std::map<std::string, std::int64_t> counts;
  for (const auto& [meter_id, relay] : relays_) {
    if (relay.desired) ++counts[to_string(relay_phase(relay))];
  }
  return counts;
}

}  // namespace meterd
