// SPDX-License-Identifier: Apache-2.0
// Turns Nagle's algorithm off on the TCP connections Paho opened to a broker. Paho C never sets
// TCP_NODELAY, so a small PUBLISH written while an earlier small packet (the PUBACK of the
// command it answers) is still unacknowledged waits in the kernel for the broker's delayed ACK,
// 40 ms on Linux. Paho does not expose its socket, so the sockets are found by their peer: every
// connected TCP socket of this process whose peer is the broker's port, and its address when the
// URI names one. Any thread; reads /proc/self/fd, no network I/O (no name lookups).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meterd {

struct BrokerEndpoint {
  std::string host;  // as written in the URI, IPv6 without the brackets
  std::uint16_t port = 0;
};

// The host and port of a Paho server URI: tcp:// and mqtt:// (default port 1883), ssl:// and
// mqtts:// (8883), ws:// (80), wss:// (443). Nothing for other schemes (unix://) or a malformed
// URI.
std::optional<BrokerEndpoint> broker_endpoint(std::string_view server_uri);

// `peer` (from getpeername) is the endpoint: the same port, and the same address when the host
// is an IP literal (an IPv4-mapped IPv6 peer counts as IPv4). Any address for a host name.
bool peer_is(const sockaddr_storage& peer, const BrokerEndpoint& endpoint);

// Sets TCP_NODELAY on every TCP socket of this process whose peer is `endpoint`; returns how
// many sockets have it set now.
int disable_nagle_towards(const BrokerEndpoint& endpoint);

}  // namespace meterd
