// SPDX-License-Identifier: Apache-2.0
#include "lonworks/transport/udp_endpoint.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace meterd::lonworks {

std::optional<UdpAddress> parse_udp_address(const std::string& text, std::uint16_t default_port) {
  const auto colon = text.rfind(':');
  const std::string host = colon == std::string::npos ? text : text.substr(0, colon);
  UdpAddress address{0, default_port};
  if (colon != std::string::npos) {
    const std::string port = text.substr(colon + 1);
    if (port.empty() || port.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 65535) return std::nullopt;
    address.port = static_cast<std::uint16_t>(value);
  }
  in_addr parsed{};
  if (inet_pton(AF_INET, host.c_str(), &parsed) != 1) return std::nullopt;
  address.ip = ntohl(parsed.s_addr);
  return address;
}

std::string to_string(const UdpAddress& a) {
  return std::to_string(a.ip >> 24) + "." + std::to_string((a.ip >> 16) & 0xFF) + "." +
         std::to_string((a.ip >> 8) & 0xFF) + "." + std::to_string(a.ip & 0xFF) + ":" +
         std::to_string(a.port);
}

namespace {
sockaddr_in to_sockaddr(const UdpAddress& a) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(a.port);
  sa.sin_addr.s_addr = htonl(a.ip);
  return sa;
}
}  // namespace

UdpEndpoint::~UdpEndpoint() { close(); }

Status UdpEndpoint::open(const UdpAddress& local) {
  close();
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    return make_error(ErrorKind::kBusError, std::string("socket: ") + std::strerror(errno));
  const sockaddr_in sa = to_sockaddr(local);
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    const int err = errno;
    close();
    return make_error(ErrorKind::kBusError, "bind " + to_string(local) + ": " + std::strerror(err));
  }
  return Ok{};
}

void UdpEndpoint::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

UdpAddress UdpEndpoint::local_address() const {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  if (fd_ < 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return {};
  return UdpAddress{ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port)};
}

Status UdpEndpoint::send_to(const UdpAddress& to, std::span<const std::uint8_t> datagram) {
  if (fd_ < 0) return make_error(ErrorKind::kBusError, "socket not open");
  const sockaddr_in sa = to_sockaddr(to);
  const ssize_t sent = ::sendto(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  if (sent < 0) {
    // A full socket buffer drops the datagram like a busy channel would: the retry covers it.
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED) return Ok{};
    return make_error(ErrorKind::kBusError,
                      "sendto " + to_string(to) + ": " + std::strerror(errno));
  }
  return Ok{};
}

std::optional<std::vector<std::uint8_t>> UdpEndpoint::receive(UdpAddress* from) {
  if (fd_ < 0) return std::nullopt;
  std::vector<std::uint8_t> buffer(2048);
  for (;;) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    const ssize_t got = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_TRUNC,
                                   reinterpret_cast<sockaddr*>(&sa), &len);
    if (got < 0) {
      // ECONNREFUSED: an earlier datagram hit a closed port; nothing to read, try again.
      if (errno == ECONNREFUSED || errno == EINTR) continue;
      return std::nullopt;
    }
    if (static_cast<std::size_t>(got) > buffer.size()) continue;  // oversized: not ours
    buffer.resize(static_cast<std::size_t>(got));
    if (from) *from = UdpAddress{ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port)};
    return buffer;
  }
}

}  // namespace meterd::lonworks
