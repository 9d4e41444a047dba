// SPDX-License-Identifier: Apache-2.0
#include "sim/driver/sim_driver.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "sim/sim/state_file.h"

namespace meterd::sim {
namespace {

std::optional<std::int64_t> integer_arg(const Action& action, const std::string& key) {
  auto it = action.integers.find(key);
  if (it == action.integers.end()) return std::nullopt;
  return it->second;
}

WallTime from_unix_ms(std::int64_t ms) { return WallTime{} + Millis(ms); }

}  // namespace

SimDriver::SimDriver(SimSettings settings, std::vector<PollGroupSpec> groups, const Clock& clock,
                     std::string state_path)
    : bus_(std::move(settings.bus)),
      config_(std::move(settings.meters)),
      groups_(std::move(groups)),
      clock_(clock),
      state_path_(std::move(state_path)),
      started_(clock_.wall_now()),
      last_saved_(started_),
      reads_(config_.size(), 0) {
  const SteadyTime steady = clock_.steady_now();
  meters_.reserve(config_.size());
  for (const auto& meter : config_) meters_.emplace_back(meter.params, started_, steady, started_);
}

void SimDriver::state_problem(const std::string& type, const std::string& message) {
  // The daemon's log is the plugin's stderr (the journal under systemd); the event reaches
  // the store and the cloud.
  std::fprintf(stderr, "meterd-sim: bus '%s': %s\n", bus_.name.c_str(), message.c_str());
  events_.push_back(DriverEvent{type, DriverEvent::kBusLevel,
                                nlohmann::json{{"file", state_path_}, {"reason", message}}.dump()});
}

void SimDriver::load_state() {
  state_loaded_ = true;
  if (state_path_.empty()) return;
  Result<std::optional<std::string>> text = read_state_file(state_path_);
  if (!text.ok()) {
    state_problem("sim_state_reset", text.error().message + "; the meters start afresh");
    return;
  }
  if (!text.value()) return;  // the first run
  Result<BusState> state = decode_bus_state(*text.value());
  if (!state.ok()) {
    state_problem("sim_state_reset", "state file " + state_path_ + " is corrupt (" +
                                         state.error().message + "); the meters start afresh");
    return;
  }
  const WallTime now = clock_.wall_now();
  const SteadyTime steady = clock_.steady_now();
  started_ = from_unix_ms(state.value().started_ms);
  const WallTime saved = from_unix_ms(state.value().saved_ms);
  for (std::size_t i = 0; i < config_.size(); ++i) {
    meters_[i] = SimMeter(config_[i].params, now, steady, started_);
    auto found = state.value().meters.find(config_[i].id);
    if (found != state.value().meters.end()) {
      meters_[i].restore(found->second, saved, now, steady, bus_.max_catch_up);
    }
  }
  last_saved_ = now;
}

void SimDriver::save_state() {
  if (state_path_.empty()) return;
  BusState state;
  state.started_ms = to_unix_ms(started_);
  last_saved_ = clock_.wall_now();
  state.saved_ms = to_unix_ms(last_saved_);
  for (std::size_t i = 0; i < config_.size(); ++i) {
    state.meters.emplace(config_[i].id, meters_[i].state());
  }
  Status written = write_state_file(state_path_, encode_bus_state(state));
  if (!written.ok() && !save_failing_) {
    state_problem("sim_state_unsaved", written.error().message);
  }
  save_failing_ = !written.ok();
}

void SimDriver::save_state_if_due() {
  if (clock_.wall_now() - last_saved_ >= bus_.state_interval) save_state();
}

std::vector<DriverEvent> SimDriver::take_events() {
  std::vector<DriverEvent> events;
  events.swap(events_);
  return events;
}

bool SimDriver::control_file(const std::string& file) const {
  if (bus_.control_dir.empty()) return false;
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::path(bus_.control_dir) / file, ec);
}

