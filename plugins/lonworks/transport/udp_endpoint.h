// SPDX-License-Identifier: Apache-2.0
// One bound UDP socket (IPv4): send to an address, receive without blocking. The links own
// one each. Used by one thread at a time.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace meterd::lonworks {

struct UdpAddress {
  std::uint32_t ip = 0;  // host order
  std::uint16_t port = 0;
  friend bool operator==(const UdpAddress&, const UdpAddress&) = default;
};

// "127.0.0.1:2541" or "127.0.0.1" (with `default_port`); dotted IPv4 only.
std::optional<UdpAddress> parse_udp_address(const std::string& text, std::uint16_t default_port);
std::string to_string(const UdpAddress& address);

class UdpEndpoint {
 public:
  UdpEndpoint() = default;
  ~UdpEndpoint();
  UdpEndpoint(const UdpEndpoint&) = delete;
  UdpEndpoint& operator=(const UdpEndpoint&) = delete;

  Status open(const UdpAddress& local);
  void close();
  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  UdpAddress local_address() const;  // the bound port, after open
  Status send_to(const UdpAddress& to, std::span<const std::uint8_t> datagram);
  // One datagram if one is waiting; nullopt when none.
  std::optional<std::vector<std::uint8_t>> receive(UdpAddress* from = nullptr);

 private:
  int fd_ = -1;
};

}  // namespace meterd::lonworks
