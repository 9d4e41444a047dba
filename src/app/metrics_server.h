// SPDX-License-Identifier: Apache-2.0
// The Prometheus /metrics endpoint: HTTP/1.1 on the daemon's loop (Boost.Beast), one request
// per connection. Hostile clients cannot hold the loop: headers are bounded, a request must
// arrive whole within the read deadline, and connections beyond the cap are closed at once.
// No exception leaves a handler. Works whatever the broker does (it reads only local stats).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace meterd {

struct MetricsServerSettings {
  std::string host;        // IP literal
  std::uint16_t port = 0;  // 0: any free port (tests)
  int max_connections = 8;
  std::chrono::milliseconds read_timeout{5'000};
  std::size_t header_limit = std::size_t{8} * 1024;
};

struct MetricsServerStats {
  std::int64_t scrapes = 0;
  std::int64_t bad_requests = 0;         // wrong path/method, malformed, too large, too slow
  std::int64_t refused_connections = 0;  // over the cap
};

class MetricsServer {
 public:
  // `render` builds the exposition text; it runs on the loop.
  MetricsServer(boost::asio::io_context& loop, MetricsServerSettings settings,
                std::function<std::string()> render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  // Binds and listens; throws std::runtime_error when the address cannot be bound.
  void start();
  void stop();
  std::uint16_t port() const;
  MetricsServerStats stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace meterd
