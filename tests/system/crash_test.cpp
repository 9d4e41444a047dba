// SPDX-License-Identifier: Apache-2.0
// Crash safety: meterd is killed with SIGKILL at 20 random moments, while publishing and while
// the broker is down. Afterwards the subscriber receives every seq the daemon had committed;
// a duplicate only ever repeats an already seen seq with the same payload. Rows are packed
// whenever two are ready, so the kills also hit packs in flight.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>

#include "support/broker.h"
#include "support/wait.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

TEST(CrashSafety, SigkillAtRandomMomentsLosesNoCommittedSeq) {
  TempDir dir;
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  MqttCollector collector(broker.uri(), "crash-collector", "meterd/v1/gw-test/#");
  SiteSpec spec;
  spec.servers = {broker.uri()};
  spec.buses = 2;
  spec.meters_per_bus = 10;
  spec.fast_interval = "100ms";
  spec.reconnect_max = "1s";
  // Rows are packed whenever two are ready (docs/mqtt-api.md#batch), live ones too: kills also
  // land while packs are in flight, and a pack lost before its PUBACK must come again whole.
  spec.mqtt_settings = {"pack_min_rows: 2", "pack_max_rows: 40"};
  DaemonUnderTest daemon(dir, spec);

  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("random seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> extra_ms(0, 600);
  std::int64_t committed = 0;
  for (int kill = 0; kill < 20; ++kill) {
    if (kill == 7) broker.stop();    // kills 7..13 happen while the broker is down
    if (kill == 14) broker.start();  // kills 14..19 while draining the outage backlog
    daemon.start();
    // Let the daemon commit something new, then kill it at a random moment after that.
    ASSERT_TRUE(wait_for([&] { return read_store(daemon.db_path()).last_seq > committed; },
                         std::chrono::seconds(20)))
        << daemon.log();
    std::this_thread::sleep_for(std::chrono::milliseconds(extra_ms(rng)));
    daemon.kill9();
    committed = read_store(daemon.db_path()).last_seq;
  }

  // A last, clean run drains everything committed before it.
  daemon.start();
  ASSERT_TRUE(wait_until_drained_through(daemon.db_path(), committed, std::chrono::seconds(60)))
      << daemon.log();
  auto status = daemon.terminate(std::chrono::seconds(5));
  ASSERT_TRUE(status && status->exited && status->code == 0);

  const StoreView view = read_store(daemon.db_path());
  const auto missing = wait_for_acknowledged_seqs(collector, view, std::chrono::seconds(30));
  ASSERT_TRUE(missing.empty()) << "committed seqs never arrived: " << seq_ranges(missing);
  const SeqReport report = analyse_seqs(collector.messages());
  EXPECT_TRUE(report.conflicting_duplicates.empty())
      << "seq " << report.conflicting_duplicates.front() << " arrived with two payloads";
  EXPECT_TRUE(report.out_of_order_meters.empty());
  const auto messages = collector.messages();
  EXPECT_TRUE(std::any_of(messages.begin(), messages.end(), [](const CollectedMessage& m) {
    return !m.packed_in.empty();
  })) << "no row arrived in a pack: the test did not exercise packing";
  RecordProperty("duplicates", static_cast<int>(report.duplicates));
}

}  // namespace
}  // namespace meterd::test
