// SPDX-License-Identifier: Apache-2.0
// Test helper: a ChannelSim of N meter nodes (subnet 1, nodes 1..N) running on its own thread
// on loopback, and a MessageLayer with one link to it. Node stats are read after stop().
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "core/clock.h"
#include "lonworks/sim/channel_sim.h"
#include "lonworks/transport/ip852_link.h"
#include "lonworks/transport/ls_udp_link.h"
#include "lonworks/transport/message_layer.h"

namespace meterd::lonworks::testing {

inline UdpAddress loopback(std::uint16_t port = 0) { return UdpAddress{0x7F000001, port}; }

class SimChannel {
 public:
  SimChannel(sim::SimLink link, int nodes, const Clock& clock, bool steady = true)
      : channel_(link, loopback(), clock), link_(link) {
    for (int n = 1; n <= nodes; ++n) {
      sim::SimNodeConfig config;
      config.address = {1, static_cast<std::uint8_t>(n)};
      config.neuron_id = {0x05, 0, 0, 0, 1, static_cast<std::uint8_t>(n)};
      config.energy_wh = 1'000'000 + n * 1000;
      config.load_w = 500 + n * 100;
      config.vary = !steady;
      channel_.add_node(config);
    }
    if (!channel_.open()) throw std::runtime_error("sim socket");
  }
  ~SimChannel() { stop(); }
  // Faults are set before start().
  sim::ChannelSim& channel() { return channel_; }
  void start() {
    thread_ = std::thread([this] { channel_.run(stop_); });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::unique_ptr<Link> make_link(const Clock& clock) {
    if (link_ == sim::SimLink::kLsUdp) {
      return std::make_unique<LsUdpLink>(loopback(), channel_.address());
    }
    return std::make_unique<Ip852Link>(loopback(), std::vector<UdpAddress>{channel_.address()},
                                       0xC0FFEE, clock);
  }

 private:
  sim::ChannelSim channel_;
  sim::SimLink link_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace meterd::lonworks::testing
