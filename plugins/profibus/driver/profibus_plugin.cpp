// SPDX-License-Identifier: Apache-2.0
// The `profibus` protocol plugin: a DP-V0 class-1 master on a UART (docs/profibus.md).
//
// Bus keys:   device (required), baud (9600|19200|45450|93750, default 19200; the slaves'
//             GSD must list it), parity (even|none, default even: 8E1 on the wire; none for
//             ptys in tests), master_address (0..125, default 2), watchdog (required: a
//             duration 10ms..650s, or "off"; must outlast twice the shortest poll interval),
//             on_stop (hold|clear, default hold), slot_time_bits (37..16383, default 100),
//             min_slot_time (duration, default 20ms), tsyn_bits (33..255, default 33),
//             retry_limit (0..7, default 1), max_diag_polls (1..1000, default 20),
//             freeze_group (a poll group name: read after a broadcast FREEZE),
//             min_tsdr_bits (0..255, Set_Prm's min TSDR, default 0: the slave's own).
//             slot_time_bits must exceed the MaxTsdr the slaves' GSDs give for the baud.
// Meter keys: address (0..125, required, unique on the bus), group (0..255: Group_Ident
//             bits, default 0). The meter's profile names the GSD and the modules.
#include <map>
#include <memory>
#include <set>

#include "common/plugin_entry.h"
#include "common/plugin_settings.h"
#include "common/profile_cache.h"
#include "core/driver.h"
#include "core/settings_reader.h"
#include "profibus/driver/profibus_driver.h"
#include "profibus/transport/uart_phy.h"

