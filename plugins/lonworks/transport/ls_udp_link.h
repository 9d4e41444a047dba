// SPDX-License-Identifier: Apache-2.0
// LS/UDP link: every message goes to one peer (an IzoT device, a LON/IP interface, or the
// simulator), with the arbitrary source address so no IP mapping is needed.
#pragma once

#include "lonworks/transport/link.h"

namespace meterd::lonworks {

class LsUdpLink final : public Link {
 public:
  LsUdpLink(UdpAddress local, UdpAddress peer) : local_(local), peer_(peer) {}
  Status open() override { return endpoint_.open(local_); }
  Status send(const LonMessage& message) override;
  std::optional<LonMessage> poll() override;
  std::string name() const override { return "ls_udp " + to_string(peer_); }

 private:
  UdpAddress local_;
  UdpAddress peer_;
};

}  // namespace meterd::lonworks
