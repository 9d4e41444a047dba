// SPDX-License-Identifier: Apache-2.0
// Load and time control (docs/load-and-time-control.md): each meter's load limits, load guard
// and supply schedule, as commands set them and the store keeps them. A load trip or a closed
// supply window holds the meter's relay open; the desk tells its Host when that changes, and
// the engine's relay logic asks `allows`. Owns the controls; loop thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "core/meter_polled.h"
#include "engine/billing_config.h"
#include "engine/engine_store.h"
#include "engine/load_guard.h"
#include "engine/load_limits.h"
#include "engine/supply_schedule.h"

namespace meterd {

// Load and time control of one meter.
struct MeterControls {
  std::optional<LoadLimits> limits;
  std::optional<SupplySchedule> schedule;
  LoadGuard guard;
  bool schedule_allows = true;
  bool allows_supply() const { return schedule_allows && !guard.state().tripped; }
};

// What a command changed: the rows to write and the events that report it, in one write.
struct ControlChange {
  std::vector<EngineChange> changes;
  std::vector<Event> events;
};

class MeterControlDesk {
 public:
  // What the desk needs from the engine around it.
  class Host {
   public:
    virtual ~Host() = default;
    // What holds the meter's relay open now, by name (for the schedule's events).
    virtual std::vector<std::string> relay_holds(const std::string& meter_id) const = 0;
    // A trip, a restore or the schedule changed what the meter's controls allow.
    virtual void update_supply(const std::string& meter_id) = 0;
    // A load trip, for the rollups (rides with the next write).
    virtual void count_load_trip(const std::string& meter_id) = 0;
    virtual void write_to_store(EngineWrite write) = 0;
    virtual void append_event(Event event) = 0;
  };

  MeterControlDesk(Host& host, const Clock& clock, const BillingConfig& config);

  // The stored controls, at start-up (before the accounts: their relays consult them).
  void load(const StoredControls& stored);
  // Meters with controls.
  std::vector<std::string> meter_ids() const;
  bool has(const std::string& meter_id) const;
  // Whether nothing of the meter's controls holds its relay open (true without controls).
  bool allows(const std::string& meter_id) const;
  // What of the controls holds the relay open: overload_trip / malignant_load_trip,
  // supply_schedule.
  std::vector<std::string> holds(const std::string& meter_id) const;
  const LoadTripState* load_trip(const std::string& meter_id) const;
  bool schedule_allows(const std::string& meter_id) const;

  // Commands: the change, for the engine to write at once (urgent); the relay follows once
  // it is durable (the caller's update_supply).
  ControlChange set_load_limits(const std::string& meter_id,
                                const std::optional<LoadLimitsOrder>& order);
  ControlChange set_schedule(const std::string& meter_id,
                             const std::optional<SupplySchedule>& schedule);
  // Before a relay_close command: refused (the reason) outside the schedule; clears a trip.
  std::optional<std::string> release_for_close(const std::string& meter_id);

  void on_reading(const MeterPolled& polled);
  // Schedule windows and automatic restores that are due.
  void tick();

  std::int64_t load_trips() const { return load_trips_; }
  std::int64_t auto_restores() const { return auto_restores_; }

 private:
  // supply_schedule_on/off, raised by `by`, after the schedule's state changed to `allows`.
  Event schedule_event(const std::string& meter_id, bool allows, const char* by) const;
  void save_trip(const std::string& meter_id, std::vector<Event> events);
  Event event(std::string type, std::string meter_id, std::string details) const;
  std::int32_t local_day(WallTime t) const;

  Host& host_;
  const Clock& clock_;
  const BillingConfig& config_;
  std::map<std::string, MeterControls> controls_;
  std::int64_t load_trips_ = 0;
  std::int64_t auto_restores_ = 0;
};

}  // namespace meterd
