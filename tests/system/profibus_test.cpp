// SPDX-License-Identifier: Apache-2.0
// The real meterd with a profibus bus of 8 DP slaves served by profibus-sim on a socat pty,
// a real mosquitto: telemetry carries the simulator's values through the shipped GSD and
// profile; relay_open changes the slave's output image and stops its consumption; a slave
// the simulator power-cycles is re-parameterized with slave_lost and slave_ready events;
// a slave with another configuration yields one cfg_fault event, not a flood.
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
#include "system/command_harness.h"

namespace meterd::test {
namespace {

constexpr int kFirst = 3;  // slave addresses 3..10, meters dp03..dp10
constexpr int kLast = 10;
constexpr int kRestarting = 9;   // power-cycled by the simulator every few exchanges
constexpr int kMismatched = 10;  // one more module than its profile says
constexpr int kRelayTarget = 4;

std::string simulator_path() {
  return (std::filesystem::path(METERD_PLUGIN_DIR).parent_path() / "tools" / "profibus-sim" /
          "profibus-sim")
      .string();
}

std::string meter_id(int address) {
  char id[8];
  std::snprintf(id, sizeof id, "dp%02d", address);
  return id;
}

std::string site_yaml(const std::string& broker_uri, const std::string& device,
                      const std::string& db_path) {
  std::ostringstream y;
  y << "gateway_id: gw-test\n"
    << "log_level: debug\n"
    << "plugin_dir: " << METERD_PLUGIN_DIR << "\n"
    << "profile_dir: " << METERD_SOURCE_DIR << "/config/profiles\n"
    << "mqtt:\n  servers: [" << broker_uri << "]\n  keepalive: 5s\n"
    << "  reconnect_min: 100ms\n  reconnect_max: 1s\n"
    << "store:\n  path: " << db_path << "\n  commit_interval: 100ms\n"
    << "poll_groups:\n"
    << "  - {name: cycle, interval: 1s, points: [energy_total, power_total, relay_closed]}\n"
    << "buses:\n"
    << "  - name: dp1\n"
    << "    protocol: profibus\n"
    << "    device: " << device << "\n"
    << "    baud: 19200\n"
    << "    parity: none\n"  // ptys carry bytes only
    << "    watchdog: 5s\n"
    << "    min_slot_time: 300ms\n"
    << "    meters:\n"
    << "      - id: \"dp{n:02}\"\n"
    << "        count: " << (kLast - kFirst + 1) << "\n"
    << "        first: " << kFirst << "\n"
    << "        timeout: 2s\n"
    << "        address: \"{n}\"\n"
    << "        profile: profibus-generic\n";
  return y.str();
}

TEST(ProfibusSystem, EightSlavesTelemetryRelayRestartAndOneCfgFault) {
  ASSERT_TRUE(std::filesystem::exists(simulator_path())) << simulator_path();
  TempDir dir("meterd-profibus");
  PtyPair pty(dir.path());
  std::vector<std::string> sim_args = {simulator_path(),
                                       "--device",
                                       pty.b(),
                                       "--parity",
                                       "none",
                                       "--profile-dir",
                                       std::string(METERD_SOURCE_DIR) + "/config/profiles"};
  for (int a = kFirst; a <= kLast; ++a) {
    std::string slave = std::to_string(a) + ":profibus-generic";
    if (a == kRestarting) slave += ":restart-after=4";
    if (a == kMismatched) slave += ":cfg-mismatch";
    sim_args.insert(sim_args.end(), {"--slave", slave});
  }
  ChildProcess simulator(sim_args, dir.file("sim.log"));
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  MqttCollector collector(broker.uri(), "profibus-collector", "meterd/v1/gw-test/#");
  std::ofstream(dir.file("meterd.yaml")) << site_yaml(broker.uri(), pty.a(), dir.file("meterd.db"));
  ChildProcess daemon({METERD_BINARY, "--config", dir.file("meterd.yaml")}, dir.file("meterd.log"));

  // Telemetry of every healthy slave, with the simulator's values.
  std::map<std::string, nlohmann::json> first;
  const bool all_arrived = collector.wait_until(
      [&](const MqttCollector::Messages& messages) {
        for (const auto& m : messages) {
          if (m.topic.find("/telemetry") == std::string::npos) continue;
          const auto j = m.json();
          if (j.is_discarded() || !j.contains("values") || j["values"].size() != 3) continue;
          first.try_emplace(j.value("meter", ""), j);
        }
        return first.size() == static_cast<std::size_t>(kLast - kFirst);
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(all_arrived) << first.size() << " meters complete\n"
                           << daemon.log() << "\n--- simulator\n"
                           << simulator.log();
  for (int a = kFirst; a < kLast; ++a) {
    const auto& values = first.at(meter_id(a))["values"];
    // profibus-sim: 1000 kWh + address kWh at start, growing by 500 + 100 x address W.
    const std::int64_t energy = values.value("energy_total", std::int64_t{-1});
    EXPECT_GE(energy, 1'000'000 + 1000 * a) << a;
    EXPECT_LT(energy, 1'000'000 + 1000 * a + 100) << a;
    EXPECT_DOUBLE_EQ(values.value("power_total", -1.0), 500.0 + 100 * a) << a;
    EXPECT_TRUE(values.value("relay_closed", false)) << a;
  }
  EXPECT_FALSE(first.contains(meter_id(kMismatched)));

  // relay_open: the output image changes and the meter's consumption stops.
  const auto result = run_command(
      collector, make_command("dp-open", "relay_open", {{"meter", meter_id(kRelayTarget)}}));
  ASSERT_EQ(result.value("state", ""), "done") << result.dump() << daemon.log();
  EXPECT_EQ(result["results"][0]["values"].value("relay_closed", true), false) << result.dump();
  const std::size_t seen = collector.size();
  const bool stopped = collector.wait_until(
      [&](const MqttCollector::Messages& messages) {
        for (std::size_t i = seen; i < messages.size(); ++i) {
          if (messages[i].topic !=
              "meterd/v1/gw-test/meters/" + meter_id(kRelayTarget) + "/telemetry")
            continue;
          const auto j = messages[i].json();
          if (j.is_discarded() || !j.contains("values")) continue;
          if (j["values"].value("power_total", -1.0) == 0.0 &&
              !j["values"].value("relay_closed", true)) {
            return true;
          }
        }
        return false;
      },
      std::chrono::seconds(20));
  EXPECT_TRUE(stopped) << daemon.log();

  // The power-cycled slave: lost and ready again, more than once; the mismatched one: a
  // single cfg_fault however many start-ups it fails.
  const bool cycled = collector.wait_until(
      [&](const MqttCollector::Messages& messages) {
        return meter_events(messages, meter_id(kRestarting), {"slave_lost"}).size() >= 2 &&
               meter_events(messages, meter_id(kRestarting), {"slave_ready"}).size() >= 3;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(cycled) << daemon.log() << "\n--- simulator\n" << simulator.log();
  const auto restarting =
      meter_events(collector.messages(), meter_id(kRestarting), {"slave_lost", "slave_ready"});
  ASSERT_GE(restarting.size(), 5u);
  EXPECT_EQ(restarting[0], "slave_ready");
  for (std::size_t i = 1; i < restarting.size(); ++i) {
    EXPECT_EQ(restarting[i], i % 2 ? "slave_lost" : "slave_ready") << i;
  }
  const auto faults = meter_events(collector.messages(), meter_id(kMismatched), {"cfg_fault"});
  EXPECT_EQ(faults.size(), 1u);
  bool named_both = false;
  for (const auto& m : collector.messages()) {
    const auto j = m.json();
    if (j.is_discarded() || j.value("event", "") != "cfg_fault") continue;
    named_both = j["details"].value("expected", "") == "5F 20" &&
                 j["details"].value("reported", "") == "5F 20 10";
  }
  EXPECT_TRUE(named_both);
  EXPECT_TRUE(meter_events(collector.messages(), meter_id(kMismatched), {"slave_ready"}).empty());

  const auto status = daemon.terminate(std::chrono::seconds(10));
  EXPECT_TRUE(status.exited && status.code == 0) << daemon.log();
}

}  // namespace
}  // namespace meterd::test
