#include "sim_driver.h"

#include <filesystem>
#include <thread>

namespace meterd::sim {
namespace {

std::optional<std::int64_t> integer_arg(const Action& action, const std::string& key) {
  auto it = action.integers.find(key);
  if (it == action.integers.end()) return std::nullopt;
  return it->second;
}

}  // namespace

SimDriver::SimDriver(SimBusConfig bus, std::vector<SimMeterConfig> meters,
                     std::vector<PollGroupSpec> groups, const Clock& clock)
    : bus_(std::move(bus)),
      config_(std::move(meters)),
      groups_(std::move(groups)),
      clock_(clock),
      reads_(config_.size(), 0) {
  const WallTime wall = clock_.wall_now();
  const SteadyTime steady = clock_.steady_now();
  meters_.reserve(config_.size());
  for (const auto& meter : config_) meters_.emplace_back(meter.params, wall, steady);
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
    if (control_file(bus_.name + ".down")) {
      return make_error(ErrorKind::kBusError, "sim bus '" + bus_.name + "' is down");
    }
    return Ok{};
  });
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
    return read_back(meter, groups_[group].points);
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
  });
}

}  // namespace meterd::sim
