// SPDX-License-Identifier: Apache-2.0
// The real meterd with a modbus bus over a pty against the modbus-sim tool: 8 DDSY1352 meters
// through the shipped profile. Telemetry reaches MQTT with the values the simulator serves; a
// dead meter (simulator fault) gives one meter_offline event while the others keep reporting.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/broker.h"
#include "support/mqtt_collector.h"
#include "support/process.h"
#include "support/pty_pair.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace meterd::test {
namespace {

constexpr int kMeters = 8;
constexpr int kDeadUnit = 3;

// tools/ is built beside plugins/ in the build tree.
std::string simulator_path() {
  return (std::filesystem::path(METERD_PLUGIN_DIR).parent_path() / "tools" / "modbus-sim" /
          "modbus-sim")
      .string();
}

std::string profile_path() {
  return std::string(METERD_SOURCE_DIR) + "/config/profiles/acrel-ddsy1352.yaml";
}

std::string meter_id(int unit) {
  char id[8];
  std::snprintf(id, sizeof id, "m%02d", unit);
  return id;
}

std::string site_yaml(const std::string& broker_uri, const std::string& device,
                      const std::string& db_path) {
  std::ostringstream y;
  y << "gateway_id: gw-mb\n"
    << "log_level: debug\n"
    << "plugin_dir: " << METERD_PLUGIN_DIR << "\n"
    << "profile_dir: " << METERD_SOURCE_DIR << "/config/profiles\n"
    << "mqtt:\n  servers: [" << broker_uri << "]\n  keepalive: 5s\n"
    << "  reconnect_min: 100ms\n  reconnect_max: 1s\n"
    << "store:\n  path: " << db_path << "\n  commit_interval: 100ms\n"
    << "poll_groups:\n"
    << "  - {name: fast, interval: 1s, points: [power_total]}\n"
    << "  - {name: slow, interval: 2s, points: [energy_total, balance, relay_closed, "
       "purchase_count]}\n"
    << "buses:\n"
    << "  - name: line1\n"
    << "    protocol: modbus\n"
    << "    transport: rtu\n"
    << "    device: " << device << "\n"
    << "    baud: 9600\n"
    << "    parity: none\n"
    << "    offline_after_failures: 2\n"
    << "    backoff_interval: 5s\n"
    << "    meters:\n"
    << "      - id: \"m{n:02}\"\n"
    << "        count: " << kMeters << "\n"
    << "        timeout: 300ms\n"
    << "        address: \"{n}\"\n"
    << "        profile: acrel-ddsy1352\n";
  return y.str();
}

std::size_t events_of(const MqttCollector::Messages& messages, const std::string& meter,
                      const std::string& type) {
  std::size_t n = 0;
  for (const auto& m : messages) {
    if (m.topic != "meterd/v1/gw-mb/meters/" + meter + "/events") continue;
    if (m.json().value("event", "") == type) ++n;
  }
  return n;
}

TEST(ModbusSystem, EightMetersReportSimulatorValuesAndADeadOneGoesOffline) {
  ASSERT_TRUE(std::filesystem::exists(simulator_path())) << simulator_path();
  TempDir dir("meterd-modbus");
  PtyPair pty(dir.path());
  // --frozen: every meter keeps its initial state, so telemetry is compared exactly. Unit u
  // serves energy 100000 + 1000u Wh, balance 50.00 (500000), purchase count 1, 800 W.
  ChildProcess simulator(
      {simulator_path(), "--profile", profile_path(), "--rtu", pty.b(), "--units",
       "1-" + std::to_string(kMeters), "--frozen", "--fault", std::to_string(kDeadUnit) + ":dead"},
      dir.file("sim.log"));
  ASSERT_TRUE(wait_for(
      [&] { return simulator.log().find("ready") != std::string::npos || !simulator.is_running(); },
      std::chrono::seconds(10)));
  ASSERT_TRUE(simulator.is_running()) << simulator.log();
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  MqttCollector collector(broker.uri(), "modbus-collector", "meterd/v1/gw-mb/meters/#");
  std::ofstream(dir.file("meterd.yaml")) << site_yaml(broker.uri(), pty.a(), dir.file("meterd.db"));
  ChildProcess daemon({METERD_BINARY, "--config", dir.file("meterd.yaml")}, dir.file("meterd.log"));

  // The first slow-group telemetry of each live meter, and the offline event of the dead one.
  std::map<std::string, nlohmann::json> first;
  const bool arrived = collector.wait_until(
      [&](const MqttCollector::Messages& messages) {
        for (const auto& m : messages) {
          if (!m.topic.ends_with("/telemetry")) continue;
          const auto j = m.json();
          if (j.is_discarded() || !j.contains("values")) continue;
          const std::string meter = j.value("meter", "");
          if (!first.contains(meter) && j["values"].contains("energy_total")) first[meter] = j;
        }
        return first.size() == kMeters - 1 &&
               events_of(messages, meter_id(kDeadUnit), "meter_offline") == 1;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(arrived) << first.size() << " meters reported\n"
                       << daemon.log() << "\n--- simulator\n"
                       << simulator.log();
  EXPECT_FALSE(first.contains(meter_id(kDeadUnit)));
  for (int u = 1; u <= kMeters; ++u) {
    if (u == kDeadUnit) continue;
    const std::string id = meter_id(u);
    const auto& values = first.at(id)["values"];
    EXPECT_EQ(values.value("energy_total", std::int64_t{-1}), 100'000 + 1'000 * u) << id;
    EXPECT_EQ(values.value("balance", std::int64_t{-1}), 500'000) << id;
    EXPECT_EQ(values.value("purchase_count", std::int64_t{-1}), 1) << id;
    EXPECT_EQ(values.value("relay_closed", false), true) << id;
    EXPECT_FALSE(first.at(id).contains("errors")) << first.at(id).dump();
  }

  // After the offline event the live meters keep reporting power (fast group, 1 s): at least
  // three more readings each, with the simulator's 800 W.
  const std::size_t mark = collector.size();
  std::map<std::string, int> power_after;
  const bool kept_reporting = collector.wait_until(
      [&](const MqttCollector::Messages& messages) {
        power_after.clear();
        for (std::size_t i = mark; i < messages.size(); ++i) {
          if (!messages[i].topic.ends_with("/telemetry")) continue;
          const auto j = messages[i].json();
          if (j.is_discarded() || !j.contains("values")) continue;
          const auto& v = j["values"];
          if (v.contains("power_total") && std::abs(v.value("power_total", 0.0) - 800.0) < 0.5) {
            ++power_after[j.value("meter", "")];
          }
        }
        if (power_after.size() != kMeters - 1) return false;
        for (const auto& [meter, n] : power_after) {
          if (n < 3) return false;
        }
        return true;
      },
      std::chrono::seconds(60));
  EXPECT_TRUE(kept_reporting) << power_after.size() << " meters kept reporting\n" << daemon.log();
  EXPECT_FALSE(power_after.contains(meter_id(kDeadUnit)));
  const auto messages = collector.messages();
  EXPECT_EQ(events_of(messages, meter_id(kDeadUnit), "meter_offline"), 1u);
  for (int u = 1; u <= kMeters; ++u) {
    if (u != kDeadUnit) {
      EXPECT_EQ(events_of(messages, meter_id(u), "meter_offline"), 0u) << u;
    }
  }

  const auto status = daemon.terminate(std::chrono::seconds(10));
  EXPECT_TRUE(status.exited && status.code == 0) << daemon.log();
}

}  // namespace
}  // namespace meterd::test
