// SPDX-License-Identifier: Apache-2.0
// LonWorks poll cycle: 64 simulated nodes x 8 NVs over LS/UDP on loopback, each node
// answering after a simulated 5 ms, polled by the message layer with 1, 8, 32 and 64
// transactions in flight (one per node). Reports the cycle time against the floor
// NV polls x latency / in flight, and the gateway thread's CPU per NV poll (the simulator
// runs on its own thread and is not counted).
//
//   bench_lonworks_cycle [--cycles N] [--latency-ms N] [--per-node N]
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "lonworks/sim/channel_sim.h"
#include "lonworks/transport/ls_udp_link.h"
#include "lonworks/transport/message_layer.h"

using namespace meterd;
using namespace meterd::lonworks;

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

constexpr int kNodes = 64;
constexpr std::uint16_t kNvs[] = {0, 1, 2, 3, 4, 5, 6, 8};

}  // namespace

int main(int argc, char** argv) {
  int cycles = 3;
  int latency_ms = 5;
  std::size_t per_node = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--cycles")
      cycles = std::atoi(argv[i + 1]);
    else if (arg == "--latency-ms")
      latency_ms = std::atoi(argv[i + 1]);
    else if (arg == "--per-node")
      per_node = static_cast<std::size_t>(std::atoi(argv[i + 1]));
  }
  SystemClock clock;
  const UdpAddress loopback{0x7F000001, 0};
  sim::ChannelSim channel(sim::SimLink::kLsUdp, loopback, clock);
  for (int n = 1; n <= kNodes; ++n) {
    sim::SimNodeConfig config;
    config.address = {1, static_cast<std::uint8_t>(n)};
    channel.add_node(config);
    channel.set_faults(config.address,
                       sim::NodeFaults{false, Millis(latency_ms), false, false, false});
  }
  if (!channel.open()) return 1;
  std::atomic<bool> stop{false};
  std::thread sim_thread([&] { channel.run(stop); });

  std::vector<LonRequest> requests;
  for (int n = 1; n <= kNodes; ++n) {
    for (std::uint16_t index : kNvs) {
      LonRequest r;
      r.node = {1, static_cast<std::uint8_t>(n)};
      r.apdu = encode_nv({selector_of_unbound_index(index), false, {}}).value();
      r.attempt_timeout = Millis(1000);
      r.retries = 0;
      requests.push_back(r);
    }
  }
  std::printf(
      "lonworks poll cycle: %d nodes x %zu NVs = %zu polls, node latency %d ms, "
      "%zu per node, %u cores\n",
      kNodes, std::size(kNvs), requests.size(), latency_ms, per_node,
      std::thread::hardware_concurrency());
  std::printf("%10s %12s %12s %8s %16s\n", "in flight", "cycle ms", "floor ms", "ratio",
              "CPU us/poll");
  int status = 0;
  for (std::size_t window : {1, 8, 32, 64}) {
    std::vector<std::unique_ptr<Link>> links;
    links.push_back(std::make_unique<LsUdpLink>(loopback, channel.address()));
    MessageLayerConfig config;
    config.max_in_flight = window;
    config.max_in_flight_per_node = per_node;
    MessageLayer layer(config, std::move(links), clock);
    if (!layer.open()) return 1;
    (void)layer.exchange(std::span(requests).first(kNodes));  // warm-up
    double wall = 0;
    double cpu = 0;
    std::size_t failed = 0;
    for (int c = 0; c < cycles; ++c) {
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = thread_cpu_seconds();
      const auto replies = layer.exchange(requests);
      cpu += thread_cpu_seconds() - c0;
      wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      for (const auto& reply : replies) failed += reply ? 0 : 1;
    }
    const double cycle_ms = wall / cycles * 1000;
    const double floor_ms = static_cast<double>(requests.size()) * latency_ms /
                            static_cast<double>(std::min(window, kNodes * per_node));
    std::printf("%10zu %12.1f %12.1f %8.2f %16.1f%s\n", window, cycle_ms, floor_ms,
                cycle_ms / floor_ms, cpu / cycles / static_cast<double>(requests.size()) * 1e6,
                failed ? "  (failures!)" : "");
    if (failed) status = 1;
  }
  stop = true;
  sim_thread.join();
  return status;
}
