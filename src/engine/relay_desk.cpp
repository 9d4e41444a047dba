// SPDX-License-Identifier: Apache-2.0
// Supply switching: the relay of every meter follows its goal. Every attempt at a goal counts;
// a failed one is retried with backoff, and after `relay_attempts` the desk gives up with one
// relay_action_failed until something changes. A reading that disagrees with the goal (a
// relay closed by hand while in arrears) is corrected, with an event, within the same budget.
// A meter that took "close allowed" (DL/T 645 1B) is left for the customer to close.
#include "engine/relay_desk.h"

#include <spdlog/spdlog.h>

#include "engine/reading_points.h"
#include "engine/retry_backoff.h"

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

RelayDesk::RelayDesk(Host& host, ActionPort& actions, const Clock& clock,
                     const BillingConfig& config, LoopPost post)
    : host_(host), actions_(actions), clock_(clock), config_(config), lifetime_(std::move(post)) {}

void RelayDesk::load_forced_open(const std::set<std::string>& meter_ids) {
  for (const std::string& meter_id : meter_ids) relays_[meter_id].forced_open = true;
}

bool RelayDesk::forced_open(const std::string& meter_id) const {
  auto relay = relays_.find(meter_id);
  return relay != relays_.end() && relay->second.forced_open;
}

void RelayDesk::track(const std::string& meter_id) { relays_[meter_id]; }

void RelayDesk::want(const std::string& meter_id, bool closed) {
  RelayState& relay = relays_[meter_id];
  if (relay.desired == closed) return;
  const bool first = !relay.desired.has_value();
  relay.desired = closed;
  relay.new_goal();
  // At start-up the stored level only says what we want; the first reading tells whether
  // the relay needs moving. A change at run time moves it at once.
  if (first && !relay.reported) return;
  relay.needs_action = relay.reported != closed || !first;
  drive(meter_id);
}

void RelayDesk::command(const std::string& meter_id, bool close,
                        std::function<void(Result<MeterReading>)> done) {
  RelayState& relay = relays_[meter_id];
  relay.forced_open = !close;
  relay.desired = close;
  relay.new_goal();  // a command is a new goal, also for a relay the desk gave up on
  submit(meter_id, close, std::move(done));
}

void RelayDesk::reconcile(const MeterPolled& polled) {
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
    return give_up(meter_id, "not_switched",
                   std::string("readings still show the relay ") + relay_word(closed));
  }
  spdlog::warn("engine: relay of meter {} is {} but should be {}; switching it back", meter_id,
               relay_word(closed), relay_word(*relay.desired));
  relay.needs_action = true;
  host_.append_event(
      relay_event("relay_mismatch", meter_id,
                  {{"reported", relay_word(closed)}, {"wanted", relay_word(*relay.desired)}}));
  drive(meter_id);
}

void RelayDesk::observe(const MeterPolled& polled) {
  auto relay = relays_.find(polled.meter_id);
  if (relay == relays_.end() || polled.time < relay->second.last_done) return;
  const std::optional<bool> reported = flag_point(polled.reading, "relay_closed");
  if (!reported) return;
  relay->second.reported = *reported;
  relay->second.close_allowed =
      !*reported &&
      flag_point(polled.reading, "relay_close_allowed").value_or(relay->second.close_allowed);
}

void RelayDesk::tick() {
  for (auto& [meter_id, relay] : relays_) {
    if (relay.needs_action) drive(meter_id);
  }
}

void RelayDesk::drive(const std::string& meter_id) {
  RelayState& relay = relays_[meter_id];
  if (host_.stopping() || !relay.needs_action || relay.in_flight || !relay.desired ||
      relay.gave_up) {
    return;
  }
  if (clock_.steady_now() < relay.retry_at) return;
  submit(meter_id, *relay.desired, nullptr);
}