std::optional<Error> SimDriver::fault(std::size_t meter, bool is_read) {
  const SimMeterConfig& config = config_[meter];
  bool dead = config.fault == Fault::kDead || control_file(config.id + ".dead");
  if (!dead && is_read && (config.fault == Fault::kFlaky || control_file(config.id + ".flaky"))) {
    dead = (reads_[meter]++ % 2) == 1;
  }
  if (!dead) return std::nullopt;
  // A real master waits the whole timeout for a meter that does not answer.
  std::this_thread::sleep_for(config.timeout);
  return make_error(ErrorKind::kTimeout, "meter '" + config.id + "' did not answer within " +
                                             std::to_string(config.timeout.count()) + "ms");
}

void SimDriver::advance(std::size_t meter) {
  if (bus_.latency.count() > 0) std::this_thread::sleep_for(bus_.latency);
  meters_[meter].advance(clock_.wall_now(), clock_.steady_now());
}

MeterReading SimDriver::read_back(std::size_t meter, const std::vector<std::string>& points) {
  MeterReading reading;
  for (const auto& point : points) {
    Result<PointScalar> value = meters_[meter].value(point);
    if (value.ok()) {
      reading.values.push_back({point, value.value()});
    } else {
      reading.errors.push_back({point, value.error()});
    }
  }
  return reading;
}

Status SimDriver::open() {
  return guard_plugin_call([&]() -> Status {
    if (!state_loaded_) load_state();
    if (control_file(bus_.name + ".down")) {
      return make_error(ErrorKind::kBusError, "sim bus '" + bus_.name + "' is down");
    }
    return Ok{};
  });
}

void SimDriver::close() {
  try {
    if (state_loaded_) save_state();
  } catch (...) {
    // Nothing may leave a plugin; the next start begins from the last saved state.
  }
}

Result<MeterReading> SimDriver::read(std::size_t meter, std::size_t group) {
  return guard_plugin_call([&]() -> Result<MeterReading> {
    if (meter >= meters_.size() || group >= groups_.size()) {
      return make_error(ErrorKind::kInvalidArgument, "no such meter or group");
    }
    if (control_file(bus_.name + ".down")) {
      return make_error(ErrorKind::kBusError, "sim bus '" + bus_.name + "' is down");
    }
    if (auto error = fault(meter, true)) return *error;
    advance(meter);
    MeterReading reading = read_back(meter, groups_[group].points);
    save_state_if_due();
    return reading;
  });
}

Result<MeterReading> SimDriver::act(std::size_t meter, const Action& action) {
  return guard_plugin_call([&]() -> Result<MeterReading> {
    if (meter >= meters_.size()) return make_error(ErrorKind::kInvalidArgument, "no such meter");
    if (control_file(bus_.name + ".down")) {
      return make_error(ErrorKind::kBusError, "sim bus '" + bus_.name + "' is down");
    }
    if (auto error = fault(meter, false)) return *error;
    advance(meter);  // consumption so far is at the old relay state and price
    Result<MeterReading> result = perform(meter, action);
    // A switched relay or a recharge is in the meter's memory at once, as a real meter's.
    if (result.ok()) save_state();
    return result;
  });
}

Result<MeterReading> SimDriver::perform(std::size_t meter, const Action& action) {
  SimMeter& sim = meters_[meter];
  if (action.name == "relay_open" || action.name == "relay_close") {
    sim.set_relay(action.name == "relay_close");
    sim.advance(clock_.wall_now(), clock_.steady_now());  // power follows the relay at once
    return read_back(meter, {"relay_closed", "power_total"});
  }
  if (action.name == "recharge") {
    auto amount = integer_arg(action, "amount");
    auto count = integer_arg(action, "purchase_count");
    if (!amount || !count) {
      return make_error(ErrorKind::kInvalidArgument,
                        "recharge needs integers 'amount' and 'purchase_count'");
    }
    if (Status status = sim.recharge(*amount, *count); !status.ok()) return status.error();
    return read_back(meter, {"balance", "purchase_count"});
  }
  if (action.name == "set_price") {
    auto price = integer_arg(action, "price_per_kwh");
    if (!price || *price <= 0) {
      return make_error(ErrorKind::kInvalidArgument,
                        "set_price needs a positive integer 'price_per_kwh'");
    }
    sim.set_price(*price);
    return MeterReading{};
  }
  return make_error(ErrorKind::kNotSupported, "sim meter has no action '" + action.name + "'");
}

}  // namespace meterd::sim
