// SPDX-License-Identifier: Apache-2.0
// lon-sim: simulated LON meter nodes (plugins/lonworks/sim) on loopback UDP, behind an LS/UDP
// interface and/or an IP-852 router.
//
//   lon-sim [--ls-udp HOST:PORT] [--ip852 HOST:PORT] [--ready-file PATH]
//           --nodes LINK:SUBNET/FIRST-LAST ...   (LINK: ls_udp | ip852)
//           [--domain HEX] [--latency-ms N] [--steady] [--relay-open]
//           [--fault SUBNET/NODE=silent|late:MS|duplicate|wrong-tid|malformed]
//           [--toggle-silent SUBNET/NODE]
//
// PORT 0 picks a free port; --ready-file then receives "ls_udp PORT" / "ip852 PORT" lines once
// the sockets are bound (written whole, by rename). Node s/n starts with energy
// 1000 kWh + s x 100 kWh + n kWh, a load of 500 W + n x 100 W (relay closed), voltage
// 230 V + n/10 V, power factor 0.95, 50 Hz; --steady holds the load flat (no curve), so
// values are exact. --latency-ms delays every reply. SIGUSR1 toggles the silence of the
// --toggle-silent nodes. Runs until SIGINT or SIGTERM; prints counters to stderr on exit.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "lonworks/sim/channel_sim.h"

namespace {

using namespace meterd::lonworks;
using namespace meterd::lonworks::sim;
using meterd::Millis;

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_toggle = 0;
void on_stop(int) { g_stop = 1; }
void on_toggle(int) { g_toggle = g_toggle + 1; }

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "lon-sim: %s\nusage: lon-sim [--ls-udp HOST:PORT] [--ip852 HOST:PORT] "
               "[--ready-file PATH] --nodes ls_udp|ip852:SUBNET/FIRST-LAST ... [--domain HEX] "
               "[--latency-ms N] [--steady] [--relay-open] [--fault SUBNET/NODE=KIND] "
               "[--toggle-silent SUBNET/NODE]\n",
               problem.c_str());
  std::exit(64);
}

int to_int(const std::string& text, const char* what) {
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 0 || value > 65535) {
    usage(std::string("bad ") + what + ": " + text);
  }
  return static_cast<int>(value);
}

SubnetNode to_node(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) usage("bad SUBNET/NODE: " + text);
  const int subnet = to_int(text.substr(0, slash), "subnet");
  const int node = to_int(text.substr(slash + 1), "node");
  if (subnet < 1 || subnet > 255 || node < 1 || node > 127) usage("bad SUBNET/NODE: " + text);
  return {static_cast<std::uint8_t>(subnet), static_cast<std::uint8_t>(node)};
}

struct NodeRange {
  SimLink link;
  std::uint8_t subnet;
  int first;
  int last;
};

NodeRange to_range(const std::string& text) {
  const auto colon = text.find(':');
  const auto slash = text.find('/');
  const auto dash = text.find('-', slash == std::string::npos ? 0 : slash);
  if (colon == std::string::npos || slash == std::string::npos) usage("bad --nodes: " + text);
  const std::string link = text.substr(0, colon);
  if (link != "ls_udp" && link != "ip852") usage("bad link in --nodes: " + text);
  NodeRange range{link == "ls_udp" ? SimLink::kLsUdp : SimLink::kIp852, 0, 0, 0};
  const int subnet = to_int(text.substr(colon + 1, slash - colon - 1), "subnet");
  if (subnet < 1 || subnet > 255) usage("bad subnet in --nodes: " + text);
  range.subnet = static_cast<std::uint8_t>(subnet);
  range.first = to_int(
      text.substr(slash + 1, dash == std::string::npos ? std::string::npos : dash - slash - 1),
      "node");
  range.last = dash == std::string::npos ? range.first : to_int(text.substr(dash + 1), "node");
  if (range.first < 1 || range.last > 127 || range.first > range.last) usage("bad range: " + text);
  return range;
}

std::pair<SubnetNode, NodeFaults> to_fault(const std::string& text, Millis latency) {
  const auto equals = text.find('=');
  if (equals == std::string::npos) usage("bad --fault: " + text);
  NodeFaults faults;
  faults.late = latency;
  const std::string kind = text.substr(equals + 1);
  if (kind == "silent")
    faults.silent = true;
  else if (kind.starts_with("late:"))
    faults.late = Millis(to_int(kind.substr(5), "late"));
  else if (kind == "duplicate")
    faults.duplicate = true;
  else if (kind == "wrong-tid")
    faults.wrong_tid = true;
  else if (kind == "malformed")
    faults.malformed = true;
  else
    usage("bad fault kind: " + kind);
  return {to_node(text.substr(0, equals)), faults};
}

