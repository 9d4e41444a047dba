// SPDX-License-Identifier: Apache-2.0
// Glues the session (connection), the drain (cursor and window) and the store together.
// Everything here runs on the loop; the store's callbacks are posted back to it.
#include "uplink/uplink.h"

#include <mqtt/message.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fstream>
#include <stdexcept>

#include "uplink/mqtt_session.h"
#include "uplink/outbox_drain.h"
#include "uplink/takeover_detector.h"
#include "uplink/topics.h"

namespace meterd {

namespace asio = boost::asio;

namespace {

// Room in Paho's window beyond the drain's, for the birth message and health publishes.
constexpr int kControlHeadroom = 8;
// Acknowledgements go to the store in batches: at most this many, or after this long.
constexpr std::size_t kAckBatch = 256;
constexpr auto kAckDelay = std::chrono::milliseconds(20);

std::pair<std::string, std::string> read_credentials(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    throw std::runtime_error("cannot read MQTT credentials file " + path);
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  const auto colon = line.find(':');
  if (colon == std::string::npos || colon == 0) {
    throw std::runtime_error("MQTT credentials file " + path + ": expected user:password");
  }
  return {line.substr(0, colon), line.substr(colon + 1)};
}

}  // namespace

class Uplink::Impl {
 public:
  Impl(asio::io_context& loop, const AppConfig& config, Store& store)
      : loop_(loop),
        store_(store),
        gateway_id_(config.gateway_id),
        store_id_(store.store_id()),
        root_(topic_root(config.gateway_id)),
        command_topic_(command_topic(root_)),
        batch_topic_(batch_topic(root_)),
        drain_(config.mqtt.max_inflight, config.mqtt.drain_batch, pack_limits(config.mqtt)),
        ack_timer_(loop) {
    SessionOptions options;
    options.servers = config.mqtt.servers;
    client_id_ =
        config.mqtt.client_id.empty() ? "meterd-" + config.gateway_id : config.mqtt.client_id;
    options.client_id = client_id_;
    if (!config.mqtt.credentials_file.empty()) {
      options.credentials = read_credentials(config.mqtt.credentials_file);
    }
    options.tls = config.mqtt.tls;
    options.keepalive = config.mqtt.keepalive;
    options.max_inflight = config.mqtt.max_inflight + kControlHeadroom;
    options.reconnect_min = config.mqtt.reconnect_min;
    options.reconnect_max = config.mqtt.reconnect_max;
    options.status_topic = root_ + "status";
    options.status_payload = [this](bool online) {
      return status_payload(online, origin(), to_unix_ms(clock_.wall_now()), METERD_VERSION);
    };
    session_ = std::make_unique<MqttSession>(
        loop, std::move(options),
        MqttSession::Handlers{[this] { on_connected(); }, [this] { on_lost(); },
                              [this](const std::string& topic, std::string payload) {
                                on_message(topic, std::move(payload));
                              }});
  }

  void set_command_handler(std::function<void(std::string)> handler) {
    if (!command_handler_) session_->add_subscription(command_topic_);
    command_handler_ = std::move(handler);
  }

  ~Impl() {
    alive_.reset();
    flush_acks();
  }

  void start() { session_->start(); }

  void stop(std::chrono::milliseconds timeout) {
    stopped_ = true;
    flush_acks();
    session_->stop(timeout);
    drain_.reset();
  }

  void on_outbox_committed(std::int64_t max_seq) {
    drain_.on_committed(max_seq);
    pump();
  }

  void publish_volatile(const std::string& suffix, const std::string& payload) {
    if (stopped_ || !session_->connected() ||
        !session_->publish(mqtt::make_message(root_ + suffix, payload, 1, false), nullptr)) {
      ++volatile_dropped_;
    }
  }

  UplinkStats stats() const {
    UplinkStats s;
    s.connected = session_->connected();
    s.server = session_->server();
    s.published = published_;
    s.publish_failures = publish_failures_;
    s.reconnects = session_->reconnects();
    s.inflight = static_cast<std::int64_t>(drain_.inflight_rows());
    s.volatile_dropped = volatile_dropped_;
    s.commands_received = commands_received_;
    s.commands_subscribed = session_->subscribed();
    s.client_id_conflict = takeover_.in_conflict(clock_.steady_now());
    s.client_id_conflicts = takeover_.episodes();
    return s;
  }

 private:
  MessageOrigin origin() const { return {gateway_id_, store_id_}; }

  void on_connected() {
    takeover_.on_connected(clock_.steady_now());
    drain_.reset();
    pump();
  }

  void on_lost() {
    drain_.reset();  // unacknowledged rows go out again on the next connection
    if (takeover_.on_lost(clock_.steady_now())) report_takeover();
  }

  // Once per episode: the broker says nothing about why it closed us, so this names the
  // likely cause for the operator; health carries the state while it lasts.
  void report_takeover() {
    const int losses = takeover_.recent_short_losses();
    const auto window = std::chrono::duration_cast<std::chrono::seconds>(TakeoverDetector::kWindow);
    spdlog::error(
        "uplink: client id '{}' conflict: the broker closed {} connections within seconds of "
        "connecting in the last {} s; another client (a second gateway with gateway_id '{}'?) is "
        "probably connecting with the same client id",
        client_id_, losses, window.count(), gateway_id_);
    const std::string details = "{\"client_id\":" + json_quote(client_id_) +
                                ",\"short_sessions\":" + std::to_string(losses) +
                                ",\"window_s\":" + std::to_string(window.count()) + "}";
    store_.append_event(Event{"client_id_conflict", "", clock_.wall_now(), details});
  }

