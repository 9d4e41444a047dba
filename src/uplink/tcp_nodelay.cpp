// SPDX-License-Identifier: Apache-2.0
#include "uplink/tcp_nodelay.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <vector>

namespace meterd {

namespace {

struct Scheme {
  std::string_view name;
  std::uint16_t default_port;
};

constexpr Scheme kSchemes[] = {{"tcp", 1883},   {"mqtt", 1883}, {"ssl", 8883},
                               {"mqtts", 8883}, {"ws", 80},     {"wss", 443}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

// The open file descriptors of this process (from /proc/self/fd), without the one used to list
// them.
std::vector<int> open_fds() {
  std::vector<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  const int own = ::dirfd(dir);
  while (const dirent* entry = ::readdir(dir)) {
    int fd = -1;
    const std::string_view name(entry->d_name);
    const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (ec == std::errc() && ptr == name.data() + name.size() && fd != own) fds.push_back(fd);
  }
  ::closedir(dir);
  return fds;
}

}  // namespace

std::optional<BrokerEndpoint> broker_endpoint(std::string_view server_uri) {
  const auto separator = server_uri.find("://");
  if (separator == std::string_view::npos) return std::nullopt;
  const std::string_view scheme_name = server_uri.substr(0, separator);
  const auto* scheme = std::find_if(std::begin(kSchemes), std::end(kSchemes),
                                    [&](const Scheme& s) { return iequals(s.name, scheme_name); });
  if (scheme == std::end(kSchemes)) return std::nullopt;

  std::string_view authority = server_uri.substr(separator + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  std::string_view host;
  std::string_view rest;  // what follows the host: empty or ":port"
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) rest = authority.substr(colon);
  }
  if (host.empty()) return std::nullopt;
  BrokerEndpoint endpoint{std::string(host), scheme->default_port};
  if (!rest.empty()) {
    if (rest.front() != ':') return std::nullopt;
    const auto port = parse_port(rest.substr(1));
    if (!port) return std::nullopt;
    endpoint.port = *port;
  }
  return endpoint;
}

bool peer_is(const sockaddr_storage& peer, const BrokerEndpoint& endpoint) {
  // The peer as an IPv4 or IPv6 address and port; an IPv4-mapped IPv6 peer as IPv4.
  std::optional<in_addr> peer4;
  std::optional<in6_addr> peer6;
  std::uint16_t peer_port = 0;
  if (peer.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(peer);
    peer4 = sin.sin_addr;
    peer_port = ntohs(sin.sin_port);
  } else if (peer.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(peer);
    peer_port = ntohs(sin6.sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
      in_addr v4;
      std::memcpy(&v4, &sin6.sin6_addr.s6_addr[12], sizeof v4);
      peer4 = v4;
    } else {
      peer6 = sin6.sin6_addr;
    }
  } else {
    return false;
  }
  if (peer_port != endpoint.port) return false;

  in_addr host4;
  in6_addr host6;
  if (::inet_pton(AF_INET, endpoint.host.c_str(), &host4) == 1) {
    return peer4 && peer4->s_addr == host4.s_addr;
  }
  if (::inet_pton(AF_INET6, endpoint.host.c_str(), &host6) == 1) {
    if (IN6_IS_ADDR_V4MAPPED(&host6)) {
      return peer4 && std::memcmp(&peer4->s_addr, &host6.s6_addr[12], sizeof(in_addr)) == 0;
    }
    return peer6 && std::memcmp(&*peer6, &host6, sizeof host6) == 0;
  }
  return true;  // a host name: Paho resolved it; the port is what we can check without a lookup
}

int disable_nagle_towards(const BrokerEndpoint& endpoint) {
  int count = 0;
  for (const int fd : open_fds()) {
    int type = 0;
    socklen_t type_len = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_STREAM) {
      continue;  // not a socket, or not a stream
    }
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    if (!peer_is(peer, endpoint)) continue;
    const int on = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0) ++count;
  }
  return count;
}

}  // namespace meterd
