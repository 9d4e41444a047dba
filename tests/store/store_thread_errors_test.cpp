// SPDX-License-Identifier: Apache-2.0
// Nothing thrown or failed on the store thread ends it: a statement that cannot be prepared is a
// write failure (counted, retried, rows kept), and an exception is an internal error (logged,
// counted, retried) while the store keeps serving.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "store/store.h"
#include "store_test_util.h"

namespace meterd::testing {
namespace {

using namespace std::chrono_literals;

StateWrite state_write(std::function<Status(SqliteDb&)> apply, const std::string& event) {
  StateWrite write;
  write.apply = std::move(apply);
  write.events = {Event{event, "m1", WallTime{}, "{}"}};
  write.urgent = true;
  return write;
}

std::int64_t events_of_type(const std::string& path, const std::string& type) {
  return query(path, "SELECT count(*) FROM events WHERE type = '" + type + "'");
}

TEST(StoreThreadErrors, AStatementThatCannotBePreparedIsAWriteFailureRetriedUntilItSucceeds) {
  TempDir dir;
  SystemClock clock;
  const std::string path = dir.file("store.db");
  Store store(make_config(path, 1000, 10ms), clock, nullptr);
  store.append_state(state_write(
      [](SqliteDb& db) {
        Statement insert(db, "INSERT INTO added_later(x) VALUES(7)");  // no such table yet
        return insert.run();
      },
      "recharge_applied"));
  ASSERT_TRUE(wait_until([&] { return store.stats().write_errors >= 2; }));
  EXPECT_EQ(store.stats().internal_errors, 0);  // an error value, not an exception
  EXPECT_TRUE(store.stats().write_failing);
  EXPECT_EQ(store_state(store.stats()), std::string("write_failing"));

  {
    SqliteDb schema(path);  // a schema change makes the statement valid
    ASSERT_TRUE(schema.exec("PRAGMA busy_timeout = 5000; CREATE TABLE added_later(x)").ok());
  }
  ASSERT_TRUE(wait_until([&] { return store.flush(); }));
  EXPECT_EQ(query(path, "SELECT count(*) FROM added_later WHERE x = 7"), 1);
  EXPECT_EQ(events_of_type(path, "recharge_applied"), 1);
  EXPECT_EQ(events_of_type(path, "store_write_error"), 1);
  EXPECT_FALSE(store.stats().write_failing);
}

TEST(StoreThreadErrors, AnExceptionOnTheStoreThreadIsCountedAndTheStoreKeepsServing) {
  TempDir dir;
  SystemClock clock;
  const std::string path = dir.file("store.db");
  Store store(make_config(path, 1000, 10ms), clock, nullptr);
  store.append_telemetry(make_telemetry("m1", 1));
  ASSERT_TRUE(store.flush());

  std::atomic<int> calls{0};
  store.append_state(state_write(
      [&calls](SqliteDb&) -> Status {
        if (calls++ == 0) throw std::runtime_error("a bug in a state write");
        return Ok{};
      },
      "cut_off"));
  ASSERT_TRUE(wait_until([&] { return store.stats().internal_errors >= 1; }));
  // Still serving: reads answer, and the write goes in on the retry with its event.
  EXPECT_EQ(fetch_now(store, 0, 10).size(), 1u);
  ASSERT_TRUE(wait_until([&] { return store.flush(); }));
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(store.stats().internal_errors, 1);
  EXPECT_EQ(events_of_type(path, "cut_off"), 1);
  store.append_telemetry(make_telemetry("m1", 2));
  ASSERT_TRUE(store.flush());
  EXPECT_EQ(fetch_now(store, 0, 10).size(), 4u);  // 2 telemetry, cut_off, store_write_error
}

}  // namespace
}  // namespace meterd::testing
