// SPDX-License-Identifier: Apache-2.0
// Store-and-forward through a broker outage: 50 sim meters on 2 buses; the broker is stopped
// for 30 s and restarted; every seq produced during the outage arrives afterwards, in order
// per meter, none missing. A backlog built while the broker is down from the start arrives
// complete and packed on batch.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
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

// After the broker returned: the daemon drains its outbox through `last_seq` and stops
// cleanly, and every seq the broker acknowledged reaches `collector`.
void drain_stop_and_expect_delivered(DaemonUnderTest& daemon, MqttCollector& collector,
                                     std::int64_t last_seq) {
  ASSERT_TRUE(wait_until_drained_through(daemon.db_path(), last_seq, std::chrono::seconds(60)))
      << daemon.log();
  auto status = daemon.terminate(std::chrono::seconds(5));
  ASSERT_TRUE(status && status->exited && status->code == 0);
  const StoreView final_view = read_store(daemon.db_path());
  const auto missing = wait_for_acknowledged_seqs(collector, final_view, std::chrono::seconds(30));
  ASSERT_TRUE(missing.empty()) << "acknowledged by the broker, never received: "
                               << seq_ranges(missing)
                               << (collector.connected() ? "" : " (collector not connected)");
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
  ASSERT_NO_FATAL_FAILURE(drain_stop_and_expect_delivered(daemon, collector, during.last_seq));
  const SeqReport report = analyse_seqs(collector.messages());
  for (std::int64_t seq = seq_at_outage_start + 1; seq <= during.last_seq; ++seq) {
    ASSERT_TRUE(report.seen.count(seq)) << "seq " << seq << " of the outage never arrived";
  }
  EXPECT_TRUE(report.out_of_order_meters.empty())
      << report.out_of_order_meters.size() << " meters out of order, e.g. "
      << report.out_of_order_meters.front();
  EXPECT_TRUE(report.conflicting_duplicates.empty());
}

// The daemon starts with the broker away and builds a backlog; when the broker returns, the
// backlog goes out in packs on batch (docs/mqtt-api.md#batch): every seq arrives, each pack
// within pack_max_rows and in seq order, in far fewer messages than rows.
TEST(StoreAndForward, BacklogBuiltWhileTheBrokerIsDownArrivesCompleteInPacks) {
  TempDir dir;
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  // Subscribed first (persistent session): the broker queues the packs for it while it is away.
  MqttCollector collector(broker.uri(), "pack-collector", "meterd/v1/gw-test/#");
  broker.stop();
  SiteSpec spec;
  spec.servers = {broker.uri()};
  spec.buses = 2;
  spec.meters_per_bus = 20;
  spec.fast_interval = "200ms";
  spec.mqtt_settings = {"pack_max_rows: 50"};
  DaemonUnderTest daemon(dir, spec);
  daemon.start();

  ASSERT_TRUE(wait_for([&] { return read_store(daemon.db_path()).pending.size() >= 600; },
                       std::chrono::seconds(60)))
      << daemon.log();
  const StoreView backlog = read_store(daemon.db_path());
  ASSERT_TRUE(daemon.running());
  broker.start();
  ASSERT_NO_FATAL_FAILURE(drain_stop_and_expect_delivered(daemon, collector, backlog.last_seq));
  const auto messages = collector.messages();
  const SeqReport report = analyse_seqs(messages);
  for (std::int64_t seq = 1; seq <= backlog.last_seq; ++seq) {
    ASSERT_TRUE(report.seen.count(seq)) << "seq " << seq << " of the backlog never arrived";
  }
  EXPECT_TRUE(report.out_of_order_meters.empty());
  EXPECT_TRUE(report.conflicting_duplicates.empty());

  // The first copy of each backlog seq: alone, or in which pack (packs in arrival order).
  std::size_t packs = 0;
  std::size_t alone = 0;
  std::int64_t last_in_pack = 0;
  std::set<std::int64_t> first_copy;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const CollectedMessage& m = messages[i];
    const auto j = m.json();
    if (j.is_discarded() || !j.contains("seq")) continue;
    const std::int64_t seq = j["seq"].get<std::int64_t>();
    const bool starts_pack = !m.packed_in.empty() && m.pack_index == 0;
    if (!m.packed_in.empty()) {
      EXPECT_EQ(m.packed_in, "meterd/v1/gw-test/batch");
      EXPECT_LE(m.pack_rows, 50u) << "a pack over pack_max_rows";
      EXPECT_TRUE(starts_pack || seq > last_in_pack) << "rows of a pack out of seq order";
      last_in_pack = seq;
    }
    if (seq > backlog.last_seq || !first_copy.insert(seq).second) continue;
    if (m.packed_in.empty()) {
      ++alone;
    } else if (starts_pack) {
      ++packs;
    }
  }
  const auto rows = static_cast<std::size_t>(backlog.last_seq);
  EXPECT_GT(packs, 0u) << "the backlog did not arrive packed";
  EXPECT_LT(packs + alone, rows / 4)
      << packs << " packs and " << alone << " single messages for " << rows << " rows";
}

}  // namespace
}  // namespace meterd::test
