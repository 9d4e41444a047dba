// SPDX-License-Identifier: Apache-2.0
// Helpers for the store tests: a temporary directory, configs and waiting with deadlines.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace meterd::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "meterd-store-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline StoreConfig make_config(const std::string& path, std::size_t batch_rows = 1000,
                               std::chrono::milliseconds interval = std::chrono::milliseconds(20)) {
  StoreConfig config;
  config.path = path;
  config.batch_rows = batch_rows;
  config.commit_interval = interval;
  return config;
}

// Polls `condition` until it holds or `timeout` passes; returns whether it held.
template <typename Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// fetch_outbox, waited for (with a deadline).
inline std::vector<OutboxRow> fetch_now(Store& store, std::int64_t after_seq, int limit) {
  auto done = std::make_shared<std::promise<std::vector<OutboxRow>>>();
  std::future<std::vector<OutboxRow>> rows = done->get_future();
  store.fetch_outbox(after_seq, limit, [done](std::vector<OutboxRow> fetched) {
    done->set_value(std::move(fetched));
  });
  if (rows.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "fetch_outbox did not answer within 10 s";
    return {};
  }
  return rows.get();
}

inline Telemetry make_telemetry(const std::string& meter, std::int64_t energy, WallTime time = {}) {
  Telemetry t;
  t.meter_id = meter;
  t.group = "fast";
  t.time = time;
  t.values = {{"energy_total", PointScalar{energy}},
              {"power_total", PointScalar{812.5}},
              {"voltage_a", PointScalar{230.1}},
              {"current_a", PointScalar{3.5}},
              {"relay_closed", PointScalar{true}}};
  return t;
}

// One integer from a separate read connection (the test's own, not the store's).
inline std::int64_t query(const std::string& path, const std::string& sql) {
  SqliteDb db(path);
  Result<std::int64_t> value = db.query_int(sql);
  EXPECT_TRUE(value.ok()) << (value ? "" : value.error().message);
  return value ? value.value() : -1;
}

}  // namespace meterd::testing
