// SPDX-License-Identifier: Apache-2.0
// IP-852 link: each message becomes a data packet sent to every member of the channel (the
// configured-repeater behaviour of a CEA-852 channel without a configuration server), with
// this gateway's session id and a sequence number per packet. Membership, routing and other
// configuration packets are counted and ignored: the member list is static configuration.
#pragma once

#include <vector>

#include "core/clock.h"
#include "lonworks/codec/ip852.h"
#include "lonworks/transport/link.h"

namespace meterd::lonworks {

class Ip852Link final : public Link {
 public:
  Ip852Link(UdpAddress local, std::vector<UdpAddress> members, std::uint32_t session,
            const Clock& clock)
      : local_(local), members_(std::move(members)), session_(session), clock_(clock) {}
  Status open() override { return endpoint_.open(local_); }
  Status send(const LonMessage& message) override;
  std::optional<LonMessage> poll() override;
  std::string name() const override;

 private:
  UdpAddress local_;
  std::vector<UdpAddress> members_;
  std::uint32_t session_;
  std::uint32_t sequence_ = 0;
  const Clock& clock_;
};

}  // namespace meterd::lonworks
