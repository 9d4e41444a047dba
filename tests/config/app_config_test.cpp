// SPDX-License-Identifier: Apache-2.0
#include "config/app_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "minimal_site.h"

namespace meterd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<std::string> messages(const ConfigLoad& load) {
  std::vector<std::string> out;
  for (const auto& e : load.errors.all()) out.push_back(e.to_string());
  return out;
}

// Fails the test with every error listed when the text does not load.
AppConfig load_ok(const std::string& text, const std::string& name = "/etc/meterd/t.yaml") {
  ConfigLoad load = load_config_text(text, name);
  EXPECT_TRUE(load.errors.empty()) << ::testing::PrintToString(messages(load));
  return load.config.value_or(AppConfig{});
}

const std::string& kMinimal = test::kMinimalSite;

const std::string kFull = R"(gateway_id: gw_A-01
log_level: debug
plugin_dir: plugins
mqtt:
  servers: [ssl://a:8883, mqtts://b:8883]
  client_id: custom-client
  credentials_file: secret/mqtt.cred
  tls: {enabled: true, ca_file: /etc/ssl/ca.pem, cert_file: c.pem, key_file: c.key,
        verify_hostname: false}
  keepalive: 45s
  max_inflight: 10
  drain_batch: 500
  pack_min_rows: 4
  pack_max_rows: 100
  pack_max_bytes: 16KiB
  reconnect_min: 1s
  reconnect_max: 2m
  health_interval: 15s
store:
  path: data/m.db
  budget: 1GiB
  commit_interval: 1s
  batch_rows: 50
poll_groups:
  - {name: fast, interval: 1s, points: [power_total, current_a]}
  - {name: slow, interval: 1m, points: [energy_total, balance]}
buses:
  - name: line1
    protocol: sim
    offline_after_failures: 5
    backoff_interval: 2m
    groups: [slow, fast]
    seed: 42
    meters:
      - id: m001
        timeout: 250ms
        tags: {building: A, floor: "3"}
        base_load_w: 800
  - name: line2
    protocol: sim
    groups: [slow]
    meters:
      - id: m002
)";

