// SPDX-License-Identifier: Apache-2.0
// Backlog drain: fills a store with N telemetry rows (default 1,000,000) as if the uplink had
// been down, then starts the real meterd on it against a local mosquitto and times how long
// the outbox takes to empty. Usage: bench_backlog_drain [rows]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "daemon_site.h"
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
  test::TempDir dir("meterd-bench-drain");
  const std::string db = dir.file("meterd.db");

  const auto fill_start = steady_clock::now();
  {
    SystemClock clock;
    StoreConfig config;
    config.path = db;
    config.budget_bytes = 4ull << 30;
    config.batch_rows = 10000;
    Store store(config, clock, [](std::int64_t) {});
    for (long i = 0; i < rows; ++i) {
      store.append_telemetry(Telemetry{"b1-m" + std::to_string(i % 1000 + 1), "slow",
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
  }
  const double fill_s = duration<double>(steady_clock::now() - fill_start).count();
  std::printf("filled %ld rows in %.1f s\n", rows, fill_s);

  test::MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  const std::string config = dir.file("meterd.yaml");
  bench::write_site(config, broker.uri(), db, 1, 1, "1h");
  const auto start = steady_clock::now();
  test::ChildProcess daemon({METERD_BINARY, "--config", config}, dir.file("meterd.log"));
  std::int64_t initial = -1;
  bool drained = test::wait_for(
      [&] {
        const auto view = test::read_store(db);
        if (initial < 0) initial = static_cast<std::int64_t>(view.pending.size());
        return view.pending.size() <= 2;  // the one meter's own fresh rows may remain
      },
      minutes(10), milliseconds(200));
  const double secs = duration<double>(steady_clock::now() - start).count();
  std::printf("cores=%ld rows=%ld drained=%s in %.2f s (%.0f rows/s, incl. daemon start)\n",
              sysconf(_SC_NPROCESSORS_ONLN), rows, drained ? "yes" : "NO", secs, rows / secs);
  daemon.terminate();
  return drained ? 0 : 1;
}
