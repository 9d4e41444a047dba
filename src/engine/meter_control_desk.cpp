// SPDX-License-Identifier: Apache-2.0
// Load and time control: each meter's load limits and supply schedule, set by commands and
// kept in the store; a load trip or a closed supply window opens the relay like a cut-off
// does, and the relay closes again once nothing holds it open (the engine's update_supply).
#include "engine/meter_control_desk.h"

#include <spdlog/spdlog.h>

#include <cmath>

#include "core/json_text.h"
#include "engine/engine_events.h"
#include "engine/json_fields.h"
#include "engine/local_time.h"
#include "engine/reading_points.h"

namespace meterd {
namespace {

std::string trip_details(const LoadVerdict& verdict, const LoadLimits& limits,
                         const LoadTripState& state) {
  nlohmann::json details{{"power_w", std::llround(verdict.power_w)}};
  if (verdict.reason == LoadTripReason::kOverload) {
    details["limit_w"] = limits.max_power_w.value_or(0);
    details["grace_s"] = limits.grace.count();
    // The trip lands on the first reading at least grace_s after this one, so within one
    // poll interval after grace_s (docs/load-and-time-control.md, trip time).
    details["over_since_ms"] = to_unix_ms(verdict.over_since);
  } else {
    details["step_w"] = std::llround(verdict.step_w);
    details["step_pf"] = std::round(verdict.step_pf * 1000) / 1000;
  }
  if (state.restore_at) {
    details["restore_at_ms"] = to_unix_ms(*state.restore_at);
  } else {
    details["locked"] = true;  // off until a person restores (relay_close)
    // Which limit leaves no automatic restore: restore_after_s 0 never restores; otherwise
    // the day's restores are used up.
    details["locked_by"] =
        limits.restore_after.count() == 0 ? "restore_after_s" : "max_restores_per_day";
  }
  details["restores_today"] = state.restores_today;
  return json_text(details);
}

}  // namespace

MeterControlDesk::MeterControlDesk(Host& host, const Clock& clock, const BillingConfig& config)
    : host_(host), clock_(clock), config_(config) {}

std::int32_t MeterControlDesk::local_day(WallTime t) const {
  return local_day_key(t, config_.zone);
}

Event MeterControlDesk::event(std::string type, std::string meter_id, std::string details) const {
  return event_now(clock_, std::move(type), std::move(meter_id), std::move(details));
}

void MeterControlDesk::load(const StoredControls& stored) {
  for (const auto& [meter_id, json] : stored.load_limits) {
    Result<LoadLimits> limits =
        load_limits_from_stored(nlohmann::json::parse(json, nullptr, false));
    if (!limits) {
      spdlog::error("engine: stored load limits of meter {} cannot be read: {}", meter_id,
                    limits.error().message);
      continue;
    }
    controls_[meter_id].limits = std::move(limits.value());
  }
  for (const auto& [meter_id, json] : stored.schedules) {
    Result<SupplySchedule> schedule =
        parse_supply_schedule(nlohmann::json::parse(json, nullptr, false));
    if (!schedule) {
      spdlog::error("engine: stored schedule of meter {} cannot be read: {}", meter_id,
                    schedule.error().message);
      continue;
    }
    MeterControls& controls = controls_[meter_id];
    controls.schedule = std::move(schedule.value());
    controls.schedule_allows = controls.schedule->allows(clock_.wall_now(), config_.zone);
  }
  for (const auto& [meter_id, trip] : stored.trips) {
    if (auto found = controls_.find(meter_id); found != controls_.end() && found->second.limits) {
      found->second.guard.load(trip);
    }
  }
}

std::vector<std::string> MeterControlDesk::meter_ids() const {
  std::vector<std::string> ids;
  for (const auto& [meter_id, controls] : controls_) ids.push_back(meter_id);
  return ids;
}

bool MeterControlDesk::has(const std::string& meter_id) const { return controls_.count(meter_id); }

bool MeterControlDesk::allows(const std::string& meter_id) const {
  auto found = controls_.find(meter_id);
  return found == controls_.end() || found->second.allows_supply();
}

std::vector<std::string> MeterControlDesk::holds(const std::string& meter_id) const {
  std::vector<std::string> holds;
  if (auto controls = controls_.find(meter_id); controls != controls_.end()) {
    const LoadTripState& trip = controls->second.guard.state();
    if (trip.tripped) holds.emplace_back(load_trip_event(trip.reason));
    if (!controls->second.schedule_allows) holds.emplace_back("supply_schedule");
  }
  return holds;
}

const LoadTripState* MeterControlDesk::load_trip(const std::string& meter_id) const {
  auto found = controls_.find(meter_id);
  if (found == controls_.end() || !found->second.limits) return nullptr;
  return &found->second.guard.state();
}

bool MeterControlDesk::schedule_allows(const std::string& meter_id) const {
  auto found = controls_.find(meter_id);
  return found == controls_.end() || found->second.schedule_allows;
}

Event MeterControlDesk::schedule_event(const std::string& meter_id, bool allows,
                                       const char* by) const {
  nlohmann::json details{{"by", by}};
  if (allows) {
    // A window opening lifts only the schedule's hold: say whether the relay now closes, or
    // what still holds it open (a cut-off tenant stays off).
    const std::vector<std::string> holds = host_.relay_holds(meter_id);
    details["relay"] = holds.empty() ? "closing" : "held_open";
    if (!holds.empty()) details["held_by"] = holds;
  }
  return event(allows ? "supply_schedule_on" : "supply_schedule_off", meter_id, json_text(details));
}

void MeterControlDesk::save_trip(const std::string& meter_id, std::vector<Event> events) {
  EngineWrite write;
  write.changes.emplace_back(LoadTripRow{meter_id, controls_[meter_id].guard.state()});
  write.events = std::move(events);
  write.urgent = true;  // a trip that is forgotten in a crash would be restored by the restart
  host_.write_to_store(std::move(write));
}

ControlChange MeterControlDesk::set_load_limits(const std::string& meter_id,
                                                const std::optional<LoadLimitsOrder>& order) {
  const WallTime now = clock_.wall_now();
  MeterControls& controls = controls_[meter_id];
  std::string json;
  std::vector<Event> events;
  if (!order) {
    // One event for the clear, saying whether it lifted a trip (the relay then closes unless
    // something else holds it: see `relay` in the telemetry).
    if (controls.limits || controls.guard.state().tripped) {
      nlohmann::json details{{"by", "set_load_limits"},
                             {"restored", controls.guard.state().tripped}};
      if (controls.guard.state().tripped) {
        details["trip"] = load_trip_event(controls.guard.state().reason);
      }
      events.push_back(event("load_cleared", meter_id, json_text(details)));
    }
    controls.limits.reset();
    controls.guard.reset();
  } else {
    controls.limits = order->applied_at(now);
    json = load_limits_json(*controls.limits).dump();
  }
  return ControlChange{{ControlRow{meter_id, kLoadLimitsControl, json, "command", to_unix_ms(now)},
                        LoadTripRow{meter_id, controls.guard.state()}},
                       std::move(events)};
}

ControlChange MeterControlDesk::set_schedule(const std::string& meter_id,
                                             const std::optional<SupplySchedule>& schedule) {
  MeterControls& controls = controls_[meter_id];
  std::string json;
  controls.schedule = schedule;
  if (schedule) json = supply_schedule_json(*schedule).dump();
  const bool allows =
      !controls.schedule || controls.schedule->allows(clock_.wall_now(), config_.zone);
  std::vector<Event> events;
  const bool changed = allows != controls.schedule_allows;
  controls.schedule_allows = allows;
  if (changed) events.push_back(schedule_event(meter_id, allows, "set_schedule"));
  return ControlChange{
      {ControlRow{meter_id, kScheduleControl, json, "command", to_unix_ms(clock_.wall_now())}},
      std::move(events)};
}

void MeterControlDesk::on_reading(const MeterPolled& polled) {
  auto found = controls_.find(polled.meter_id);
  if (found == controls_.end() || !found->second.limits) return;
  MeterControls& controls = found->second;
  const LoadVerdict verdict = controls.guard.on_reading(
      *controls.limits, analog_point(polled.reading, "power_total"),
      analog_point(polled.reading, "pf_total"), polled.time, local_day(polled.time));
  const std::string& meter_id = polled.meter_id;
  if (verdict.kind == LoadVerdict::Kind::kLearned) {
    const ApplianceSignature& learned = controls.limits->malignant->whitelist.back();
    spdlog::info("engine: meter {} learned an appliance of {} W (pf {:.3f})", meter_id,
                 learned.step_w, verdict.step_pf);
    EngineWrite write;
    write.changes.emplace_back(ControlRow{meter_id, kLoadLimitsControl,
                                          load_limits_json(*controls.limits).dump(), "learned",
                                          to_unix_ms(polled.time)});
    write.events.push_back(event(
        "load_learned", meter_id,
        nlohmann::json{{"step_w", learned.step_w}, {"tolerance_w", learned.tolerance_w}}.dump()));
    host_.write_to_store(std::move(write));
    return;
  }
  if (verdict.kind != LoadVerdict::Kind::kTrip) return;
  ++load_trips_;
  host_.count_load_trip(meter_id);
  const LoadTripState& state = controls.guard.state();
  spdlog::warn("engine: meter {} tripped by load control ({}, {:.0f} W){}", meter_id,
               load_trip_event(verdict.reason), verdict.power_w,
               state.restore_at ? "" : "; off until restored by hand");
  save_trip(meter_id, {event(load_trip_event(verdict.reason), meter_id,
                             trip_details(verdict, *controls.limits, state))});
  host_.update_supply(meter_id);
}

void MeterControlDesk::tick() {
  const WallTime now = clock_.wall_now();
  for (auto& [meter_id, controls] : controls_) {
    bool changed = false;
    if (controls.schedule) {
      const bool allows = controls.schedule->allows(now, config_.zone);
      if (allows != controls.schedule_allows) {
        controls.schedule_allows = allows;
        host_.append_event(schedule_event(meter_id, allows, "schedule"));
        changed = true;
      }
    }
    if (controls.limits && controls.guard.restore_due(now)) {
      const LoadTripReason reason = controls.guard.state().reason;
      controls.guard.restore_automatically(local_day(now));
      ++auto_restores_;
      const LoadTripState& state = controls.guard.state();
      save_trip(
          meter_id,
          {event("auto_restore", meter_id,
                 nlohmann::json{{"reason", load_trip_event(reason)},
                                {"restores_today", state.restores_today},
                                {"max_restores_per_day", controls.limits->max_restores_per_day}}
                     .dump())});
      changed = true;
    }
    if (changed) host_.update_supply(meter_id);
  }
}

std::optional<std::string> MeterControlDesk::release_for_close(const std::string& meter_id) {
  auto found = controls_.find(meter_id);
  if (found == controls_.end()) return std::nullopt;
  MeterControls& controls = found->second;
  if (!controls.schedule_allows) return "meter '" + meter_id + "' is outside its supply schedule";
  if (controls.guard.state().tripped) {
    controls.guard.reset();
    save_trip(meter_id, {event("load_reset", meter_id, R"({"by":"relay_close"})")});
  }
  return std::nullopt;
}

}  // namespace meterd
