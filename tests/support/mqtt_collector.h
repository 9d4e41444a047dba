// SPDX-License-Identifier: Apache-2.0
// A test subscriber: a Paho client with a fixed client id and a persistent session
// (clean_session=false, QoS 1, automatic reconnect), so messages published while it is away
// (a broker restart) are queued by the broker and still arrive. Collects every message in
// arrival order; all methods are thread-safe.
//
// A pack of outbox rows (an array on meterd/v1/<gw>/batch, docs/mqtt-api.md#batch) is
// collected as one message per row, on the topic the row would have had alone and with the
// row's object as payload, in the pack's order; `packed_in` names the batch topic. Tests of
// other behaviour so see the same rows whether they arrived alone or packed.
//
// Paho's delivery thread only appends to an inbox under a lock of its own and never waits for a
// wait_until() predicate. A predicate that looks at every message (analyse_seqs parses them all)
// costs O(n) per evaluation; run once per arriving message while delivery waited for it, it
// throttled the ~4000 messages a broker had queued during an outage so much under ASan that
// they missed the test's deadline, which then reported them as lost.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mqtt {
class async_client;
}

namespace meterd::test {

struct CollectedMessage {
  std::string topic;
  std::string payload;
  bool retained = false;
  int qos = 0;
  std::string packed_in;       // the batch topic when this row arrived in a pack, else empty
  std::size_t pack_rows = 0;   // rows of that pack
  std::size_t pack_index = 0;  // this row's place in it, from 0
  // The payload parsed; a discarded value (is_discarded()) when it is not JSON.
  nlohmann::json json() const;
};

class MqttCollector {
 public:
  using Messages = std::vector<CollectedMessage>;

  // Connects to `server_uri` and subscribes to `topic_filter` with QoS 1; throws
  // std::runtime_error when that does not succeed within `timeout`. `credentials` (user name,
  // password) for brokers that refuse anonymous clients.
  MqttCollector(std::string server_uri, std::string client_id, std::string topic_filter,
                std::chrono::milliseconds timeout = std::chrono::seconds(10),
                std::optional<std::pair<std::string, std::string>> credentials = std::nullopt);
  ~MqttCollector();  // disconnects
  MqttCollector(const MqttCollector&) = delete;
  MqttCollector& operator=(const MqttCollector&) = delete;

  Messages messages() const;
  // Hands over the messages collected so far and forgets them: a long run's consumer keeps
  // only what it derives from them (bench_fleet's per-gateway tallies).
  Messages take();
  Messages messages_on(const std::string& topic) const;
  std::size_t size() const;
  void clear();
  bool connected() const;
  // Publishes with QoS 1 and waits for the PUBACK; false when it did not come in `timeout`.
  bool publish(const std::string& topic, const std::string& payload,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // True as soon as `predicate(messages)` holds (checked on every arrival), false after
  // `timeout`.
  bool wait_until(const std::function<bool(const Messages&)>& predicate,
                  std::chrono::milliseconds timeout);
  // Waits for at least `n` messages on `topic`.
  bool wait_for_count(const std::string& topic, std::size_t n, std::chrono::milliseconds timeout);

 private:
  // Moves the inbox to the end of messages_; mutex_ must be held.
  void absorb_inbox() const;

  std::string topic_filter_;
  std::unique_ptr<mqtt::async_client> client_;
  // Lock order: mutex_, then inbox_mutex_. Paho's thread takes inbox_mutex_ only.
  mutable std::mutex mutex_;
  mutable Messages messages_;  // guarded by mutex_
  mutable std::mutex inbox_mutex_;
  std::condition_variable arrived_;  // with inbox_mutex_
  mutable Messages inbox_;           // guarded by inbox_mutex_: arrived, not yet in messages_
};

}  // namespace meterd::test
