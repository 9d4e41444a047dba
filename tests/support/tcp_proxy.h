// SPDX-License-Identifier: Apache-2.0
// A TCP relay on 127.0.0.1 between a client under test and a server (the broker), so a test
// can break the network without touching either end: cut() drops every open connection
// abruptly (no MQTT DISCONNECT: the broker publishes the last will), set_refusing(true) turns
// new connections away as a partition would. Runs its own thread; methods are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

namespace meterd::test {

class TcpProxy {
 public:
  explicit TcpProxy(std::uint16_t upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::string uri() const;  // "tcp://127.0.0.1:<port>"
  // Closes every relayed connection now.
  void cut();
  // While true, new connections are accepted and closed at once.
  void set_refusing(bool refusing) { refusing_ = refusing; }
  // Connections relayed so far.
  int connections() const { return connections_; }

 private:
  void run();
  void wake();

  std::uint16_t upstream_port_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> cut_requested_{false};
  std::atomic<bool> refusing_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

}  // namespace meterd::test
