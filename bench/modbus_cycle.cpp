// SPDX-License-Identifier: Apache-2.0
// Poll-cycle efficiency on a baud-accurate line: 32 DDSY1352 meters on modbus-sim at 9600 8N1
// (the simulator replies after the request and reply wire time plus a fixed meter latency),
// the modbus plugin in this process reading every meter's 48-register live block in turn.
// Prints the measured cycle time against the wire-time floor,
//   per meter: (13 + 2N) chars x 10 bits / 9600 + t3.5 (3.65 ms) + latency,
// and the ratio floor/measured (goal >= 0.90).
// Usage: bench_modbus_cycle [cycles] [latency_ms]   (default 3 cycles, 10 ms)
#include <cstdlib>

#include "modbus_bench.h"
#include "support/pty_pair.h"
#include "support/temp_dir.h"

using namespace meterd;

int main(int argc, char** argv) {
  const int cycles = argc > 1 ? std::atoi(argv[1]) : 3;
  const int latency_ms = argc > 2 ? std::atoi(argv[2]) : 10;
  constexpr int kMeters = 32;
  constexpr int kRegisters = 48;
  test::TempDir dir("bench-modbus-cycle");
  test::PtyPair pty(dir.path());
  const std::string profile =
      std::string(METERD_SOURCE_DIR) + "/config/profiles/acrel-ddsy1352.yaml";
  auto sim = bench::start_simulator(
      {"--profile", profile, "--rtu", pty.b(), "--units", "1-" + std::to_string(kMeters),
       "--wire-delay", "--baud", "9600", "--parity", "none", "--stop-bits", "1", "--latency-us",
       std::to_string(latency_ms * 1000)},
      dir.file("sim.log"));
  PluginRegistry registry(METERD_PLUGIN_DIR);
  SystemClock clock;
  DriverEnv env{&clock};
  auto driver = bench::make_driver(
      registry, env, bench::map_of({{"device", pty.a()}, {"baud", "9600"}, {"parity", "none"}}),
      bench::read_tree(profile), kMeters,
      {"voltage_a", "current_a", "power_total", "energy_total", "balance", "purchase_count",
       "relay_closed", "alarm_arrears"},
      std::chrono::milliseconds(1000));
  driver->read(0, 0);  // warm

  const double char_s = 10.0 / 9600.0;
  const double t35_s = 3.5 * char_s;
  const double floor_s = kMeters * ((13 + 2 * kRegisters) * char_s + t35_s + latency_ms / 1000.0);
  int failed = 0;
  double total = 0, best = 1e9;
  for (int c = 0; c < cycles; ++c) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int m = 0; m < kMeters; ++m) {
      auto r = driver->read(static_cast<std::size_t>(m), 0);
      if (!r.ok() || !r.value().errors.empty()) ++failed;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    total += s;
    best = std::min(best, s);
  }
  const double mean = total / cycles;
  std::printf(
      "bench_modbus_cycle meters=%d registers=%d baud=9600 format=8N1 latency_ms=%d cycles=%d "
      "failed=%d floor_ms=%.1f measured_mean_ms=%.1f measured_best_ms=%.1f "
      "ratio_floor_over_measured=%.3f goal>=0.90 cores=%ld\n",
      kMeters, kRegisters, latency_ms, cycles, failed, floor_s * 1e3, mean * 1e3, best * 1e3,
      floor_s / mean, bench::cores());
  driver->close();
  return failed == 0 ? 0 : 1;
}
