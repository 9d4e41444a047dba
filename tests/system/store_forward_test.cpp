// SPDX-License-Identifier: Apache-2.0
// Store-and-forward through a broker outage: 50 sim meters on 2 buses; the broker is stopped
// for 30 s and restarted; every seq produced during the outage arrives afterwards, in order
// per meter, none missing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "support/broker.h"
#include "support/wait.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

std::chrono::seconds outage_length() {
  const char* env = std::getenv("METERD_OUTAGE_SECONDS");
  return std::chrono::seconds(env ? std::atoi(env) : 30);
}

TEST(StoreAndForward, BrokerOutageLosesNothingAndKeepsOrderPerMeter) {
  TempDir dir;
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  MqttCollector collector(broker.uri(), "sf-collector", "meterd/v1/gw-test/#");
  SiteSpec spec;
  spec.servers = {broker.uri()};
  spec.buses = 2;
  spec.meters_per_bus = 25;
  DaemonUnderTest daemon(dir, spec);
  daemon.start();

  ASSERT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) {
        return analyse_seqs(m).meters_with_telemetry.size() == 50;
      },
      std::chrono::seconds(30)))
      << "not every meter reported\n"
      << daemon.log();

  broker.stop();
  const std::int64_t seq_at_outage_start = read_store(daemon.db_path()).last_seq;
  // The outage itself: the daemon keeps polling and storing while the broker is away.
  std::this_thread::sleep_for(outage_length());
  const StoreView during = read_store(daemon.db_path());
  ASSERT_GT(during.last_seq, seq_at_outage_start + 100) << "the daemon stopped storing";
  ASSERT_TRUE(daemon.running());
  // Whichever reconnects first, nothing published meanwhile is lost to the test: the broker
  // restored the collector's persistent session (and its QoS 1 subscription) from its
  // persistence file and queues for it until it is back.
  broker.start();

  // The backlog of the outage drains: none of its seqs stays in the outbox.
  ASSERT_TRUE(
      wait_until_drained_through(daemon.db_path(), during.last_seq, std::chrono::seconds(60)))
      << daemon.log();
  auto status = daemon.terminate(std::chrono::seconds(5));
  ASSERT_TRUE(status && status->exited && status->code == 0);

  const StoreView final_view = read_store(daemon.db_path());
  const auto missing = wait_for_acknowledged_seqs(collector, final_view, std::chrono::seconds(30));
  ASSERT_TRUE(missing.empty()) << "acknowledged by the broker, never received: "
                               << seq_ranges(missing)
                               << (collector.connected() ? "" : " (collector not connected)");
  const SeqReport report = analyse_seqs(collector.messages());
  for (std::int64_t seq = seq_at_outage_start + 1; seq <= during.last_seq; ++seq) {
    ASSERT_TRUE(report.seen.count(seq)) << "seq " << seq << " of the outage never arrived";
  }
  EXPECT_TRUE(report.out_of_order_meters.empty())
      << report.out_of_order_meters.size() << " meters out of order, e.g. "
      << report.out_of_order_meters.front();
  EXPECT_TRUE(report.conflicting_duplicates.empty());
}

}  // namespace
}  // namespace meterd::test
