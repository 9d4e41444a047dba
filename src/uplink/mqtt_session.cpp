// SPDX-License-Identifier: Apache-2.0
#include "uplink/mqtt_session.h"

#include <mqtt/async_client.h>
#include <mqtt/create_options.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <mutex>
#include <unordered_map>

#include "uplink/tcp_nodelay.h"

namespace meterd {

namespace asio = boost::asio;

namespace {

// How long a retired client is kept before it is destroyed: Paho may still be returning from
// a callback of that client on its own thread when the loop sees the posted event.
constexpr auto kRetireDelay = std::chrono::seconds(2);
constexpr auto kFailureLogInterval = std::chrono::seconds(60);

// The generation travels as Paho's opaque context pointer and is never dereferenced.
void* generation_context(std::uint32_t generation) {
  // NOLINTNEXTLINE(performance-no-int-to-ptr)
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>(generation));
}

}  // namespace

// Paho calls it on its own threads: it only posts to the loop. Token results (PUBACKs above
// all) are gathered in a queue and handed over by one post for all that arrived before the loop
// took them, so a drain's stream of PUBACKs costs a post per burst, not one per message.
class MqttSession::Listener final : public mqtt::iaction_listener {
 public:
  Listener(asio::io_context& loop, std::weak_ptr<int> alive, MqttSession* session,
           std::uint32_t generation)
      : loop_(loop), alive_(std::move(alive)), session_(session), generation_(generation) {}

  void on_success(const mqtt::token& token) override { post(&token, true, 0); }
  void on_failure(const mqtt::token& token) override {
    post(&token, false, token.get_return_code());
  }
  void on_lost(const std::string& cause) {
    asio::post(loop_, [alive = alive_, session = session_, generation = generation_, cause] {
      if (alive.lock()) session->on_connection_lost(generation, cause);
    });
  }
  // Not tagged with the generation: Paho acknowledged the message before this callback, so a
  // message of an older connection is still delivered rather than lost.
  void on_message(const mqtt::const_message_ptr& msg) {
    asio::post(loop_, [alive = alive_, session = session_, topic = msg->get_topic(),
                       payload = msg->get_payload_str()]() mutable {
      if (alive.lock()) session->on_message(topic, std::move(payload));
    });
  }

 private:
  struct TokenResult {
    const void* token;
    bool ok;
    int rc;
  };
  // Shared with the posted handler, which may run after the listener is gone.
  struct TokenQueue {
    std::mutex mutex;
    std::vector<TokenResult> results;
    bool posted = false;  // a handler is on its way to the loop and will take `results`
  };

  void post(const void* token, bool ok, int rc) {
    {
      std::lock_guard lock(queue_->mutex);
      queue_->results.push_back({token, ok, rc});
      if (queue_->posted) return;
      queue_->posted = true;
    }
    asio::post(loop_,
               [alive = alive_, session = session_, generation = generation_, queue = queue_] {
                 std::vector<TokenResult> results;
                 {
                   std::lock_guard lock(queue->mutex);
                   results.swap(queue->results);
                   queue->posted = false;
                 }
                 for (const TokenResult& r : results) {
                   if (!alive.lock()) return;  // a result's handler may have ended the session
                   session->on_token(generation, r.token, r.ok, r.rc);
                 }
               });
  }

  asio::io_context& loop_;
  std::weak_ptr<int> alive_;
  MqttSession* session_;
  std::uint32_t generation_;
  std::shared_ptr<TokenQueue> queue_ = std::make_shared<TokenQueue>();
};

struct MqttSession::Connection {
  struct Pending {
    mqtt::token_ptr token;  // held so the token's address stays unique until done
    Done done;
  };

  std::uint32_t generation = 0;
  std::string server;
  std::unique_ptr<Listener> listener;
  std::unique_ptr<mqtt::async_client> client;  // declared after the listener: destroyed first
  mqtt::token_ptr connect_token;
  std::unordered_map<const void*, Pending> pending;
  std::chrono::steady_clock::time_point retired_at{};
};

MqttSession::MqttSession(asio::io_context& loop, SessionOptions options, Handlers handlers)
    : loop_(loop),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      alive_(std::make_shared<int>(0)),
      timer_(loop),
      backoff_(options_.reconnect_min, options_.reconnect_max, options_.servers.size()),
      rng_(std::random_device{}()) {}

MqttSession::~MqttSession() {
  alive_.reset();
  timer_.cancel();
  current_.reset();
  retired_.clear();
}

std::string MqttSession::server() const {
  return state_ == State::kConnected && current_ ? current_->server : std::string();
}

double MqttSession::jitter() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

void MqttSession::add_subscription(std::string topic_filter) {
  subscriptions_.push_back(std::move(topic_filter));
}

void MqttSession::start() {
  if (state_ != State::kIdle) return;
  if (options_.servers.empty()) {
    spdlog::error("uplink: no MQTT server configured");
    state_ = State::kStopped;
    return;
  }
  attempt_connect();
}

