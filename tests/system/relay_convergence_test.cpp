// SPDX-License-Identifier: Apache-2.0
// Relay commands converge on every protocol (issue 19): the real meterd against the project's
// simulators (sim plugin in-process, modbus-sim, dlt645-sim), a relay_open and a relay_close
// each end with the meter reporting the wanted state and the telemetry's `relay` object
// `settled`; a Modbus meter whose relay is stuck open costs the line exactly relay_attempts
// writes, spaced by the backoff, then one relay_action_failed and the state `failed`.
// (DL/T 645 with close_command: allowed ends `armed`: dlt645_retry_test.cpp.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "command_harness.h"
#include "daemon_harness.h"
#include "support/broker.h"
#include "support/mqtt_collector.h"
#include "support/process.h"
#include "support/pty_pair.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace meterd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr int kRelayAttempts = 3;

std::string tool_path(const std::string& name) {
  return (std::filesystem::path(METERD_PLUGIN_DIR).parent_path() / "tools" / name / name).string();
}

// A site on one field bus (`bus_yaml`: the bus entry's keys after `protocol`), with one
// gateway-billed account per meter so the engine wants every relay closed.
std::string site_yaml(const std::string& broker_uri, const std::string& db_path,
                      const std::string& bus_yaml, const std::vector<std::string>& meters) {
  std::ostringstream y;
  y << "gateway_id: gw-test\n"
    << "plugin_dir: " << METERD_PLUGIN_DIR << "\n"
    << "profile_dir: " << METERD_SOURCE_DIR << "/config/profiles\n"
    << "mqtt:\n  servers: [" << broker_uri << "]\n  keepalive: 5s\n"
    << "  reconnect_min: 100ms\n  reconnect_max: 1s\n"
    << "store:\n  path: " << db_path << "\n  commit_interval: 100ms\n"
    << "poll_groups:\n"
    << "  - {name: slow, interval: 300ms, points: [energy_total, relay_closed]}\n"
    << "buses:\n"
    << bus_yaml << "billing:\n"
    << "  relay_retry_min: 200ms\n"
    << "  relay_retry_max: 400ms\n"
    << "  relay_attempts: " << kRelayAttempts << "\n"
    << "  tariffs:\n    - {id: flat, price: \"0.0100\"}\n"
    << "  accounts:\n";
  for (const std::string& meter : meters) {
    y << "    - {id: A-" << meter << ", meters: [" << meter
      << "], tariff: flat, opening_balance: \"100\"}\n";
  }
  return y.str();
}

// True once telemetry of `meter` that arrived after message `from` shows the engine's relay in
// `state`, wanted `wanted`, and the meter reporting `wanted` too (settled) or `reported`.
bool wait_for_relay(MqttCollector& collector, const std::string& meter, std::size_t from,
                    const std::string& state, const std::string& wanted,
                    const std::string& reported, std::chrono::milliseconds timeout = 20s) {
  const std::string topic = "meterd/v1/gw-test/meters/" + meter + "/telemetry";
  return collector.wait_until(
      [&](const MqttCollector::Messages& messages) {
        for (std::size_t i = from; i < messages.size(); ++i) {
          if (messages[i].topic != topic) continue;
          const json j = messages[i].json();
          if (!j.is_object() || !j.contains("relay") || !j["relay"].is_object()) continue;
          const json& relay = j["relay"];
          if (relay.value("state", "") == state && relay.value("wanted", "") == wanted &&
              relay.value("reported", "") == reported &&
              j["values"].value("relay_closed", reported != "closed") == (reported == "closed")) {
            return true;
          }
        }
        return false;
      },
      timeout);
}

