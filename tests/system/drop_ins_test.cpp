// SPDX-License-Identifier: Apache-2.0
// The real meterd on a fleet layout: a common meterd.yaml plus conf.d/*.yaml drop-ins.
// `--check-config` sees the merged configuration, every error (the loader's, the plugin's,
// the billing section's) carries the file:line:col of the drop-in it is in, and a SIGHUP
// reload applies a new drop-in or refuses a bad one.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "support/broker.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

struct CheckRun {
  ExitStatus status;
  std::string output;  // stdout and stderr
};

CheckRun run_check(const std::string& config) {
  const std::string log = config + ".log";
  ChildProcess p({METERD_BINARY, "--check-config", "--config", config}, log, {});
  auto status = p.wait(std::chrono::seconds(30));
  EXPECT_TRUE(status.has_value());
  std::ifstream in(log);
  return {status.value_or(ExitStatus{}),
          std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())};
}

// What the fleet ships to every box: no buses, no meters, no accounts.
std::string common_file(const std::string& gateway_id) {
  return "gateway_id: " + gateway_id + "\nplugin_dir: " + METERD_PLUGIN_DIR +
         "\n"
         "mqtt: {servers: [tcp://127.0.0.1:1883]}\n"
         "store: {path: m.db}\n"
         "poll_groups: [{name: f, interval: 1s, points: [power_total, energy_total]}]\n"
         "billing:\n"
         "  tariffs: [{id: flat, price: \"0.6500\"}]\n";
}

// What is particular to one site.
const std::string kSiteFile =
    "buses:\n"
    "  - name: line1\n"
    "    protocol: sim\n"
    "    meters:\n"
    "      - {id: \"r{n}\", count: 3, first: 301}\n"
    "billing:\n"
    "  accounts:\n"
    "    - {id: A301, meters: [r301], tariff: flat}\n"
    "    - {id: A302, meters: [r302], tariff: flat}\n";