TEST(LoadConfig, FullConfigFillsEveryField) {
  AppConfig c = load_ok(kFull, "/etc/meterd/site.yaml");
  EXPECT_EQ(c.source_file, "/etc/meterd/site.yaml");
  EXPECT_EQ(c.gateway_id, "gw_A-01");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.plugin_dir, "/etc/meterd/plugins");
  EXPECT_EQ(c.mqtt.servers, (std::vector<std::string>{"ssl://a:8883", "mqtts://b:8883"}));
  EXPECT_EQ(c.mqtt.client_id, "custom-client");
  EXPECT_EQ(c.mqtt.credentials_file, "/etc/meterd/secret/mqtt.cred");
  EXPECT_TRUE(c.mqtt.tls.enabled);
  EXPECT_EQ(c.mqtt.tls.ca_file, "/etc/ssl/ca.pem");
  EXPECT_EQ(c.mqtt.tls.cert_file, "/etc/meterd/c.pem");
  EXPECT_EQ(c.mqtt.tls.key_file, "/etc/meterd/c.key");
  EXPECT_FALSE(c.mqtt.tls.verify_hostname);
  EXPECT_EQ(c.mqtt.keepalive, seconds(45));
  EXPECT_EQ(c.mqtt.max_inflight, 10);
  EXPECT_EQ(c.mqtt.drain_batch, 500);
  EXPECT_EQ(c.mqtt.pack_min_rows, 4);
  EXPECT_EQ(c.mqtt.pack_max_rows, 100);
  EXPECT_EQ(c.mqtt.pack_max_bytes, 16u * 1024);
  EXPECT_EQ(c.mqtt.reconnect_min, seconds(1));
  EXPECT_EQ(c.mqtt.reconnect_max, std::chrono::minutes(2));
  EXPECT_EQ(c.mqtt.health_interval, seconds(15));
  EXPECT_EQ(c.store.path, "/etc/meterd/data/m.db");
  EXPECT_EQ(c.store.budget_bytes, 1ull << 30);
  EXPECT_EQ(c.store.commit_interval, seconds(1));
  EXPECT_EQ(c.store.batch_rows, 50u);
  ASSERT_EQ(c.poll_groups.size(), 2u);
  EXPECT_EQ(c.poll_groups[1].name, "slow");
  EXPECT_EQ(c.poll_groups[1].interval, std::chrono::minutes(1));
  EXPECT_EQ(c.poll_groups[1].points, (std::vector<std::string>{"energy_total", "balance"}));

  ASSERT_EQ(c.buses.size(), 2u);
  const BusConfig& b = c.buses[0];
  EXPECT_EQ(b.spec.name, "line1");
  EXPECT_EQ(b.spec.protocol, "sim");
  EXPECT_EQ(b.pos.line, 28);
  EXPECT_EQ(b.pos.column, 5);
  EXPECT_EQ(b.offline_after_failures, 5);
  EXPECT_EQ(b.backoff_interval, std::chrono::minutes(2));
  ASSERT_EQ(b.spec.groups.size(), 2u);
  EXPECT_EQ(b.spec.groups[0].name, "slow");  // the bus's order, not the file's
  EXPECT_EQ(b.spec.groups[1].name, "fast");
  EXPECT_EQ(b.spec.groups[1].interval, seconds(1));
  ASSERT_EQ(b.spec.settings.entries.size(), 1u);
  EXPECT_EQ(b.spec.settings.entries[0].key, "seed");
  EXPECT_EQ(b.spec.settings.entries[0].value.scalar, "42");
  ASSERT_EQ(b.spec.meters.size(), 1u);
  const MeterSpec& m = b.spec.meters[0];
  EXPECT_EQ(m.id, "m001");
  EXPECT_EQ(m.timeout, milliseconds(250));
  ASSERT_EQ(m.settings.entries.size(), 1u);
  EXPECT_EQ(m.settings.entries[0].key, "base_load_w");
  EXPECT_EQ(m.settings.entries[0].value.scalar, "800");
  EXPECT_EQ(m.settings.entries[0].key_pos.line, 38);
  EXPECT_EQ(m.settings.entries[0].key_pos.file, "/etc/meterd/site.yaml");
  EXPECT_EQ(b.meter_tags.at("m001"),
            (std::map<std::string, std::string>{{"building", "A"}, {"floor", "3"}}));

  const BusConfig& b2 = c.buses[1];
  ASSERT_EQ(b2.spec.groups.size(), 1u);
  EXPECT_EQ(b2.spec.groups[0].name, "slow");
  EXPECT_EQ(b2.offline_after_failures, 3);
  EXPECT_TRUE(b2.spec.settings.entries.empty());
  EXPECT_TRUE(b2.meter_tags.empty());
}

TEST(LoadConfig, OmittedKeysTakeTheirDocumentedDefaults) {
  AppConfig c = load_ok(kMinimal);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.plugin_dir, METERD_TEST_DEFAULT_PLUGIN_DIR);
  EXPECT_EQ(c.mqtt.client_id, "meterd-gw1");
  EXPECT_TRUE(c.mqtt.credentials_file.empty());
  EXPECT_FALSE(c.mqtt.tls.enabled);
  EXPECT_EQ(c.mqtt.keepalive, seconds(30));
  EXPECT_EQ(c.mqtt.max_inflight, 64);
  EXPECT_EQ(c.mqtt.drain_batch, 256);
  EXPECT_EQ(c.mqtt.pack_min_rows, 32);
  EXPECT_EQ(c.mqtt.pack_max_rows, 500);
  EXPECT_EQ(c.mqtt.pack_max_bytes, 64u * 1024);
  EXPECT_EQ(c.mqtt.reconnect_min, milliseconds(500));
  EXPECT_EQ(c.mqtt.reconnect_max, seconds(30));
  EXPECT_EQ(c.mqtt.health_interval, seconds(60));
  EXPECT_EQ(c.store.budget_bytes, 256ull << 20);
  EXPECT_EQ(c.store.commit_interval, milliseconds(200));
  EXPECT_EQ(c.store.batch_rows, 1000u);
  EXPECT_EQ(c.poll_groups[0].interval, seconds(10));
  ASSERT_EQ(c.buses.size(), 1u);
  EXPECT_EQ(c.buses[0].offline_after_failures, 3);
  EXPECT_EQ(c.buses[0].backoff_interval, seconds(60));
  ASSERT_EQ(c.buses[0].spec.groups.size(), 1u);  // all groups when `groups` is absent
  EXPECT_EQ(c.buses[0].spec.meters[0].timeout, milliseconds(500));
}

