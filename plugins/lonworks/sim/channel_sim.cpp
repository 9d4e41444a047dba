// SPDX-License-Identifier: Apache-2.0
#include "lonworks/sim/channel_sim.h"

#include <poll.h>
#include <time.h>

#include <algorithm>

#include "lonworks/codec/ip852.h"
#include "lonworks/codec/ls_udp.h"

namespace meterd::lonworks::sim {

namespace {
std::uint16_t key_of(SubnetNode node) {
  return static_cast<std::uint16_t>(node.subnet << 8 | node.node);
}
}  // namespace

ChannelSim::ChannelSim(SimLink link, UdpAddress bind, const Clock& clock)
    : link_(link), bind_(bind), clock_(clock) {}

Status ChannelSim::open() { return endpoint_.open(bind_); }

SimNode& ChannelSim::add_node(SimNodeConfig config) {
  nodes_.push_back(std::make_unique<SimNode>(config, clock_.steady_now()));
  return *nodes_.back();
}

SimNode* ChannelSim::find(SubnetNode address) {
  for (auto& node : nodes_) {
    if (node->config().address == address) return node.get();
  }
  return nullptr;
}

void ChannelSim::set_faults(SubnetNode node, NodeFaults faults) { faults_[key_of(node)] = faults; }

NodeFaults ChannelSim::faults(SubnetNode node) const {
  auto it = faults_.find(key_of(node));
  return it == faults_.end() ? NodeFaults{} : it->second;
}

std::vector<std::uint8_t> ChannelSim::encode(const LonMessage& message) {
  if (link_ == SimLink::kLsUdp) {
    auto datagram = encode_ls_udp(message);
    return datagram ? std::move(datagram.value()) : std::vector<std::uint8_t>{};
  }
  Ip852Header header;
  header.session = 0x51A1C0DE;
  header.sequence = ++sequence_;
  auto datagram = encode_ip852_data(header, LinkHeader{}, message);
  return datagram ? std::move(datagram.value()) : std::vector<std::uint8_t>{};
}

void ChannelSim::deliver(const LonMessage& message, const UdpAddress& from) {
  const SteadyTime now = clock_.steady_now();
  for (auto& node : nodes_) {
    if (!node->addressed(message.dest)) continue;
    const NodeFaults f = faults(node->config().address);
    if (f.silent) continue;
    for (LonMessage reply : node->handle(message, now)) {
      if (f.wrong_tid)
        reply.transaction_id = static_cast<std::uint8_t>((reply.transaction_id + 1) & 0x0F);
      std::vector<std::uint8_t> datagram = encode(reply);
      if (datagram.empty()) continue;
      if (f.malformed) datagram.resize(datagram.size() - std::min<std::size_t>(datagram.size(), 3));
      const int copies = f.duplicate ? 2 : 1;
      for (int i = 0; i < copies; ++i) pending_.push_back({now + f.late, from, datagram});
    }
  }
}

void ChannelSim::step(Millis max_wait) {
  SteadyTime wake = clock_.steady_now() + max_wait;
  for (const auto& p : pending_) wake = std::min(wake, p.due);
  const auto left = std::max<std::int64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(wake - clock_.steady_now()).count(), 0);
  const timespec timeout{static_cast<time_t>(left / 1'000'000'000),
                         static_cast<long>(left % 1'000'000'000)};
  pollfd fd{endpoint_.fd(), POLLIN, 0};
  ::ppoll(&fd, 1, &timeout, nullptr);
  for (int n = 0; n < 1024; ++n) {
    UdpAddress from;
    auto datagram = endpoint_.receive(&from);
    if (!datagram) break;
    ++stats_.received;
    if (link_ == SimLink::kLsUdp) {
      auto message = decode_ls_udp(*datagram);
      if (!message) {
        ++stats_.undecodable;
        continue;
      }
      deliver(message.value(), from);
    } else {
      auto packet = decode_ip852(*datagram);
      if (!packet) {
        ++stats_.undecodable;
        continue;
      }
      if (packet.value().header.type != ip852::kData) continue;  // membership etc.: no server here
      auto data = decode_ip852_data(*datagram);
      if (!data) {
        ++stats_.undecodable;
        continue;
      }
      deliver(data.value().message, from);
    }
  }
  const SteadyTime now = clock_.steady_now();
  // Replies in due order; a late one does not hold back those after it.
  std::stable_sort(pending_.begin(), pending_.end(),
                   [](const Pending& a, const Pending& b) { return a.due < b.due; });
  while (!pending_.empty() && pending_.front().due <= now) {
    (void)endpoint_.send_to(pending_.front().to, pending_.front().datagram);
    ++stats_.replies;
    pending_.pop_front();
  }
}

void ChannelSim::run(const std::atomic<bool>& stop) {
  while (!stop.load()) step(Millis(20));
}

}  // namespace meterd::lonworks::sim
