// SPDX-License-Identifier: Apache-2.0
// The MQTT uplink: one Paho async session to the first reachable server of the list, the
// store-and-forward drain of the outbox, the retained status with birth message and last
// will, health publishing, the commands subscribed on cmd, and the detection of another client
// taking over our client id (a `client_id_conflict` event, a log line and a health field). Lives on
// the loop (an asio::io_context thread): every public method must be called on the loop; Paho
// callbacks are posted to it at once.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/app_config.h"
#include "store/store.h"

namespace meterd {

struct UplinkStats {
  bool connected = false;
  std::string server;          // the server currently connected to
  std::int64_t published = 0;  // outbox rows acknowledged by the broker
  std::int64_t publish_failures = 0;
  std::int64_t reconnects = 0;
  std::int64_t inflight = 0;           // outbox rows published, awaiting their PUBACK
  std::int64_t volatile_dropped = 0;   // publish_volatile() messages dropped while disconnected
  std::int64_t commands_received = 0;  // messages that arrived on cmd
  bool commands_subscribed = false;    // the broker granted the cmd subscription (connected)
  // Another client seems to use our client id (takeover_detector.h): now, and episodes since
  // start.
  bool client_id_conflict = false;
  std::int64_t client_id_conflicts = 0;
};

class Uplink {
 public:
  Uplink(boost::asio::io_context& loop, const AppConfig& config, Store& store);
  ~Uplink();
  // Subscribes to meterd/v1/<gateway_id>/cmd (QoS 1, persistent broker session) on every
  // connect; each message on it is handed to `handler`, on the loop, payload untouched. Call
  // before start(); without a handler nothing is subscribed.
  void set_command_handler(std::function<void(std::string payload)> handler);
  void start();
  // Publishes `offline` to status, disconnects; bounded by `timeout`.
  void stop(std::chrono::milliseconds timeout);
  // The store committed rows up to `max_seq`: drain them if connected.
  void on_outbox_committed(std::int64_t max_seq);
  // Publishes a message that is not stored under the topic root (health): QoS 1, retain
  // false; dropped (counted in volatile_dropped) when disconnected.
  void publish_volatile(const std::string& topic_suffix, const std::string& payload);
  UplinkStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meterd
