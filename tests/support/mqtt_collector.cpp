// SPDX-License-Identifier: Apache-2.0
#include "support/mqtt_collector.h"

#include <mqtt/async_client.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <string_view>

#include "uplink/tcp_nodelay.h"

namespace meterd::test {

namespace {

// Paho leaves Nagle on. Without this a publish right after the PUBACK of a received message (a
// command right after the previous command's result) waits for the broker's delayed ACK (40 ms),
// which benchmarks and latency tests would count against the daemon.
void disable_nagle(const std::string& server_uri) {
  if (const auto endpoint = broker_endpoint(server_uri)) disable_nagle_towards(*endpoint);
}

// The topic an outbox row has when it is published alone (docs/mqtt-api.md), under `root`.
std::string row_topic(const std::string& root, const nlohmann::json& row) {
  const std::string kind = row.value("kind", "");
  const std::string meter = row.value("meter", "");
  if (kind == "result") return root + "cmd/result";
  if (meter.empty()) return root + "events";
  return root + "meters/" + meter + (kind == "telemetry" ? "/telemetry" : "/events");
}

// One message per row of a pack; the message itself when it is not a pack of objects.
std::vector<CollectedMessage> unpack(CollectedMessage message) {
  std::vector<CollectedMessage> rows;
  static constexpr std::string_view kBatch = "/batch";
  const bool batch = message.topic.starts_with("meterd/v1/") && message.topic.ends_with(kBatch);
  nlohmann::json pack = batch ? message.json() : nlohmann::json(nlohmann::json::value_t::discarded);
  if (!pack.is_array() || pack.empty() ||
      !std::all_of(pack.begin(), pack.end(), [](const auto& row) { return row.is_object(); })) {
    rows.push_back(std::move(message));
    return rows;
  }
  const std::string root = message.topic.substr(0, message.topic.size() - kBatch.size() + 1);
  for (std::size_t i = 0; i < pack.size(); ++i) {
    rows.push_back(CollectedMessage{row_topic(root, pack[i]), pack[i].dump(), message.retained,
                                    message.qos, message.topic, pack.size(), i});
  }
  return rows;
}

}  // namespace

nlohmann::json CollectedMessage::json() const {
  return nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
}

MqttCollector::MqttCollector(std::string server_uri, std::string client_id,
                             std::string topic_filter, std::chrono::milliseconds timeout,
                             std::optional<std::pair<std::string, std::string>> credentials)
    : topic_filter_(std::move(topic_filter)),
      client_(std::make_unique<mqtt::async_client>(server_uri, client_id, nullptr)) {
  client_->set_message_callback([this](mqtt::const_message_ptr msg) {
    std::vector<CollectedMessage> rows = unpack(CollectedMessage{
        msg->get_topic(), msg->get_payload_str(), msg->is_retained(), msg->get_qos(), "", 0, 0});
    {
      std::lock_guard lock(inbox_mutex_);
      std::move(rows.begin(), rows.end(), std::back_inserter(inbox_));
    }
    arrived_.notify_all();
  });
  // The broker keeps the subscription in the persistent session; subscribing again after an
  // automatic reconnect covers a broker that lost it.
  client_->set_connected_handler([this, server_uri](const std::string&) {
    disable_nagle(server_uri);
    try {
      client_->subscribe(topic_filter_, 1);
    } catch (const mqtt::exception&) {
      // The connection went again; the next reconnect subscribes.
    }
  });
  auto opts = mqtt::connect_options_builder()
                  .clean_session(false)
                  .keep_alive_interval(std::chrono::seconds(5))
                  .automatic_reconnect(std::chrono::milliseconds(100), std::chrono::seconds(1))
                  .connect_timeout(timeout)
                  .finalize();
  if (credentials) {
    opts.set_user_name(credentials->first);
    opts.set_password(credentials->second);
  }
  try {
    if (!client_->connect(opts)->wait_for(timeout)) {
      throw std::runtime_error("MqttCollector: connect to " + server_uri + " timed out");
    }
    disable_nagle(server_uri);
    if (!client_->subscribe(topic_filter_, 1)->wait_for(timeout)) {
      throw std::runtime_error("MqttCollector: subscribe timed out");
    }
  } catch (const mqtt::exception& e) {
    throw std::runtime_error("MqttCollector: " + server_uri + ": " + e.what());
  }
}

MqttCollector::~MqttCollector() {
  try {
    client_->disable_callbacks();
    if (client_->is_connected()) client_->disconnect(0)->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
    // Going away anyway.
  }
}

void MqttCollector::absorb_inbox() const {
  Messages arrived;
  {
    std::lock_guard lock(inbox_mutex_);
    arrived.swap(inbox_);
  }
  messages_.insert(messages_.end(), std::make_move_iterator(arrived.begin()),
                   std::make_move_iterator(arrived.end()));
}

MqttCollector::Messages MqttCollector::messages() const {
  std::lock_guard lock(mutex_);
  absorb_inbox();
  return messages_;
}

MqttCollector::Messages MqttCollector::take() {
  std::lock_guard lock(mutex_);
  absorb_inbox();
  Messages out;
  out.swap(messages_);
  return out;
}

MqttCollector::Messages MqttCollector::messages_on(const std::string& topic) const {
  std::lock_guard lock(mutex_);
  absorb_inbox();
  Messages out;
  for (const auto& m : messages_) {
    if (m.topic == topic) out.push_back(m);
  }
  return out;
}

std::size_t MqttCollector::size() const {
  std::lock_guard lock(mutex_);
  absorb_inbox();
  return messages_.size();
}

void MqttCollector::clear() {
  std::lock_guard lock(mutex_);
  absorb_inbox();
  messages_.clear();
}

bool MqttCollector::connected() const { return client_->is_connected(); }

bool MqttCollector::publish(const std::string& topic, const std::string& payload,
                            std::chrono::milliseconds timeout) {
  try {
    return client_->publish(mqtt::make_message(topic, payload, 1, false))->wait_for(timeout);
  } catch (const mqtt::exception&) {
    return false;
  }
}

bool MqttCollector::wait_until(const std::function<bool(const Messages&)>& predicate,
                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const bool last = std::chrono::steady_clock::now() >= deadline;
    {
      // Everything that arrived meanwhile is judged at once, so the predicate runs once per
      // batch, not once per message.
      std::lock_guard lock(mutex_);
      absorb_inbox();
      if (predicate(messages_)) return true;
    }
    if (last) return false;
    std::unique_lock inbox_lock(inbox_mutex_);
    arrived_.wait_until(inbox_lock, deadline, [&] { return !inbox_.empty(); });
  }
}

bool MqttCollector::wait_for_count(const std::string& topic, std::size_t n,
                                   std::chrono::milliseconds timeout) {
  return wait_until(
      [&](const Messages& all) {
        std::size_t count = 0;
        for (const auto& m : all) count += m.topic == topic ? 1 : 0;
        return count >= n;
      },
      timeout);
}

}  // namespace meterd::test
