// SPDX-License-Identifier: Apache-2.0
// Command round trip: the time from publishing a command on cmd (QoS 1, PUBACK included) to
// receiving its final result on cmd/result, for N sequential commands against the real meterd
// and a real mosquitto on loopback. Cases: the sim plugin (query of one point, relay_open and
// relay_close alternately, recharge), and one DDSY1352 meter on modbus-sim over a pty with
// baud-accurate replies at 9600 and 115200 8N1 (relay_open/close alternately). For Modbus the
// wire time of the write and the read-back at that baud is printed beside the round trip, so
// the rest is the gateway's own overhead (journal commit, result commit, outbox, MQTT).
// The daemon keeps its default commit_interval (200ms) unless told otherwise; polling is
// hourly on the Modbus line so commands never queue behind a poll.
// The broker runs with set_tcp_nodelay, as a broker tuned for latency does: mosquitto's default
// leaves Nagle on, and then a command the broker forwards right after its PUBACK of the previous
// result waits for the gateway's delayed ACK of that PUBACK (40 ms). One sim row with the
// default shows what that costs.
// With idle_N > 0, idle_N more recharges go 1..2 s apart, so that each finds the link idle:
// Paho C's receive thread sleeps 100 ms after every second without traffic, in the gateway and
// in this client alike, and a message arriving then waits for the end of that sleep.
// Usage: bench_command_roundtrip [N] [commit_interval] [idle_N]   (default 500, 200ms, 0)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/broker.h"
#include "support/mqtt_collector.h"
#include "support/process.h"
#include "support/pty_pair.h"
#include "support/temp_dir.h"
#include "support/wait.h"
#include "system/command_harness.h"

