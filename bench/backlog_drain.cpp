// SPDX-License-Identifier: Apache-2.0
// Backlog drain: fills a store with N telemetry rows (default 1,000,000) as if the uplink had
// been down, then starts the real meterd on it against a local mosquitto, with M sim meters
// (default 1000) polled every 10 s meanwhile, and times how long the backlog takes to leave the
// outbox. Reports the CPU seconds meterd and mosquitto used while it drained.
// Usage: bench_backlog_drain [rows] [meters]
//
// The outbox is watched with one count(*) over the backlog's seq range (the primary key), not
// by reading every row: the watcher must not cost more than what it measures.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "daemon_site.h"
#include "process_cpu.h"
#include "store/store.h"
#include "support/broker.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"
#include "system/daemon_harness.h"

int main(int argc, char** argv) {
  using namespace meterd;
  using namespace std::chrono;
  const long rows = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  const int meters = argc > 2 ? std::atoi(argv[2]) : 1000;
  if (rows <= 0 || meters <= 0) {
    std::fprintf(stderr, "usage: bench_backlog_drain [rows > 0] [meters > 0]\n");
    return 2;
  }
  test::TempDir dir("meterd-bench-drain");
  const std::string db = dir.file("meterd.db");

  const auto fill_start = steady_clock::now();
  std::int64_t backlog_last_seq = 0;
  {
    SystemClock clock;
    StoreConfig config;
    config.path = db;
    config.budget_bytes = 4ull << 30;
    config.batch_rows = 10000;
    Store store(config, clock, [](std::int64_t) {});
    for (long i = 0; i < rows; ++i) {
      store.append_telemetry(Telemetry{"b1-m" + std::to_string(i % 1000 + 1),
                                       "slow",
                                       clock.wall_now(),
                                       {{"energy_total", std::int64_t{1000000 + i}},
                                        {"power_total", 812.5},
                                        {"voltage_a", 229.8},
                                        {"current_a", 3.53},
                                        {"relay_closed", true}},
                                       {}});
      if (i % 100000 == 99999) store.flush();
    }
    store.flush();
    backlog_last_seq = store.stats().last_seq;
  }
  const double fill_s = duration<double>(steady_clock::now() - fill_start).count();
  std::printf("filled %ld rows in %.1f s\n", rows, fill_s);

  test::MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  const std::string config = dir.file("meterd.yaml");
  const int buses = (meters + 99) / 100;  // up to 100 meters per bus
  bench::write_site(config, broker.uri(), db, buses, (meters + buses - 1) / buses, "10s");
  const std::string backlog_left =
      "SELECT count(*) FROM outbox WHERE seq <= " + std::to_string(backlog_last_seq);
  const double broker_cpu_before = bench::process_cpu_seconds(broker.pid());
  const auto start = steady_clock::now();
  test::ChildProcess daemon({METERD_BINARY, "--config", config}, dir.file("meterd.log"));
  double daemon_cpu = 0.0;
  const bool drained = test::wait_for(
      [&] {
        daemon_cpu = bench::process_cpu_seconds(daemon.pid());
        return test::query_store_int(db, backlog_left) == 0;
      },
      minutes(10), milliseconds(50));
  const double secs = duration<double>(steady_clock::now() - start).count();
  const double broker_cpu = bench::process_cpu_seconds(broker.pid()) - broker_cpu_before;
  std::printf(
      "cores=%ld rows=%ld meters=%d drained=%s in %.2f s (%.0f rows/s, incl. daemon start)\n"
      "cpu while draining: meterd %.2f s (%.0f %% of one core), mosquitto %.2f s (%.0f %%)\n",
      sysconf(_SC_NPROCESSORS_ONLN), rows, buses * ((meters + buses - 1) / buses),
      drained ? "yes" : "NO", secs, rows / secs, daemon_cpu, 100.0 * daemon_cpu / secs, broker_cpu,
      100.0 * broker_cpu / secs);
  daemon.terminate();
  return drained ? 0 : 1;
}
