// SPDX-License-Identifier: Apache-2.0
// The `lonworks` protocol plugin: LON meter nodes over LS/UDP and/or IP-852 (ISO/IEC 14908).
//
// Bus keys:   ls_udp (peer "host:port", default port 2541), ls_udp_local (bind "host:port",
//             default 0.0.0.0:0), ip852 (list of channel members "host:port", default port
//             1628), ip852_local (default 0.0.0.0:0); at least one of ls_udp and ip852.
//             domain (hex, 0/1/3/6 bytes, default "" = zero-length), subnet (1..255, default
//             1) and node (1..127, default 126): the gateway's own LonTalk address.
//             max_in_flight (1..256, default 32), max_in_flight_per_node (1..15, default 1),
//             retries (0..7, default 2), read_ahead (1..256 meters, default 8).
// Meter keys: subnet (1..255), node (1..127), link (ls_udp|ip852; default: the bus's only
//             link). The meter's `profile:` maps points to NVs (driver/profile.h).
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <tuple>

#include "common/plugin_entry.h"
#include "common/plugin_settings.h"
#include "common/profile_cache.h"
#include "core/driver.h"
#include "core/settings_reader.h"
#include "lonworks/codec/ls_udp.h"
#include "lonworks/driver/lonworks_driver.h"
#include "lonworks/transport/ip852_link.h"
#include "lonworks/transport/ls_udp_link.h"