// relay_open then relay_close by command; each converges: the result reads back the new state
// and the telemetry reports it settled.
void open_and_close_converge(MqttCollector& collector, const std::string& meter,
                             const std::string& logs_hint) {
  std::size_t mark = collector.size();
  json r = run_command(collector, make_command("open-" + meter, "relay_open", {{"meter", meter}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump() << logs_hint;
  EXPECT_EQ(r["results"][0]["values"].value("relay_closed", true), false) << r.dump();
  EXPECT_TRUE(wait_for_relay(collector, meter, mark, "settled", "open", "open")) << logs_hint;
  mark = collector.size();
  r = run_command(collector, make_command("close-" + meter, "relay_close", {{"meter", meter}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump() << logs_hint;
  EXPECT_EQ(r["results"][0]["values"].value("relay_closed", false), true) << r.dump();
  EXPECT_TRUE(wait_for_relay(collector, meter, mark, "settled", "closed", "closed")) << logs_hint;
}

// "... at T ms" lines of a simulator log that start with `label`, as T.
std::vector<std::int64_t> times_after(const std::string& log, const std::string& label) {
  std::vector<std::int64_t> times;
  for (auto at = log.find(label); at != std::string::npos; at = log.find(label, at + 1)) {
    times.push_back(std::stoll(log.substr(at + label.size())));
  }
  return times;
}

class RelayConvergence : public ::testing::Test {
 protected:
  void start_daemon(const std::string& bus_yaml, const std::vector<std::string>& meters) {
    broker_.start();
    collector_ =
        std::make_unique<MqttCollector>(broker_.uri(), "relay-collector", "meterd/v1/gw-test/#");
    std::ofstream(dir_.file("meterd.yaml"))
        << site_yaml(broker_.uri(), dir_.file("meterd.db"), bus_yaml, meters);
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{METERD_BINARY, "--config", dir_.file("meterd.yaml")},
        dir_.file("meterd.log"));
    for (const std::string& meter : meters) {
      ASSERT_TRUE(wait_for_telemetry_of(*collector_, meter, 20s)) << logs();
    }
  }
  std::int64_t db_int(const std::string& sql) {
    return query_store_int(dir_.file("meterd.db"), sql);
  }
  void stop_daemon() {
    const auto status = daemon_->terminate(10s);
    EXPECT_TRUE(status.exited && status.code == 0) << logs();
  }
  std::string logs() {
    return (daemon_ ? daemon_->log() : std::string()) + "\n--- simulator\n" +
           (simulator_ ? simulator_->log() : std::string());
  }

  TempDir dir_{"meterd-relay"};
  PtyPair pty_{dir_.path()};
  MosquittoBroker broker_{dir_.path() / "broker"};
  std::unique_ptr<MqttCollector> collector_;
  std::unique_ptr<ChildProcess> simulator_;
  std::unique_ptr<ChildProcess> daemon_;
};

TEST_F(RelayConvergence, SimMeterRelayCommandsConverge) {
  broker_.start();
  collector_ =
      std::make_unique<MqttCollector>(broker_.uri(), "relay-collector", "meterd/v1/gw-test/#");
  SiteSpec spec;
  spec.servers = {broker_.uri()};
  spec.meters_per_bus = 2;
  spec.slow_interval = "300ms";
  spec.billing_yaml = kOneAccountBilling;
  DaemonUnderTest daemon(dir_, spec);
  daemon.start();
  ASSERT_TRUE(wait_for_telemetry_of(*collector_, "b1-m1", 20s)) << daemon.log();
  open_and_close_converge(*collector_, "b1-m1", daemon.log());
  EXPECT_EQ(query_store_int(daemon.db_path(),
                            "SELECT count(*) FROM events WHERE type = 'relay_action_failed'"),
            0);
  EXPECT_TRUE(daemon.terminate(10s).has_value());
}

TEST_F(RelayConvergence, ModbusRelayCommandsConvergeAndAStuckRelayCostsTheRetryBudget) {
  ASSERT_TRUE(std::filesystem::exists(tool_path("modbus-sim"))) << tool_path("modbus-sim");
  // Unit 2's relay is stuck open: the engine wants it closed (its account has money).
  simulator_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{
          tool_path("modbus-sim"), "--profile",
          std::string(METERD_SOURCE_DIR) + "/config/profiles/acrel-ddsy1352.yaml", "--rtu",
          pty_.b(), "--units", "1-2", "--stuck-relay", "2:open"},
      dir_.file("sim.log"));
  ASSERT_TRUE(wait_for(
      [&] {
        return simulator_->log().find("ready") != std::string::npos || !simulator_->is_running();
      },
      10s));
  ASSERT_TRUE(simulator_->is_running()) << simulator_->log();
  start_daemon(
      "  - name: line1\n"
      "    protocol: modbus\n"
      "    transport: rtu\n"
      "    device: " +
          pty_.a() +
          "\n"
          "    baud: 9600\n"
          "    parity: none\n"
          "    meters:\n"
          "      - {id: m01, address: \"1\", timeout: 300ms, profile: acrel-ddsy1352}\n"
          "      - {id: m02, address: \"2\", timeout: 300ms, profile: acrel-ddsy1352}\n",
      {"m01", "m02"});
  open_and_close_converge(*collector_, "m01", logs());

  ASSERT_TRUE(wait_for_relay(*collector_, "m02", 0, "failed", "closed", "open")) << logs();
  // Readings for a while after giving up: none starts another round.
  const std::size_t mark = collector_->size();
  ASSERT_TRUE(collector_->wait_until(
      [&](const MqttCollector::Messages& messages) {
        int polls = 0;
        for (std::size_t i = mark; i < messages.size(); ++i) {
          if (messages[i].topic == "meterd/v1/gw-test/meters/m02/telemetry") ++polls;
        }
        return polls >= 6;
      },
      20s))
      << logs();
  stop_daemon();
  EXPECT_EQ(db_int("SELECT count(*) FROM events WHERE meter_id = 'm02' AND "
                   "type = 'relay_action_failed' AND "
                   "json_extract(details, '$.reason') = 'not_switched' AND "
                   "json_extract(details, '$.attempts') = 3"),
            1);
  EXPECT_EQ(db_int("SELECT count(*) FROM events WHERE type = 'relay_action_failed'"), 1);
  simulator_->terminate();
  const std::string log = simulator_->log();
  EXPECT_EQ(times_after(log, "unit 1 relay write at ").size(), 2u) << log;
  const std::vector<std::int64_t> stuck = times_after(log, "unit 2 relay write at ");
  ASSERT_EQ(stuck.size(), static_cast<std::size_t>(kRelayAttempts)) << log;
  EXPECT_GE(stuck[1] - stuck[0], 200) << log;  // relay_retry_min
  EXPECT_GE(stuck[2] - stuck[1], 400) << log;  // doubled, capped at relay_retry_max
}

TEST_F(RelayConvergence, Dlt645DirectCloseRelayCommandsConverge) {
  ASSERT_TRUE(std::filesystem::exists(tool_path("dlt645-sim"))) << tool_path("dlt645-sim");
  simulator_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{tool_path("dlt645-sim"), "--device", pty_.b(), "--parity", "none",
                               "000000000001"},
      dir_.file("sim.log"));
  start_daemon(
      "  - name: line1\n"
      "    protocol: dlt645\n"
      "    device: " +
          pty_.a() +
          "\n"
          "    parity: none\n"
          "    close_command: direct\n"
          "    meters:\n"
          "      - {id: m01, address: \"000000000001\", timeout: 300ms, "
          "profile: dlt645-2007-default}\n",
      {"m01"});
  open_and_close_converge(*collector_, "m01", logs());
  stop_daemon();
  EXPECT_EQ(db_int("SELECT count(*) FROM events WHERE type IN ('relay_action_failed', "
                   "'relay_mismatch')"),
            0);
  simulator_->terminate();
  EXPECT_EQ(times_after(simulator_->log(), "control frame at ").size(), 2u) << logs();
}

}  // namespace
}  // namespace meterd::test