namespace meterd::profibus {
namespace {

struct BusRead {
  ProfibusBusConfig config;
  UartSettings uart;
  SourcePos baud_pos;
  SourcePos watchdog_pos;
  SourcePos slot_pos;
};

BusRead read_bus(const BusSpec& bus, ConfigErrors& errors) {
  SettingsNode empty;
  const std::string what = "bus '" + bus.name + "'";
  SettingsReader r(plugin::map_or_empty(bus.settings, empty), errors, what);
  BusRead out;
  out.config.name = bus.name;
  out.uart.device = r.required_string("device");
  out.uart.baud = static_cast<int>(r.integer("baud", 19200, 9600, 93750));
  out.baud_pos = r.has("baud") ? r.any("baud")->pos : r.pos();
  if (!is_uart_baud(out.uart.baud)) {
    errors.add(out.baud_pos, what +
                                 ": baud must be 9600, 19200, 45450 or 93750 (faster "
                                 "rates need a PROFIBUS card, not a UART)");
  }
  out.uart.even_parity = r.one_of("parity", "even", {"even", "none"}) == "even";
  out.config.master_address = static_cast<std::uint8_t>(r.integer("master_address", 2, 0, 125));
  if (!r.has("watchdog")) {
    errors.add(r.pos(), what +
                            ": 'watchdog' is required: a duration (the slaves drop their "
                            "outputs when no Data_Exchange comes for that long) or \"off\"");
  } else {
    out.watchdog_pos = r.any("watchdog")->pos;
    if (r.string("watchdog") != "off") {
      out.config.watchdog = r.duration("watchdog", Millis(1000), Millis(10), Millis(650'000));
    }
  }
  out.config.clear_on_stop = r.one_of("on_stop", "hold", {"hold", "clear"}) == "clear";
  out.config.timing.slot_time_bits = static_cast<int>(r.integer("slot_time_bits", 100, 37, 16383));
  out.config.timing.min_slot_time = std::chrono::duration_cast<std::chrono::microseconds>(
      r.duration("min_slot_time", Millis(20), Millis(1), Millis(5000)));
  out.config.timing.tsyn_bits = static_cast<int>(r.integer("tsyn_bits", 33, 33, 255));
  out.config.timing.retry_limit = static_cast<int>(r.integer("retry_limit", 1, 0, 7));
  out.config.max_diag_polls = static_cast<int>(r.integer("max_diag_polls", 20, 1, 1000));
  out.config.min_tsdr_bits = static_cast<std::uint8_t>(r.integer("min_tsdr_bits", 0, 0, 255));
  out.slot_pos = r.has("slot_time_bits") ? r.any("slot_time_bits")->pos : r.pos();
  if (r.has("freeze_group")) {
    const std::string name = r.string("freeze_group");
    for (std::size_t i = 0; i < bus.groups.size(); ++i) {
      if (bus.groups[i].name == name) out.config.freeze_group = i;
    }
    if (!out.config.freeze_group) {
      errors.add(r.any("freeze_group")->pos,
                 what + ": freeze_group '" + name + "' is not a poll group of this bus");
    }
  }
  r.finish();
  return out;
}

std::unique_ptr<MeterDriver> create_profibus(const BusSpec& bus, const DriverEnv& env,
                                             ConfigErrors& errors) {
  return guard_plugin_factory("profibus", bus, errors, [&]() -> std::unique_ptr<MeterDriver> {
    const std::size_t errors_before = errors.size();
    BusRead read = read_bus(bus, errors);
    if (read.config.watchdog) {
      for (const auto& group : bus.groups) {
        if (*read.config.watchdog < 2 * group.interval) {
          errors.add(read.watchdog_pos,
                     "bus '" + bus.name + "': watchdog " +
                         std::to_string(read.config.watchdog->count()) +
                         "ms is shorter than twice the poll interval of group '" + group.name +
                         "' (" + std::to_string(group.interval.count()) +
                         "ms): each poll is the slave's Data_Exchange, so its outputs would drop "
                         "between polls");
          break;
        }
      }
    }
    plugin::ProfileCache<const SettingsNode*, Profile> profiles;
    std::vector<ProfibusMeterConfig> meters;
    std::map<int, std::string> addresses;
    std::set<const GsdFile*> baud_checked;  // one message per GSD, not per meter
    std::set<const GsdFile*> slot_checked;
    for (const auto& spec : bus.meters) {
      SettingsNode empty;
      const std::string what = "meter '" + spec.id + "'";
      SettingsReader r(plugin::map_or_empty(spec.settings, empty), errors, what);
      ProfibusMeterConfig meter;
      meter.id = spec.id;
      const auto address = r.required_integer("address", 0, 125);
      meter.address = static_cast<std::uint8_t>(address);
      meter.group = static_cast<std::uint8_t>(r.integer("group", 0, 0, 255));
      if (r.has("address")) {
        if (address == read.config.master_address) {
          errors.add(r.any("address")->pos,
                     what + ": address " + std::to_string(address) + " is the master's");
        }
        if (auto [it, fresh] = addresses.emplace(static_cast<int>(address), spec.id); !fresh) {
          errors.add(r.any("address")->pos, what + ": address " + std::to_string(address) +
                                                " is already meter '" + it->second + "'");
        }
      }
      r.finish();
      if (!spec.profile_settings) {
        errors.add(spec.settings.pos, what +
                                          ": a profibus meter needs a 'profile' naming its GSD "
                                          "and modules");
        continue;
      }
      meter.profile = profiles.get(spec.profile_settings.get(), [&] {
        return read_profile(*spec.profile_settings, "profile '" + spec.profile + "'", errors);
      });
      if (!meter.profile) continue;
      const GsdFile& gsd = *meter.profile->gsd;
      if (is_uart_baud(read.uart.baud) && !gsd.supports(read.uart.baud) &&
          baud_checked.insert(&gsd).second) {
        errors.add(read.baud_pos, "bus '" + bus.name + "': baud " + std::to_string(read.uart.baud) +
                                      " is not in GSD file " + gsd.path + " (no " +
                                      gsd_baud_name(read.uart.baud) + "_supp = 1) of meter '" +
                                      spec.id + "'");
      }
      // A reply may come MaxTsdr bit times after the request: the slot time must wait longer.
      const auto tsdr = gsd.max_tsdr.find(read.uart.baud);
      if (tsdr != gsd.max_tsdr.end() && tsdr->second >= read.config.timing.slot_time_bits &&
          slot_checked.insert(&gsd).second) {
        errors.add(read.slot_pos, "bus '" + bus.name + "': slot_time_bits " +
                                      std::to_string(read.config.timing.slot_time_bits) +
                                      " is not more than MaxTsdr " + std::to_string(tsdr->second) +
                                      " of GSD file " + gsd.path + " (meter '" + spec.id + "')");
      }
      meters.push_back(std::move(meter));
    }
    if (env.clock == nullptr) errors.add(bus.settings.pos, "profibus: the daemon passed no clock");
    if (errors.size() != errors_before) return nullptr;
    return std::make_unique<ProfibusDriver>(std::move(read.config), std::move(meters), bus.groups,
                                            std::make_unique<UartPhy>(read.uart), env.state_dir);
  });
}

}  // namespace
}  // namespace meterd::profibus

METERD_PLUGIN_ENTRY("profibus", &meterd::profibus::create_profibus)