namespace meterd::lonworks {
namespace {

std::optional<Domain> parse_domain(const std::string& text) {
  Domain d;
  std::size_t nibbles = 0;
  for (char c : text) {
    if (c == ' ' || c == ':') continue;
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0 || nibbles >= 12) return std::nullopt;
    d.id[nibbles / 2] = static_cast<std::uint8_t>(d.id[nibbles / 2] << 4 | digit);
    ++nibbles;
  }
  if (nibbles % 2 != 0 || !is_valid_domain_length(static_cast<std::uint8_t>(nibbles / 2))) {
    return std::nullopt;
  }
  d.length = static_cast<std::uint8_t>(nibbles / 2);
  return d;
}

std::optional<UdpAddress> read_address(SettingsReader& r, const SettingsNode& node,
                                       std::uint16_t default_port, const std::string& what) {
  auto address = node.is_scalar() ? parse_udp_address(node.scalar, default_port) : std::nullopt;
  if (!address) {
    r.errors().add(node.pos,
                   what + ": '" + node.scalar + "' is not an IPv4 address with an optional :port");
  }
  return address;
}

struct Links {
  std::vector<std::unique_ptr<Link>> links;
  std::optional<std::size_t> ls_udp;
  std::optional<std::size_t> ip852;
};

Links read_links(SettingsReader& r, const std::string& what, const Clock& clock) {
  Links out;
  UdpAddress any{0, 0};
  if (const SettingsNode* peer = r.any("ls_udp")) {
    auto address = read_address(r, *peer, kLsUdpPort, what + " ls_udp");
    UdpAddress local = any;
    if (const SettingsNode* bind = r.any("ls_udp_local")) {
      local = read_address(r, *bind, 0, what + " ls_udp_local").value_or(any);
    }
    if (address) {
      out.ls_udp = out.links.size();
      out.links.push_back(std::make_unique<LsUdpLink>(local, *address));
    }
  }
  if (const SettingsNode* members = r.sequence("ip852")) {
    std::vector<UdpAddress> addresses;
    for (const auto& item : members->items) {
      if (auto address = read_address(r, item, kIp852Port, what + " ip852 member")) {
        addresses.push_back(*address);
      }
    }
    if (addresses.empty()) r.errors().add(members->pos, what + ": ip852 lists no member");
    UdpAddress local = any;
    if (const SettingsNode* bind = r.any("ip852_local")) {
      local = read_address(r, *bind, 0, what + " ip852_local").value_or(any);
    }
    std::random_device random;
    if (!addresses.empty()) {
      out.ip852 = out.links.size();
      out.links.push_back(
          std::make_unique<Ip852Link>(local, std::move(addresses), random(), clock));
    }
  }
  if (out.links.empty() && !r.has("ls_udp") && !r.has("ip852")) {
    r.errors().add(r.pos(), what + ": needs 'ls_udp' (a peer) and/or 'ip852' (channel members)");
  }
  return out;
}

std::unique_ptr<MeterDriver> create_lonworks(const BusSpec& bus, const DriverEnv& env,
                                             ConfigErrors& errors) {
  return guard_plugin_factory("lonworks", bus, errors, [&]() -> std::unique_ptr<MeterDriver> {
    const std::size_t errors_before = errors.size();
    if (env.clock == nullptr) {
      errors.add(bus.settings.pos, "lonworks: the daemon passed no clock");
      return nullptr;
    }
    SettingsNode empty;
    const std::string what = "bus '" + bus.name + "'";
    SettingsReader r(plugin::map_or_empty(bus.settings, empty), errors, what);
    Links links = read_links(r, what, *env.clock);
    MessageLayerConfig layer;
    if (r.has("domain")) {
      const std::string text = r.string("domain");
      if (auto domain = parse_domain(text)) {
        layer.domain = *domain;
      } else {
        errors.add(r.any("domain")->pos, what + ": domain must be 0, 1, 3 or 6 bytes of hex");
      }
    }
    layer.self.subnet = static_cast<std::uint8_t>(r.integer("subnet", 1, 1, 255));
    layer.self.node = static_cast<std::uint8_t>(r.integer("node", 126, 1, 127));
    layer.max_in_flight = static_cast<std::size_t>(r.integer("max_in_flight", 32, 1, 256));
    layer.max_in_flight_per_node =
        static_cast<std::size_t>(r.integer("max_in_flight_per_node", 1, 1, 15));
    LonBusConfig config;
    config.name = bus.name;
    config.retries = static_cast<int>(r.integer("retries", 2, 0, 7));
    config.read_ahead = static_cast<std::size_t>(r.integer("read_ahead", 8, 1, 256));
    r.finish();

    plugin::ProfileCache<const SettingsNode*, LonProfile> profiles;
    std::vector<LonMeterConfig> meters;
    std::map<std::tuple<std::size_t, int, int>, std::string> addresses;
    for (const auto& spec : bus.meters) {
      const std::string mwhat = "meter '" + spec.id + "'";
      SettingsReader m(plugin::map_or_empty(spec.settings, empty), errors, mwhat);
      LonMeterConfig meter;
      meter.id = spec.id;
      meter.timeout = spec.timeout;
      meter.node.subnet = static_cast<std::uint8_t>(m.required_integer("subnet", 1, 255));
      meter.node.node = static_cast<std::uint8_t>(m.required_integer("node", 1, 127));
      std::string link;
      if (m.has("link")) {
        link = m.one_of("link", "ls_udp", {"ls_udp", "ip852"});
      } else if (links.ls_udp && !links.ip852) {
        link = "ls_udp";
      } else if (links.ip852 && !links.ls_udp) {
        link = "ip852";
      } else if (links.ls_udp && links.ip852) {
        errors.add(m.pos(), mwhat + ": the bus has two links; say which with 'link'");
      }
      const auto index = link == "ls_udp"  ? links.ls_udp
                         : link == "ip852" ? links.ip852
                                           : std::nullopt;
      if (!link.empty() && !index) {
        std::string message = mwhat;
        message.append(": the bus has no ").append(link).append(" link");
        errors.add(m.pos(), std::move(message));
      }
      meter.link = index.value_or(0);
      m.finish();
      if (spec.profile_settings == nullptr) {
        errors.add(spec.settings.pos, mwhat + ": a lonworks meter needs a profile (NV map)");
      } else {
        meter.profile = profiles.get(spec.profile_settings.get(), [&] {
          return read_lon_profile(*spec.profile_settings, "profile '" + spec.profile + "'", errors);
        });
      }
      const auto key = std::make_tuple(meter.link, meter.node.subnet, meter.node.node);
      if (auto [it, fresh] = addresses.emplace(key, spec.id); !fresh) {
        errors.add(spec.settings.pos, mwhat + ": subnet/node " + std::to_string(meter.node.subnet) +
                                          "/" + std::to_string(meter.node.node) +
                                          " is already meter '" + it->second + "'");
      }
      meters.push_back(std::move(meter));
    }
    if (errors.size() != errors_before) return nullptr;
    auto message_layer = std::make_unique<MessageLayer>(layer, std::move(links.links), *env.clock);
    return std::make_unique<LonWorksDriver>(std::move(config), std::move(meters), bus.groups,
                                            std::move(message_layer), *env.clock);
  });
}

}  // namespace
}  // namespace meterd::lonworks

METERD_PLUGIN_ENTRY("lonworks", &meterd::lonworks::create_lonworks)