void MqttSession::attempt_connect() {
  // Every retired client goes before a new one is made: Paho keeps session state by client
  // id, and destroying an old client of the same id while the new one is connected (with a
  // persistent session) silently drops the new one's subscription. Stale callbacks of the
  // old clients are already ignored by generation, and at least one backoff delay has passed.
  sweep_retired(true);
  state_ = State::kConnecting;
  granted_ = 0;
  auto conn = std::make_unique<Connection>();
  conn->generation = ++generation_;
  conn->server = options_.servers[backoff_.server()];
  conn->listener = std::make_unique<Listener>(loop_, alive_, this, conn->generation);
  try {
    mqtt::create_options create(MQTTVERSION_3_1_1);
    create.set_send_while_disconnected(false);  // the outbox is the only buffer
    // Paho counts publishes queued for its send thread against this even while connected:
    // room for the whole window, which the drain never exceeds.
    create.set_max_buffered_messages(options_.max_inflight);
    create.set_restore_messages(false);
    create.set_persist_qos0(false);
    conn->client = std::make_unique<mqtt::async_client>(conn->server, options_.client_id, create,
                                                        nullptr);  // no persistence
    Listener* listener = conn->listener.get();
    conn->client->set_connection_lost_handler(
        [listener](const std::string& cause) { listener->on_lost(cause); });
    conn->client->set_message_callback(
        [listener](const mqtt::const_message_ptr& msg) { listener->on_message(msg); });

    mqtt::connect_options opts;
    opts.set_mqtt_version(MQTTVERSION_3_1_1);
    // With subscriptions (commands) the broker session is persistent, so QoS 1 messages
    // published while the gateway is briefly away are queued by the broker and delivered on
    // reconnect; the client id is stable (configured or meterd-<gateway_id>). That is all the
    // session keeps: our publishes are QoS 1, which leaves no broker state after the PUBACK,
    // and every connection is a fresh Paho client without persistence, so nothing of ours is
    // replayed and the outbox drain alone resends unacknowledged rows (cursor rewind). Without
    // subscriptions there is nothing to keep and the session is clean, which also clears a
    // subscription left by an earlier run.
    opts.set_clean_session(subscriptions_.empty());
    opts.set_automatic_reconnect(false);
    opts.set_keep_alive_interval(options_.keepalive);
    opts.set_connect_timeout(
        std::clamp(options_.keepalive, std::chrono::seconds(5), std::chrono::seconds(30)));
    opts.set_max_inflight(options_.max_inflight);
    const std::string offline = options_.status_payload(false);
    opts.set_will(mqtt::will_options(options_.status_topic, offline, 1, true));
    if (options_.credentials) {
      opts.set_user_name(options_.credentials->first);
      opts.set_password(options_.credentials->second);
    }
    if (options_.tls.enabled) {
      mqtt::ssl_options ssl;
      if (!options_.tls.ca_file.empty()) ssl.set_trust_store(options_.tls.ca_file);
      if (!options_.tls.cert_file.empty()) ssl.set_key_store(options_.tls.cert_file);
      if (!options_.tls.key_file.empty()) ssl.set_private_key(options_.tls.key_file);
      ssl.set_enable_server_cert_auth(true);
      ssl.set_verify(options_.tls.verify_hostname);
      opts.set_ssl(std::move(ssl));
    }
    current_ = std::move(conn);
    current_->connect_token = current_->client->connect(
        opts, generation_context(current_->generation), *current_->listener);
  } catch (const mqtt::exception& e) {
    spdlog::error("uplink: cannot connect to {}: {}", options_.servers[backoff_.server()],
                  e.what());
    if (conn) current_ = std::move(conn);
    retire_current();
    schedule(backoff_.on_failure(jitter()));
  }
}

void MqttSession::schedule(ReconnectBackoff::Next next) {
  state_ = State::kWaiting;
  timer_.expires_after(next.delay);
  timer_.async_wait(
      [alive = std::weak_ptr<int>(alive_), this](const boost::system::error_code& ec) {
        if (ec || !alive.lock()) return;
        if (state_ == State::kWaiting) attempt_connect();
      });
}

void MqttSession::retire_current() {
  if (!current_) return;
  current_->pending.clear();
  current_->connect_token.reset();
  current_->retired_at = std::chrono::steady_clock::now();
  retired_.push_back(std::move(current_));
}

void MqttSession::sweep_retired(bool all) {
  const auto now = std::chrono::steady_clock::now();
  retired_.remove_if([&](const std::unique_ptr<Connection>& conn) {
    return all || now - conn->retired_at >= kRetireDelay;
  });
}

void MqttSession::on_token(std::uint32_t generation, const void* token, bool ok, int rc) {
  if (state_ == State::kStopped || !current_ || current_->generation != generation) return;
  if (current_->connect_token && token == current_->connect_token.get()) {
    if (state_ == State::kConnecting) on_connect_result(ok, rc);
    return;
  }
  auto it = current_->pending.find(token);
  if (it == current_->pending.end()) return;
  Done done = std::move(it->second.done);
  current_->pending.erase(it);
  if (done) done(ok);
}

