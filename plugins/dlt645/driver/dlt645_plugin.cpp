// SPDX-License-Identifier: Apache-2.0
// The `dlt645` protocol plugin: DL/T 645-2007/1997 meters on a serial line.
//
// Bus keys:   device (required), baud (1200|2400|4800|9600|19200, default 2400),
//             parity (none|even|odd, default even), data_bits (5..8, default 8),
//             stop_bits (1|2, default 1), preamble (FE bytes, 0..8, default 4),
//             inter_byte_timeout (duration, default 200ms), max_drain (duration, default
//             500ms: bound of the drain after a failed transaction), password (8 hex digits, level
//             first, default 02000000), operator_code (8 hex digits, default 00000000),
//             command_validity (duration, default 10m), utc_offset_min (the meters' zone,
//             default 480), close_command (direct|allowed: C=1C N1 1C or 1B, default direct).
// Meter keys: address (12 digits, or "auto": read-address discovery, one-meter bus only),
//             variant (2007|1997, default the profile's or 2007), password (overrides the
//             bus's). The meter's `profile:` tree maps points (see driver/profile.h).
#include <limits>
#include <map>
#include <memory>

#include "common/plugin_entry.h"
#include "common/plugin_settings.h"
#include "common/profile_cache.h"
#include "core/driver.h"
#include "core/settings_reader.h"
#include "dlt645/driver/dlt645_driver.h"

namespace meterd::dlt645 {
namespace {

std::optional<std::uint32_t> parse_hex32(const std::string& text) {
  if (text.size() != 8) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) return std::nullopt;
    value = value << 4 | static_cast<std::uint32_t>(digit);
  }
  return value;
}

std::optional<Password> read_password(SettingsReader& r, const std::string& what) {
  if (!r.has("password")) return std::nullopt;
  const std::string text = r.string("password");
  auto password = parse_password(text);
  if (!password) {
    r.errors().add(r.any("password")->pos,
                   what + ": password must be 8 hex digits, level first (e.g. 02123456)");
  }
  return password;
}

Dlt645BusConfig read_bus(const BusSpec& bus, ConfigErrors& errors) {
  SettingsNode empty;
  const std::string what = "bus '" + bus.name + "'";
  SettingsReader r(plugin::map_or_empty(bus.settings, empty), errors, what);
  Dlt645BusConfig config;
  config.name = bus.name;
  LineSettings& line = config.line;
  line.device = r.required_string("device");
  line.baud = static_cast<int>(r.integer("baud", 2400, 1200, 19200));
  if (!is_supported_baud(line.baud)) {
    errors.add(r.any("baud")->pos, what + ": baud must be 1200, 2400, 4800, 9600 or 19200");
  }
  const std::string parity = r.one_of("parity", "even", {"none", "even", "odd"});
  line.parity = parity == "none" ? Parity::kNone : parity == "odd" ? Parity::kOdd : Parity::kEven;
  line.data_bits = static_cast<int>(r.integer("data_bits", 8, 5, 8));
  line.stop_bits = static_cast<int>(r.integer("stop_bits", 1, 1, 2));
  line.inter_byte_timeout = r.duration("inter_byte_timeout", Millis(200), Millis(5), Millis(5000));
  line.max_drain = r.duration("max_drain", Millis(500), Millis(0), Millis(10'000));
  config.preamble = static_cast<std::size_t>(r.integer("preamble", 4, 0, 8));
  if (auto password = read_password(r, what)) config.password = *password;
  if (r.has("operator_code")) {
    const std::string text = r.string("operator_code");
    if (auto code = parse_hex32(text)) {
      config.operator_code = *code;
    } else {
      errors.add(r.any("operator_code")->pos, what + ": operator_code must be 8 hex digits");
    }
  }
  config.command_validity = r.duration("command_validity", Millis(10 * 60 * 1000), Millis(10'000),
                                       Millis(24 * 3600 * 1000));
  config.utc_offset = std::chrono::minutes(r.integer("utc_offset_min", 480, -720, 840));
  config.close_command = r.one_of("close_command", "direct", {"direct", "allowed"}) == "allowed"
                             ? RelayCommand::kCloseAllowed
                             : RelayCommand::kCloseDirect;
  r.finish();
  return config;
}

// A profile is parsed once per tree and variant.
using ProfileCache =
    plugin::ProfileCache<std::pair<const SettingsNode*, std::optional<Version>>, Profile>;

Dlt645MeterConfig read_meter(const MeterSpec& meter, ProfileCache& profiles, ConfigErrors& errors) {
  SettingsNode empty;
  const std::string what = "meter '" + meter.id + "'";
  SettingsReader r(plugin::map_or_empty(meter.settings, empty), errors, what);
  Dlt645MeterConfig config;
  config.id = meter.id;
  config.timeout = meter.timeout;
  const std::string address = r.required_string("address");
  if (address != "auto" && !address.empty()) {
    auto parsed = parse_address(address);
    if (!parsed || is_wildcard(*parsed) || is_broadcast(*parsed)) {
      errors.add(r.any("address")->pos,
                 what + ": address must be 12 digits of one meter, or \"auto\"");
    }
    config.address = parsed;
  }
  std::optional<Version> variant;
  if (r.has("variant")) {
    variant =
        r.one_of("variant", "2007", {"2007", "1997"}) == "1997" ? Version::k1997 : Version::k2007;
  }
  config.password = read_password(r, what);
  r.finish();
  const SettingsNode* tree = meter.profile_settings.get();
  config.profile = profiles.get({tree, variant}, [&]() -> std::optional<Profile> {
    if (tree == nullptr) return default_profile(variant.value_or(Version::k2007));
    return read_profile(*tree, variant, "profile '" + meter.profile + "'", errors);
  });
  if (config.profile && config.profile->variant == Version::k1997 && address == "auto") {
    errors.add(r.pos(), what + ": read-address discovery is a DL/T 645-2007 request");
  }
  return config;
}

std::unique_ptr<MeterDriver> create_dlt645(const BusSpec& bus, const DriverEnv& env,
                                           ConfigErrors& errors) {
  return guard_plugin_factory("dlt645", bus, errors, [&]() -> std::unique_ptr<MeterDriver> {
    const std::size_t errors_before = errors.size();
    if (env.clock == nullptr) {
      errors.add(bus.settings.pos, "dlt645: the daemon passed no clock");
      return nullptr;
    }
    Dlt645BusConfig config = read_bus(bus, errors);
    ProfileCache profiles;
    std::vector<Dlt645MeterConfig> meters;
    std::map<std::string, std::string> addresses;
    for (const auto& spec : bus.meters) {
      meters.push_back(read_meter(spec, profiles, errors));
      const auto& meter = meters.back();
      if (!meter.address) {
        const SettingsNode* address = spec.settings.find("address");
        if (address && address->scalar == "auto" && bus.meters.size() != 1) {
          errors.add(spec.settings.pos,
                     "meter '" + spec.id + "': address \"auto\" needs a bus with one meter");
        }
        continue;
      }
      const std::string text = to_string(*meter.address);
      if (auto [it, fresh] = addresses.emplace(text, spec.id); !fresh) {
        errors.add(spec.settings.pos, "meter '" + spec.id + "': address " + text +
                                          " is already meter '" + it->second + "'");
      }
    }
    if (errors.size() != errors_before) return nullptr;
    return std::make_unique<Dlt645Driver>(std::move(config), std::move(meters), bus.groups,
                                          *env.clock);
  });
}

}  // namespace
}  // namespace meterd::dlt645

METERD_PLUGIN_ENTRY("dlt645", &meterd::dlt645::create_dlt645)