TEST(LoadConfig, ReportsEveryErrorOfTheFileWithItsExactPosition) {
  const std::string text = R"(gateway_id: gw1
mqtt:
  servres: [tcp://broker:1883]
  servers: [tcp://broker:1883]
store:
  path: /var/lib/meterd/m.db
poll_groups:
  - name: fast
    interval: 1ms
    points: [power_total]
buses:
  - name: b1
    protocol: sim
    offline_after_failures: many
    meters:
      - id: m1
)";
  ConfigLoad load = load_config_text(text, "t.yaml");
  EXPECT_FALSE(load.config.has_value());
  EXPECT_EQ(messages(load),
            (std::vector<std::string>{
                "t.yaml:3:3: mqtt: unknown key 'servres'",
                "t.yaml:9:15: 'interval' = 1ms is out of range [100ms, 86400s]",
                "t.yaml:14:29: 'offline_after_failures' must be an integer, got 'many'"}));
}

TEST(LoadConfig, DuplicateKeyIsReportedAlongsideOtherErrors) {
  const std::string text = kMinimal + "log_level: loud\ngateway_id: gw2\n";
  ConfigLoad load = load_config_text(text, "t.yaml");
  EXPECT_EQ(messages(load),
            (std::vector<std::string>{
                "t.yaml:13:12: 'log_level' must be one of trace, debug, info, warn, error, got "
                "'loud'",
                "t.yaml:14:1: duplicate key 'gateway_id' (first at line 1)"}));
}

TEST(LoadConfig, DuplicateMeterIdAcrossBusesIsAnError) {
  const std::string text = kMinimal + R"(  - name: b2
    protocol: sim
    meters:
      - id: m2
      - id: m1
)";
  ConfigLoad load = load_config_text(text, "t.yaml");
  EXPECT_EQ(messages(load),
            (std::vector<std::string>{"t.yaml:17:13: duplicate meter id 'm1' (first at line 12)"}));
}

TEST(LoadConfig, DuplicateBusAndPollGroupNamesAreErrors) {
  std::string text = kMinimal + R"(  - name: b1
    protocol: sim
    meters:
      - id: m2
)";
  text.replace(text.find("buses:"), 0, "  - {name: fast, points: [balance]}\n");
  ConfigLoad load = load_config_text(text, "t.yaml");
  EXPECT_EQ(messages(load),
            (std::vector<std::string>{"t.yaml:8:12: duplicate poll group 'fast' (first at line 7)",
                                      "t.yaml:14:11: duplicate bus name 'b1' (first at line 10)"}));
}

TEST(LoadConfig, CountExpandsOneEntryIntoNumberedMeters) {
  std::string text = kMinimal + R"(      - id: "dorm-{n:02}"
        count: 3
        first: 9
        tags: {room: "R{n}"}
        address: "{n}"
)";
  AppConfig c = load_ok(text);
  const auto& meters = c.buses.at(0).spec.meters;
  ASSERT_EQ(meters.size(), 4u);
  EXPECT_EQ(meters[1].id, "dorm-09");
  EXPECT_EQ(meters[3].id, "dorm-11");
  ASSERT_EQ(meters[3].settings.entries.size(), 1u);
  EXPECT_EQ(meters[3].settings.entries[0].key, "address");
  EXPECT_EQ(meters[3].settings.entries[0].value.scalar, "11");
  EXPECT_EQ(c.buses[0].meter_tags.at("dorm-10").at("room"), "R10");
}

