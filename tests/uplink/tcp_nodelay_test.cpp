// SPDX-License-Identifier: Apache-2.0
// Finding Paho's broker sockets by their peer and turning Nagle off on them: the URI parsing,
// the peer match, and real loopback sockets of this process.
#include "uplink/tcp_nodelay.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace meterd {
namespace {

sockaddr_storage v4(const char* address, std::uint16_t port) {
  sockaddr_storage storage{};
  auto& sin = reinterpret_cast<sockaddr_in&>(storage);
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  if (::inet_pton(AF_INET, address, &sin.sin_addr) != 1) throw std::invalid_argument(address);
  return storage;
}

sockaddr_storage v6(const char* address, std::uint16_t port) {
  sockaddr_storage storage{};
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(storage);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  if (::inet_pton(AF_INET6, address, &sin6.sin6_addr) != 1) throw std::invalid_argument(address);
  return storage;
}

TEST(BrokerEndpoint, TakesHostAndPortOfTheUri) {
  const auto endpoint = broker_endpoint("tcp://broker.example.com:1884");
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->host, "broker.example.com");
  EXPECT_EQ(endpoint->port, 1884);
}

TEST(BrokerEndpoint, UsesTheDefaultPortOfEachScheme) {
  EXPECT_EQ(broker_endpoint("tcp://h")->port, 1883);
  EXPECT_EQ(broker_endpoint("mqtt://h")->port, 1883);
  EXPECT_EQ(broker_endpoint("ssl://h")->port, 8883);
  EXPECT_EQ(broker_endpoint("MQTTS://h")->port, 8883);
  EXPECT_EQ(broker_endpoint("ws://h/mqtt")->port, 80);
  EXPECT_EQ(broker_endpoint("wss://h:9443/mqtt")->port, 9443);
}

TEST(BrokerEndpoint, StripsTheBracketsOfAnIpv6Literal) {
  const auto endpoint = broker_endpoint("ssl://[2001:db8::1]:8884");
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->host, "2001:db8::1");
  EXPECT_EQ(endpoint->port, 8884);
  EXPECT_EQ(broker_endpoint("tcp://[::1]")->port, 1883);
}

TEST(BrokerEndpoint, RefusesWhatIsNotATcpBrokerUri) {
  EXPECT_FALSE(broker_endpoint("unix:///run/mosquitto.sock"));
  EXPECT_FALSE(broker_endpoint("broker:1883"));
  EXPECT_FALSE(broker_endpoint("tcp://:1883"));
  EXPECT_FALSE(broker_endpoint("tcp://h:"));
  EXPECT_FALSE(broker_endpoint("tcp://h:0"));
  EXPECT_FALSE(broker_endpoint("tcp://h:65536"));
  EXPECT_FALSE(broker_endpoint("tcp://h:18x3"));
  EXPECT_FALSE(broker_endpoint("tcp://[::1"));
  EXPECT_FALSE(broker_endpoint("tcp://[::1]x"));
}

TEST(PeerIs, ComparesAddressAndPortOfAnIpLiteral) {
  const BrokerEndpoint endpoint{"10.0.0.5", 1883};
  EXPECT_TRUE(peer_is(v4("10.0.0.5", 1883), endpoint));
  EXPECT_FALSE(peer_is(v4("10.0.0.6", 1883), endpoint));
  EXPECT_FALSE(peer_is(v4("10.0.0.5", 1884), endpoint));
  EXPECT_TRUE(peer_is(v6("::ffff:10.0.0.5", 1883), endpoint));
  EXPECT_FALSE(peer_is(v6("::ffff:10.0.0.6", 1883), endpoint));

  const BrokerEndpoint endpoint6{"2001:db8::1", 8883};
  EXPECT_TRUE(peer_is(v6("2001:db8::1", 8883), endpoint6));
  EXPECT_FALSE(peer_is(v6("2001:db8::2", 8883), endpoint6));
  EXPECT_FALSE(peer_is(v4("10.0.0.5", 8883), endpoint6));
}

TEST(PeerIs, MatchesAnyAddressOnThePortOfAHostName) {
  const BrokerEndpoint endpoint{"broker.example.com", 8883};
  EXPECT_TRUE(peer_is(v4("192.0.2.7", 8883), endpoint));
  EXPECT_TRUE(peer_is(v6("2001:db8::7", 8883), endpoint));
  EXPECT_FALSE(peer_is(v4("192.0.2.7", 1883), endpoint));
  sockaddr_storage unix_peer{};
  unix_peer.ss_family = AF_UNIX;
  EXPECT_FALSE(peer_is(unix_peer, endpoint));
}

// A loopback listener, a client connected to it, and the server's end of that connection.
class LoopbackConnection {
 public:
  LoopbackConnection() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listener_, 1) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error(std::strerror(errno));
    }
    port_ = ntohs(address.sin_port);
    client_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (client_ < 0 ||
        ::connect(client_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error(std::strerror(errno));
    }
    server_ = ::accept(listener_, nullptr, nullptr);
    if (server_ < 0) throw std::runtime_error(std::strerror(errno));
  }
  ~LoopbackConnection() {
    ::close(server_);
    ::close(client_);
    ::close(listener_);
  }
  LoopbackConnection(const LoopbackConnection&) = delete;
  LoopbackConnection& operator=(const LoopbackConnection&) = delete;

  std::uint16_t port() const { return port_; }
  int client() const { return client_; }
  int server() const { return server_; }

 private:
  int listener_ = -1;
  int client_ = -1;
  int server_ = -1;
  std::uint16_t port_ = 0;
};

bool nodelay(int fd) {
  int value = 0;
  socklen_t length = sizeof value;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &length) != 0) {
    throw std::runtime_error(std::strerror(errno));
  }
  return value != 0;
}

TEST(DisableNagleTowards, SetsNodelayOnlyOnTheSocketsConnectedToTheBroker) {
  LoopbackConnection broker;
  LoopbackConnection other;
  ASSERT_FALSE(nodelay(broker.client()));

  EXPECT_EQ(disable_nagle_towards({"127.0.0.1", broker.port()}), 1);

  EXPECT_TRUE(nodelay(broker.client()));
  EXPECT_FALSE(nodelay(broker.server()));  // its peer is the client's ephemeral port
  EXPECT_FALSE(nodelay(other.client()));
  EXPECT_FALSE(nodelay(other.server()));
}

TEST(DisableNagleTowards, FindsTheSocketOfABrokerGivenByName) {
  LoopbackConnection broker;
  EXPECT_EQ(
      disable_nagle_towards(*broker_endpoint("tcp://localhost:" + std::to_string(broker.port()))),
      1);
  EXPECT_TRUE(nodelay(broker.client()));
}

TEST(DisableNagleTowards, FindsNothingWhenNoSocketGoesThere) {
  LoopbackConnection broker;
  EXPECT_EQ(disable_nagle_towards({"127.0.0.2", broker.port()}), 0);
  EXPECT_FALSE(nodelay(broker.client()));
}

}  // namespace
}  // namespace meterd
