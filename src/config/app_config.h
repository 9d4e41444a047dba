// SPDX-License-Identifier: Apache-2.0
// The daemon's typed configuration. Built by load_config() from YAML; immutable afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/host_template.h"
#include "core/driver.h"
#include "core/settings.h"

namespace meterd {

struct TlsConfig {
  bool enabled = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool verify_hostname = true;
};

struct MqttConfig {
  std::vector<std::string> servers;  // "tcp://host:1883", "ssl://host:8883"
  std::string client_id;             // default: "meterd-<gateway_id>"
  std::string credentials_file;      // optional; "username:password" on one line
  TlsConfig tls;
  std::chrono::seconds keepalive{30};
  int max_inflight = 64;  // publishes awaiting PUBACK
  int drain_batch = 256;  // outbox rows fetched per store read
  // Packing (docs/mqtt-api.md#batch): while at least pack_min_rows outbox rows are ready, up to
  // pack_max_rows of them (at most pack_max_bytes of payload) go out as one message on batch.
  int pack_min_rows = 32;
  int pack_max_rows = 500;  // 1: never pack
  std::size_t pack_max_bytes = std::size_t{64} * 1024;
  std::chrono::milliseconds reconnect_min{500};
  std::chrono::milliseconds reconnect_max{30'000};
  std::chrono::milliseconds health_interval{60'000};
};

struct StoreConfig {
  std::string path;  // SQLite file
  std::uint64_t budget_bytes = 256ull << 20;
  std::chrono::milliseconds commit_interval{200};  // max time a row waits for its batch
  std::size_t batch_rows = 1000;                   // commit early when this many rows are pending
};

struct BusConfig {
  BusSpec spec;  // name, protocol, plugin settings, meters, groups
  SourcePos pos;
  int offline_after_failures = 3;  // K polls failed in a row -> offline, backed off
  std::chrono::milliseconds backoff_interval{60'000};  // poll period of an offline meter
  std::map<std::string, std::map<std::string, std::string>> meter_tags;  // meter -> tags
};

// `commands:`: authentication of cloud commands. Without a key file commands are accepted
// unsigned (a broker with ACLs is then the only guard).
struct CommandsConfig {
  std::string hmac_key_file;                            // per-gateway key; set: signatures required
  std::chrono::milliseconds issued_at_window{300'000};  // |now - issued_at| allowed
};

// `local:`: the technician's control socket for meterctl (docs/meterctl.md). Without a
// `socket` the daemon listens on $RUNTIME_DIRECTORY/meterd.sock when systemd gives it a
// runtime directory (/run/meterd under the shipped unit), and nowhere otherwise.
struct LocalConfig {
  bool enabled = true;
  std::string socket;                                 // empty: the default above
  std::chrono::milliseconds command_timeout{30'000};  // a local command's wait for its result
};

// `metrics:`: Prometheus exposition, off by default (docs/metrics.md).
struct MetricsListen {
  std::string host;  // an IP literal, IPv6 without brackets
  std::uint16_t port = 0;
};
// "127.0.0.1:9464" or "[::1]:9464"; nullopt when not of that form.
std::optional<MetricsListen> parse_metrics_listen(const std::string& text);
struct MetricsConfig {
  std::optional<MetricsListen> listen;            // unset: no HTTP endpoint
  std::string textfile;                           // empty: no node-exporter textfile
  int max_connections = 8;                        // concurrent scrapes; more are closed at once
  std::chrono::milliseconds read_timeout{5'000};  // a request must arrive whole within this
};

struct AppConfig {
  std::string source_file;                // the main file
  std::vector<std::string> source_files;  // the main file, then its drop-ins in merge order
  std::string gateway_id;
  std::string log_level = "info";      // trace, debug, info, warn, error
  std::string plugin_dir;              // where meterd-<name>.so live
  bool plugin_dir_configured = false;  // the file names `plugin_dir` (else the default above)
  std::string profile_dir;             // meter profiles <name>.yaml; default <config dir>/profiles
  MqttConfig mqtt;
  StoreConfig store;
  std::vector<PollGroupSpec> poll_groups;
  std::vector<BusConfig> buses;
  CommandsConfig commands;
  LocalConfig local;
  MetricsConfig metrics;
  // `billing:` as written; the prepaid engine reads it (see engine/billing_config.h).
  std::optional<SettingsNode> billing;
  // Where each key that names a file is written ("mqtt.tls.ca_file", "store.path", ...; see
  // kFileKeys), so checks that open the files later report at the key's value.
  std::map<std::string, SourcePos> file_key_positions;
};

// The keys whose values are files, as dotted paths from the root of the file.
inline constexpr const char* kFileKeys[] = {
    "mqtt.credentials_file", "mqtt.tls.ca_file", "mqtt.tls.cert_file",
    "mqtt.tls.key_file",     "store.path",       "commands.hmac_key_file"};

struct ConfigLoad {
  std::optional<AppConfig> config;  // set when there are no errors
  // With errors: as much of the file as could be read (unset only when the YAML itself could
  // not be parsed), so that the checks after loading (plugins, billing, files) still run and
  // every error of a file is reported in one run. Never to be run.
  std::optional<AppConfig> partial;
  ConfigErrors errors;
};

// Loads and validates `path` merged with the drop-ins of `<its folder>/conf.d/*.yaml` in name
// order (config/drop_in_files.h, config/drop_in_merge.h): every error of the files in one
// pass, as file:line:col of the file it is in, sorted by file (main first, then the drop-ins
// in order) and position, each problem of a `count:` entry once (config/error_report.h).
// Relative paths (plugin_dir, store.path, mqtt credentials and TLS files, ...) resolve
// against the folder of the file they are written in. `gateway_id` may use `${hostname}` and
// `${machine_id}` (config/host_template.h). Plugin-specific settings are not validated here
// (the plugin factory does that). Format: docs/config-format.md, docs/fleet.md.
ConfigLoad load_config(const std::string& path);
// The same from text, without drop-ins (for tests); `name` stands in for the file name in
// positions, and its directory (possibly empty: left relative) is the base for relative paths.
ConfigLoad load_config_text(const std::string& text, const std::string& name);
// The same with the host's name and machine id given (tests of gateway_id templates).
ConfigLoad load_config_text(const std::string& text, const std::string& name,
                            const HostFacts& host);

}  // namespace meterd
