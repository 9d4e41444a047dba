// SPDX-License-Identifier: Apache-2.0
// The real meterd with a dlt645 bus over a pty against the dlt645-sim tool: 16 meters'
// telemetry reaches MQTT with the values the simulator serves, through the shipped profile.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/broker.h"
#include "support/mqtt_collector.h"
#include "support/process.h"
#include "support/pty_pair.h"
#include "support/temp_dir.h"

namespace meterd::test {
namespace {

constexpr int kMeters = 16;

// tools/ is built beside plugins/ in the build tree.
std::string simulator_path() {
  return (std::filesystem::path(METERD_PLUGIN_DIR).parent_path() / "tools" / "dlt645-sim" /
          "dlt645-sim")
      .string();
}

std::string site_yaml(const std::string& broker_uri, const std::string& device,
                      const std::string& db_path) {
  std::ostringstream y;
  y << "gateway_id: gw-dlt\n"
    << "log_level: debug\n"
    << "plugin_dir: " << METERD_PLUGIN_DIR << "\n"
    << "profile_dir: " << METERD_SOURCE_DIR << "/config/profiles\n"
    << "mqtt:\n  servers: [" << broker_uri << "]\n  keepalive: 5s\n"
    << "  reconnect_min: 100ms\n  reconnect_max: 1s\n"
    << "store:\n  path: " << db_path << "\n  commit_interval: 100ms\n"
    << "poll_groups:\n"
    << "  - {name: slow, interval: 2s, points: [energy_total, balance, relay_closed, "
       "purchase_count]}\n"
    << "buses:\n"
    << "  - name: line1\n"
    << "    protocol: dlt645\n"
    << "    device: " << device << "\n"
    << "    parity: none\n"  // ptys may refuse even parity
    << "    password: \"02000000\"\n"
    << "    meters:\n"
    << "      - id: \"m{n:02}\"\n"
    << "        count: " << kMeters << "\n"
    << "        timeout: 1s\n"
    << "        address: \"{n:012}\"\n"
    << "        profile: dlt645-2007-default\n";
  return y.str();
}

TEST(Dlt645System, SixteenMetersTelemetryArrivesWithTheSimulatorsValues) {
  ASSERT_TRUE(std::filesystem::exists(simulator_path())) << simulator_path();
  TempDir dir("meterd-dlt645");
  PtyPair pty(dir.path());
  std::vector<std::string> sim_args = {simulator_path(), "--device", pty.b(),
                                       "--parity",       "none",     "--vary"};
  for (int i = 1; i <= kMeters; ++i) {
    char address[13];
    std::snprintf(address, sizeof address, "%012d", i);
    sim_args.push_back(address);
  }
  ChildProcess simulator(sim_args, dir.file("sim.log"));
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  MqttCollector collector(broker.uri(), "dlt645-collector", "meterd/v1/gw-dlt/meters/+/telemetry");
  std::ofstream(dir.file("meterd.yaml")) << site_yaml(broker.uri(), pty.a(), dir.file("meterd.db"));
  ChildProcess daemon({METERD_BINARY, "--config", dir.file("meterd.yaml")}, dir.file("meterd.log"));

  // The first telemetry message of each meter that carries every point.
  std::map<std::string, nlohmann::json> first;
  const bool all_arrived = collector.wait_until(
      [&](const MqttCollector::Messages& messages) {
        for (const auto& m : messages) {
          const auto j = m.json();
          if (j.is_discarded() || !j.contains("values")) continue;
          const std::string meter = j.value("meter", "");
          if (!first.contains(meter) && j["values"].size() == 4) first[meter] = j;
        }
        return first.size() == kMeters;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(all_arrived) << first.size() << " meters complete\n"
                           << daemon.log() << "\n--- simulator\n"
                           << simulator.log();
  for (int i = 1; i <= kMeters; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "m%02d", i);
    const auto& values = first.at(id)["values"];
    // dlt645-sim --vary: meter i (from 0) has 1234.56 + i kWh, 100.00 + i, purchase count 3 + i.
    const std::int64_t k = i - 1;
    EXPECT_EQ(values.value("energy_total", std::int64_t{-1}), 1'234'560 + k * 1000) << id;
    EXPECT_EQ(values.value("balance", std::int64_t{-1}), 1'000'000 + k * 10'000) << id;
    EXPECT_EQ(values.value("purchase_count", std::int64_t{-1}), 3 + k) << id;
    EXPECT_EQ(values.value("relay_closed", false), true) << id;
    EXPECT_FALSE(first.at(id).contains("errors")) << first.at(id).dump();
  }
  const auto status = daemon.terminate(std::chrono::seconds(10));
  EXPECT_TRUE(status.exited && status.code == 0) << daemon.log();
}

}  // namespace
}  // namespace meterd::test
