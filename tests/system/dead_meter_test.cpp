// SPDX-License-Identifier: Apache-2.0
// A dead meter: meter_offline is published once, the other meters on its bus keep their
// period (delayed by at most one timeout per backoff period), meter_online when it returns.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "support/broker.h"
#include "support/wait.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

std::size_t events_of(const MqttCollector::Messages& messages, const std::string& meter,
                      const std::string& type) {
  std::size_t n = 0;
  for (const auto& m : messages) {
    if (m.topic != "meterd/v1/gw-test/meters/" + meter + "/events") continue;
    if (m.json().value("event", "") == type) ++n;
  }
  return n;
}

TEST(DeadMeter, OfflineOnceOthersKeepTheirPeriodOnlineWhenBack) {
  TempDir dir;
  const std::string control = dir.file("control");
  std::filesystem::create_directories(control);
  const std::string dead_file = control + "/b1-m3.dead";
  std::ofstream(dead_file).put('\n');
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  MqttCollector collector(broker.uri(), "dead-collector", "meterd/v1/gw-test/#");
  SiteSpec spec;
  spec.servers = {broker.uri()};
  spec.meters_per_bus = 10;
  spec.fast_interval = "1s";
  spec.slow_interval = "5s";
  spec.meter_timeout = "300ms";
  spec.offline_after_failures = 3;
  spec.backoff_interval = "3s";
  spec.control_dir = control;
  DaemonUnderTest daemon(dir, spec);
  daemon.start();

  ASSERT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) { return events_of(m, "b1-m3", "meter_offline") > 0; },
      std::chrono::seconds(30)))
      << daemon.log();
  // Watch the healthy meters through three backoff periods of the dead one.
  const std::size_t mark = collector.size();
  ASSERT_TRUE(collector.wait_until(
      [&](const MqttCollector::Messages& m) {
        std::size_t polls_of_m1 = 0;
        for (std::size_t i = mark; i < m.size(); ++i) {
          if (m[i].topic.ends_with("/b1-m1/telemetry")) ++polls_of_m1;
        }
        return polls_of_m1 >= 10;
      },
      std::chrono::seconds(30)));
  const auto messages = collector.messages();
  std::map<std::string, std::vector<std::int64_t>> fast_times;
  for (std::size_t i = mark; i < messages.size(); ++i) {
    const auto j = messages[i].json();
    if (!messages[i].topic.ends_with("/telemetry") || j.value("group", "") != "fast") continue;
    fast_times[j.value("meter", "")].push_back(j.value("ts", std::int64_t{0}));
  }
  EXPECT_EQ(fast_times.count("b1-m3"), 0u) << "the dead meter produced telemetry";
  EXPECT_EQ(fast_times.size(), 9u);
  // Period 1000 ms + at most one 300 ms timeout of the dead meter + scheduling slack.
  constexpr std::int64_t kMaxGapMs = 1000 + 300 + 250;
  for (auto& [meter, times] : fast_times) {
    std::sort(times.begin(), times.end());
    for (std::size_t i = 1; i < times.size(); ++i) {
      EXPECT_LE(times[i] - times[i - 1], kMaxGapMs) << meter << " was delayed";
    }
  }

  std::filesystem::remove(dead_file);
  ASSERT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) { return events_of(m, "b1-m3", "meter_online") > 0; },
      std::chrono::seconds(20)))
      << daemon.log();
  ASSERT_TRUE(collector.wait_until(
      [&](const MqttCollector::Messages& m) {
        for (const auto& msg : m) {
          if (msg.topic.ends_with("/b1-m3/telemetry")) return true;
        }
        return false;
      },
      std::chrono::seconds(10)));
  const auto all = collector.messages();
  EXPECT_EQ(events_of(all, "b1-m3", "meter_offline"), 1u);
  EXPECT_EQ(events_of(all, "b1-m3", "meter_online"), 1u);
  daemon.terminate(std::chrono::seconds(5));
}

}  // namespace
}  // namespace meterd::test
