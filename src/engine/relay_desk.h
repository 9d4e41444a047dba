// SPDX-License-Identifier: Apache-2.0
// Relay control: drives the relay of every meter towards the goal the engine sets (`want`),
// one attempt at a time with backoff, gives up after `relay_attempts` until something
// changes, and reconciles the goal with what readings report (relay_desk.cpp). Owns the relay
// states (relay_state.h); what holds a relay open beyond a relay command, and where its
// events and counts go, it asks its Host. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "core/meter_polled.h"
#include "engine/action_port.h"
#include "engine/billing_config.h"
#include "engine/loop_lifetime.h"
#include "engine/relay_state.h"

namespace meterd {

class RelayDesk {
 public:
  // What the desk needs from the engine around it.
  class Host {
   public:
    virtual ~Host() = default;
    // The buses are stopping: no more actions, and an aborted one is no news.
    virtual bool stopping() const = 0;
    // What holds the meter's relay open now, by name, in the order telemetry shows them.
    virtual std::vector<std::string> relay_holds(const std::string& meter_id) const = 0;
    // An action switched the meter's relay (a relay operation, for the rollups).
    virtual void relay_switched(const std::string& meter_id) = 0;
    // A relay event, with no state change.
    virtual void append_event(Event event) = 0;
  };

  RelayDesk(Host& host, ActionPort& actions, const Clock& clock, const BillingConfig& config,
            LoopPost post);

  // Meters a relay_open command holds open, as stored.
  void load_forced_open(const std::set<std::string>& meter_ids);
  bool forced_open(const std::string& meter_id) const;
  // Follows the meter's relay in readings from now on, even before it has a goal (a relay
  // command does this, also one that is refused).
  void track(const std::string& meter_id);
  // The goal: closed or open. A change moves the relay at once; the first goal waits for a
  // reading to tell whether it needs moving.
  void want(const std::string& meter_id, bool closed);
  // A relay command: a new goal (open holds it open until a close), one action at once;
  // `done` gets the action's answer.
  void command(const std::string& meter_id, bool close,
               std::function<void(Result<MeterReading>)> done);
  // A reading's relay_closed (and relay_close_allowed, if the meter has it) against the goal.
  void reconcile(const MeterPolled& polled);
  // Only records what the reading reports (meters whose relay the engine does not reconcile).
  void observe(const MeterPolled& polled);
  // Retries that are due.
  void tick();

  // The meter's relay in the one state model; nullopt without a goal.
  std::optional<std::string> json(const std::string& meter_id) const;
  // Relays with a goal, by phase name ("settled", "armed", ...).
  std::map<std::string, std::int64_t> phase_counts() const;
  std::int64_t actions_sent() const { return actions_sent_; }
  std::int64_t failures() const { return failures_; }

 private:
  void drive(const std::string& meter_id);
  // Sends the action (one attempt at the current goal); `done`, if any, gets its answer.
  void submit(const std::string& meter_id, bool closed,
              std::function<void(Result<MeterReading>)> done);
  void on_done(const std::string& meter_id, bool closed, const Result<MeterReading>& result);
  void give_up(const std::string& meter_id, const std::string& reason, const std::string& message);
  // An event of the meter's relay: `details` plus the relay's state as "relay".
  Event relay_event(const std::string& type, const std::string& meter_id,
                    nlohmann::json details) const;

  Host& host_;
  ActionPort& actions_;
  const Clock& clock_;
  const BillingConfig& config_;
  std::map<std::string, RelayState> relays_;
  std::int64_t actions_sent_ = 0;
  std::int64_t failures_ = 0;
  LoopLifetime lifetime_;
};

}  // namespace meterd
