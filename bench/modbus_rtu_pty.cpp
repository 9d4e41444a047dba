// SPDX-License-Identifier: Apache-2.0
// Driver overhead on Modbus RTU: the modbus plugin in this process reads the DDSY1352 live
// block (FC 03, 48 registers) from 8 modbus-sim meters over a socat pty, no baud delay in the
// simulator (a separate process). Prints transactions/s and this process's CPU time per
// transaction (getrusage); the goal is < 0.2 ms. Transactions/s is bounded by the t3.5
// silence the driver keeps before every request (1.75 ms at 115200 baud and above).
// Usage: bench_modbus_rtu_pty [transactions]   (default 3000)
#include <cstdlib>

#include "modbus_bench.h"
#include "support/pty_pair.h"
#include "support/temp_dir.h"

using namespace meterd;

int main(int argc, char** argv) {
  const int transactions = argc > 1 ? std::atoi(argv[1]) : 3000;
  constexpr int kMeters = 8;
  test::TempDir dir("bench-modbus-rtu");
  test::PtyPair pty(dir.path());
  const std::string profile =
      std::string(METERD_SOURCE_DIR) + "/config/profiles/acrel-ddsy1352.yaml";
  auto sim = bench::start_simulator(
      {"--profile", profile, "--rtu", pty.b(), "--units", "1-" + std::to_string(kMeters)},
      dir.file("sim.log"));
  PluginRegistry registry(METERD_PLUGIN_DIR);
  SystemClock clock;
  DriverEnv env{&clock};
  auto driver =
      bench::make_driver(registry, env, bench::map_of({{"device", pty.a()}, {"baud", "115200"}}),
                         bench::read_tree(profile), kMeters,
                         {"voltage_a", "current_a", "power_total", "energy_total", "balance",
                          "purchase_count", "relay_closed", "alarm_arrears"},
                         std::chrono::milliseconds(500));
  for (int i = 0; i < 50; ++i) driver->read(static_cast<std::size_t>(i % kMeters), 0);  // warm

  int failed = 0;
  const double cpu0 = bench::cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < transactions; ++i) {
    auto r = driver->read(static_cast<std::size_t>(i % kMeters), 0);
    if (!r.ok() || !r.value().errors.empty()) ++failed;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = bench::cpu_seconds() - cpu0;
  std::printf(
      "bench_modbus_rtu_pty transactions=%d failed=%d wall_s=%.2f tx_per_s=%.0f "
      "cpu_ms_per_tx=%.4f cpu_pct_of_core=%.1f goal_cpu_ms_per_tx<0.2 cores=%ld\n",
      transactions, failed, wall, transactions / wall, cpu * 1e3 / transactions, 100.0 * cpu / wall,
      bench::cores());
  driver->close();
  return failed == 0 ? 0 : 1;
}
