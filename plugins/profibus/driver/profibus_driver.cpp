// SPDX-License-Identifier: Apache-2.0
#include "profibus/driver/profibus_driver.h"

#include <algorithm>

#include "profibus/codec/requests.h"

namespace meterd::profibus {

std::pair<std::uint8_t, std::uint8_t> watchdog_factors(std::chrono::milliseconds watchdog) {
  const std::int64_t units =
      std::clamp<std::int64_t>((watchdog.count() + 9) / 10, 1, std::int64_t{255} * 255);
  if (units <= 255) return {static_cast<std::uint8_t>(units), 1};
  const std::int64_t second = (units + 254) / 255;
  const std::int64_t first = (units + second - 1) / second;
  return {static_cast<std::uint8_t>(first), static_cast<std::uint8_t>(second)};
}

namespace {

SlaveSetup setup_of(const ProfibusBusConfig& bus, const ProfibusMeterConfig& meter) {
  const Profile& profile = *meter.profile;
  SlaveSetup s;
  s.address = meter.address;
  s.cfg = profile.cfg;
  s.input_bytes = profile.input_bytes;
  s.output_bytes = profile.output_bytes;
  s.max_diag_polls = bus.max_diag_polls;
  s.prm.station_status = station_status::kLock;
  if (bus.freeze_group) s.prm.station_status |= station_status::kFreezeRequested;
  if (bus.watchdog) {
    s.prm.station_status |= station_status::kWatchdogOn;
    const auto [f1, f2] = watchdog_factors(*bus.watchdog);
    s.prm.wd_fact_1 = f1;
    s.prm.wd_fact_2 = f2;
  }
  s.prm.min_tsdr = bus.min_tsdr_bits;
  s.prm.ident = profile.gsd->ident;
  s.prm.group = meter.group;
  s.prm.user = profile.user_prm;
  return s;
}

}  // namespace

ProfibusDriver::ProfibusDriver(ProfibusBusConfig bus, std::vector<ProfibusMeterConfig> meters,
                               std::vector<PollGroupSpec> groups, std::unique_ptr<Phy> phy,
                               const std::string& state_dir)
    : bus_(std::move(bus)),
      meters_(std::move(meters)),
      groups_(std::move(groups)),
      fdl_(std::move(phy), bus_.timing),
      store_(state_dir.empty() ? std::string()
                               : state_dir + "/profibus-" + bus_.name + "-outputs.txt") {
  for (const auto& meter : meters_) {
    links_.emplace_back(bus_.master_address, setup_of(bus_, meter));
    const Profile& profile = *meter.profile;
    outputs_.push_back(
        store_.load(meter.address, profile.output_bytes).value_or(profile.initial_outputs));
  }
}

ProfibusDriver::~ProfibusDriver() {
  if (!bus_.clear_on_stop) return;
  // Fail-safe on stop: every slave's outputs to their cleared state.
  if (!fdl_.is_open() && !fdl_.open()) return;
  (void)global_control(control::kClearData, 0);
  fdl_.close();
}

Status ProfibusDriver::open() {
  return guard_plugin_call([&]() -> Status { return fdl_.open(); });
}

void ProfibusDriver::close() { fdl_.close(); }

Status ProfibusDriver::global_control(std::uint8_t command, std::uint8_t group) {
  return fdl_.send(global_control_request(bus_.master_address, command, group));
}

void ProfibusDriver::collect_events(std::size_t meter) {
  for (auto& e : links_[meter].take_events()) {
    std::string details = e.details_json;
    // Name the bus in every event: the address alone is ambiguous across lines.
    details.insert(1, "\"bus\":\"" + bus_.name + "\",");
    events_.push_back(DriverEvent{e.type, meter, std::move(details)});
  }
}

Status ProfibusDriver::exchange(std::size_t meter) {
  if (!fdl_.is_open()) {
    return make_error(ErrorKind::kBusError, "bus '" + bus_.name + "': the line is not open");
  }
  SlaveLink& link = links_[meter];
  bool restarted_from_cycle = false;
  for (int step = 0; step < bus_.steps_per_call; ++step) {
    const SlaveState before = link.state();
    const Telegram request = link.next_request(outputs_[meter]);
    auto reply = fdl_.transact(request);
    if (!reply && reply.error().kind != ErrorKind::kTimeout) {
      if (reply.error().kind == ErrorKind::kBusError) return reply.error();
      link.on_silence(reply.error().message);
    } else if (!reply) {
      link.on_silence(reply.error().message);
    } else {
      link.on_reply(reply.value());
    }
    collect_events(meter);
    if (link.has_fresh_inputs()) return Ok{};
    const SlaveState after = link.state();
    if (after != SlaveState::kProbe) continue;
    if (before == SlaveState::kProbe) {
      return make_error(ErrorKind::kTimeout, "slave " + std::to_string(meters_[meter].address) +
                                                 ": " + link.last_problem());
    }
    const bool from_cycle = before == SlaveState::kDataExchange || before == SlaveState::kCycleDiag;
    // A slave that fell out of data exchange gets one fresh start-up in this call; a start-up
    // that failed waits for the next poll.
    if (from_cycle && !restarted_from_cycle) {
      restarted_from_cycle = true;
      continue;
    }
    const bool cfg = link.last_problem().starts_with("cfg fault");
    return make_error(
        cfg ? ErrorKind::kRejected : ErrorKind::kTimeout,
        "slave " + std::to_string(meters_[meter].address) + ": " + link.last_problem());
  }
  return make_error(ErrorKind::kTimeout, "slave " + std::to_string(meters_[meter].address) +
                                             ": start-up still in " + to_string(link.state()));
}

Result<MeterReading> ProfibusDriver::decode(std::size_t meter,
                                            const std::vector<std::string>& points) const {
  const Profile& profile = *meters_[meter].profile;
  const auto& inputs = links_[meter].inputs();
  MeterReading reading;
  for (const auto& name : points) {
    const PointMap* map = profile.find_point(name);
    if (map == nullptr) {
      reading.errors.push_back(
          {name, make_error(ErrorKind::kNotSupported, "the profile maps no input offset to it")});
      continue;
    }
    auto value = decode_point(*map, inputs);
    if (value) {
      reading.values.push_back(std::move(value.value()));
    } else {
      reading.errors.push_back({name, value.error()});
    }
  }
  return reading;
}

void ProfibusDriver::before_group_read(std::size_t meter, std::size_t group) {
  if (!bus_.freeze_group) return;
  const bool freeze_read = group == *bus_.freeze_group;
  if (frozen_ && (!freeze_read || read_while_frozen_[meter])) {
    // Another group wants live inputs, or a new round began: the instant is over.
    (void)global_control(control::kUnfreeze, 0);
    frozen_ = false;
  }
  if (freeze_read && !frozen_) {
    // Every slave in data exchange latches its inputs now; the round's reads return them.
    if (global_control(control::kFreeze, 0)) {
      frozen_ = true;
      read_while_frozen_.assign(meters_.size(), false);
    }
  }
}

void ProfibusDriver::after_group_read(std::size_t meter, std::size_t group) {
  if (!frozen_ || !bus_.freeze_group || group != *bus_.freeze_group) return;
  read_while_frozen_[meter] = true;
  if (std::all_of(read_while_frozen_.begin(), read_while_frozen_.end(), [](bool b) { return b; })) {
    (void)global_control(control::kUnfreeze, 0);
    frozen_ = false;
  }
}

Result<MeterReading> ProfibusDriver::read(std::size_t meter, std::size_t group) {
  return guard_plugin_call([&]() -> Result<MeterReading> {
    if (meter >= meters_.size() || group >= groups_.size()) {
      return make_error(ErrorKind::kInvalidArgument, "no such meter or group");
    }
    before_group_read(meter, group);
    Status done = exchange(meter);
    // A meter that failed counts as read: the round must not wait for it.
    after_group_read(meter, group);
    if (!done) {
      Error error = done.error();
      error.message = "meter '" + meters_[meter].id + "': " + error.message;
      return error;
    }
    return decode(meter, groups_[group].points);
  });
}

Result<MeterReading> ProfibusDriver::act(std::size_t meter, const Action& action) {
  return guard_plugin_call([&]() -> Result<MeterReading> {
    if (meter >= meters_.size()) return make_error(ErrorKind::kInvalidArgument, "no such meter");
    const Profile& profile = *meters_[meter].profile;
    const ActionMap* map = profile.find_action(action.name);
    if (map == nullptr) {
      return make_error(ErrorKind::kNotSupported, "the profile of meter '" + meters_[meter].id +
                                                      "' has no action '" + action.name + "'");
    }
    std::vector<std::uint8_t> image = outputs_[meter];
    if (Status applied = apply_action(*map, action.integers, image); !applied) {
      return applied.error();
    }
    if (frozen_) {  // the read-back must show the relay now, not at the freeze
      (void)global_control(control::kUnfreeze, 0);
      frozen_ = false;
    }
    // The command is state first: kept, then sent, then sent again on every cycle.
    outputs_[meter] = image;
    if (!store_.save(meters_[meter].address, image)) {
      events_.push_back(
          DriverEvent{"output_persist_failed", meter,
                      "{\"bus\":\"" + bus_.name + "\",\"path\":\"" + store_.path() + "\"}"});
    }
    if (Status done = exchange(meter); !done) {
      Error error = done.error();
      error.message = action.name + " on meter '" + meters_[meter].id +
                      "' (output image kept, sent when the slave is back): " + error.message;
      return error;
    }
    std::vector<std::string> echo;
    if (profile.find_point("relay_closed")) echo.emplace_back("relay_closed");
    return decode(meter, echo);
  });
}

std::vector<DriverEvent> ProfibusDriver::take_events() {
  std::vector<DriverEvent> out;
  out.swap(events_);
  return out;
}

}  // namespace meterd::profibus