namespace {

using namespace meterd;
using json = nlohmann::json;
using namespace std::chrono_literals;

struct Row {
  explicit Row(std::string n) : name(std::move(n)) {}
  std::string name;
  std::vector<double> ms;  // round trips of the commands that ended done
  int failed = 0;
  double bus_ms = -1;  // Modbus wire time per command; < 0 when not applicable
};

// a + b without `"literal" + std::string&&`, which GCC 12 at -O2 flags with a false
// -Wrestrict.
std::string cat(std::string a, const std::string& b) {
  a += b;
  return a;
}

std::string common_yaml(const std::string& broker_uri, const std::string& db,
                        const std::string& commit_interval) {
  std::ostringstream y;
  y << "gateway_id: gw-test\nlog_level: warn\nplugin_dir: " << METERD_PLUGIN_DIR << "\n"
    << "profile_dir: " << METERD_SOURCE_DIR << "/config/profiles\n"
    << "mqtt:\n  servers: [" << broker_uri << "]\n  reconnect_min: 100ms\n  reconnect_max: 1s\n"
    << "store:\n  path: " << db << "\n  commit_interval: " << commit_interval << "\n";
  return y.str();
}

std::string sim_site(const std::string& broker_uri, const std::string& db,
                     const std::string& commit_interval) {
  return common_yaml(broker_uri, db, commit_interval) +
         "poll_groups:\n  - {name: slow, interval: 10s, points: [energy_total, relay_closed]}\n"
         "buses:\n  - name: bus1\n    protocol: sim\n    seed: 1\n    meters:\n"
         "      - {id: \"b1-m{n}\", count: 3}\n"
         "billing:\n  utc_offset: \"+08:00\"\n  tariffs:\n    - {id: cheap, price: \"0.0100\"}\n"
         "  accounts:\n    - {id: A101, meters: [b1-m1, b1-m2], tariff: cheap, "
         "opening_balance: \"100.0000\"}\n";
}

std::string modbus_site(const std::string& broker_uri, const std::string& db,
                        const std::string& commit_interval, const std::string& device, int baud) {
  std::ostringstream y;
  y << common_yaml(broker_uri, db, commit_interval)
    << "poll_groups:\n  - {name: slow, interval: 1h, points: [energy_total, relay_closed]}\n"
    << "buses:\n  - name: line1\n    protocol: modbus\n    transport: rtu\n    device: " << device
    << "\n    baud: " << baud << "\n    parity: none\n    meters:\n"
    << "      - {id: m01, address: \"1\", profile: acrel-ddsy1352, timeout: 1s}\n";
  return y.str();
}

// Wire time of relay_open/close on the DDSY1352 profile: FC 0x10 write of 2 registers
// (13-char request, 8-char reply), then the read-back of relay_closed, which lies in the
// 48-register live block (8-char request, 101-char reply); 8N1 = 10 bits a character, and the
// t3.5 silence before each request (1.75 ms above 19200 baud).
double relay_bus_ms(int baud) {
  const double char_s = 10.0 / baud;
  const double t35_s = baud > 19200 ? 0.00175 : 3.5 * char_s;
  return ((13 + 8) + (8 + 5 + 2 * 48)) * char_s * 1e3 + 2 * t35_s * 1e3;
}

// Waits for the first telemetry of `meter`: the daemon has read it and, connected, has
// subscribed to cmd.
bool wait_ready(const std::string& broker_uri, const std::string& meter) {
  test::MqttCollector ready(broker_uri, "bench-ready", "meterd/v1/gw-test/meters/#");
  return ready.wait_until(
      [&](const test::MqttCollector::Messages& m) {
        for (const auto& msg : m) {
          if (msg.topic.ends_with(cat(cat("/", meter), "/telemetry"))) return true;
        }
        return false;
      },
      60s);
}

enum class BrokerNagle { kOff, kOn };

// Starts the broker; kOff adds set_tcp_nodelay to its configuration (mosquitto >= 2.0).
void start_broker(test::MosquittoBroker& broker, const std::filesystem::path& dir,
                  BrokerNagle nagle) {
  if (nagle == BrokerNagle::kOff) {
    std::ofstream(dir / "mosquitto.conf", std::ios::app) << "set_tcp_nodelay true\n";
  }
  broker.start();
}

// Runs `n` commands made by `make(i)` one after another, the i-th after `gap(i)`; the result
// collector is cleared after each so waiting stays cheap.
void measure(
    test::MqttCollector& results, int n, const std::function<json(int)>& make, Row& row,
    const std::function<std::chrono::milliseconds(int)>& gap = [](int) { return 0ms; }) {
  for (int i = 0; i < n; ++i) {
    std::this_thread::sleep_for(gap(i));
    const json command = make(i);
    const auto t0 = std::chrono::steady_clock::now();
    const json final = test::run_command(results, command, 20s);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (final.value("state", "") == "done") {
      row.ms.push_back(ms);
    } else {
      ++row.failed;
      std::fprintf(stderr, "%s: %s\n", command.value("id", "").c_str(), final.dump().c_str());
    }
    results.clear();
  }
}

json relay(const std::string& prefix, const std::string& meter, int i) {
  return test::make_command(prefix + std::to_string(i), i % 2 ? "relay_close" : "relay_open",
                            {{"meter", meter}});
}

json recharge(const std::string& prefix, int i) {
  return test::make_command(
      cat(prefix, std::to_string(i)), "recharge", {{"account", "A101"}},
      {{"order_id", cat(cat("o", prefix), std::to_string(i))}, {"amount", "1.0000"}});
}

// The sim cases; with the broker's Nagle on, the recharge only.
void sim_cases(int n, const std::string& commit_interval, BrokerNagle nagle, int idle_n,
               std::vector<Row>& rows) {
  test::TempDir dir("bench-cmd-sim");
  test::MosquittoBroker broker(dir.path() / "broker");
  start_broker(broker, dir.path() / "broker", nagle);
  std::ofstream(dir.file("meterd.yaml"))
      << sim_site(broker.uri(), dir.file("meterd.db"), commit_interval);
  test::ChildProcess daemon({METERD_BINARY, "--config", dir.file("meterd.yaml")},
                            dir.file("meterd.log"));
  if (!wait_ready(broker.uri(), "b1-m2")) throw std::runtime_error("sim daemon not ready");
  test::MqttCollector results(broker.uri(), "bench-results", test::kResultTopic);
  if (nagle == BrokerNagle::kOn) {
    rows.emplace_back("sim recharge, broker Nagle on");
    measure(
        results, n, [](int i) { return recharge("c", i); }, rows.back());
    daemon.terminate();
    return;
  }
  rows.emplace_back("sim query (1 point)");
  measure(
      results, n,
      [](int i) {
        return test::make_command(cat("q", std::to_string(i)), "query", {{"meter", "b1-m1"}},
                                  {{"points", {"energy_total"}}});
      },
      rows.back());
  rows.emplace_back("sim relay_open/close");
  measure(
      results, n, [](int i) { return relay("r", "b1-m3", i); }, rows.back());
  rows.emplace_back("sim recharge");
  measure(
      results, n, [](int i) { return recharge("c", i); }, rows.back());
  if (idle_n > 0) {
    // Gaps spread over 1..2 s, so the commands fall at every phase of Paho's 1.1 s cycle.
    rows.emplace_back("sim recharge, idle link");
    measure(
        results, idle_n, [](int i) { return recharge("i", i); }, rows.back(),
        [](int i) { return std::chrono::milliseconds(1000 + (i * 397) % 1000); });
  }
  daemon.terminate();
}

void modbus_case(int n, const std::string& commit_interval, int baud, std::vector<Row>& rows) {
  test::TempDir dir("bench-cmd-modbus");
  test::PtyPair pty(dir.path());
  test::ChildProcess sim({MODBUS_SIM_BINARY, "--profile",
                          std::string(METERD_SOURCE_DIR) + "/config/profiles/acrel-ddsy1352.yaml",
                          "--rtu", pty.b(), "--units", "1-1", "--wire-delay", "--baud",
                          std::to_string(baud), "--parity", "none", "--stop-bits", "1"},
                         dir.file("sim.log"));
  test::wait_for([&] { return sim.log().find("ready") != std::string::npos || !sim.is_running(); },
                 10s);
  if (!sim.is_running()) throw std::runtime_error(cat("modbus-sim failed: ", sim.log()));
  test::MosquittoBroker broker(dir.path() / "broker");
  start_broker(broker, dir.path() / "broker", BrokerNagle::kOff);
  std::ofstream(dir.file("meterd.yaml"))
      << modbus_site(broker.uri(), dir.file("meterd.db"), commit_interval, pty.a(), baud);
  test::ChildProcess daemon({METERD_BINARY, "--config", dir.file("meterd.yaml")},
                            dir.file("meterd.log"));
  if (!wait_ready(broker.uri(), "m01")) {
    throw std::runtime_error(cat("modbus daemon not ready:\n", daemon.log()));
  }
  test::MqttCollector results(broker.uri(), "bench-results", test::kResultTopic);
  rows.emplace_back(cat(cat("modbus ", std::to_string(baud)), " relay_open/close"));
  rows.back().bus_ms = relay_bus_ms(baud);
  measure(
      results, n, [](int i) { return relay("m", "m01", i); }, rows.back());
  daemon.terminate();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(v.size()) + 0.999999);
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 500;
  const std::string commit_interval = argc > 2 ? argv[2] : "200ms";
  const int idle_n = argc > 3 ? std::atoi(argv[3]) : 0;
  std::vector<Row> rows;
  try {
    sim_cases(n, commit_interval, BrokerNagle::kOff, idle_n, rows);
    sim_cases(n, commit_interval, BrokerNagle::kOn, 0, rows);
    modbus_case(n, commit_interval, 9600, rows);
    modbus_case(n, commit_interval, 115200, rows);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_command_roundtrip: %s\n", e.what());
    return 1;
  }
  std::printf("bench_command_roundtrip n=%d commit_interval=%s cores=%ld\n", n,
              commit_interval.c_str(), sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("%-31s %6s %8s %8s %8s %8s %12s\n", "case", "failed", "p50_ms", "p99_ms", "max_ms",
              "bus_ms", "p50-bus_ms");
  int failed = 0;
  for (const Row& r : rows) {
    failed += r.failed;
    const double p50 = percentile(r.ms, 0.50);
    std::printf("%-31s %6d %8.1f %8.1f %8.1f", r.name.c_str(), r.failed, p50,
                percentile(r.ms, 0.99), percentile(r.ms, 1.0));
    if (r.bus_ms >= 0) {
      std::printf(" %8.1f %12.1f\n", r.bus_ms, p50 - r.bus_ms);
    } else {
      std::printf(" %8s %12s\n", "-", "-");
    }
  }
  return failed == 0 ? 0 : 1;
}
