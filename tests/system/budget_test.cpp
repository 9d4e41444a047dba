// SPDX-License-Identifier: Apache-2.0
// The store's size budget with the broker down: the database stays within the budget, the
// oldest telemetry is evicted with an event and a counter, and no event row is evicted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/net.h"
#include "support/wait.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

TEST(StoreBudget, TinyBudgetEvictsOldestTelemetryAndKeepsEveryEvent) {
  TempDir dir;
  const std::string control = dir.file("control");
  std::filesystem::create_directories(control);
  std::ofstream(control + "/b1-m1.dead").put('\n');  // produces meter_offline events
  SiteSpec spec;
  spec.servers = {"tcp://127.0.0.1:" + std::to_string(free_tcp_port())};  // nobody there
  spec.buses = 2;
  spec.meters_per_bus = 25;
  spec.fast_interval = "100ms";
  spec.budget = "256KiB";
  spec.offline_after_failures = 1;
  spec.control_dir = control;
  DaemonUnderTest daemon(dir, spec);
  daemon.start();

  ASSERT_TRUE(wait_for([&] { return read_store(daemon.db_path()).evicted_total > 0; },
                       std::chrono::seconds(60)))
      << daemon.log();
  const std::int64_t first_evictions = read_store(daemon.db_path()).evicted_total;
  // Keep it writing well past the first eviction; the file must not outgrow the budget.
  ASSERT_TRUE(
      wait_for([&] { return read_store(daemon.db_path()).evicted_total > 3 * first_evictions; },
               std::chrono::seconds(60)));
  auto status = daemon.terminate(std::chrono::seconds(5));
  ASSERT_TRUE(status && status->exited && status->code == 0) << daemon.log();

  StoreView view = read_store(daemon.db_path());
  EXPECT_LE(std::filesystem::file_size(daemon.db_path()), 256u * 1024u);
  EXPECT_GE(view.events_by_type["store_eviction"], 1);
  EXPECT_GE(view.events_by_type["meter_offline"], 1);
  // The broker never came: every event is still in the outbox, none was evicted.
  EXPECT_EQ(view.event_outbox_rows, view.event_rows);
  // The oldest telemetry went first: with no broker nothing was acknowledged, so every seq
  // missing from the outbox was evicted, and each is older than all remaining telemetry.
  ASSERT_FALSE(view.pending_telemetry.empty());
  const std::int64_t oldest_kept = *view.pending_telemetry.begin();
  std::int64_t evicted = 0;
  for (std::int64_t seq = 1; seq <= view.last_seq; ++seq) {
    if (view.pending.count(seq)) continue;
    ++evicted;
    ASSERT_LT(seq, oldest_kept) << "telemetry seq " << seq << " evicted before older ones";
  }
  EXPECT_EQ(evicted, view.evicted_total);
}

}  // namespace
}  // namespace meterd::test