TEST(LoadConfig, ErrorInACountedEntryIsReportedOnceEvenWhenTheCopiesDifferInTheCounter) {
  std::string text = kMinimal + R"(      - id: "d{n}"
        count: 5
        timeout: 99s
      - id: "e{n}"
        count: 5
        first: 29
        timeout: "{n}s"
)";
  ConfigLoad load = load_config_text(text, "t.yaml");
  EXPECT_EQ(messages(load), (std::vector<std::string>{
                                "t.yaml:15:18: 'timeout' = 99s is out of range [10ms, 30s]",
                                "t.yaml:19:18: 'timeout' = 31s is out of range [10ms, 30s]"}));
}

TEST(LoadConfig, FileWithErrorsStillYieldsWhatCouldBeReadForLaterChecks) {
  std::string text = kMinimal + "colour: blue\nbilling: {utc_offset: \"+25:00\"}\n";
  text.replace(text.find("protocol: sim"), 13, "protocol: ../evil");
  ConfigLoad load = load_config_text(text, "/etc/meterd/t.yaml");
  EXPECT_FALSE(load.config.has_value());
  ASSERT_TRUE(load.partial.has_value());
  EXPECT_EQ(load.partial->gateway_id, "gw1");
  ASSERT_EQ(load.partial->buses.size(), 1u);
  EXPECT_EQ(load.partial->buses[0].spec.protocol, "") << "a refused protocol names no plugin";
  EXPECT_EQ(load.partial->buses[0].spec.meters.at(0).id, "m1");
  EXPECT_TRUE(load.partial->billing.has_value());
}

TEST(LoadConfig, KeysNamingFilesKeepTheirValuesPositions) {
  std::string text = kMinimal + "commands: {hmac_key_file: k.key}\n";
  text.replace(text.find("store:"), 0,
               "  credentials_file: c.cred\n  tls: {enabled: false, ca_file: ca.pem}\n");
  const AppConfig c = load_ok(text);
  const auto& at = c.file_key_positions;
  EXPECT_EQ(at.at("mqtt.credentials_file").line, 4);
  EXPECT_EQ(at.at("mqtt.credentials_file").column, 21);
  EXPECT_EQ(at.at("mqtt.tls.ca_file").line, 5);
  EXPECT_EQ(at.at("mqtt.tls.ca_file").column, 34);
  EXPECT_EQ(at.at("store.path").line, 7);
  EXPECT_EQ(at.at("store.path").column, 9);
  EXPECT_EQ(at.at("commands.hmac_key_file").line, 15);
  EXPECT_EQ(at.count("mqtt.tls.key_file"), 0u);
}

TEST(LoadConfig, CountedIdsCollidingWithAnotherMeterAreErrors) {
  std::string text = kMinimal + R"(      - id: "m{n}"
        count: 2
)";
  ConfigLoad load = load_config_text(text, "t.yaml");
  EXPECT_EQ(messages(load),
            (std::vector<std::string>{"t.yaml:13:13: duplicate meter id 'm1' (first at line 12)"}));
}

TEST(LoadConfig, UnknownPointAndUnknownBusGroupAreErrors) {
  std::string text = kMinimal;
  text.replace(text.find("[power_total]"), 13, "[power_total, power_totl]");
  text.replace(text.find("    meters:"), 0, "    groups: [fast, slow]\n");
  ConfigLoad load = load_config_text(text, "t.yaml");
  EXPECT_EQ(messages(load), (std::vector<std::string>{"t.yaml:7:40: unknown point 'power_totl'",
                                                      "t.yaml:11:20: unknown poll group 'slow'"}));
}

TEST(LoadConfig, MissingRequiredSectionsAreErrors) {
  ConfigLoad load = load_config_text("log_level: info\n", "t.yaml");
  EXPECT_EQ(load.errors.size(), 5u);  // gateway_id, mqtt, store, poll_groups, buses
  for (const auto& e : load.errors.all()) {
    EXPECT_NE(e.message.find("missing required key"), std::string::npos) << e.to_string();
  }
}

