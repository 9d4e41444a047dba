// SPDX-License-Identifier: Apache-2.0
// Daemon footprint: the real meterd with M sim meters (default 1,000 on 4 buses, polled every
// 10 s) against a local mosquitto; samples RSS and CPU time from /proc for D seconds
// (default 60). Usage: bench_daemon_footprint [meters] [seconds]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "daemon_site.h"
#include "process_cpu.h"
#include "support/broker.h"
#include "support/mqtt_collector.h"
#include "support/process.h"
#include "support/temp_dir.h"

int main(int argc, char** argv) {
  using namespace meterd;
  using namespace std::chrono;
  const int meters = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 60;
  test::TempDir dir("meterd-bench-footprint");
  test::MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  // Everything the gateway publishes: rows ready together arrive packed on `batch`, and the
  // collector counts each row of a pack under its own topic.
  test::MqttCollector collector(broker.uri(), "bench-footprint", "meterd/v1/bench/#");
  const auto telemetry = [&] {
    std::size_t n = 0;
    for (const auto& m : collector.take()) n += m.topic.ends_with("/telemetry") ? 1 : 0;
    return n;
  };
  const std::string config = dir.file("meterd.yaml");
  bench::write_site(config, broker.uri(), dir.file("meterd.db"), 4, meters / 4, "10s");
  test::ChildProcess daemon({METERD_BINARY, "--config", config}, dir.file("meterd.log"));
  std::this_thread::sleep_for(seconds / 6 * 1s);  // warm-up: first poll round everywhere
  const double cpu0 = bench::process_cpu_seconds(daemon.pid());
  telemetry();  // the warm-up's rows are not counted
  std::size_t received = 0;
  const auto t0 = steady_clock::now();
  long rss_max = 0, rss_first = bench::process_status_kib(daemon.pid(), "VmRSS");
  while (steady_clock::now() - t0 < seconds * 1s) {
    std::this_thread::sleep_for(1s);
    const long rss = bench::process_status_kib(daemon.pid(), "VmRSS");
    rss_max = std::max(rss_max, rss);
    received += telemetry();
    std::fprintf(stderr, "t=%.0fs rss %ld KiB, %zu telemetry rows\n",
                 duration<double>(steady_clock::now() - t0).count(), rss, received);
  }
  const double wall = duration<double>(steady_clock::now() - t0).count();
  const double cpu = bench::process_cpu_seconds(daemon.pid()) - cpu0;
  std::printf(
      "cores=%ld meters=%d interval=10s window=%.0fs: cpu %.2f%% of one core, RSS start %ld KiB "
      "max %ld KiB, %zu telemetry rows received (%.0f/s)\n",
      sysconf(_SC_NPROCESSORS_ONLN), meters, wall, 100.0 * cpu / wall, rss_first, rss_max, received,
      static_cast<double>(received) / wall);
  daemon.terminate();
  return 0;
}
