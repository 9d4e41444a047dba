// SPDX-License-Identifier: Apache-2.0
// Modbus TCP throughput: the modbus plugin in this process (one connection, as one bus thread
// of the daemon) polls modbus-sim (another process) at 10,000 / 50,000 / 100,000 points/s.
// Each meter maps 100 contiguous float32 points (200 registers: two reads of <= 125); 100 unit
// ids are read round-robin, paced to the rate. Prints per rate the achieved points/s, the CPU
// % of one core and the RSS of this (the measuring, driver) process.
// Usage: bench_modbus_tcp [seconds_per_rate]   (default 10)
#include <cstdlib>
#include <thread>

#include "modbus_bench.h"
#include "support/temp_dir.h"

using namespace meterd;

namespace {

constexpr int kPoints = 100;
constexpr int kMeters = 100;

std::string float_profile(std::vector<std::string>& names) {
  std::ostringstream y;
  y << "model: bench float32 x" << kPoints << "\nmax_gap: 8\nword_order: high_first\npoints:\n";
  for (int i = 0; i < kPoints; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "harmonic_%03d", i + 1);
    names.emplace_back(name);
    y << "  " << name << ": {address: " << 2 * i << ", type: float32, unit: \"%\"}\n";
  }
  return y.str();
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 10.0;
  test::TempDir dir("bench-modbus-tcp");
  std::vector<std::string> points;
  const std::string profile = dir.file("float100.yaml");
  std::ofstream(profile) << float_profile(points);
  auto sim = bench::start_simulator(
      {"--profile", profile, "--tcp", "0", "--units", "1-" + std::to_string(kMeters), "--frozen"},
      dir.file("sim.log"));
  const std::string log = sim->log();
  const std::string port =
      log.substr(log.find("ready ") + 6, log.find('\n') - log.find("ready ") - 6);
  PluginRegistry registry(METERD_PLUGIN_DIR);
  SystemClock clock;
  DriverEnv env{&clock};
  auto driver = bench::make_driver(
      registry, env, bench::map_of({{"transport", "tcp"}, {"host", "127.0.0.1"}, {"port", port}}),
      bench::read_tree(profile), kMeters, points, std::chrono::milliseconds(1000));
  for (int m = 0; m < kMeters; ++m) driver->read(static_cast<std::size_t>(m), 0);  // warm

  int status = 0;
  for (const double rate : {10'000.0, 50'000.0, 100'000.0}) {
    const auto period = std::chrono::duration<double>(kPoints / rate);
    long reads = 0, failed = 0, values = 0;
    const double cpu0 = bench::cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    const auto end = t0 + std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::duration<double>(seconds));
    auto due = t0;
    while (due < end) {
      std::this_thread::sleep_until(due);  // returns at once when behind
      auto r = driver->read(static_cast<std::size_t>(reads % kMeters), 0);
      ++reads;
      if (!r.ok() || !r.value().errors.empty()) {
        ++failed;
      } else {
        values += static_cast<long>(r.value().values.size());
      }
      due += std::chrono::duration_cast<std::chrono::nanoseconds>(period);
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = bench::cpu_seconds() - cpu0;
    std::printf(
        "bench_modbus_tcp target_points_per_s=%.0f achieved_points_per_s=%.0f "
        "transactions_per_s=%.0f failed_reads=%ld cpu_pct_of_core=%.1f rss_kib=%ld "
        "hwm_kib=%ld measured=in-process-driver cores=%ld\n",
        rate, values / wall, 2.0 * reads / wall, failed, 100.0 * cpu / wall,
        bench::status_kib("VmRSS"), bench::status_kib("VmHWM"), bench::cores());
    std::fflush(stdout);
    if (failed) status = 1;
  }
  driver->close();
  long requests = 0;  // cross-check of 2 transactions per meter read: the simulator counts
  sim->terminate();
  const std::string served = sim->log();
  if (auto at = served.find("served "); at != std::string::npos) {
    requests = std::atol(served.c_str() + at + 7);
  }
  std::printf("bench_modbus_tcp simulator_requests=%ld cores=%ld\n", requests, bench::cores());
  return status;
}
