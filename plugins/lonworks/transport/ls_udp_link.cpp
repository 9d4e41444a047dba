// SPDX-License-Identifier: Apache-2.0
#include "lonworks/transport/ls_udp_link.h"

#include "lonworks/codec/ls_udp.h"

namespace meterd::lonworks {

Status LsUdpLink::send(const LonMessage& message) {
  auto datagram = encode_ls_udp(message);
  if (!datagram) return datagram.error();
  Status sent = endpoint_.send_to(peer_, datagram.value());
  if (sent) ++stats_.sent;
  return sent;
}

std::optional<LonMessage> LsUdpLink::poll() {
  for (;;) {
    UdpAddress from;
    auto datagram = endpoint_.receive(&from);
    if (!datagram) return std::nullopt;
    if (from.ip != peer_.ip) {
      ++stats_.unknown_sender;
      continue;
    }
    auto message = decode_ls_udp(*datagram);
    if (!message) {
      ++stats_.malformed;
      continue;
    }
    ++stats_.received;
    return std::move(message.value());
  }
}

}  // namespace meterd::lonworks
