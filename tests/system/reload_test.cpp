// SPDX-License-Identifier: Apache-2.0
// SIGHUP: a bad new configuration (its own errors, and files it names that start-up would
// refuse) is rejected with an event listing them and the running one stays;
// a good one is applied (here: more meters).
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "support/broker.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

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

TEST(Reload, BadConfigIsRejectedAndTheRunningOneStaysGoodConfigIsApplied) {
  TempDir dir;
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  MqttCollector collector(broker.uri(), "reload-collector", "meterd/v1/gw-test/#");
  SiteSpec spec;
  spec.servers = {broker.uri()};
  spec.meters_per_bus = 2;
  spec.fast_interval = "200ms";
  DaemonUnderTest daemon(dir, spec);
  daemon.start();
  ASSERT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) { return telemetry_from(m, "b1-m2"); },
      std::chrono::seconds(20)))
      << daemon.log();

  // Two errors: one of the file, and a file it names that start-up would refuse.
  std::string bad = site_yaml(spec, daemon.db_path());
  bad.replace(bad.find("mqtt:\n"), 6, "mqtt:\n  credentials_file: missing.cred\n");
  std::ofstream(daemon.config_path(), std::ios::trunc) << bad << "nonsense_key: 1\n";
  daemon.send_signal(SIGHUP);
  ASSERT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) { return has_event(m, "config_rejected"); },
      std::chrono::seconds(20)))
      << daemon.log();
  const std::string errors = rejection_errors(collector.messages());
  EXPECT_NE(errors.find("unknown key 'nonsense_key'"), std::string::npos) << errors;
  EXPECT_NE(errors.find(daemon.config_path() + ":5:21: mqtt.credentials_file: cannot open"),
            std::string::npos)
      << errors;
  const std::size_t mark = collector.size();
  EXPECT_TRUE(collector.wait_until(
      [&](const MqttCollector::Messages& m) { return telemetry_from(m, "b1-m1", mark); },
      std::chrono::seconds(10)))
      << "polling stopped after a rejected reload";

  SiteSpec bigger = spec;
  bigger.meters_per_bus = 4;
  std::ofstream(daemon.config_path(), std::ios::trunc) << site_yaml(bigger, daemon.db_path());
  daemon.send_signal(SIGHUP);
  EXPECT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) {
        return has_event(m, "config_reloaded") && telemetry_from(m, "b1-m4");
      },
      std::chrono::seconds(20)))
      << daemon.log();
  auto status = daemon.terminate(std::chrono::seconds(5));
  EXPECT_TRUE(status && status->exited && status->code == 0);
}

}  // namespace
}  // namespace meterd::test
