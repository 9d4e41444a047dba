// SPDX-License-Identifier: Apache-2.0
#include "lonworks/transport/ip852_link.h"

#include <algorithm>

namespace meterd::lonworks {

std::string Ip852Link::name() const {
  std::string text = "ip852";
  for (const auto& member : members_) text += " " + to_string(member);
  return text;
}

Status Ip852Link::send(const LonMessage& message) {
  Ip852Header header;
  header.session = session_;
  header.sequence = ++sequence_;
  header.timestamp = static_cast<std::uint32_t>(
      std::chrono::duration_cast<Millis>(clock_.steady_now().time_since_epoch()).count());
  auto datagram = encode_ip852_data(header, LinkHeader{}, message);
  if (!datagram) return datagram.error();
  for (const auto& member : members_) {
    if (Status sent = endpoint_.send_to(member, datagram.value()); !sent) return sent;
  }
  ++stats_.sent;
  return Ok{};
}

std::optional<LonMessage> Ip852Link::poll() {
  for (;;) {
    UdpAddress from;
    auto datagram = endpoint_.receive(&from);
    if (!datagram) return std::nullopt;
    if (std::none_of(members_.begin(), members_.end(),
                     [&](const UdpAddress& m) { return m.ip == from.ip; })) {
      ++stats_.unknown_sender;
      continue;
    }
    auto packet = decode_ip852(*datagram);
    if (!packet) {
      ++stats_.malformed;
      continue;
    }
    if (packet.value().header.type != ip852::kData) {
      ++stats_.not_data;
      continue;
    }
    auto data = decode_ip852_data(*datagram);
    if (!data) {
      ++stats_.malformed;
      continue;
    }
    ++stats_.received;
    return std::move(data.value().message);
  }
}

}  // namespace meterd::lonworks
