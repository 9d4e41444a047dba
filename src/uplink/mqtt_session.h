// SPDX-License-Identifier: Apache-2.0
// One MQTT session at a time over a list of servers: connects with Paho (no persistence, no
// offline buffering, no automatic reconnect), publishes the retained birth message on every
// connect with the offline status as last will, subscribes the registered topic filters (QoS 1)
// on every connect, reconnects with capped, jittered exponential backoff and fails over to the
// next server after a failed attempt.
//
// Runs on the loop: every method must be called there. Paho's callbacks are posted to the loop
// at once and tagged with the generation of the connection attempt they belong to; a callback
// of an older attempt is ignored, so a late one cannot disturb the current connection.
#pragma once

#include <mqtt/message.h>
#include <mqtt/token.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "config/app_config.h"
#include "uplink/reconnect_backoff.h"

namespace meterd {

struct SessionOptions {
  std::vector<std::string> servers;
  std::string client_id;
  std::optional<std::pair<std::string, std::string>> credentials;  // user, password
  TlsConfig tls;
  std::chrono::seconds keepalive{30};
  int max_inflight = 64;  // Paho's window: unacknowledged QoS 1 publishes on the wire
  std::chrono::milliseconds reconnect_min{500};
  std::chrono::milliseconds reconnect_max{30'000};
  std::string status_topic;
  // The retained status payload, built at connect time (birth) and at stop (offline).
  std::function<std::string(bool online)> status_payload;
};

class MqttSession {
 public:
  struct Handlers {
    std::function<void()> connected;  // after the birth message went out
    std::function<void()> lost;       // the connection is gone; a reconnect is scheduled
    // A message arrived on a subscribed filter. Paho has already acknowledged it to the broker.
    std::function<void(const std::string& topic, std::string payload)> message;
  };
  using Done = std::function<void(bool ok)>;

  MqttSession(boost::asio::io_context& loop, SessionOptions options, Handlers handlers);
  ~MqttSession();
  MqttSession(const MqttSession&) = delete;
  MqttSession& operator=(const MqttSession&) = delete;

  // Subscribes `topic_filter` with QoS 1 after every successful connect. With at least one
  // filter the broker session is persistent (see attempt_connect). Call before start().
  void add_subscription(std::string topic_filter);
  void start();
  // Publishes the offline status, disconnects and stops reconnecting; blocks the loop for at
  // most `timeout` (shutdown only).
  void stop(std::chrono::milliseconds timeout);
  // Sends `msg` on the current connection. `done` (may be empty) runs on the loop with the
  // broker's answer (PUBACK for QoS 1), unless the connection is gone by then: after `lost`,
  // no `done` of the old connection ever runs. False when not connected or Paho refused.
  bool publish(mqtt::const_message_ptr msg, Done done);
  // Gives up the current connection (e.g. a publish failed) and schedules a reconnect.
  void drop(const std::string& why);

  bool connected() const { return state_ == State::kConnected; }
  std::string server() const;  // empty when disconnected
  std::int64_t reconnects() const { return reconnects_; }
  // Connected and the broker granted every subscription on this connection.
  bool subscribed() const {
    return connected() && !subscriptions_.empty() && granted_ == subscriptions_.size();
  }

 private:
  struct Connection;
  class Listener;
  enum class State { kIdle, kConnecting, kConnected, kWaiting, kStopped };

  void attempt_connect();
  void schedule(ReconnectBackoff::Next next);
  void retire_current();
  void sweep_retired(bool all);
  void on_token(std::uint32_t generation, const void* token, bool ok, int rc);
  void on_connect_result(bool ok, int rc);
  void on_connection_lost(std::uint32_t generation, const std::string& cause);
  void on_message(const std::string& topic, std::string payload);
  void disable_nagle();
  void subscribe_all();
  void track(mqtt::token_ptr token, Done done);
  void lose(const std::string& why);
  double jitter();

  boost::asio::io_context& loop_;
  SessionOptions options_;
  Handlers handlers_;
  std::shared_ptr<int> alive_;  // posted callbacks hold a weak_ptr: none runs after destruction
  boost::asio::steady_timer timer_;
  ReconnectBackoff backoff_;
  std::minstd_rand rng_;
  State state_ = State::kIdle;
  std::uint32_t generation_ = 0;
  std::unique_ptr<Connection> current_;
  std::list<std::unique_ptr<Connection>> retired_;  // kept a while: Paho may still be in a callback
  std::vector<std::string> subscriptions_;
  std::size_t granted_ = 0;  // subscriptions granted on the current connection
  bool ever_connected_ = false;
  std::int64_t reconnects_ = 0;
  // Rate limit of connect-failure logs.
  std::chrono::steady_clock::time_point last_failure_log_{};
  int failures_since_log_ = 0;
};

}  // namespace meterd
