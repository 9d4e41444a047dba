// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <string_view>

#include "config/config_sections.h"
#include "core/settings_reader.h"

namespace meterd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Scheme {
  std::string_view prefix;
  bool encrypted;
};
constexpr std::array<Scheme, 6> kSchemes = {{{"tcp://", false},
                                             {"mqtt://", false},
                                             {"ws://", false},
                                             {"ssl://", true},
                                             {"mqtts://", true},
                                             {"wss://", true}}};

const Scheme* scheme_of(const std::string& uri) {
  for (const auto& s : kSchemes) {
    if (uri.starts_with(s.prefix) && uri.size() > s.prefix.size()) return &s;
  }
  return nullptr;
}

TlsConfig read_tls(const SettingsNode& node, const PathBases& bases, ConfigErrors& errors) {
  SettingsReader r(node, errors, "mqtt.tls");
  TlsConfig tls;
  tls.enabled = r.boolean("enabled", false);
  tls.ca_file = read_path(r, "ca_file", bases);
  tls.cert_file = read_path(r, "cert_file", bases);
  tls.key_file = read_path(r, "key_file", bases);
  tls.verify_hostname = r.boolean("verify_hostname", true);
  r.finish();
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    errors.add(node.pos, "mqtt.tls: 'cert_file' and 'key_file' go together (client certificate)");
  }
  return tls;
}

// Paho picks TLS from the URI scheme; a mismatch with tls.enabled would either fail at
// connect time or, worse, silently send credentials in clear.
void check_schemes_match_tls(const SettingsNode& servers, const MqttConfig& mqtt,
                             ConfigErrors& errors) {
  for (const auto& item : servers.items) {
    const Scheme* scheme = item.is_scalar() ? scheme_of(item.scalar) : nullptr;
    if (!scheme) continue;
    if (scheme->encrypted && !mqtt.tls.enabled) {
      errors.add(item.pos, "server '" + item.scalar + "' uses TLS but mqtt.tls.enabled is false");
    } else if (!scheme->encrypted && mqtt.tls.enabled) {
      errors.add(item.pos, "server '" + item.scalar +
                               "' is not encrypted but mqtt.tls.enabled is true; use ssl://, "
                               "mqtts:// or wss://");
    }
  }
}

}  // namespace

MqttConfig read_mqtt_section(const SettingsNode& node, const std::string& gateway_id,
                             const PathBases& bases, ConfigErrors& errors) {
  SettingsReader r(node, errors, "mqtt");
  MqttConfig mqtt;
  const SettingsNode* servers = r.sequence("servers", true);
  if (servers) {
    if (servers->items.empty()) errors.add(servers->pos, "'servers' must list at least one broker");
    for (const auto& item : servers->items) {
      if (!item.is_scalar()) {
        errors.add(item.pos,
                   std::string("'servers' entries must be URIs, not a ") + item.kind_name());
      } else if (!scheme_of(item.scalar)) {
        errors.add(item.pos, "server '" + item.scalar +
                                 "' must start with tcp://, ssl://, mqtt://, mqtts://, ws:// or "
                                 "wss://");
      } else {
        mqtt.servers.push_back(item.scalar);
      }
    }
  }
  if (r.has("client_id")) {
    mqtt.client_id = r.required_string("client_id");
    if (mqtt.client_id.size() > 256) {
      errors.add(r.any("client_id")->pos, "'client_id' is longer than 256 characters");
    }
  } else {
    mqtt.client_id = "meterd-" + gateway_id;
  }
  mqtt.credentials_file = read_path(r, "credentials_file", bases);
  if (const SettingsNode* tls = r.map("tls")) mqtt.tls = read_tls(*tls, bases, errors);

  const milliseconds keepalive = r.duration("keepalive", seconds(30), seconds(5), seconds(65535));
  if (keepalive.count() % 1000 != 0) {
    errors.add(r.any("keepalive")->pos, "'keepalive' must be whole seconds");
  }
  mqtt.keepalive = std::chrono::duration_cast<seconds>(keepalive);
  mqtt.max_inflight = static_cast<int>(r.integer("max_inflight", 64, 1, 65535));
  mqtt.drain_batch = static_cast<int>(r.integer("drain_batch", 256, 1, 10'000));
  mqtt.pack_min_rows = static_cast<int>(r.integer("pack_min_rows", 32, 2, 10'000));
  mqtt.pack_max_rows = static_cast<int>(r.integer("pack_max_rows", 500, 1, 10'000));
  mqtt.pack_max_bytes =
      static_cast<std::size_t>(r.size_bytes("pack_max_bytes", 64ull << 10, 1024, 16ull << 20));
  mqtt.reconnect_min =
      r.duration("reconnect_min", milliseconds(500), milliseconds(100), std::chrono::minutes(5));
  mqtt.reconnect_max = r.duration("reconnect_max", seconds(30), seconds(1), std::chrono::hours(1));
  if (mqtt.reconnect_max < mqtt.reconnect_min) {
    errors.add(r.any(r.has("reconnect_max") ? "reconnect_max" : "reconnect_min")->pos,
               "'reconnect_max' must not be shorter than 'reconnect_min'");
  }
  mqtt.health_interval =
      r.duration("health_interval", seconds(60), seconds(1), std::chrono::hours(1));
  r.finish();
  if (servers) check_schemes_match_tls(*servers, mqtt, errors);
  return mqtt;
}

}  // namespace meterd