TEST(LoadConfig, GatewayIdWithTopicCharactersIsAnError) {
  std::string text = kMinimal;
  text.replace(0, 15, "gateway_id: gw/1#");
  ConfigLoad load = load_config_text(text, "t.yaml");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors.all()[0].pos.line, 1);
  EXPECT_EQ(load.errors.all()[0].pos.column, 13);
  EXPECT_NE(load.errors.all()[0].message.find("gateway_id"), std::string::npos);
}

TEST(LoadConfig, ServerWithoutAKnownSchemeIsAnError) {
  std::string text = kMinimal;
  text.replace(text.find("tcp://broker:1883"), 17, "broker:1883, http://x");
  ConfigLoad load = load_config_text(text, "t.yaml");
  ASSERT_EQ(load.errors.size(), 2u);
  EXPECT_EQ(load.errors.all()[0].to_string(),
            "t.yaml:3:13: server 'broker:1883' must start with tcp://, ssl://, mqtt://, mqtts://, "
            "ws:// or wss://");
  EXPECT_EQ(load.errors.all()[1].pos.column, 26);
}

TEST(LoadConfig, TlsSchemeWithoutTlsEnabledIsAnError) {
  std::string text = kMinimal;
  text.replace(text.find("tcp://"), 6, "ssl://");
  ConfigLoad load = load_config_text(text, "t.yaml");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors.all()[0].to_string(),
            "t.yaml:3:13: server 'ssl://broker:1883' uses TLS but mqtt.tls.enabled is false");
}

TEST(LoadConfig, PackLimitsOutOfRangeAreRefused) {
  std::string text = kMinimal;
  text.replace(text.find("store:"), 0,
               "  pack_min_rows: 1\n  pack_max_rows: 0\n  pack_max_bytes: 17MiB\n");
  ConfigLoad load = load_config_text(text, "t.yaml");
  EXPECT_FALSE(load.config.has_value());
  const std::vector<std::string> errors = messages(load);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[0].find("'pack_min_rows' = 1 is out of range"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("'pack_max_rows' = 0 is out of range"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("'pack_max_bytes'"), std::string::npos) << errors[2];
}

TEST(LoadConfig, IntegersWithLeadingZerosAreDecimal) {
  std::string text = kMinimal;
  text.replace(text.find("store:"), 0, "  max_inflight: 010\n");
  EXPECT_EQ(load_ok(text).mqtt.max_inflight, 10);
}

TEST(LoadConfig, RelativePathsResolveAgainstTheConfigDirectory) {
  std::string text = kMinimal;
  text.replace(text.find("/var/lib/meterd/m.db"), 20, "../data/m.db");
  EXPECT_EQ(load_ok(text, "/etc/meterd/t.yaml").store.path, "/etc/data/m.db");
}

TEST(LoadConfig, AbsentFileIsOneError) {
  ConfigLoad load = load_config("/nonexistent/meterd.yaml");
  EXPECT_FALSE(load.config.has_value());
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors.all()[0].pos.file, "/nonexistent/meterd.yaml");
}

TEST(LoadConfig, YamlSyntaxErrorStopsWithOnlyThatError) {
  std::string text = kMinimal;
  text.replace(text.find("[power_total]"), 13, "[power_total");
  ConfigLoad load = load_config_text(text, "t.yaml");
  EXPECT_EQ(messages(load),
            (std::vector<std::string>{"t.yaml:7:38: YAML syntax error: illegal flow end"}));
}

TEST(ShippedConfigs, ReferenceConfigLoadsWithoutErrors) {
  ConfigLoad load = load_config(METERD_SOURCE_DIR "/config/meterd.yaml");
  ASSERT_TRUE(load.errors.empty()) << ::testing::PrintToString(messages(load));
  const AppConfig& c = *load.config;
  ASSERT_EQ(c.buses.size(), 1u);
  EXPECT_EQ(c.buses[0].spec.meters.size(), 21u);
  EXPECT_EQ(c.buses[0].spec.meters.back().id, "dorm-020");
}

