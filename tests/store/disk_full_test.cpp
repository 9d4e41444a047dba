// SPDX-License-Identifier: Apache-2.0
// A full disk while the uplink is away, unprivileged: SQLite's own page limit
// (PRAGMA max_page_count on the store's connection) stands in for a small file system and
// fails commits with SQLITE_FULL as a full disk does. The tmpfs variant with the real daemon is
// tests/system/disk_full_test.cpp.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "store_test_util.h"

namespace meterd::testing {
namespace {

using namespace std::chrono_literals;

Status set_page_limit(Store& store, std::int64_t pages) {
  const std::string sql = "PRAGMA max_page_count = " + std::to_string(pages);
  return store.read_state([&](SqliteDb& db) { return db.exec(sql); });
}

// A ledger entry made atomic with its event, as the engine writes a recharge.
StateWrite recharge(int n) {
  StateWrite write;
  write.apply = [n](SqliteDb& db) {
    Statement insert(db,
                     "INSERT INTO ledger(account_id, ts_ms, kind, amount, balance_after, "
                     "order_id, meter_id, details) VALUES('a1', ?1, 'recharge', 10000, 0, ?2, "
                     "'m1', '{}')");
    insert.bind_all(std::int64_t{n}, "order-" + std::to_string(n));
    return insert.run();
  };
  write.events = {Event{"recharge_applied", "m1", WallTime{}, "{}"}};
  return write;
}

std::int64_t count(const std::string& path, const std::string& where_type) {
  return query(path, "SELECT count(*) FROM events WHERE type = '" + where_type + "'");
}

TEST(StoreDiskFull, FullDiskEvictsOldTelemetryKeepsEveryLedgerRowReportsOnceAndRecovers) {
  TempDir dir;
  SystemClock clock;
  const std::string path = dir.file("store.db");
  Store store(make_config(path, 50, 10ms), clock, nullptr);  // budget: the default 256 MiB
  const std::int64_t pages = query(path, "PRAGMA page_count");
  ASSERT_TRUE(set_page_limit(store, pages + 40).ok());  // about 160 KiB of room

  constexpr int kRows = 3000;
  constexpr int kRecharges = 30;
  for (int i = 0; i < kRows; ++i) {
    store.append_telemetry(make_telemetry("m1", i));
    if (i % (kRows / kRecharges) == 0) store.append_state(recharge(i));
  }
  ASSERT_TRUE(wait_until([&] { return store.flush(); }, 30s));
  StoreStats stats = store.stats();
  EXPECT_TRUE(stats.disk_full);
  EXPECT_EQ(store_state(stats), std::string("disk_full"));
  EXPECT_GE(stats.write_errors, 1);
  EXPECT_GT(stats.evicted_rows, 0);
  EXPECT_LE(query(path, "PRAGMA page_count"), pages + 40);

  // Nothing but old telemetry was given up: every ledger row and event is there, the newest
  // reading too, and the full disk was reported once with the first batch that fit.
  EXPECT_EQ(query(path, "SELECT count(*) FROM ledger"), kRecharges);
  EXPECT_EQ(count(path, "recharge_applied"), kRecharges);
  EXPECT_EQ(count(path, "disk_full"), 1);
  EXPECT_GE(count(path, "store_eviction"), 1);
  const std::vector<OutboxRow> rows = fetch_now(store, stats.last_seq - 1, 1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(rows[0].body_json)["values"]["energy_total"], kRows - 1);
  EXPECT_EQ(query(path, "SELECT count(*) FROM outbox WHERE kind = 0") + stats.evicted_rows, kRows);

  // Space returns: the next commits notice and the episode ends, without a second report.
  ASSERT_TRUE(set_page_limit(store, 1'000'000).ok());
  store.append_telemetry(make_telemetry("m1", kRows));
  ASSERT_TRUE(store.flush());
  stats = store.stats();
  EXPECT_FALSE(stats.disk_full);
  EXPECT_EQ(store_state(stats), std::string("ok"));
  EXPECT_EQ(count(path, "disk_full"), 1);
}

}  // namespace
}  // namespace meterd::testing
