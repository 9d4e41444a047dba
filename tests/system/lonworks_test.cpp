// SPDX-License-Identifier: Apache-2.0
// The real meterd with a lonworks bus of 16 simulated nodes from lon-sim (8 behind LS/UDP,
// 8 behind IP-852) and a real mosquitto: telemetry carries the simulator's values through the
// shipped profile; relay_open / relay_close switch a node and its load; a node that goes
// silent goes offline and comes back with events while the others keep their period.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/broker.h"
#include "support/mqtt_collector.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"
#include "system/command_harness.h"

namespace meterd::test {
namespace {

using json = nlohmann::json;

std::string simulator_path() {
  return (std::filesystem::path(METERD_PLUGIN_DIR).parent_path() / "tools" / "lon-sim" / "lon-sim")
      .string();
}

// "ls_udp PORT\nip852 PORT\n" from lon-sim's ready file.
std::map<std::string, int> read_ports(const std::string& file) {
  std::map<std::string, int> ports;
  std::ifstream in(file);
  std::string name;
  int port = 0;
  while (in >> name >> port) ports[name] = port;
  return ports;
}

std::string site_yaml(const std::string& broker_uri, int ls_udp_port, int ip852_port,
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
    << "  - {name: fast, interval: 1s, points: [energy_total, power_total, voltage_a, "
       "relay_closed]}\n"
    << "buses:\n"
    << "  - name: lon\n"
    << "    protocol: lonworks\n"
    << "    offline_after_failures: 2\n"
    << "    backoff_interval: 2s\n"
    << "    ls_udp: \"127.0.0.1:" << ls_udp_port << "\"\n"
    << "    ip852: [\"127.0.0.1:" << ip852_port << "\"]\n"
    << "    meters:\n"
    << "      - {id: \"ls{n:02}\", count: 8, timeout: 300ms, link: ls_udp, subnet: 1, node: "
       "\"{n}\","
       " profile: lonworks-meter}\n"
    << "      - {id: \"ip{n:02}\", count: 8, timeout: 300ms, link: ip852, subnet: 2, node: \"{n}\","
       " profile: lonworks-meter}\n";
  return y.str();
}

std::size_t events_of(const MqttCollector::Messages& messages, const std::string& meter,
                      const std::string& type) {
  std::size_t n = 0;
  for (const auto& m : messages) {
    if (m.topic != "meterd/v1/gw-test/meters/" + meter + "/events") continue;
    if (m.json().value("event", "") == type) ++n;
  }
  return n;
}

// The latest telemetry values of `meter` after message index `from`, or null.
json latest_values(const MqttCollector::Messages& messages, const std::string& meter,
                   std::size_t from = 0) {
  json out;
  for (std::size_t i = from; i < messages.size(); ++i) {
    if (messages[i].topic != "meterd/v1/gw-test/meters/" + meter + "/telemetry") continue;
    const auto j = messages[i].json();
    if (!j.is_discarded() && j.contains("values")) out = j["values"];
  }
  return out;
}

TEST(LonWorksSystem, SixteenNodesOnBothLinksRelaySwitchingAndASilentNodeComingBack) {
  ASSERT_TRUE(std::filesystem::exists(simulator_path())) << simulator_path();
  TempDir dir("meterd-lonworks");
  const std::string ready = dir.file("sim.ready");
  ChildProcess simulator({simulator_path(), "--ls-udp", "127.0.0.1:0", "--ip852", "127.0.0.1:0",
                          "--nodes", "ls_udp:1/1-8", "--nodes", "ip852:2/1-8", "--steady",
                          "--toggle-silent", "1/3", "--ready-file", ready},
                         dir.file("sim.log"));
  ASSERT_TRUE(wait_for([&] { return read_ports(ready).size() == 2; }, std::chrono::seconds(10)))
      << simulator.log();
  const auto ports = read_ports(ready);
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  MqttCollector collector(broker.uri(), "lon-collector", "meterd/v1/gw-test/#");
  std::ofstream(dir.file("meterd.yaml"))
      << site_yaml(broker.uri(), ports.at("ls_udp"), ports.at("ip852"), dir.file("meterd.db"));
  ChildProcess daemon({METERD_BINARY, "--config", dir.file("meterd.yaml")}, dir.file("meterd.log"));

  std::vector<std::string> meters;
  for (int n = 1; n <= 8; ++n) {
    char id[8];
    std::snprintf(id, sizeof id, "ls%02d", n);
    meters.push_back(id);
    std::snprintf(id, sizeof id, "ip%02d", n);
    meters.push_back(id);
  }
  // 1. Every node's telemetry, with its simulated values.
  ASSERT_TRUE(collector.wait_until(
      [&](const MqttCollector::Messages& m) {
        for (const auto& meter : meters) {
          if (latest_values(m, meter).size() != 4) return false;
        }
        return true;
      },
      std::chrono::seconds(30)))
      << daemon.log() << "\n--- simulator\n"
      << simulator.log();
  const auto messages = collector.messages();
  for (int n = 1; n <= 8; ++n) {
    for (int subnet : {1, 2}) {
      const std::string meter = meters[(n - 1) * 2 + (subnet - 1)];
      const json values = latest_values(messages, meter);
      // lon-sim: node s/n has 1000 kWh + s x 100 kWh + n kWh, 500 W + n x 100 W, 230 V + n/10.
      const std::int64_t energy = values.value("energy_total", std::int64_t{-1});
      const std::int64_t start = 1'000'000 + subnet * 100'000 + n * 1000;
      EXPECT_GE(energy, start) << meter;
      EXPECT_LT(energy, start + 1000) << meter;
      EXPECT_DOUBLE_EQ(values.value("power_total", -1.0), 500.0 + n * 100) << meter;
      EXPECT_DOUBLE_EQ(values.value("voltage_a", -1.0), 230.0 + n / 10.0) << meter;
      EXPECT_TRUE(values.value("relay_closed", false)) << meter;
    }
  }

  // 2. relay_open switches node 2/5 off and its load to zero; relay_close back on.
  json r = run_command(collector, make_command("lon-open", "relay_open", {{"meters", {"ip05"}}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump() << daemon.log();
  std::size_t mark = collector.size();
  ASSERT_TRUE(collector.wait_until(
      [&](const MqttCollector::Messages& m) {
        const json v = latest_values(m, "ip05", mark);
        return v.is_object() && v.value("power_total", -1.0) == 0.0 &&
               !v.value("relay_closed", true);
      },
      std::chrono::seconds(10)))
      << daemon.log();
  r = run_command(collector, make_command("lon-close", "relay_close", {{"meters", {"ip05"}}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump();
  mark = collector.size();
  ASSERT_TRUE(collector.wait_until(
      [&](const MqttCollector::Messages& m) {
        const json v = latest_values(m, "ip05", mark);
        return v.is_object() && v.value("power_total", -1.0) == 1000.0 &&
               v.value("relay_closed", false);
      },
      std::chrono::seconds(10)))
      << daemon.log();

  // 3. Node 1/3 goes silent: offline once; the others keep their 1 s period; back online.
  mark = collector.size();
  ASSERT_TRUE(simulator.send_signal(SIGUSR1));
  ASSERT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) { return events_of(m, "ls03", "meter_offline") > 0; },
      std::chrono::seconds(15)))
      << daemon.log() << simulator.log();
  const std::size_t offline_mark = collector.size();
  ASSERT_TRUE(collector.wait_until(
      [&](const MqttCollector::Messages& m) {
        std::size_t polls = 0;
        for (std::size_t i = offline_mark; i < m.size(); ++i) {
          if (m[i].topic.ends_with("/ls04/telemetry")) ++polls;
        }
        return polls >= 4;
      },
      std::chrono::seconds(15)));
  {
    const auto all = collector.messages();
    std::map<std::string, std::vector<std::int64_t>> times;
    for (std::size_t i = offline_mark; i < all.size(); ++i) {
      const auto j = all[i].json();
      if (!all[i].topic.ends_with("/telemetry")) continue;
      times[j.value("meter", "")].push_back(j.value("ts", std::int64_t{0}));
    }
    EXPECT_EQ(times.count("ls03"), 0u);
    // Every other meter keeps being polled: no gap of two periods plus the silent node's
    // 300 ms timeout and slack for two busy cores (a bus held up by the silent node would
    // show gaps of several seconds: offline after 2 failures, backoff 2 s).
    EXPECT_EQ(times.size(), 15u);
    for (auto& [meter, ts] : times) {
      std::sort(ts.begin(), ts.end());
      for (std::size_t i = 1; i < ts.size(); ++i) {
        EXPECT_LE(ts[i] - ts[i - 1], 2 * 1000 + 300 + 500) << meter << " was delayed";
      }
    }
  }
  ASSERT_TRUE(simulator.send_signal(SIGUSR1));
  ASSERT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) { return events_of(m, "ls03", "meter_online") > 0; },
      std::chrono::seconds(15)))
      << daemon.log();
  const auto all = collector.messages();
  EXPECT_EQ(events_of(all, "ls03", "meter_offline"), 1u);
  EXPECT_EQ(events_of(all, "ls03", "meter_online"), 1u);
  const auto status = daemon.terminate(std::chrono::seconds(10));
  EXPECT_TRUE(status.exited && status.code == 0) << daemon.log();
}

TEST(LonWorksSystem, LonDiscoverListsEveryNodeWithItsNeuronId) {
  const std::string discover = (std::filesystem::path(METERD_PLUGIN_DIR).parent_path() / "tools" /
                                "lon-discover" / "lon-discover")
                                   .string();
  ASSERT_TRUE(std::filesystem::exists(discover)) << discover;
  TempDir dir("meterd-lon-discover");
  const std::string ready = dir.file("sim.ready");
  ChildProcess simulator(
      {simulator_path(), "--ip852", "127.0.0.1:0", "--nodes", "ip852:2/1-6", "--ready-file", ready},
      dir.file("sim.log"));
  ASSERT_TRUE(wait_for([&] { return read_ports(ready).size() == 1; }, std::chrono::seconds(10)));
  ChildProcess tool(
      {discover, "--ip852", "127.0.0.1:" + std::to_string(read_ports(ready).at("ip852")),
       "--wait-ms", "500"},
      dir.file("discover.log"));
  const auto status = tool.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status && status->exited && status->code == 0) << tool.log();
  const std::string out = tool.log();
  for (int n = 1; n <= 6; ++n) {
    char line[64];
    // lon-sim's Neuron IDs: 05 00 <1 for ip852> 00 <subnet> <node>.
    std::snprintf(line, sizeof line, "subnet 2 node %d neuron_id 0500010002%02x", n, n);
    EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
  }
  EXPECT_NE(out.find("6 node(s)"), std::string::npos) << out;
}

TEST(LonWorksSystem, CheckConfigRefusesBadProfilesAtTheirLineAndColumn) {
  TempDir dir("meterd-lon-check");
  std::filesystem::create_directories(dir.path() / "profiles");
  std::ofstream(dir.path() / "profiles" / "bad-lon.yaml")
      << "points:\n"
         "  energy_total: {nv_index: 0, snvt: SNVT_elec_kwh_x}\n"
         "  voltage_a: {selector: 0x4000, snvt: SNVT_volt}\n"
         "  current_a: {nv_index: 3, snvt: SNVT_amp, length: 4}\n";
  std::ofstream(dir.file("meterd.yaml"))
      << "gateway_id: gw-test\n"
      << "plugin_dir: " << METERD_PLUGIN_DIR << "\n"
      << "profile_dir: " << (dir.path() / "profiles").string() << "\n"
      << "mqtt: {servers: [tcp://127.0.0.1:1]}\n"
      << "store: {path: " << dir.file("meterd.db") << "}\n"
      << "poll_groups: [{name: f, interval: 1s, points: [voltage_a]}]\n"
      << "buses:\n"
      << "  - {name: lon, protocol: lonworks, ls_udp: \"127.0.0.1:2541\",\n"
      << "     meters: [{id: m1, subnet: 1, node: 1, profile: bad-lon}]}\n";
  ChildProcess check({METERD_BINARY, "--check-config", "--config", dir.file("meterd.yaml")},
                     dir.file("check.log"));
  const auto status = check.wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->exited && status->code == 78) << check.log();
  const std::string out = check.log();
  EXPECT_NE(out.find("bad-lon.yaml:2:37:"), std::string::npos) << out;  // unknown SNVT
  EXPECT_NE(out.find("unknown SNVT 'SNVT_elec_kwh_x'"), std::string::npos) << out;
  EXPECT_NE(out.find("bad-lon.yaml:3:25:"), std::string::npos) << out;  // selector > 0x3FFF
  EXPECT_NE(out.find("bad-lon.yaml:4:52:"), std::string::npos) << out;  // length mismatch
  EXPECT_NE(out.find("NV length 4 does not match SNVT_amp"), std::string::npos) << out;
}

}  // namespace
}  // namespace meterd::test
