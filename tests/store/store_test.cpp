// SPDX-License-Identifier: Apache-2.0
#include "store/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "store/migrations.h"
#include "store_test_util.h"

namespace meterd::testing {
namespace {

using namespace std::chrono_literals;

std::vector<std::int64_t> seqs_of(const std::vector<OutboxRow>& rows) {
  std::vector<std::int64_t> seqs;
  for (const OutboxRow& row : rows) seqs.push_back(row.seq);
  return seqs;
}

TEST(StoreTest, SeqIsNeverReusedAfterNewestRowsAreAcknowledgedAndStoreReopens) {
  TempDir dir;
  const StoreConfig config = make_config(dir.file("store.db"));
  SystemClock clock;
  {
    Store store(config, clock, nullptr);
    for (int i = 0; i < 5; ++i) store.append_telemetry(make_telemetry("m1", i));
    ASSERT_TRUE(store.flush());
    EXPECT_EQ(seqs_of(fetch_now(store, 0, 10)), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
    store.acknowledge({4, 5});  // the newest rows: a plain rowid would hand 4 out again
    ASSERT_TRUE(store.flush());
  }
  Store store(config, clock, nullptr);
  EXPECT_EQ(store.stats().last_seq, 5);
  EXPECT_EQ(store.stats().backlog_rows, 3);
  store.append_telemetry(make_telemetry("m1", 99));
  ASSERT_TRUE(store.flush());
  EXPECT_EQ(seqs_of(fetch_now(store, 0, 10)), (std::vector<std::int64_t>{1, 2, 3, 6}));
  EXPECT_EQ(store.stats().last_seq, 6);
}

TEST(StoreTest, FetchReturnsRowsAfterSeqInOrderUpToLimit) {
  TempDir dir;
  SystemClock clock;
  Store store(make_config(dir.file("store.db")), clock, nullptr);
  for (int i = 0; i < 10; ++i) {
    store.append_telemetry(make_telemetry("m" + std::to_string(i), i, WallTime{} + 1s * i));
  }
  store.append_event(Event{"meter_offline", "m3", WallTime{} + 20s, R"({"failures":3})"});
  ASSERT_TRUE(store.flush());

  const std::vector<OutboxRow> rows = fetch_now(store, 3, 4);
  ASSERT_EQ(seqs_of(rows), (std::vector<std::int64_t>{4, 5, 6, 7}));
  EXPECT_EQ(rows[0].kind, OutboxKind::kTelemetry);
  EXPECT_EQ(rows[0].meter_id, "m3");
  EXPECT_EQ(rows[0].ts_ms, 3000);
  const auto body = nlohmann::json::parse(rows[0].body_json);
  EXPECT_EQ(body["group"], "fast");
  EXPECT_EQ(body["values"]["energy_total"], 3);

  const std::vector<OutboxRow> tail = fetch_now(store, 10, 100);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].kind, OutboxKind::kEvent);
  EXPECT_EQ(tail[0].meter_id, "m3");
  EXPECT_EQ(nlohmann::json::parse(tail[0].body_json),
            nlohmann::json::parse(R"({"event":"meter_offline","details":{"failures":3}})"));
  EXPECT_TRUE(fetch_now(store, 11, 100).empty());
}

// Acknowledgements are deleted by runs of consecutive seqs: unordered, repeated and gapped
// seqs must remove exactly the rows named, and the backlog count must match the table.
TEST(StoreTest, AcknowledgedRowsAreRemovedFromTheOutbox) {
  TempDir dir;
  SystemClock clock;
  Store store(make_config(dir.file("store.db")), clock, nullptr);
  for (int i = 0; i < 12; ++i) store.append_telemetry(make_telemetry("m1", i));
  ASSERT_TRUE(store.flush());
  store.acknowledge({9, 3, 4, 2, 3, 10, 11, 6});
  store.acknowledge({7, 2});
  ASSERT_TRUE(store.flush());
  EXPECT_EQ(seqs_of(fetch_now(store, 0, 100)), (std::vector<std::int64_t>{1, 5, 8, 12}));
  EXPECT_EQ(store.stats().backlog_rows, 4);
  EXPECT_EQ(query(dir.file("store.db"), "SELECT count(*) FROM outbox"), 4);
}

TEST(StoreTest, AcknowledgementsAreAppliedWithoutFlushWithinACommitInterval) {
  TempDir dir;
  SystemClock clock;
  Store store(make_config(dir.file("store.db"), 1000, 20ms), clock, nullptr);
  for (int i = 0; i < 3; ++i) store.append_telemetry(make_telemetry("m1", i));
  ASSERT_TRUE(wait_until([&] { return store.stats().backlog_rows == 3; }));
  store.acknowledge({1, 2, 3});
  EXPECT_TRUE(wait_until([&] { return store.stats().backlog_rows == 0; }));
}

TEST(StoreTest, ManyAppendsAreCommittedInFarFewerTransactions) {
  TempDir dir;
  SystemClock clock;
  std::atomic<std::int64_t> notified_seq{0};
  // A long interval: only the batch_rows threshold can trigger these commits.
  Store store(make_config(dir.file("store.db"), 100, 60s), clock,
              [&](std::int64_t max_seq) { notified_seq = max_seq; });
  for (int i = 0; i < 1000; ++i) store.append_telemetry(make_telemetry("m1", i));
  // The writer takes whatever has queued up (up to a few batches) when it wakes, so the
  // tail may be a partial batch that waits for the interval: every full batch is in.
  ASSERT_TRUE(wait_until([&] { return store.stats().committed_rows > 1000 - 100; }));
  EXPECT_LE(store.stats().commits, 10);
  ASSERT_TRUE(store.flush());
  EXPECT_EQ(store.stats().committed_rows, 1000);
  EXPECT_LE(store.stats().commits, 11);
  EXPECT_EQ(store.stats().last_seq, 1000);
  EXPECT_TRUE(wait_until([&] { return notified_seq == 1000; }));
}

TEST(StoreTest, APartialBatchIsCommittedAfterTheCommitIntervalWithoutFlush) {
  TempDir dir;
  SystemClock clock;
  Store store(make_config(dir.file("store.db"), 1000, 30ms), clock, nullptr);
  for (int i = 0; i < 50; ++i) store.append_telemetry(make_telemetry("m1", i));
  ASSERT_TRUE(wait_until([&] { return store.stats().committed_rows == 50; }));
  EXPECT_LE(store.stats().commits, 2);
}

TEST(StoreTest, EachEventIsStoredInEventsAndOutboxWithItsSeq) {
  TempDir dir;
  SystemClock clock;
  const std::string path = dir.file("store.db");
  {
    Store store(make_config(path), clock, nullptr);
    store.append_telemetry(make_telemetry("m1", 1));
    store.append_event(Event{"cut_off", "m1", WallTime{} + 5s, R"({"balance":-10})"});
    ASSERT_TRUE(store.flush());
  }
  EXPECT_EQ(query(path, "SELECT outbox_seq FROM events WHERE type = 'cut_off'"), 2);
  EXPECT_EQ(query(path, "SELECT kind FROM outbox WHERE seq = 2"), 1);
  EXPECT_EQ(query(path, "SELECT ts_ms FROM events WHERE type = 'cut_off'"), 5000);
}

TEST(StoreTest, LatestKeepsTheNewestValuePerMeterAndPoint) {
  TempDir dir;
  SystemClock clock;
  const std::string path = dir.file("store.db");
  {
    Store store(make_config(path), clock, nullptr);
    store.append_telemetry(make_telemetry("m1", 100, WallTime{} + 2s));
    store.append_telemetry(make_telemetry("m1", 50, WallTime{} + 1s));  // late, older reading
    store.append_telemetry(make_telemetry("m2", 7, WallTime{} + 1s));
    ASSERT_TRUE(store.flush());
  }
  EXPECT_EQ(query(path, "SELECT value FROM latest WHERE meter_id='m1' AND point='energy_total'"),
            100);
  EXPECT_EQ(query(path, "SELECT value FROM latest WHERE meter_id='m2' AND point='energy_total'"),
            7);
  EXPECT_EQ(query(path,
                  "SELECT typeof(value) = 'real' FROM latest WHERE point='power_total' "
                  "AND meter_id='m1'"),
            1);
  EXPECT_EQ(query(path, "SELECT count(*) FROM latest"), 10);
}

TEST(StoreTest, TinyBudgetEvictsOldestTelemetryButNeverAnEvent) {
  TempDir dir;
  SystemClock clock;
  const std::string path = dir.file("store.db");
  StoreConfig config = make_config(path, 500, 20ms);
  config.budget_bytes = 256 * 1024;
  constexpr int kTelemetry = 20'000;
  constexpr int kEvents = 100;
  std::uintmax_t largest_file = 0;
  StoreStats stats;
  {
    Store store(config, clock, nullptr);
    for (int i = 0; i < kTelemetry; ++i) {
      store.append_telemetry(make_telemetry("m" + std::to_string(i % 50), i));
      if (i % (kTelemetry / kEvents) == 0) {
        store.append_event(
            Event{"meter_offline", "m1", clock.wall_now(), "{\"n\":" + std::to_string(i) + "}"});
      }
      if (i % 1000 == 0) largest_file = std::max(largest_file, std::filesystem::file_size(path));
    }
    ASSERT_TRUE(store.flush());
    largest_file = std::max(largest_file, std::filesystem::file_size(path));
    stats = store.stats();
    // The newest telemetry survives; fetching still works in order.
    const std::vector<OutboxRow> rows = fetch_now(store, stats.last_seq - 3, 10);
    ASSERT_FALSE(rows.empty());
  }
  largest_file = std::max(largest_file, std::filesystem::file_size(path));
  EXPECT_LE(largest_file, config.budget_bytes);
  EXPECT_GT(stats.evicted_rows, 0);
  EXPECT_EQ(stats.evicted_rows, stats.evicted_rows_total);
  EXPECT_FALSE(stats.over_budget);

  EXPECT_EQ(query(path, "SELECT count(*) FROM events WHERE type = 'meter_offline'"), kEvents);
  EXPECT_EQ(query(path,
                  "SELECT count(*) FROM outbox WHERE kind = 1 AND seq IN "
                  "(SELECT outbox_seq FROM events WHERE type = 'meter_offline')"),
            kEvents);
  EXPECT_GE(query(path, "SELECT count(*) FROM events WHERE type = 'store_eviction'"), 1);
  EXPECT_EQ(query(path,
                  "SELECT sum(json_extract(details, '$.rows')) FROM events "
                  "WHERE type = 'store_eviction'"),
            stats.evicted_rows);
  EXPECT_EQ(query(path, "SELECT value FROM counters WHERE name = 'evicted_rows_total'"),
            stats.evicted_rows);
  EXPECT_EQ(query(path, "SELECT count(*) FROM outbox WHERE kind = 0") + stats.evicted_rows,
            kTelemetry);
  // What was evicted is the oldest: no telemetry row is older than any evicted one.
  EXPECT_GT(query(path, "SELECT min(seq) FROM outbox WHERE kind = 0"),
            query(path,
                  "SELECT max(json_extract(details, '$.newest_seq')) FROM events "
                  "WHERE type = 'store_eviction'"));
}

TEST(StoreTest, OverBudgetWithOnlyEventsKeepsEveryEventAndReportsStoreFullOnce) {
  TempDir dir;
  SystemClock clock;
  const std::string path = dir.file("store.db");
  StoreConfig config = make_config(path, 200, 20ms);
  config.budget_bytes = 128 * 1024;
  constexpr int kEvents = 3000;
  const std::string padding(100, 'x');
  {
    Store store(config, clock, nullptr);
    for (int i = 0; i < kEvents; ++i) {
      store.append_event(Event{"balance_low_1", "m1", clock.wall_now(),
                               "{\"i\":" + std::to_string(i) + ",\"pad\":\"" + padding + "\"}"});
    }
    ASSERT_TRUE(store.flush());
    EXPECT_TRUE(store.stats().over_budget);
    EXPECT_EQ(store.stats().evicted_rows, 0);
  }
  EXPECT_EQ(query(path, "SELECT count(*) FROM events WHERE type = 'balance_low_1'"), kEvents);
  EXPECT_EQ(query(path, "SELECT count(*) FROM events WHERE type = 'store_full'"), 1);
}

TEST(StoreTest, MigrationsAreIdempotentOnReopen) {
  TempDir dir;
  SystemClock clock;
  const std::string path = dir.file("store.db");
  { Store store(make_config(path), clock, nullptr); }
  const std::int64_t objects = query(path, "SELECT count(*) FROM sqlite_schema");
  EXPECT_EQ(query(path, "PRAGMA user_version"), latest_schema_version());
  { Store store(make_config(path), clock, nullptr); }
  {
    SqliteDb db(path);
    migrate(db);
    migrate(db);
  }
  EXPECT_EQ(query(path, "PRAGMA user_version"), latest_schema_version());
  EXPECT_EQ(query(path, "SELECT count(*) FROM sqlite_schema"), objects);
  EXPECT_EQ(query(path, "SELECT count(*) FROM counters"), 1);
}

TEST(StoreTest, DatabaseIsInWalModeAfterOpening) {
  TempDir dir;
  SystemClock clock;
  const std::string path = dir.file("store.db");
  { Store store(make_config(path), clock, nullptr); }
  SqliteDb db(path);
  Statement mode(db, "PRAGMA journal_mode");
  ASSERT_TRUE(mode.step().ok());
  EXPECT_EQ(mode.column_text(0), "wal");
}

TEST(StoreTest, OpeningADatabaseFromANewerSchemaFailsAtStartUp) {
  TempDir dir;
  SystemClock clock;
  const std::string path = dir.file("store.db");
  {
    SqliteDb db(path);
    ASSERT_TRUE(db.exec("PRAGMA user_version = " + std::to_string(latest_schema_version() + 1)));
  }
  const auto bytes_before = std::filesystem::file_size(path);
  const auto written_before = std::filesystem::last_write_time(path);
  EXPECT_THROW(Store(make_config(path), clock, nullptr), StoreSchemaTooNewError);
  // Refused before anything wrote to it: still in rollback-journal mode, the same size and
  // modification time, and no WAL beside it.
  EXPECT_EQ(std::filesystem::file_size(path), bytes_before);
  EXPECT_EQ(std::filesystem::last_write_time(path), written_before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
  SqliteDb db(path);
  Statement mode(db, "PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.column_text(0), "delete");
}

TEST(StoreTest, FlushedRowsAreReadByANewStore) {
  TempDir dir;
  SystemClock clock;
  const StoreConfig config = make_config(dir.file("store.db"), 1000, 60s);
  {
    Store store(config, clock, nullptr);
    for (int i = 0; i < 20; ++i) store.append_telemetry(make_telemetry("m1", i));
    ASSERT_TRUE(store.flush());
    EXPECT_EQ(store.stats().committed_rows, 20);
  }
  Store store(config, clock, nullptr);
  const std::vector<OutboxRow> rows = fetch_now(store, 0, 100);
  ASSERT_EQ(rows.size(), 20u);
  EXPECT_EQ(nlohmann::json::parse(rows[19].body_json)["values"]["energy_total"], 19);
}

TEST(StoreTest, FlushedRowsSurviveSigkill) {
  TempDir dir;
  const StoreConfig config = make_config(dir.file("store.db"), 1000, 60s);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    SystemClock clock;
    Store store(config, clock, nullptr);
    for (int i = 0; i < 100; ++i) store.append_telemetry(make_telemetry("m1", i));
    store.append_event(Event{"meter_online", "m1", clock.wall_now(), "{}"});
    const char ok = store.flush() ? '1' : '0';
    // Rows queued after the flush may be lost with the process: that is allowed.
    store.append_telemetry(make_telemetry("m1", 1000));
    if (write(ready[1], &ok, 1) != 1) _exit(2);
    while (true) pause();
  }
  close(ready[1]);
  char ok = 0;
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  close(ready[0]);
  ASSERT_EQ(ok, '1');
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  SystemClock clock;
  Store store(config, clock, nullptr);
  const std::vector<OutboxRow> rows = fetch_now(store, 0, 1000);
  ASSERT_GE(rows.size(), 101u);
  EXPECT_EQ(rows[100].kind, OutboxKind::kEvent);
  store.append_telemetry(make_telemetry("m1", 5));
  ASSERT_TRUE(store.flush());
  EXPECT_GT(store.stats().last_seq, rows.back().seq);
}

TEST(StoreTest, LastProgressAdvancesWhileIdle) {
  TempDir dir;
  SystemClock clock;
  Store store(make_config(dir.file("store.db"), 1000, 10ms), clock, nullptr);
  const SteadyTime first = store.last_progress();
  EXPECT_TRUE(wait_until([&] { return store.last_progress() > first + 25ms; }));
}

TEST(StoreTest, ResultRowsKeepTheirReadyBody) {
  TempDir dir;
  SystemClock clock;
  Store store(make_config(dir.file("store.db")), clock, nullptr);
  store.append_row(OutboxKind::kResult, "m9", WallTime{} + 1ms, R"({"id":"c1","ok":true})");
  ASSERT_TRUE(store.flush());
  const std::vector<OutboxRow> rows = fetch_now(store, 0, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].kind, OutboxKind::kResult);
  EXPECT_EQ(rows[0].ts_ms, 1);
  EXPECT_EQ(rows[0].body_json, R"({"id":"c1","ok":true})");
}

TEST(StoreStateWrite, AppliesWithItsEventsInOneTransactionAndRetriesAfterAFailure) {
  TempDir dir;
  SystemClock clock;
  const std::string path = dir.file("store.db");
  Store store(make_config(path, 1000, 20ms), clock, nullptr);
  std::atomic<int> attempts{0};
  std::atomic<bool> committed{false};
  StateWrite write;
  // The first attempt fails after its insert: the rollback must take the insert and the
  // event with it, and the retry must put both in once.
  write.apply = [&attempts](SqliteDb& db) -> Status {
    Status status = db.exec("INSERT INTO counters(name, value) VALUES('probe', 1)");
    if (!status) return status;
    if (attempts++ == 0) return make_error(ErrorKind::kInternal, "injected failure");
    return Ok{};
  };
  write.events.push_back(Event{"probe_event", "m1", clock.wall_now(), "{}"});
  write.committed = [&committed] { committed = true; };
  store.append_state(std::move(write));
  ASSERT_TRUE(wait_until([&] { return committed.load(); }));
  EXPECT_EQ(attempts.load(), 2);
  EXPECT_EQ(query(path, "SELECT count(*) FROM counters WHERE name = 'probe'"), 1);
  EXPECT_EQ(query(path, "SELECT count(*) FROM events WHERE type = 'probe_event'"), 1);
  EXPECT_EQ(store.stats().write_errors, 1);
}

TEST(StoreStateWrite, AnUrgentWriteIsCommittedWithoutWaitingForTheInterval) {
  TempDir dir;
  SystemClock clock;
  const std::string path = dir.file("store.db");
  // An interval no test waits out: only urgency can commit these.
  Store store(make_config(path, 1000, std::chrono::milliseconds(60'000)), clock, nullptr);
  store.append_telemetry(make_telemetry("m1", 1));
  std::atomic<bool> committed{false};
  StateWrite write;
  write.urgent = true;
  write.rows.push_back({OutboxKind::kResult, "", clock.wall_now(), R"({"id":"c-1"})"});
  write.committed = [&committed] { committed = true; };
  store.append_state(std::move(write));
  ASSERT_TRUE(wait_until([&] { return committed.load(); }));
  EXPECT_EQ(query(path, "SELECT count(*) FROM outbox"), 2);  // the telemetry went along
}

TEST(StoreStateWrite, ReadStateSeesEverythingQueuedBeforeIt) {
  TempDir dir;
  SystemClock clock;
  Store store(make_config(dir.file("store.db"), 1000, std::chrono::milliseconds(60'000)), clock,
              nullptr);
  StateWrite write;
  write.apply = [](SqliteDb& db) {
    return db.exec("INSERT INTO counters(name, value) VALUES('seen', 7)");
  };
  store.append_state(std::move(write));
  std::int64_t value = 0;
  Status status = store.read_state([&](SqliteDb& db) -> Status {
    Result<std::int64_t> v = db.query_int("SELECT value FROM counters WHERE name = 'seen'");
    if (!v) return v.error();
    value = v.value();
    return Ok{};
  });
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(value, 7);
}

}  // namespace
}  // namespace meterd::testing