TEST(ShippedConfigs, DemoConfigHasTwoSimBusesOfTenMeters) {
  ConfigLoad load = load_config(METERD_SOURCE_DIR "/config/demo.yaml");
  ASSERT_TRUE(load.errors.empty()) << ::testing::PrintToString(messages(load));
  const AppConfig& c = *load.config;
  EXPECT_EQ(c.gateway_id, "demo-gw");
  EXPECT_EQ(c.mqtt.servers, std::vector<std::string>{"tcp://127.0.0.1:1883"});
  EXPECT_EQ(c.mqtt.health_interval, seconds(10));
  EXPECT_EQ(c.store.path, METERD_SOURCE_DIR "/config/meterd-demo.db");
  ASSERT_EQ(c.buses.size(), 2u);
  for (const auto& bus : c.buses) {
    EXPECT_EQ(bus.spec.protocol, "sim");
    EXPECT_EQ(bus.spec.meters.size(), 10u);
    ASSERT_EQ(bus.spec.groups.size(), 2u);
    EXPECT_EQ(bus.spec.groups[0].interval, seconds(2));
    EXPECT_EQ(bus.spec.groups[1].interval, seconds(10));
  }
}

}  // namespace
}  // namespace meterd

namespace meterd {
namespace {

TEST(MeterProfiles, AreLoadedOnceAndSharedByMetersOfTheModel) {
  const std::string dir = ::testing::TempDir() + "/profiles-ok";
  std::filesystem::create_directories(dir + "/profiles");
  std::ofstream(dir + "/profiles/acme-1.yaml") << "points:\n  energy_total: {address: 0x10}\n";
  const std::string text =
      "gateway_id: gw\nmqtt: {servers: [tcp://127.0.0.1:1883]}\nstore: {path: x.db}\n"
      "poll_groups: [{name: f, interval: 1s, points: [power_total]}]\n"
      "buses:\n  - name: b1\n    protocol: sim\n    meters:\n"
      "      - {id: \"m{n}\", count: 3, profile: acme-1}\n";
  ConfigLoad load = load_config_text(text, dir + "/meterd.yaml");
  ASSERT_TRUE(load.config) << load.errors.all().front().to_string();
  const auto& meters = load.config->buses[0].spec.meters;
  ASSERT_EQ(meters.size(), 3u);
  ASSERT_NE(meters[0].profile_settings, nullptr);
  EXPECT_EQ(meters[0].profile, "acme-1");
  EXPECT_EQ(meters[0].profile_settings.get(), meters[2].profile_settings.get());
  EXPECT_TRUE(meters[0].profile_settings->find("points") != nullptr);
  EXPECT_EQ(meters[0].profile_settings->pos.file, dir + "/profiles/acme-1.yaml");
  EXPECT_TRUE(meters[0].settings.find("profile") == nullptr) << "profile is a core key";
}

TEST(MeterProfiles, MissingProfileIsOneErrorAtItsFirstUse) {
  const std::string dir = ::testing::TempDir() + "/profiles-missing";
  std::filesystem::create_directories(dir);
  const std::string text =
      "gateway_id: gw\nmqtt: {servers: [tcp://127.0.0.1:1883]}\nstore: {path: x.db}\n"
      "poll_groups: [{name: f, interval: 1s, points: [power_total]}]\n"
      "buses:\n  - name: b1\n    protocol: sim\n    meters:\n"
      "      - {id: m1, profile: nope}\n      - {id: m2, profile: nope}\n";
  ConfigLoad load = load_config_text(text, dir + "/meterd.yaml");
  ASSERT_FALSE(load.config);
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors.all()[0].pos.line, 9);
  EXPECT_NE(load.errors.all()[0].message.find("profile 'nope'"), std::string::npos);
}

}  // namespace
}  // namespace meterd