TEST(DropInCheckConfig, SeesTheMergedConfigurationAndNamesItsFiles) {
  TempDir dir;
  const std::string config = dir.file("meterd.yaml");
  std::ofstream(config) << common_file("gw-${machine_id}");
  std::filesystem::create_directories(dir.path() / "conf.d");
  std::ofstream(dir.file("conf.d/50-site.yaml")) << kSiteFile;
  const CheckRun run = run_check(config);
  if (!std::filesystem::exists("/etc/machine-id")) {
    EXPECT_EQ(run.status.code, 78) << run.output;
    EXPECT_NE(run.output.find(config + ":1:13: '${machine_id}'"), std::string::npos) << run.output;
    return;
  }
  EXPECT_EQ(run.status.code, 0) << run.output;
  EXPECT_NE(run.output.find(config + ": OK (gateway_id gw-"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("1 buses; drop-ins " + dir.file("conf.d/50-site.yaml") + ")"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("${machine_id}"), std::string::npos) << run.output;
}

TEST(DropInCheckConfig, ErrorsInADropInCarryItsPositionAndDuplicatesBothPositions) {
  TempDir dir;
  const std::string config = dir.file("meterd.yaml");
  std::ofstream(config) << "gateway_id: gw1\nplugin_dir: " << METERD_PLUGIN_DIR << "\n"
                        << "mqtt: {servers: [tcp://127.0.0.1:1883]}\n"
                        << "store: {path: m.db}\n"
                        << "poll_groups: [{name: f, interval: 1s, points: [power_total]}]\n"
                        << "buses: [{name: hall, protocol: sim, meters: [{id: r302}]}]\n"  // 6
                        << "billing:\n"
                        << "  tariffs: [{id: flat, price: \"0.6500\"}]\n"
                        << "  accounts: [{id: A301, meters: [r302], tariff: flat}]\n";  // 9
  std::filesystem::create_directories(dir.path() / "conf.d");
  const std::string site = dir.file("conf.d/50-site.yaml");
  std::ofstream(site) << kSiteFile << "    - {id: A303, meters: [r303], tariff: flat, x: 1}\n";
  const CheckRun run = run_check(config);
  EXPECT_EQ(run.status.code, 78) << run.output;
  for (const std::string& expected : {
           // meter r302 expanded from the drop-in's count: entry, first written in the main file
           site + ":5:14: duplicate meter id 'r302' (first at " + config + ":6:51)",
           site + ":8:7: duplicate account id 'A301' (first at " + config + ":9:14)",
           site + ":10:48: account: unknown key 'x'",
       }) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << run.output;
  }
}

bool has_event(const MqttCollector::Messages& messages, const std::string& type) {
  for (const auto& m : messages) {
    if (m.topic == "meterd/v1/gw-test/events" && m.json().value("event", "") == type) return true;
  }
  return false;
}

// The `errors` text of the first config_rejected event (empty when there is none).
std::string rejection_errors(const MqttCollector::Messages& messages) {
  for (const auto& m : messages) {
    if (m.topic == "meterd/v1/gw-test/events" && m.json().value("event", "") == "config_rejected") {
      return m.json()["details"].value("errors", "");
    }
  }
  return {};
}

bool telemetry_from(const MqttCollector::Messages& messages, const std::string& meter,
                    std::size_t from = 0) {
  for (std::size_t i = from; i < messages.size(); ++i) {
    if (messages[i].topic == "meterd/v1/gw-test/meters/" + meter + "/telemetry") return true;
  }
  return false;
}

TEST(DropInReload, ANewDropInIsAppliedAndABadOneRefusedWithItsPositions) {
  TempDir dir;
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  MqttCollector collector(broker.uri(), "dropin-collector", "meterd/v1/gw-test/#");
  SiteSpec spec;
  spec.servers = {broker.uri()};
  spec.meters_per_bus = 1;
  spec.fast_interval = "200ms";
  DaemonUnderTest daemon(dir, spec);
  daemon.start();
  ASSERT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) { return telemetry_from(m, "b1-m1"); },
      std::chrono::seconds(20)))
      << daemon.log();

  const std::filesystem::path conf_d =
      std::filesystem::path(daemon.config_path()).parent_path() / "conf.d";
  std::filesystem::create_directories(conf_d);
  const std::string more = (conf_d / "50-more.yaml").string();
  std::ofstream(more) << "buses:\n"
                      << "  - name: b9\n"
                      << "    protocol: sim\n"
                      << "    meters: [{id: x1}]\n";  // x1 at 4:19
  daemon.send_signal(SIGHUP);
  ASSERT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) {
        return has_event(m, "config_reloaded") && telemetry_from(m, "x1");
      },
      std::chrono::seconds(20)))
      << daemon.log();

  const std::string bad = (conf_d / "60-bad.yaml").string();
  std::ofstream(bad) << "buses:\n"
                     << "  - name: b10\n"
                     << "    protocol: sim\n"
                     << "    meters: [{id: x1}]\n";
  daemon.send_signal(SIGHUP);
  ASSERT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) { return has_event(m, "config_rejected"); },
      std::chrono::seconds(20)))
      << daemon.log();
  const std::string errors = rejection_errors(collector.messages());
  EXPECT_NE(errors.find(bad + ":4:19: duplicate meter id 'x1' (first at " + more + ":4:19)"),
            std::string::npos)
      << errors;
  const std::size_t mark = collector.size();
  EXPECT_TRUE(collector.wait_until(
      [&](const MqttCollector::Messages& m) { return telemetry_from(m, "x1", mark); },
      std::chrono::seconds(10)))
      << "the drop-in's meter stopped after a rejected reload";
  auto status = daemon.terminate(std::chrono::seconds(5));
  EXPECT_TRUE(status && status->exited && status->code == 0);
}

}  // namespace
}  // namespace meterd::test