void MqttSession::on_connect_result(bool ok, int rc) {
  if (!ok) {
    const auto now = std::chrono::steady_clock::now();
    ++failures_since_log_;
    if (backoff_.failures() == 0 || now - last_failure_log_ >= kFailureLogInterval) {
      spdlog::warn(
          "uplink: connect to {} failed: {} (rc {}; {} failed attempt(s) since the last "
          "report)",
          current_->server, mqtt::exception::error_str(rc), rc, failures_since_log_);
      last_failure_log_ = now;
      failures_since_log_ = 0;
    }
    retire_current();
    schedule(backoff_.on_failure(jitter()));
    return;
  }
  state_ = State::kConnected;
  backoff_.on_connected();
  if (ever_connected_) ++reconnects_;
  ever_connected_ = true;
  failures_since_log_ = 0;
  spdlog::info("uplink: connected to {}", current_->server);
  disable_nagle();
  publish(mqtt::make_message(options_.status_topic, options_.status_payload(true), 1, true),
          nullptr);
  subscribe_all();
  if (handlers_.connected) handlers_.connected();
}

// Before anything is published on the connection. Without it, a command's first result
// (written a few ms after Paho sent the command's 4-byte PUBACK) waits in the kernel until the
// broker's delayed ACK of that PUBACK (40 ms on Linux), and so does every publish that follows
// a small one still unacknowledged.
void MqttSession::disable_nagle() {
  const auto endpoint = broker_endpoint(current_->server);
  if (!endpoint) return;  // not TCP (unix://)
  const int sockets = disable_nagle_towards(*endpoint);
  if (sockets == 0) {
    spdlog::warn(
        "uplink: found no socket to {} to set TCP_NODELAY on; publishes may wait for "
        "delayed ACKs (up to 40 ms each)",
        current_->server);
  } else {
    spdlog::debug("uplink: TCP_NODELAY set on {} socket(s) to {}", sockets, current_->server);
  }
}

// Subscribes on every connect, even when the broker resumed a persistent session: after a
// failover or a broker that lost its state the subscription would be missing otherwise. A
// refused subscription (an ACL, say) is logged and the connection kept: the outbox must keep
// draining; the next connection tries again.
void MqttSession::subscribe_all() {
  for (const auto& filter : subscriptions_) {
    try {
      auto token = current_->client->subscribe(filter, 1, generation_context(current_->generation),
                                               *current_->listener);
      track(std::move(token), [this, filter](bool ok) {
        if (ok) {
          ++granted_;
          spdlog::info("uplink: subscribed to {}", filter);
        } else {
          spdlog::error("uplink: subscription to {} failed on {}; retried on the next connection",
                        filter, current_->server);
        }
      });
    } catch (const mqtt::exception& e) {
      spdlog::error("uplink: cannot subscribe to {}: {}", filter, e.what());
    }
  }
}

void MqttSession::track(mqtt::token_ptr token, Done done) {
  const void* key = token.get();
  current_->pending.emplace(key, Connection::Pending{std::move(token), std::move(done)});
}

bool MqttSession::publish(mqtt::const_message_ptr msg, Done done) {
  if (state_ != State::kConnected) return false;
  try {
    track(current_->client->publish(std::move(msg), generation_context(current_->generation),
                                    *current_->listener),
          std::move(done));
    return true;
  } catch (const mqtt::exception& e) {
    spdlog::warn("uplink: publish refused: {}", e.what());
    return false;
  }
}

void MqttSession::on_connection_lost(std::uint32_t generation, const std::string& cause) {
  if (state_ != State::kConnected || !current_ || current_->generation != generation) return;
  lose(cause.empty() ? std::string("connection lost") : cause);
}

void MqttSession::on_message(const std::string& topic, std::string payload) {
  if (state_ == State::kStopped) {
    spdlog::warn("uplink: message on {} arrived after stop; dropped", topic);
    return;
  }
  if (handlers_.message) handlers_.message(topic, std::move(payload));
}

void MqttSession::drop(const std::string& why) {
  if (state_ != State::kConnected) return;
  try {
    current_->client->disconnect(0);  // closes the socket; the client is destroyed later
  } catch (const mqtt::exception&) {
    // Already disconnected: nothing to close.
  }
  lose(why);
}

void MqttSession::lose(const std::string& why) {
  spdlog::warn("uplink: connection to {} lost: {}", current_->server, why);
  granted_ = 0;
  retire_current();
  schedule(backoff_.on_lost(jitter()));
  if (handlers_.lost) handlers_.lost();
}

void MqttSession::stop(std::chrono::milliseconds timeout) {
  if (state_ == State::kStopped) return;
  const bool was_connected = state_ == State::kConnected;
  state_ = State::kStopped;
  timer_.cancel();
  if (was_connected && current_) {
    const auto half = timeout / 2;
    try {
      auto token = current_->client->publish(
          mqtt::make_message(options_.status_topic, options_.status_payload(false), 1, true));
      token->wait_for(half);
      current_->client->disconnect(half)->wait_for(half);
    } catch (const mqtt::exception& e) {
      spdlog::warn("uplink: clean disconnect failed: {}", e.what());
    }
    spdlog::info("uplink: disconnected from {}", current_->server);
  }
  current_.reset();
  sweep_retired(true);
}

}  // namespace meterd
