// SPDX-License-Identifier: Apache-2.0
// A simulated LON channel on loopback UDP: many SimNodes behind one socket that speaks either
// LS/UDP (like a LON/IP interface) or IP-852 (like a CEA-852 router). Each datagram is decoded
// with the plugin's codec, handed to the nodes it addresses, and their replies go back to the
// sender on the same link. Faults per node: silent, late (replies held back), duplicate
// (each reply sent twice), wrong transaction id, malformed (a truncated reply). Runs on the
// thread that calls step()/run().
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "lonworks/sim/sim_node.h"
#include "lonworks/transport/udp_endpoint.h"

namespace meterd::lonworks::sim {

enum class SimLink { kLsUdp, kIp852 };

struct NodeFaults {
  bool silent = false;
  Millis late{0};  // replies held back this long
  bool duplicate = false;
  bool wrong_tid = false;
  bool malformed = false;
};

struct ChannelStats {
  std::uint64_t received = 0;
  std::uint64_t undecodable = 0;
  std::uint64_t replies = 0;
};

class ChannelSim {
 public:
  ChannelSim(SimLink link, UdpAddress bind, const Clock& clock);

  Status open();
  UdpAddress address() const { return endpoint_.local_address(); }
  SimNode& add_node(SimNodeConfig config);
  SimNode* find(SubnetNode address);
  std::vector<std::unique_ptr<SimNode>>& nodes() { return nodes_; }
  void set_faults(SubnetNode node, NodeFaults faults);
  NodeFaults faults(SubnetNode node) const;

  // Handles what arrives within `max_wait` and sends replies that fell due.
  void step(Millis max_wait);
  // Steps until `stop` is set.
  void run(const std::atomic<bool>& stop);
  const ChannelStats& stats() const { return stats_; }

 private:
  struct Pending {
    SteadyTime due;
    UdpAddress to;
    std::vector<std::uint8_t> datagram;
  };
  void deliver(const LonMessage& message, const UdpAddress& from);
  std::vector<std::uint8_t> encode(const LonMessage& message);

  SimLink link_;
  UdpAddress bind_;
  const Clock& clock_;
  UdpEndpoint endpoint_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::map<std::uint16_t, NodeFaults> faults_;
  std::deque<Pending> pending_;
  std::uint32_t sequence_ = 0;
  ChannelStats stats_;
};

}  // namespace meterd::lonworks::sim
