// SPDX-License-Identifier: Apache-2.0
// `meterctl backup`'s copy (store/store_backup.h): taken while the store thread writes, it is
// whole, consistent and a store of its own that resumes after the last seq it holds.
#include "store/store_backup.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/migrations.h"
#include "store_test_util.h"

namespace meterd::testing {
namespace {

using namespace std::chrono_literals;

std::string text_of(const std::string& path, const std::string& sql) {
  SqliteDb db(path);
  Statement statement(db, sql);
  EXPECT_TRUE(statement.step());
  return statement.column_text(0);
}

TEST(StoreBackup, ACopyTakenUnderWriteLoadIsWholeAndResumesAfterItsLastSeq) {
  TempDir dir;
  SystemClock clock;
  const std::string source = dir.file("store.db");
  const std::string copy = dir.file("backup.db");
  Store store(make_config(source, 50, 5ms), clock, nullptr);

  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> written{0};
  std::thread writer([&] {
    while (!stop) {
      store.append_telemetry(make_telemetry("m1", written));
      ++written;
      if (written % 20 == 0) std::this_thread::sleep_for(1ms);  // a steady load, not a flood
    }
  });
  ASSERT_TRUE(wait_until([&] { return store.stats().committed_rows >= 2000; }, 60s));
  const Result<BackupSummary> backup = backup_store(source, copy);
  const std::int64_t committed_after_backup = store.stats().committed_rows;
  // The writer keeps going after the copy: the copy must not have seen those rows.
  ASSERT_TRUE(
      wait_until([&] { return store.stats().committed_rows > committed_after_backup + 500; }, 60s));
  stop = true;
  writer.join();
  ASSERT_TRUE(store.flush());

  ASSERT_TRUE(backup.ok()) << backup.error().message;
  EXPECT_EQ(backup.value().path, copy);
  EXPECT_EQ(backup.value().bytes, static_cast<std::int64_t>(std::filesystem::file_size(copy)));
  EXPECT_EQ(backup.value().schema_version, latest_schema_version());
  EXPECT_EQ(backup.value().source_store_id, store.store_id());
  EXPECT_NE(backup.value().store_id, store.store_id());
  EXPECT_FALSE(std::filesystem::exists(copy + ".partial"));
  EXPECT_FALSE(std::filesystem::exists(copy + "-wal"));

  EXPECT_EQ(text_of(copy, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(text_of(copy, "PRAGMA journal_mode"), "delete");
  // A snapshot: every seq from the first to the last, none missing, none beyond.
  const std::int64_t last = backup.value().last_seq;
  EXPECT_GE(last, 2000);
  EXPECT_LT(last, query(source, "SELECT max(seq) FROM outbox"));
  EXPECT_EQ(query(copy, "SELECT count(*) FROM outbox"), last);
  EXPECT_EQ(query(copy, "SELECT min(seq) FROM outbox"), 1);
  EXPECT_EQ(query(copy, "SELECT max(seq) FROM outbox"), last);

  // Restored, it is a store of its own that goes on after its last seq.
  Store restored(make_config(copy), clock, nullptr);
  EXPECT_EQ(restored.store_id(), backup.value().store_id);
  for (int i = 0; i < 10; ++i) restored.append_telemetry(make_telemetry("m1", 1'000'000 + i));
  ASSERT_TRUE(restored.flush());
  const std::vector<OutboxRow> rows = fetch_now(restored, last, 100);
  ASSERT_EQ(rows.size(), 10u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].seq, last + 1 + static_cast<std::int64_t>(i));
  }
}

TEST(StoreBackup, ABadDestinationIsRefusedAndNothingIsWritten) {
  TempDir dir;
  SystemClock clock;
  const std::string source = dir.file("store.db");
  { Store store(make_config(source), clock, nullptr); }
  const std::string existing = dir.file("existing.db");
  { std::ofstream(existing) << "keep me"; }

  for (const std::string& destination :
       {std::string("relative.db"), existing, dir.file("no-such-folder/backup.db")}) {
    const Result<BackupSummary> refused = backup_store(source, destination);
    ASSERT_FALSE(refused.ok()) << destination;
    EXPECT_EQ(refused.error().kind, ErrorKind::kInvalidArgument) << destination;
  }
  EXPECT_EQ(std::filesystem::file_size(existing), 7u);
  EXPECT_FALSE(std::filesystem::exists(existing + ".partial"));
  EXPECT_FALSE(std::filesystem::exists("relative.db"));
}

}  // namespace
}  // namespace meterd::testing