  // Only cmd is subscribed; anything else (a broker that sends more) is ignored.
  void on_message(const std::string& topic, std::string payload) {
    if (topic != command_topic_ || !command_handler_) {
      spdlog::debug("uplink: ignored a message on {}", topic);
      return;
    }
    ++commands_received_;
    command_handler_(std::move(payload));
  }

  // The drain's packing limits: sizes are bounded by outbox_payload_bound with this origin.
  PackLimits pack_limits(const MqttConfig& mqtt) const {
    PackLimits limits;
    limits.min_rows = static_cast<std::size_t>(mqtt.pack_min_rows);
    limits.max_rows = static_cast<std::size_t>(mqtt.pack_max_rows);
    limits.max_bytes = mqtt.pack_max_bytes;
    limits.row_bytes = [this](const OutboxRow& row) { return outbox_payload_bound(origin(), row); };
    return limits;
  }

  // Publishes buffered rows while the window has room (a backlog in packs on batch, a row
  // alone on its own topic), then refills the buffer from the store.
  void pump() {
    if (stopped_ || !session_->connected()) return;
    for (auto rows = drain_.take_message(); !rows.empty(); rows = drain_.take_message()) {
      const std::int64_t seq = rows.front().seq;
      auto msg = rows.size() == 1
                     ? mqtt::make_message(outbox_topic(root_, rows.front()),
                                          outbox_payload(origin(), rows.front()), 1, false)
                     : mqtt::make_message(batch_topic_, pack_payload(origin(), rows), 1, false);
      const bool sent =
          session_->publish(std::move(msg), [this, seq](bool ok) { on_publish_result(seq, ok); });
      if (!sent) {
        ++publish_failures_;
        session_->drop("publish refused");
        return;
      }
    }
    if (auto fetch = drain_.take_fetch()) {
      store_.fetch_outbox(fetch->after_seq, fetch->limit,
                          [&loop = loop_, alive = std::weak_ptr<int>(alive_), this,
                           epoch = fetch->epoch](std::vector<OutboxRow> rows) {
                            asio::post(loop,
                                       [alive, this, epoch, rows = std::move(rows)]() mutable {
                                         if (!alive.lock()) return;
                                         drain_.on_fetched(epoch, std::move(rows));
                                         pump();
                                       });
                          });
    }
  }

  void on_publish_result(std::int64_t seq, bool ok) {
    if (!ok) {
      ++publish_failures_;
      session_->drop("publish of seq " + std::to_string(seq) + " failed");
      return;
    }
    if (std::vector<std::int64_t> seqs = drain_.on_acked(seq); !seqs.empty()) {
      published_ += static_cast<std::int64_t>(seqs.size());
      pending_acks_.insert(pending_acks_.end(), seqs.begin(), seqs.end());
      if (pending_acks_.size() >= kAckBatch) {
        flush_acks();
      } else if (!ack_timer_armed_) {
        ack_timer_armed_ = true;
        ack_timer_.expires_after(kAckDelay);
        ack_timer_.async_wait(
            [alive = std::weak_ptr<int>(alive_), this](const boost::system::error_code& ec) {
              if (ec || !alive.lock()) return;
              ack_timer_armed_ = false;
              flush_acks();
            });
      }
    }
    pump();
  }

  void flush_acks() {
    if (pending_acks_.empty()) return;
    store_.acknowledge(std::move(pending_acks_));
    pending_acks_.clear();
  }

  asio::io_context& loop_;
  Store& store_;
  SystemClock clock_;
  std::string gateway_id_;
  std::string store_id_;
  std::string client_id_;
  TakeoverDetector takeover_;
  std::string root_;
  std::string command_topic_;
  std::string batch_topic_;
  std::function<void(std::string)> command_handler_;
  OutboxDrain drain_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  asio::steady_timer ack_timer_;
  bool ack_timer_armed_ = false;
  std::vector<std::int64_t> pending_acks_;
  std::unique_ptr<MqttSession> session_;
  bool stopped_ = false;
  std::int64_t published_ = 0;
  std::int64_t publish_failures_ = 0;
  std::int64_t volatile_dropped_ = 0;
  std::int64_t commands_received_ = 0;
};

Uplink::Uplink(asio::io_context& loop, const AppConfig& config, Store& store)
    : impl_(std::make_unique<Impl>(loop, config, store)) {}
Uplink::~Uplink() = default;
void Uplink::set_command_handler(std::function<void(std::string payload)> handler) {
  impl_->set_command_handler(std::move(handler));
}
void Uplink::start() { impl_->start(); }
void Uplink::stop(std::chrono::milliseconds timeout) { impl_->stop(timeout); }
void Uplink::on_outbox_committed(std::int64_t max_seq) { impl_->on_outbox_committed(max_seq); }
void Uplink::publish_volatile(const std::string& topic_suffix, const std::string& payload) {
  impl_->publish_volatile(topic_suffix, payload);
}
UplinkStats Uplink::stats() const { return impl_->stats(); }

}  // namespace meterd
