// SPDX-License-Identifier: Apache-2.0
// A way onto a LON channel: sends LonTalk messages and yields the ones that arrive, over one
// UDP socket. Adapters: LsUdpLink (LS/UDP, one peer) and Ip852Link (IP-852 data packets to
// every channel member). Anything that does not decode is counted and dropped here, never
// passed on. Used by the bus thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "lonworks/codec/lon_message.h"
#include "lonworks/transport/udp_endpoint.h"

namespace meterd::lonworks {

struct LinkStats {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t malformed = 0;       // datagrams that did not decode
  std::uint64_t not_data = 0;        // IP-852 packets other than data (membership, routing ...)
  std::uint64_t unknown_sender = 0;  // from an address that is no peer of the link
};

class Link {
 public:
  virtual ~Link() = default;
  virtual Status open() = 0;
  virtual void close() { endpoint_.close(); }
  int fd() const { return endpoint_.fd(); }
  UdpAddress local_address() const { return endpoint_.local_address(); }
  virtual Status send(const LonMessage& message) = 0;
  // The next LonTalk message waiting on the socket, or nullopt when none is.
  virtual std::optional<LonMessage> poll() = 0;
  virtual std::string name() const = 0;
  const LinkStats& stats() const { return stats_; }

 protected:
  UdpEndpoint endpoint_;
  LinkStats stats_;
};

}  // namespace meterd::lonworks
