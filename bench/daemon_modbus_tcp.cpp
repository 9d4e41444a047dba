// SPDX-License-Identifier: Apache-2.0
// The whole daemon over Modbus TCP: the real meterd polls modbus-sim (another process) on 4
// TCP connections (4 buses of 25 unit ids), 100 float32 points per meter (two reads of 100
// registers), every meter every `interval` (default 100 ms: 100 meters x 100 points / 0.1 s =
// 100,000 points/s), against a local mosquitto. After a warm-up it samples meterd's CPU time,
// per thread name (bus-*, meterd-store, the loop and Paho's threads under the process name),
// and RSS over a window, and reports the points/s it achieved from the store's telemetry count.
// Usage: bench_daemon_modbus_tcp [seconds] [interval_ms] [meters] [pipeline]
// (pipeline: the TCP buses' `pipeline` key, default 2: a meter's two reads in flight at once)
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "process_cpu.h"
#include "support/broker.h"
#include "support/mqtt_collector.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace {

constexpr int kPoints = 100;
constexpr int kBuses = 4;

void write_profile(const std::string& path) {
  std::ofstream y(path);
  y << "model: bench float32 x" << kPoints << "\nmax_gap: 8\nword_order: high_first\npoints:\n";
  for (int i = 0; i < kPoints; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "harmonic_%03d", i + 1);
    y << "  " << name << ": {address: " << 2 * i << ", type: float32, unit: \"%\"}\n";
  }
}

void write_site(const std::string& path, const std::string& broker_uri, const std::string& db,
                const std::string& profile_dir, const std::string& port, int meters,
                int interval_ms, int pipeline) {
  std::ofstream y(path);
  y << "gateway_id: bench\nlog_level: warn\nplugin_dir: " << METERD_PLUGIN_DIR << "\n"
    << "profile_dir: " << profile_dir << "\n"
    << "mqtt:\n  servers: [" << broker_uri << "]\n"
    << "store:\n  path: " << db << "\n  budget: 1GiB\n"
    << "poll_groups:\n  - {name: all, interval: " << interval_ms << "ms, points: [";
  for (int i = 0; i < kPoints; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "harmonic_%03d", i + 1);
    y << (i ? ", " : "") << name;
  }
  y << "]}\nbuses:\n";
  const int per_bus = meters / kBuses;
  for (int b = 0; b < kBuses; ++b) {
    y << "  - name: tcp" << b + 1 << "\n    protocol: modbus\n    transport: tcp\n"
      << "    host: 127.0.0.1\n    port: " << port << "\n    pipeline: " << pipeline
      << "\n    meters:\n"
      << "      - id: \"u{n}\"\n        count: " << per_bus
      << "\n        first: " << b * per_bus + 1
      << "\n        address: \"{n}\"\n        timeout: 500ms\n"
      << "        profile: float100\n";
  }
}

// CPU seconds per thread name of process `pid` (threads sharing a name are summed).
std::map<std::string, double> thread_cpu(pid_t pid) {
  std::map<std::string, double> by_name;
  std::error_code error;
  const std::string base = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(base, error)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (!std::getline(comm, name)) continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string skip;
    for (int field = 3; field < 14; ++field) fields >> skip;
    long long utime = 0;
    long long stime = 0;
    fields >> utime >> stime;
    by_name[name] += static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return by_name;
}

long status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

