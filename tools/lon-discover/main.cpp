// SPDX-License-Identifier: Apache-2.0
// lon-discover: lists the LON nodes answering on a channel, so an integrator can write the
// configuration: a Query ID request to the whole domain over LS/UDP or IP-852, and every
// service-pin message heard meanwhile. One line per node: link, subnet/node, Neuron ID,
// program ID.
//
//   lon-discover (--ls-udp HOST:PORT | --ip852 HOST:PORT) [--domain HEX] [--subnet N]
//                [--node N] [--wait-ms 2000] [--selector 3]
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "lonworks/codec/ip852.h"
#include "lonworks/codec/ls_udp.h"
#include "lonworks/transport/ip852_link.h"
#include "lonworks/transport/ls_udp_link.h"
#include "lonworks/transport/message_layer.h"

using namespace meterd;
using namespace meterd::lonworks;

namespace {

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "lon-discover: %s\nusage: lon-discover (--ls-udp HOST:PORT | --ip852 HOST:PORT) "
               "[--domain HEX] [--subnet N] [--node N] [--wait-ms 2000] [--selector 3]\n",
               problem.c_str());
  std::exit(64);
}

std::string program_id(const ProgramId& id) {
  std::string text;
  char buf[4];
  for (auto b : id) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    text += buf;
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  SystemClock clock;
  std::unique_ptr<Link> link;
  MessageLayerConfig config;
  int wait_ms = 2000;
  int selector = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage(arg + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--ls-udp" || arg == "--ip852") {
      const bool ls = arg == "--ls-udp";
      auto address = parse_udp_address(value, ls ? kLsUdpPort : kIp852Port);
      if (!address) usage("bad address " + value);
      const UdpAddress any{0, 0};
      if (ls) {
        link = std::make_unique<LsUdpLink>(any, *address);
      } else {
        link =
            std::make_unique<Ip852Link>(any, std::vector<UdpAddress>{*address}, 0x6C6F6E64, clock);
      }
    } else if (arg == "--domain") {
      if (value.size() % 2 || value.size() > 12) usage("bad domain " + value);
      config.domain.length = static_cast<std::uint8_t>(value.size() / 2);
      if (!is_valid_domain_length(config.domain.length)) usage("bad domain length " + value);
      for (std::size_t b = 0; b < value.size(); b += 2) {
        config.domain.id[b / 2] =
            static_cast<std::uint8_t>(std::strtoul(value.substr(b, 2).c_str(), nullptr, 16));
      }
    } else if (arg == "--subnet") {
      config.self.subnet = static_cast<std::uint8_t>(std::atoi(value.c_str()));
    } else if (arg == "--node") {
      config.self.node = static_cast<std::uint8_t>(std::atoi(value.c_str()) & 0x7F);
    } else if (arg == "--wait-ms") {
      wait_ms = std::atoi(value.c_str());
    } else if (arg == "--selector") {
      selector = std::atoi(value.c_str());
    } else {
      usage("unknown argument " + arg);
    }
  }
  if (!link) usage("give --ls-udp or --ip852");
  const std::string name = link->name();
  std::vector<std::unique_ptr<Link>> links;
  links.push_back(std::move(link));
  MessageLayer layer(config, std::move(links), clock);
  if (auto opened = layer.open(); !opened) {
    std::fprintf(stderr, "lon-discover: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto responses = layer.broadcast_request(0, build_query_id(static_cast<std::uint8_t>(selector)),
                                           Millis(wait_ms));
  if (!responses) {
    std::fprintf(stderr, "lon-discover: %s\n", responses.error().message.c_str());
    return 1;
  }
  int found = 0;
  for (const auto& m : responses.value()) {
    auto identity = parse_identity(m.apdu);
    if (!identity) continue;
    std::printf("%s subnet %d node %d neuron_id %s program_id %s\n", name.c_str(), m.source.subnet,
                m.source.node, format_neuron_id(identity.value().neuron_id).c_str(),
                program_id(identity.value().program_id).c_str());
    ++found;
  }
  for (const auto& heard : layer.take_service_pins()) {
    std::printf("%s subnet %d node %d neuron_id %s program_id %s (service pin)\n", name.c_str(),
                heard.node.subnet, heard.node.node,
                format_neuron_id(heard.identity.neuron_id).c_str(),
                program_id(heard.identity.program_id).c_str());
    ++found;
  }
  std::fprintf(stderr, "lon-discover: %d node(s)\n", found);
  return found > 0 ? 0 : 2;
}
