// SPDX-License-Identifier: Apache-2.0
// The plugin contract. A protocol plugin is a shared object exporting
//   extern "C" const meterd::PluginDescriptor* meterd_plugin_descriptor();
// The daemon dlopen()s it, checks abi_version == kDriverAbiVersion, and calls `create` once
// per bus at start-up. `create` validates the plugin's own settings (bus keys and per-meter
// keys the core did not consume) and reports every problem to `errors`; it returns nullptr
// when there is any. The returned driver is used by exactly one thread, the bus thread, and
// its calls may block, each bounded by the meter's timeout. No exception may leave a plugin:
// wrap entry points with guard_plugin_call().
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/point.h"
#include "core/result.h"
#include "core/settings.h"

namespace meterd {

// Bumped on any change to the types in this header or those it includes.
inline constexpr std::uint32_t kDriverAbiVersion = 3;

struct MeterSpec {
  std::string id;
  std::chrono::milliseconds timeout{500};
  SettingsNode settings;  // plugin-specific keys (address, ...)
  // The meter model's profile (`profile: NAME` loads <profile_dir>/NAME.yaml): point and
  // action mappings the plugin validates. Meters of one model share one tree; null when the
  // meter names no profile.
  std::string profile;
  std::shared_ptr<const SettingsNode> profile_settings;
};

struct PollGroupSpec {
  std::string name;
  std::vector<std::string> points;
  std::chrono::milliseconds interval{10'000};
};

struct BusSpec {
  std::string name;
  std::string protocol;
  SettingsNode settings;  // plugin-specific bus keys (device, baud, host ...)
  std::vector<MeterSpec> meters;
  std::vector<PollGroupSpec> groups;
};

// What a driver may use of the daemon. Outlives the driver.
struct DriverEnv {
  explicit DriverEnv(const Clock* clock = nullptr, std::string state_dir = {})
      : clock(clock), state_dir(std::move(state_dir)) {}
  const Clock* clock = nullptr;
  // A folder the driver may keep small state files in, named after its bus (the store's
  // folder); empty when there is none (a configuration check).
  std::string state_dir;
};

// Something a driver saw on its bus that is not a reading: a slave lost or reconfigured, a
// configuration fault, a diagnosis. It becomes an event of this type in the events table.
struct DriverEvent {
  static constexpr std::size_t kBusLevel = static_cast<std::size_t>(-1);
  std::string type;                 // "slave_lost", "cfg_fault", "diag" ...
  std::size_t meter = kBusLevel;    // index into BusSpec::meters, or kBusLevel
  std::string details_json = "{}";  // a JSON object with type-specific fields
};

// An action on one meter: relay_open, relay_close, recharge, set_price ... Arguments are
// integers in canonical units (money in 1/10000, energy in Wh) or strings.
struct Action {
  std::string name;
  std::map<std::string, std::int64_t> integers;
  std::map<std::string, std::string> strings;
};

class MeterDriver {
 public:
  virtual ~MeterDriver() = default;
  // Opens the bus (serial device, socket ...). Called once before any read or act, and again
  // after a kBusError to reopen.
  virtual Status open() = 0;
  // Reads the points of poll group `group` (index into BusSpec::groups) from meter `meter`
  // (index into BusSpec::meters). An Error means the meter did not answer usefully at all.
  virtual Result<MeterReading> read(std::size_t meter, std::size_t group) = 0;
  // Performs an action; returns the points the action read back, if any (e.g. a recharge
  // returns the verified balance and purchase count).
  virtual Result<MeterReading> act(std::size_t meter, const Action& action) = 0;
  virtual void close() = 0;
  // The events the driver saw since the previous call; the bus thread asks after every read
  // and action. Default: none.
  virtual std::vector<DriverEvent> take_events() { return {}; }
};

using DriverFactory = std::unique_ptr<MeterDriver> (*)(const BusSpec& bus, const DriverEnv& env,
                                                       ConfigErrors& errors);

struct PluginDescriptor {
  std::uint32_t abi_version;
  const char* name;              // "sim", "modbus" ...
  const char* const* protocols;  // nullptr-terminated; the `protocol:` values it serves
  DriverFactory create;
};

// Runs `body` and converts any exception into an Error, so none crosses the boundary.
template <typename Fn>
auto guard_plugin_call(Fn&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return make_error(ErrorKind::kInternal, std::string("plugin exception: ") + e.what());
  } catch (...) {
    return make_error(ErrorKind::kInternal, "plugin exception");
  }
}

// Runs a plugin factory's body and turns any exception into a configuration error at the
// bus, so none crosses the boundary.
template <typename Fn>
std::unique_ptr<MeterDriver> guard_plugin_factory(const char* plugin, const BusSpec& bus,
                                                  ConfigErrors& errors, Fn&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    errors.add(bus.settings.pos, std::string(plugin) + ": " + e.what());
  } catch (...) {
    errors.add(bus.settings.pos, std::string(plugin) + ": unexpected error");
  }
  return nullptr;
}

}  // namespace meterd

extern "C" {
using meterd_plugin_descriptor_fn = const meterd::PluginDescriptor* (*)();
}
#define MeterdPluginEntry meterd_plugin_descriptor
