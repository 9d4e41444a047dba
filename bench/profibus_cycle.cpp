// SPDX-License-Identifier: Apache-2.0
// DP cycle of the profibus driver: N slaves (default 16) with 32 input bytes and 1 output byte
// each (the generic profile) at 19.2 kbit/s, against the wire-time floor. The pty carries
// bytes at once, so the in-process simulator holds each reply back for the wire time of
// request and reply (11 bits a character) plus its TSDR; the floor per exchange is that plus
// the TSYN the master must leave idle before each request: what a perfect master on a perfect
// line would take. Prints cycle times and floor / cycle (goal >= 0.90).
//
//   bench_profibus_cycle [--cycles N] [--slaves N] [--tsdr-bits N]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "config/yaml_to_settings.h"
#include "profibus/codec/requests.h"
#include "profibus/driver/profibus_driver.h"
#include "profibus/sim/line_sim.h"
#include "profibus/transport/uart_phy.h"
#include "support/pty_pair.h"
#include "support/temp_dir.h"

using namespace meterd;
using namespace meterd::profibus;
using namespace std::chrono;

namespace {

constexpr int kBaud = 19200;
constexpr int kBitsPerChar = 11;
constexpr int kTsyn = 33;

std::shared_ptr<const Profile> generic_profile() {
  const std::string path =
      std::string(METERD_SOURCE_DIR) + "/config/profiles/profibus-generic.yaml";
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  ConfigErrors errors;
  auto tree = yaml_to_settings(text.str(), path, errors);
  auto profile = read_profile(*tree, "generic", errors);
  if (!profile) {
    std::fprintf(stderr, "profile: %s\n", errors.all().front().to_string().c_str());
    std::exit(1);
  }
  return std::make_shared<const Profile>(std::move(*profile));
}

}  // namespace

int main(int argc, char** argv) {
  int cycles = 10;
  int slaves = 16;
  int tsdr_bits = 11;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--cycles")) cycles = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--slaves")) slaves = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--tsdr-bits")) tsdr_bits = std::stoi(argv[i + 1]);
  }
  const auto profile = generic_profile();
  test::TempDir dir("bench-profibus");
  test::PtyPair pty(dir.path());
  std::vector<std::unique_ptr<SimMeter>> meters;
  std::vector<ProfibusMeterConfig> configs;
  for (int i = 0; i < slaves; ++i) {
    SimMeterSpec spec;
    spec.address = static_cast<std::uint8_t>(3 + i);
    spec.profile = profile;
    meters.push_back(std::make_unique<SimMeter>(spec));
    configs.push_back({"m" + std::to_string(i), spec.address, 0, profile});
  }
  LineSim line(std::move(meters), LineTiming{kBaud, kBitsPerChar, tsdr_bits, true});
  const int fd = ::open(pty.b().c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  std::atomic<bool> stop{false};
  std::thread sim([&] { line.run(fd, stop); });

  ProfibusBusConfig bus;
  bus.name = "bench";
  bus.watchdog = seconds(10);
  bus.timing.min_slot_time = milliseconds(200);
  std::vector<PollGroupSpec> groups{{"all", {"energy_total", "power_total"}, seconds(1)}};
  ProfibusDriver driver(bus, configs, groups,
                        std::make_unique<UartPhy>(UartSettings{pty.a(), kBaud, false}), "");
  if (!driver.open().ok()) return 1;
  for (int i = 0; i < slaves; ++i) {
    if (!driver.read(static_cast<std::size_t>(i), 0).ok()) {
      std::fprintf(stderr, "slave %d did not come up\n", 3 + i);
      return 1;
    }
  }
  // Floor of one Data_Exchange: request (1 output byte) and reply (32 inputs) on the wire,
  // TSDR, TSYN.
  const std::vector<std::uint8_t> out(profile->output_bytes, 0);
  const std::size_t request = encoded_size(data_exchange_request(3, 2, 0, out));
  Telegram reply;
  reply.data.assign(profile->input_bytes, 0);
  const std::size_t reply_chars = encoded_size(reply);
  const auto exchange_bits =
      static_cast<std::int64_t>(request + reply_chars) * kBitsPerChar + tsdr_bits + kTsyn;
  const auto floor = microseconds(exchange_bits * 1'000'000 / kBaud) * slaves;
  std::vector<double> ms;
  for (int c = 0; c < cycles; ++c) {
    const auto start = steady_clock::now();
    for (int i = 0; i < slaves; ++i) {
      if (!driver.read(static_cast<std::size_t>(i), 0).ok()) {
        std::fprintf(stderr, "read of slave %d failed\n", 3 + i);
      }
    }
    ms.push_back(duration<double, std::milli>(steady_clock::now() - start).count());
  }
  stop = true;
  sim.join();
  ::close(fd);
  std::sort(ms.begin(), ms.end());
  const double floor_ms = duration<double, std::milli>(floor).count();
  std::printf("profibus DP cycle, %d slaves x %zu input bytes at %d bit/s, %d cycles\n", slaves,
              profile->input_bytes, kBaud, cycles);
  std::printf("  wire-time floor %.1f ms (%zu + %zu chars x 11 bits, TSDR %d, TSYN %d per slave)\n",
              floor_ms, request, reply_chars, tsdr_bits, kTsyn);
  std::printf("  cycle min %.1f ms, median %.1f ms, max %.1f ms\n", ms.front(), ms[ms.size() / 2],
              ms.back());
  std::printf("  floor / median cycle = %.3f (goal >= 0.90)\n", floor_ms / ms[ms.size() / 2]);
  return 0;
}