std::string read_port(meterd::test::ChildProcess& sim) {
  const std::string log = sim.log();
  const auto at = log.find("ready ");
  if (at == std::string::npos) return {};
  return log.substr(at + 6, log.find('\n', at) - at - 6);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace meterd;
  using namespace std::chrono;
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 30;
  const int interval_ms = argc > 2 ? std::atoi(argv[2]) : 100;
  const int meters = argc > 3 ? std::atoi(argv[3]) : 100;
  const int pipeline = argc > 4 ? std::atoi(argv[4]) : 2;
  if (seconds <= 0 || interval_ms <= 0 || meters < kBuses || meters % kBuses != 0 || pipeline < 1 ||
      pipeline > 16) {
    std::fprintf(stderr,
                 "usage: bench_daemon_modbus_tcp [seconds > 0] [interval_ms > 0] "
                 "[meters, a multiple of %d] [pipeline 1..16]\n",
                 kBuses);
    return 2;
  }
  test::TempDir dir("meterd-bench-mbtcp");
  std::filesystem::create_directories(dir.path() / "profiles");
  const std::string profile = (dir.path() / "profiles" / "float100.yaml").string();
  write_profile(profile);
  test::ChildProcess sim({MODBUS_SIM_BINARY, "--profile", profile, "--tcp", "0", "--units",
                          "1-" + std::to_string(meters), "--frozen"},
                         dir.file("sim.log"));
  if (!test::wait_for([&] { return !read_port(sim).empty() || !sim.is_running(); }, 10s) ||
      read_port(sim).empty()) {
    std::fprintf(stderr, "modbus-sim did not start: %s\n", sim.log().c_str());
    return 1;
  }
  test::MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  test::MqttCollector collector(broker.uri(), "bench-mbtcp", "meterd/v1/bench/#");
  const std::string config = dir.file("meterd.yaml");
  write_site(config, broker.uri(), dir.file("meterd.db"), (dir.path() / "profiles").string(),
             read_port(sim), meters, interval_ms, pipeline);
  test::ChildProcess daemon({METERD_BINARY, "--config", config}, dir.file("meterd.log"));
  const auto telemetry = [&] {
    std::size_t n = 0;
    for (const auto& m : collector.messages()) {
      if (m.topic.ends_with("/telemetry")) {
        ++n;
      } else if (m.topic.ends_with("/batch")) {
        n += m.json().size();
      }
    }
    return n;
  };
  if (!test::wait_for([&] { return telemetry() >= static_cast<std::size_t>(meters); }, 60s)) {
    std::fprintf(stderr, "no telemetry from every meter within 60 s\n%s\n", daemon.log().c_str());
    return 1;
  }
  std::this_thread::sleep_for(5s);  // warm-up past the first rounds and the store's growth

  const auto cpu0 = thread_cpu(daemon.pid());
  const double daemon0 = bench::process_cpu_seconds(daemon.pid());
  const double broker0 = bench::process_cpu_seconds(broker.pid());
  const double sim0 = bench::process_cpu_seconds(sim.pid());
  const std::size_t rows0 = telemetry();
  const auto t0 = steady_clock::now();
  long rss_max = 0;
  const long rss_first = status_kib(daemon.pid(), "VmRSS");
  while (steady_clock::now() - t0 < seconds * 1s) {
    std::this_thread::sleep_for(1s);
    rss_max = std::max(rss_max, status_kib(daemon.pid(), "VmRSS"));
  }
  const double wall = duration<double>(steady_clock::now() - t0).count();
  const double cpu = bench::process_cpu_seconds(daemon.pid()) - daemon0;
  const auto cpu1 = thread_cpu(daemon.pid());
  const double rows = static_cast<double>(telemetry() - rows0);
  std::printf(
      "bench_daemon_modbus_tcp cores=%ld meters=%d points=%d interval_ms=%d pipeline=%d "
      "window_s=%.0f "
      "points_per_s=%.0f meterd_cpu_pct_of_core=%.1f rss_start_kib=%ld rss_max_kib=%ld "
      "mosquitto_cpu_pct=%.1f sim_cpu_pct=%.1f\n",
      sysconf(_SC_NPROCESSORS_ONLN), meters, kPoints, interval_ms, pipeline, wall,
      rows * kPoints / wall, 100.0 * cpu / wall, rss_first, rss_max,
      100.0 * (bench::process_cpu_seconds(broker.pid()) - broker0) / wall,
      100.0 * (bench::process_cpu_seconds(sim.pid()) - sim0) / wall);
  for (const auto& [name, seconds_used] : cpu1) {
    const auto before = cpu0.find(name);
    const double used = seconds_used - (before == cpu0.end() ? 0.0 : before->second);
    std::printf("  thread %-15s %.1f%% of one core\n", name.c_str(), 100.0 * used / wall);
  }
  daemon.terminate();
  sim.terminate();
  return 0;
}