void RelayDesk::submit(const std::string& meter_id, bool closed,
                       std::function<void(Result<MeterReading>)> done) {
  RelayState& relay = relays_[meter_id];
  relay.in_flight = true;
  relay.needs_action = false;
  ++relay.attempts;
  ++actions_sent_;
  actions_.submit(meter_id, Action{relay_action_name(closed), {}, {}},
                  lifetime_.alive([this, meter_id, closed,
                                   done = std::move(done)](const Result<MeterReading>& r) {
                    on_done(meter_id, closed, r);
                    if (done) done(r);
                  }));
}

void RelayDesk::on_done(const std::string& meter_id, bool closed,
                        const Result<MeterReading>& result) {
  RelayState& relay = relays_[meter_id];
  relay.in_flight = false;
  relay.last_done = clock_.wall_now();
  if (host_.stopping()) return;  // the buses are stopping: an aborted action is no news
  const RelayOutcome outcome = judge_relay_action(closed, result);
  if (outcome.kind == RelayOutcome::Kind::kSwitched) host_.relay_switched(meter_id);
  if (outcome.reported) relay.reported = outcome.reported;
  if (outcome.kind != RelayOutcome::Kind::kFailed) {
    relay.close_allowed = outcome.kind == RelayOutcome::Kind::kCloseAllowed;
  }
  if (relay.desired != closed) {  // the goal changed while the action ran
    relay.needs_action = relay.desired.has_value();
    return drive(meter_id);
  }
  // spaces a retry after a mismatch too
  relay.retry_at = retry_after(config_, clock_.steady_now(), relay.attempts);
  switch (outcome.kind) {
    case RelayOutcome::Kind::kSwitched:
      return;
    case RelayOutcome::Kind::kCloseAllowed:
      spdlog::info(
          "engine: meter {} allows closing; its relay stays open until the customer "
          "closes it",
          meter_id);
      host_.append_event(relay_event("relay_close_allowed", meter_id, {{"reported", "open"}}));
      return;
    case RelayOutcome::Kind::kFailed:
      break;
  }
  ++failures_;
  if (relay.attempts >= config_.relay_attempts) {
    return give_up(meter_id, outcome.reason, outcome.message);
  }
  if (relay.attempts == 1) {
    spdlog::warn("engine: {} of meter {} failed ({}), retrying: {}", relay_action_name(closed),
                 meter_id, outcome.reason, outcome.message);
  }
  relay.needs_action = true;
}

void RelayDesk::give_up(const std::string& meter_id, const std::string& reason,
                        const std::string& message) {
  RelayState& relay = relays_[meter_id];
  relay.gave_up = true;
  relay.needs_action = false;
  const char* action = relay_action_name(relay.desired.value_or(false));
  spdlog::error(
      "engine: {} of meter {} failed {} times ({}: {}); no more attempts until the "
      "relay, the wanted state or a relay command changes",
      action, meter_id, relay.attempts, reason, message);
  host_.append_event(relay_event("relay_action_failed", meter_id,
                                 {{"action", action},
                                  {"attempts", relay.attempts},
                                  {"reason", reason},
                                  {"message", message}}));
}

std::optional<std::string> RelayDesk::json(const std::string& meter_id) const {
  auto relay = relays_.find(meter_id);
  if (relay == relays_.end() || !relay->second.desired) return std::nullopt;
  return relay_state_json(relay->second, host_.relay_holds(meter_id), config_.relay_attempts);
}

Event RelayDesk::relay_event(const std::string& type, const std::string& meter_id,
                             nlohmann::json details) const {
  if (std::optional<std::string> relay = json(meter_id)) {
    details["relay"] = nlohmann::json::parse(*relay);
  }
  return Event{type, meter_id, clock_.wall_now(), details.dump()};
}

std::map<std::string, std::int64_t> RelayDesk::phase_counts() const {
  std::map<std::string, std::int64_t> counts;
  for (const auto& [meter_id, relay] : relays_) {
    if (relay.desired) ++counts[to_string(relay_phase(relay))];
  }
  return counts;
}

}  // namespace meterd