Domain to_domain(const std::string& text) {
  Domain d;
  if (text.size() % 2 != 0 || text.size() > 12) usage("bad --domain: " + text);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    d.id[i / 2] = static_cast<std::uint8_t>(std::strtoul(text.substr(i, 2).c_str(), nullptr, 16));
  }
  d.length = static_cast<std::uint8_t>(text.size() / 2);
  if (!is_valid_domain_length(d.length)) usage("bad --domain length: " + text);
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<SimLink, UdpAddress> binds;
  std::string ready_file;
  std::vector<NodeRange> ranges;
  std::vector<std::string> fault_args;
  std::vector<SubnetNode> toggles;
  Domain domain;
  Millis latency{0};
  bool steady = false;
  bool relay_open = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--ls-udp" || arg == "--ip852") {
      const std::string text = value();
      auto address = parse_udp_address(text, 0);
      if (!address) usage("bad address: " + text);
      binds[arg == "--ls-udp" ? SimLink::kLsUdp : SimLink::kIp852] = *address;
    } else if (arg == "--ready-file")
      ready_file = value();
    else if (arg == "--nodes")
      ranges.push_back(to_range(value()));
    else if (arg == "--fault")
      fault_args.push_back(value());
    else if (arg == "--toggle-silent")
      toggles.push_back(to_node(value()));
    else if (arg == "--domain")
      domain = to_domain(value());
    else if (arg == "--latency-ms")
      latency = Millis(to_int(value(), "latency"));
    else if (arg == "--steady")
      steady = true;
    else if (arg == "--relay-open")
      relay_open = true;
    else
      usage("unknown argument " + arg);
  }
  if (ranges.empty()) usage("no --nodes");

  meterd::SystemClock clock;
  std::map<SimLink, std::unique_ptr<ChannelSim>> channels;
  for (const auto& range : ranges) {
    if (!binds.count(range.link)) usage("--nodes on a link without --ls-udp/--ip852");
    auto& channel = channels[range.link];
    if (!channel) channel = std::make_unique<ChannelSim>(range.link, binds[range.link], clock);
    for (int n = range.first; n <= range.last; ++n) {
      SimNodeConfig config;
      config.address = {range.subnet, static_cast<std::uint8_t>(n)};
      config.domain = domain;
      config.neuron_id = {
          0x05, 0x00,         static_cast<std::uint8_t>(range.link == SimLink::kIp852),
          0x00, range.subnet, static_cast<std::uint8_t>(n)};
      config.energy_wh = 1'000'000 + range.subnet * 100'000 + n * 1000;
      config.load_w = 500 + n * 100;
      config.vary = !steady;
      SimNode& node = channel->add_node(config);
      if (relay_open) {
        LonMessage open;
        open.domain = domain;
        open.source = {255, 127};
        open.dest = meterd::lonworks::to_node(config.address);
        open.service = Service::kUnackd;
        open.apdu =
            encode_nv({selector_of_unbound_index(nv::kRelayCommand), false, encode_switch(false)})
                .value();
        node.handle(open, clock.steady_now());
      }
      channel->set_faults(config.address, NodeFaults{false, latency, false, false, false});
    }
  }
  for (const auto& text : fault_args) {
    auto [node, faults] = to_fault(text, latency);
    for (auto& [link, channel] : channels) {
      if (channel->find(node)) channel->set_faults(node, faults);
    }
  }
  std::string ready;
  for (auto& [link, channel] : channels) {
    if (auto opened = channel->open(); !opened) {
      std::fprintf(stderr, "lon-sim: %s\n", opened.error().message.c_str());
      return 1;
    }
    const char* name = link == SimLink::kLsUdp ? "ls_udp" : "ip852";
    ready += std::string(name) + " " + std::to_string(channel->address().port) + "\n";
    std::fprintf(stderr, "lon-sim: %s on %s, %zu nodes\n", name,
                 to_string(channel->address()).c_str(), channel->nodes().size());
  }
  if (!ready_file.empty()) {
    std::ofstream(ready_file + ".tmp") << ready;
    std::rename((ready_file + ".tmp").c_str(), ready_file.c_str());
  }

  struct sigaction stop {};
  stop.sa_handler = on_stop;
  sigaction(SIGINT, &stop, nullptr);
  sigaction(SIGTERM, &stop, nullptr);
  struct sigaction toggle {};
  toggle.sa_handler = on_toggle;
  sigaction(SIGUSR1, &toggle, nullptr);
  int toggles_seen = 0;
  while (!g_stop) {
    if (g_toggle != toggles_seen) {
      toggles_seen = g_toggle;
      for (const auto& node : toggles) {
        for (auto& [link, channel] : channels) {
          if (!channel->find(node)) continue;
          NodeFaults f = channel->faults(node);
          f.silent = !f.silent;
          channel->set_faults(node, f);
          std::fprintf(stderr, "lon-sim: node %d/%d %s\n", node.subnet, node.node,
                       f.silent ? "silent" : "answering");
        }
      }
    }
    // Short steps: a single-threaded pair of channels must not hold one back for the other.
    for (auto& [link, channel] : channels) channel->step(Millis(channels.size() > 1 ? 2 : 20));
  }
  for (auto& [link, channel] : channels) {
    std::uint64_t polls = 0, updates = 0, duplicates = 0;
    for (const auto& node : channel->nodes()) {
      polls += node->stats().polls;
      updates += node->stats().updates;
      duplicates += node->stats().duplicates_answered;
    }
    std::fprintf(stderr,
                 "lon-sim: %s received %llu undecodable %llu replies %llu polls %llu updates %llu "
                 "duplicates answered %llu\n",
                 link == SimLink::kLsUdp ? "ls_udp" : "ip852",
                 static_cast<unsigned long long>(channel->stats().received),
                 static_cast<unsigned long long>(channel->stats().undecodable),
                 static_cast<unsigned long long>(channel->stats().replies),
                 static_cast<unsigned long long>(polls), static_cast<unsigned long long>(updates),
                 static_cast<unsigned long long>(duplicates));
  }
  return 0;
}
