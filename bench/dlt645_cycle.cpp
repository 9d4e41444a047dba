// SPDX-License-Identifier: Apache-2.0
// Poll cycle of the dlt645 driver for 16 meters at 2400 baud 8E1 against the wire-time floor.
// The pty carries bytes at once, so the in-process simulator (PtyLineServer) holds each reply
// back for the wire time of request + reply at 2400 baud, 11 bits a character, plus a
// latency (the meter's turnaround). The floor is the sum of those delays over one cycle: what
// a perfect master on a perfect line would take. Prints the cycle times and their ratio to it.
//
//   bench_dlt645_cycle [--cycles N] [--latency-ms N] [--meters N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dlt645/codec/reply.h"
#include "dlt645/driver/dlt645_driver.h"
#include "pty_line_server.h"
#include "support/pty_pair.h"
#include "support/temp_dir.h"

namespace {

using namespace meterd;
using namespace meterd::dlt645;
using namespace std::chrono;

constexpr int kBaud = 2400;
constexpr int kBitsPerChar = 11;  // 8E1

const std::vector<std::string> kPoints = {"energy_total",  "balance",   "relay_closed",
                                          "voltage_a",     "current_a", "power_total",
                                          "purchase_count"};

Address address_of(int i) {
  char text[13];
  std::snprintf(text, sizeof text, "%012d", i + 1);
  return *parse_address(text);
}

// Wire time of one read of `format`'s DI from meter `to`, request and reply.
microseconds transaction_floor(const Address& to, const Dlt645PointFormat& format,
                               std::size_t preamble, microseconds latency) {
  const std::size_t request = build_read(to, format.id, preamble).size();
  const std::size_t payload =
      format.encoding == ValueEncoding::kStatusBit ? format.width : format.bcd.bytes;
  const std::vector<std::uint8_t> data(payload, 0);
  const std::size_t reply = encode_frame(make_read_reply(to, format.id, data)).value().size();
  const auto bits = static_cast<std::int64_t>(request + reply) * kBitsPerChar;
  return microseconds(bits * 1'000'000 / kBaud) + latency;
}

}  // namespace

int main(int argc, char** argv) {
  int cycles = 5;
  int latency_ms = 0;
  int meters = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--cycles")) cycles = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--latency-ms")) latency_ms = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--meters")) meters = std::stoi(argv[i + 1]);
  }
  const microseconds latency = milliseconds(latency_ms);
  SystemClock clock;
  test::TempDir dir("bench-dlt645");
  test::PtyPair pty(dir.path());
  testing::PtyLineServer server(pty.b(), clock);
  server.set_wire_delay({kBaud, kBitsPerChar, latency});
  server.with_line([&](LineSim& line) {
    for (int i = 0; i < meters; ++i) line.add_meter(SimMeter(address_of(i)));
    return 0;
  });

  Dlt645BusConfig bus;
  bus.name = "bench";
  bus.line.device = pty.a();
  bus.line.baud = kBaud;
  bus.line.parity = Parity::kNone;  // ptys may refuse even parity; the delay models 8E1
  const auto profile = std::make_shared<const Profile>(default_profile(Version::k2007));
  std::vector<Dlt645MeterConfig> configs;
  microseconds floor{0};
  for (int i = 0; i < meters; ++i) {
    Dlt645MeterConfig meter;
    meter.id = "m" + std::to_string(i + 1);
    meter.timeout = milliseconds(2000);
    meter.address = address_of(i);
    meter.profile = profile;
    configs.push_back(meter);
    for (const auto& point : kPoints) {
      floor += transaction_floor(address_of(i), *profile->find(point), bus.preamble, latency);
    }
  }
  Dlt645Driver driver(bus, configs, {{"cycle", kPoints, seconds(60)}}, clock);
  if (!driver.open()) {
    std::fprintf(stderr, "cannot open %s\n", pty.a().c_str());
    return 1;
  }
  std::vector<double> times_ms;
  std::size_t failures = 0;
  for (int c = 0; c < cycles; ++c) {
    const auto start = steady_clock::now();
    for (int m = 0; m < meters; ++m) {
      auto reading = driver.read(static_cast<std::size_t>(m), 0);
      if (!reading || !reading.value().errors.empty() ||
          reading.value().values.size() != kPoints.size()) {
        ++failures;
      }
    }
    times_ms.push_back(duration<double, std::milli>(steady_clock::now() - start).count());
  }
  std::sort(times_ms.begin(), times_ms.end());
  const double floor_ms = duration<double, std::milli>(floor).count();
  const double median = times_ms[times_ms.size() / 2];
  std::printf(
      "dlt645 poll cycle: %d meters x %zu points (%zu DIs each), %d baud 8E1, "
      "latency %d ms, %d cycles\n",
      meters, kPoints.size(), kPoints.size(), kBaud, latency_ms, cycles);
  std::printf("  floor (wire time + latency): %.1f ms\n", floor_ms);
  std::printf("  cycle min %.1f ms, median %.1f ms, max %.1f ms\n", times_ms.front(), median,
              times_ms.back());
  std::printf("  ratio median/floor: %.3f, overhead per transaction: %.2f ms\n", median / floor_ms,
              (median - floor_ms) / static_cast<double>(meters * static_cast<int>(kPoints.size())));
  std::printf("  failed meter reads: %zu\n", failures);
  return failures == 0 ? 0 : 1;
}
