// SPDX-License-Identifier: Apache-2.0
// The `modbus` protocol plugin (libmodbus): Modbus RTU on a serial line or Modbus TCP.
//
// Bus keys:   transport (rtu|tcp, default rtu);
//             rtu: device (required), baud (1200..115200 of the standard list, default 9600),
//                  parity (none|even|odd, default none), data_bits (7|8, default 8),
//                  stop_bits (1|2, default 1), rs485 (bool, default false: kernel RS-485 mode);
//             tcp: host (required), port (default 502), pipeline (1..16, default 1: reads
//                  of one meter in flight at once, for servers that queue requests);
//             recovery_wait (duration, default 50ms: how long the line is drained at least
//             after a failed transaction), max_drain (default 500ms: the drain's bound on a
//             line that never goes quiet), broadcast_turnaround (default 100ms).
// Meter keys: address (unit id; 1..247 on RTU, 0..255 on TCP; required).
// Every meter names a profile (`profile: acrel-ddsy1352`), validated here at start-up.
#include <algorithm>
#include <map>
#include <memory>

#include "common/plugin_entry.h"
#include "common/plugin_settings.h"
#include "core/driver.h"
#include "core/settings_reader.h"
#include "modbus/driver/modbus_driver.h"

namespace meterd::modbus {
namespace {

LineSettings read_line(const BusSpec& bus, ConfigErrors& errors) {
  SettingsNode empty;
  SettingsReader r(plugin::map_or_empty(bus.settings, empty), errors, "bus '" + bus.name + "'");
  LineSettings line;
  line.tcp = r.one_of("transport", "rtu", {"rtu", "tcp"}) == "tcp";
  if (line.tcp) {
    line.host = r.required_string("host");
    line.port = static_cast<int>(r.integer("port", 502, 1, 65535));
    line.pipeline = static_cast<int>(r.integer("pipeline", 1, 1, 16));
  } else {
    line.device = r.required_string("device");
    const auto baud = r.integer("baud", 9600, 1, 10'000'000);
    static const std::vector<std::int64_t> kBauds = {1200,  2400,  4800,  9600,
                                                     19200, 38400, 57600, 115200};
    if (std::find(kBauds.begin(), kBauds.end(), baud) == kBauds.end()) {
      errors.add(r.any("baud")->pos, "baud " + std::to_string(baud) +
                                         " is not one of 1200, 2400, 4800, 9600, 19200, 38400, "
                                         "57600, 115200");
    }
    line.baud = static_cast<int>(baud);
    const std::string parity = r.one_of("parity", "none", {"none", "even", "odd"});
    line.parity = parity == "none" ? 'N' : parity == "even" ? 'E' : 'O';
    line.data_bits = static_cast<int>(r.integer("data_bits", 8, 7, 8));
    line.stop_bits = static_cast<int>(r.integer("stop_bits", 1, 1, 2));
    line.rs485 = r.boolean("rs485", false);
    if (const SettingsNode* pipeline = r.any("pipeline")) {
      errors.add(pipeline->pos,
                 "pipeline applies to transport tcp only: an RTU line carries one request at a "
                 "time");
    }
  }
  line.recovery_wait = r.duration("recovery_wait", Millis(50), Millis(0), Millis(10'000));
  line.max_drain = r.duration("max_drain", Millis(500), Millis(0), Millis(10'000));
  line.broadcast_turnaround =
      r.duration("broadcast_turnaround", Millis(100), Millis(0), Millis(10'000));
  r.finish();
  return line;
}

std::unique_ptr<MeterDriver> create_modbus(const BusSpec& bus, const DriverEnv&,
                                           ConfigErrors& errors) {
  return guard_plugin_factory("modbus", bus, errors, [&]() -> std::unique_ptr<MeterDriver> {
    const std::size_t before = errors.size();
    LineSettings line = read_line(bus, errors);
    std::map<const SettingsNode*, std::shared_ptr<const Profile>> parsed;
    std::vector<ModbusMeter> meters;
    for (const MeterSpec& spec : bus.meters) {
      SettingsNode empty;
      SettingsReader r(plugin::map_or_empty(spec.settings, empty), errors,
                       "meter '" + spec.id + "'");
      ModbusMeter m;
      m.id = spec.id;
      m.timeout = spec.timeout;
      m.unit = static_cast<std::uint8_t>(
          r.required_integer("address", line.tcp ? 0 : 1, line.tcp ? 255 : 247));
      r.finish();
      if (!spec.profile_settings) {
        errors.add(spec.settings.pos, "meter '" + spec.id + "' needs a profile (profile: NAME)");
        continue;
      }
      auto& profile = parsed[spec.profile_settings.get()];
      if (!profile) profile = parse_profile(*spec.profile_settings, spec.profile, errors);
      m.profile = profile;
      meters.push_back(std::move(m));
    }
    if (errors.size() != before) return nullptr;
    for (const auto& m : meters) {
      if (!m.profile) return nullptr;  // its errors were reported once, with the first meter
    }
    return std::make_unique<ModbusDriver>(std::move(line), std::move(meters), bus.groups);
  });
}

}  // namespace
}  // namespace meterd::modbus

METERD_PLUGIN_ENTRY("modbus", &meterd::modbus::create_modbus)
