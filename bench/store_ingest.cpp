// SPDX-License-Identifier: Apache-2.0
// Store throughput: telemetry ingest (200k rows of 5 points, synchronous=FULL, batched commits)
// and the fetch+acknowledge drain of a 1,000,000-row backlog, 1000 rows per fetch.
// Usage: bench_store_ingest [dir]   (default /tmp; the files are removed afterwards)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "store/store.h"

namespace {

using meterd::OutboxRow;
using meterd::PointScalar;
using meterd::Store;
using meterd::StoreConfig;
using Seconds = std::chrono::duration<double>;

meterd::Telemetry telemetry(int i, meterd::WallTime time) {
  meterd::Telemetry t;
  t.meter_id = "meter-" + std::to_string(i % 1000);
  t.group = "fast";
  t.time = time;
  t.values = {{"energy_total", PointScalar{std::int64_t{1'000'000 + i}}},
              {"power_total", PointScalar{812.5 + i % 100}},
              {"voltage_a", PointScalar{230.1}},
              {"current_a", PointScalar{3.52}},
              {"relay_closed", PointScalar{true}}};
  return t;
}

StoreConfig config_for(const std::string& path) {
  StoreConfig config;
  config.path = path;
  config.budget_bytes = 4ull << 30;  // no eviction: this measures ingest and drain
  config.batch_rows = 1000;
  config.commit_interval = std::chrono::milliseconds(200);
  return config;
}

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

double ingest(Store& store, int rows, meterd::SystemClock& clock) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < rows; ++i) store.append_telemetry(telemetry(i, clock.wall_now()));
  if (!store.flush()) std::fprintf(stderr, "flush failed\n");
  return Seconds(std::chrono::steady_clock::now() - start).count();
}

std::vector<OutboxRow> fetch(Store& store, std::int64_t after, int limit) {
  std::promise<std::vector<OutboxRow>> done;
  auto rows = done.get_future();
  store.fetch_outbox(after, limit, [&done](std::vector<OutboxRow> fetched) {
    done.set_value(std::move(fetched));
  });
  return rows.get();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/tmp";
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    std::fprintf(stderr, "bench_store_ingest: %s is not a directory%s%s\n", dir.c_str(),
                 error ? ": " : "", error ? error.message().c_str() : "");
    return 2;
  }
  const std::string path = dir + "/meterd-bench-" + std::to_string(getpid()) + ".db";
  meterd::SystemClock clock;

  {
    remove_db(path);
    Store store(config_for(path), clock, nullptr);
    constexpr int kRows = 200'000;
    const double seconds = ingest(store, kRows, clock);
    const meterd::StoreStats stats = store.stats();
    std::printf("ingest: %d rows x 5 points in %.2f s = %.0f rows/s, %lld commits, %.1f MB\n",
                kRows, seconds, kRows / seconds, static_cast<long long>(stats.commits),
                stats.db_bytes / 1e6);
  }
  remove_db(path);

  {
    Store store(config_for(path), clock, nullptr);
    constexpr int kRows = 1'000'000;
    const double fill = ingest(store, kRows, clock);
    std::printf("fill:   %d rows in %.2f s = %.0f rows/s\n", kRows, fill, kRows / fill);

    const auto start = std::chrono::steady_clock::now();
    std::int64_t after = 0;
    std::int64_t drained = 0;
    while (true) {
      std::vector<OutboxRow> rows = fetch(store, after, 1000);
      if (rows.empty()) break;
      std::vector<std::int64_t> seqs;
      seqs.reserve(rows.size());
      for (const OutboxRow& row : rows) seqs.push_back(row.seq);
      after = seqs.back();
      drained += static_cast<std::int64_t>(rows.size());
      store.acknowledge(std::move(seqs));
    }
    if (!store.flush()) std::fprintf(stderr, "flush failed\n");
    const double seconds = Seconds(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "drain:  %lld rows fetched 1000 at a time and acknowledged in %.2f s = %.0f rows/s"
        " (backlog left %lld)\n",
        static_cast<long long>(drained), seconds, drained / seconds,
        static_cast<long long>(store.stats().backlog_rows));
  }
  remove_db(path);
  return 0;
}
