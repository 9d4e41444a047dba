// SPDX-License-Identifier: Apache-2.0
// Load and time control: each meter's load limits and supply schedule, set by commands and
// kept in the store; a load trip or a closed supply window opens the relay like a cut-off
// does, and the relay closes again once nothing holds it open (see update_supply).
#include <spdlog/spdlog.h>

#include <cmath>

#include "core/json_text.h"
#include "engine/engine_impl.h"
#include "engine/json_fields.h"
#include "engine/local_time.h"

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

std::int32_t Engine::Impl::local_day(WallTime t) const {
  return yyyymmdd(to_local(t, config_.zone).date);
}

void Engine::Impl::load_controls(const StoredControls& stored) {
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

bool Engine::Impl::controls_allow(const std::string& meter_id) const {
  auto found = controls_.find(meter_id);
  return found == controls_.end() || found->second.allows_supply();
}

Event Engine::Impl::schedule_event(const std::string& meter_id, bool allows, const char* by) {
  nlohmann::json details{{"by", by}};
  if (allows) {
    // A window opening lifts only the schedule's hold: say whether the relay now closes, or
    // what still holds it open (a cut-off tenant stays off).
    const std::vector<std::string> holds = relay_holds(meter_id);
    details["relay"] = holds.empty() ? "closing" : "held_open";
    if (!holds.empty()) details["held_by"] = holds;
  }
  return event(allows ? "supply_schedule_on" : "supply_schedule_off", meter_id, json_text(details));
}

void Engine::Impl::save_trip(const std::string& meter_id, std::vector<Event> events) {
  EngineWrite write;
  write.changes.emplace_back(LoadTripRow{meter_id, controls_[meter_id].guard.state()});
  write.events = std::move(events);
  write.urgent = true;  // a trip that is forgotten in a crash would be restored by the restart
  write_to_store(std::move(write));
}

void Engine::Impl::commit_control(const std::string& meter_id, std::vector<EngineChange> changes,
                                  std::vector<Event> events, AdminDone done) {
  EngineWrite write;
  write.changes = std::move(changes);
  write.events = std::move(events);
  write.urgent = true;
  write.committed = later([this, meter_id, done = std::move(done)] {
    update_supply(meter_id);
    done(AdminOutcome{true, "", "", std::nullopt});
  });
  write_to_store(std::move(write));
}

void Engine::Impl::set_load_limits(const std::string& meter_id,
                                   const std::optional<LoadLimitsOrder>& order, AdminDone done) {
  if (stopped_) return fail(done, "stopping", "the gateway is stopping");
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
  commit_control(meter_id,
                 {ControlRow{meter_id, kLoadLimitsControl, json, "command", to_unix_ms(now)},
                  LoadTripRow{meter_id, controls.guard.state()}},
                 std::move(events), std::move(done));
}

void Engine::Impl::set_schedule(const std::string& meter_id,
                                const std::optional<SupplySchedule>& schedule, AdminDone done) {
  if (stopped_) return fail(done, "stopping", "the gateway is stopping");
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
  commit_control(
      meter_id,
      {ControlRow{meter_id, kScheduleControl, json, "command", to_unix_ms(clock_.wall_now())}},
      std::move(events), std::move(done));
}

void Engine::Impl::control_reading(const MeterPolled& polled) {
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
    write_to_store(std::move(write));
    return;
  }
  if (verdict.kind != LoadVerdict::Kind::kTrip) return;
  ++stats_.load_trips;
  count_usage(meter_id, account_of(meter_id), &UsageFigures::load_trips);
  const LoadTripState& state = controls.guard.state();
  spdlog::warn("engine: meter {} tripped by load control ({}, {:.0f} W){}", meter_id,
               load_trip_event(verdict.reason), verdict.power_w,
               state.restore_at ? "" : "; off until restored by hand");
  save_trip(meter_id, {event(load_trip_event(verdict.reason), meter_id,
                             trip_details(verdict, *controls.limits, state))});
  update_supply(meter_id);
}

void Engine::Impl::controls_tick() {
  const WallTime now = clock_.wall_now();
  for (auto& [meter_id, controls] : controls_) {
    bool changed = false;
    if (controls.schedule) {
      const bool allows = controls.schedule->allows(now, config_.zone);
      if (allows != controls.schedule_allows) {
        controls.schedule_allows = allows;
        store_.append_event(schedule_event(meter_id, allows, "schedule"));
        changed = true;
      }
    }
    if (controls.limits && controls.guard.restore_due(now)) {
      const LoadTripReason reason = controls.guard.state().reason;
      controls.guard.restore_automatically(local_day(now));
      ++stats_.auto_restores;
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
    if (changed) update_supply(meter_id);
  }
}

std::optional<std::string> Engine::Impl::release_for_close(const std::string& meter_id) {
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
