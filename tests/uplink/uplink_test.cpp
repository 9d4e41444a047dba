// SPDX-License-Identifier: Apache-2.0
// The uplink against real parts: a mosquitto broker started on a free port, the real Store on
// a SQLite file in a temp dir, and a subscriber that collects what the cloud would see.
#include "uplink/uplink.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <mqtt/async_client.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <cstdlib>
#include <future>
#include <set>
#include <thread>

#include "support/broker.h"
#include "support/mqtt_collector.h"
#include "support/net.h"
#include "support/tcp_proxy.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace meterd {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::CollectedMessage;
using test::MosquittoBroker;
using test::MqttCollector;
using test::TempDir;
using test::wait_for;

constexpr auto kDeadline = 20s;
const std::string kRoot = "meterd/v1/gw-test/";

// The seqs of the outbox messages received, in arrival order.
std::vector<std::int64_t> seqs_of(const MqttCollector::Messages& messages) {
  std::vector<std::int64_t> seqs;
  for (const auto& m : messages) {
    if (m.topic.find("/meters/") == std::string::npos) continue;
    const auto json = m.json();
    if (json.is_object() && json.contains("seq")) seqs.push_back(json["seq"].get<std::int64_t>());
  }
  return seqs;
}

std::size_t distinct(const std::vector<std::int64_t>& seqs) {
  return std::set<std::int64_t>(seqs.begin(), seqs.end()).size();
}

// Publishes `payload` on `topic` with QoS 1 as the cloud would, and waits for the PUBACK.
void publish_as_cloud(const std::string& server_uri, const std::string& topic,
                      const std::string& payload) {
  mqtt::async_client client(server_uri, "cloud-publisher", nullptr);
  auto opts = mqtt::connect_options_builder().clean_session(true).finalize();
  ASSERT_TRUE(client.connect(opts)->wait_for(kDeadline));
  ASSERT_TRUE(client.publish(mqtt::make_message(topic, payload, 1, false))->wait_for(kDeadline));
  client.disconnect()->wait_for(kDeadline);
}

// For each TCP socket of this process connected to 127.0.0.1:`port`: whether TCP_NODELAY is on.
std::vector<bool> nodelay_of_sockets_to(std::uint16_t port) {
  std::vector<bool> found;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return found;
  while (const dirent* entry = ::readdir(dir)) {
    const int fd = std::atoi(entry->d_name);
    sockaddr_in peer{};
    socklen_t length = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0 ||
        peer.sin_family != AF_INET || ntohs(peer.sin_port) != port) {
      continue;
    }
    int on = 0;
    length = sizeof on;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &length) == 0) found.push_back(on != 0);
  }
  ::closedir(dir);
  return found;
}

// Runs `f` on the loop thread and returns its result: the uplink lives on the loop.
template <typename F>
auto run_on(asio::io_context& loop, F f) {
  std::packaged_task<decltype(f())()> task(std::move(f));
  auto result = task.get_future();
  asio::post(loop, [&task] { task(); });
  return result.get();
}

class UplinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = std::make_unique<MosquittoBroker>(dir_.path());
    broker_->start();
    config_.gateway_id = "gw-test";
    config_.mqtt.servers = {broker_->uri()};
    config_.mqtt.keepalive = 2s;
    config_.mqtt.reconnect_min = 100ms;
    config_.mqtt.reconnect_max = 400ms;
    config_.mqtt.max_inflight = 8;  // small, so the window really limits
    config_.mqtt.drain_batch = 16;
    config_.store.path = dir_.file("meterd.db");
    config_.store.commit_interval = 20ms;
    store_ = std::make_unique<Store>(config_.store, clock_, [this](std::int64_t max_seq) {
      asio::post(loop_, [this, max_seq] {
        if (uplink_) uplink_->on_outbox_committed(max_seq);
      });
    });
    loop_thread_ = std::thread([this] { loop_.run(); });
  }

  void TearDown() override {
    run_on(loop_, [this] {
      if (uplink_) uplink_->stop(2s);
      uplink_.reset();
    });
    store_.reset();
    work_.reset();
    loop_.stop();
    loop_thread_.join();
  }

  void start_uplink() {
    run_on(loop_, [this] {
      uplink_ = std::make_unique<Uplink>(loop_, config_, *store_);
      // As the daemon does: with a command handler, so the broker session is persistent.
      uplink_->set_command_handler(
          [this](std::string payload) { commands_.push_back(std::move(payload)); });
      uplink_->start();
    });
  }
  UplinkStats stats() {
    return run_on(loop_, [this] { return uplink_->stats(); });
  }
  bool wait_connected() {
    return wait_for([this] { return stats().connected; }, kDeadline);
  }
  void append(int n, const std::string& meter = "m1") {
    for (int i = 0; i < n; ++i) {
      store_->append_row(OutboxKind::kTelemetry, meter, clock_.wall_now(),
                         R"({"i":)" + std::to_string(appended_++) + "}");
    }
  }
  bool wait_subscribed() {
    return wait_for([this] { return stats().commands_subscribed; }, kDeadline);
  }
  // The command payloads handed to the handler so far (the handler runs on the loop).
  std::vector<std::string> commands() {
    return run_on(loop_, [this] { return commands_; });
  }
  bool wait_commands(std::size_t n) {
    return wait_for([this, n] { return commands().size() >= n; }, kDeadline);
  }
  bool wait_backlog_empty() {
    return wait_for([this] { return store_->stats().backlog_rows == 0; }, kDeadline, 20ms);
  }
  std::unique_ptr<MqttCollector> collector(const std::string& id, const std::string& filter) {
    return std::make_unique<MqttCollector>(broker_->uri(), id, filter);
  }
  static bool has_state(const MqttCollector::Messages& ms, const std::string& state) {
    for (const auto& m : ms) {
      if (m.topic == kRoot + "status" && m.json().value("state", "") == state) return true;
    }
    return false;
  }

  TempDir dir_{"meterd-uplink-test"};
  SystemClock clock_;
  AppConfig config_;
  std::unique_ptr<MosquittoBroker> broker_;
  asio::io_context loop_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(loop_);
  std::thread loop_thread_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Uplink> uplink_;
  std::vector<std::string> commands_;  // touched on the loop only
  int appended_ = 0;
};

TEST_F(UplinkTest, RowsArriveWithTheirSeqAndLeaveTheOutboxAfterPuback) {
  auto cloud = collector("cloud", kRoot + "#");
  start_uplink();
  ASSERT_TRUE(wait_connected());
  append(50);
  ASSERT_TRUE(
      cloud->wait_until([](const auto& ms) { return distinct(seqs_of(ms)) >= 50; }, kDeadline));
  ASSERT_TRUE(wait_backlog_empty());

  const auto seqs = seqs_of(cloud->messages());
  EXPECT_EQ(distinct(seqs), 50u);
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  const auto telemetry = cloud->messages_on(kRoot + "meters/m1/telemetry");
  ASSERT_FALSE(telemetry.empty());
  const auto first = telemetry.front().json();
  EXPECT_EQ(first["gw"], "gw-test");
  EXPECT_EQ(first["meter"], "m1");
  EXPECT_EQ(first["kind"], "telemetry");
  EXPECT_EQ(first["i"], 0);
  EXPECT_GT(first["ts"].get<std::int64_t>(), 1'600'000'000'000);
  EXPECT_EQ(telemetry.front().qos, 1);
  const auto s = stats();
  EXPECT_EQ(s.published, 50);
  EXPECT_EQ(s.inflight, 0);
  EXPECT_EQ(s.server, broker_->uri());
}

TEST_F(UplinkTest, EventsAndGatewayEventsGoToTheirTopics) {
  auto cloud = collector("cloud", kRoot + "#");
  start_uplink();
  ASSERT_TRUE(wait_connected());
  store_->append_event(Event{"meter_offline", "m2", clock_.wall_now(), R"({"failures":3})"});
  store_->append_event(Event{"store_eviction", "", clock_.wall_now(), R"({"rows":10})"});
  ASSERT_TRUE(cloud->wait_for_count(kRoot + "meters/m2/events", 1, kDeadline));
  ASSERT_TRUE(cloud->wait_for_count(kRoot + "events", 1, kDeadline));
  const auto meter_event = cloud->messages_on(kRoot + "meters/m2/events").front().json();
  EXPECT_EQ(meter_event["kind"], "event");
  EXPECT_EQ(meter_event["meter"], "m2");
  const auto gw_event = cloud->messages_on(kRoot + "events").front().json();
  EXPECT_FALSE(gw_event.contains("meter"));
  EXPECT_LT(meter_event["seq"].get<std::int64_t>(), gw_event["seq"].get<std::int64_t>());
}

TEST_F(UplinkTest, BirthIsRetainedOnlineAndWillIsOfflineWhenTheConnectionDies) {
  test::TcpProxy proxy(broker_->port());
  config_.mqtt.servers = {proxy.uri()};
  auto cloud = collector("cloud", kRoot + "status");
  start_uplink();
  ASSERT_TRUE(wait_connected());
  ASSERT_TRUE(cloud->wait_until([](const auto& ms) { return has_state(ms, "online"); }, kDeadline));
  {
    auto late = collector("late-1", kRoot + "status");
    ASSERT_TRUE(late->wait_for_count(kRoot + "status", 1, kDeadline));
    const auto status = late->messages().front();
    EXPECT_TRUE(status.retained);
    EXPECT_EQ(status.json()["state"], "online");
    EXPECT_EQ(status.json()["gw"], "gw-test");
    EXPECT_EQ(status.json()["version"], METERD_VERSION);
  }

  // The network breaks: no DISCONNECT reaches the broker, so it publishes the last will.
  proxy.set_refusing(true);
  proxy.cut();
  ASSERT_TRUE(
      cloud->wait_until([](const auto& ms) { return has_state(ms, "offline"); }, kDeadline));
  EXPECT_TRUE(wait_for([this] { return !stats().connected; }, kDeadline));
  {
    auto late = collector("late-2", kRoot + "status");
    ASSERT_TRUE(late->wait_for_count(kRoot + "status", 1, kDeadline));
    EXPECT_TRUE(late->messages().front().retained);
    EXPECT_EQ(late->messages().front().json()["state"], "offline");
  }

  // The network heals: the uplink reconnects by itself and is online again.
  cloud->clear();
  proxy.set_refusing(false);
  ASSERT_TRUE(cloud->wait_until([](const auto& ms) { return has_state(ms, "online"); }, kDeadline));
  EXPECT_TRUE(wait_connected());
  EXPECT_EQ(stats().reconnects, 1);
}

TEST_F(UplinkTest, StopPublishesOfflineRetained) {
  start_uplink();
  ASSERT_TRUE(wait_connected());
  run_on(loop_, [this] { uplink_->stop(2s); });
  auto late = collector("late", kRoot + "status");
  ASSERT_TRUE(late->wait_for_count(kRoot + "status", 1, kDeadline));
  EXPECT_TRUE(late->messages().front().retained);
  EXPECT_EQ(late->messages().front().json()["state"], "offline");
}

TEST_F(UplinkTest, RowsWaitWhileTheBrokerIsDownAndAllArriveInOrderAfterwards) {
  auto cloud = collector("cloud", kRoot + "meters/#");
  start_uplink();
  ASSERT_TRUE(wait_connected());
  append(20);
  ASSERT_TRUE(
      cloud->wait_until([](const auto& ms) { return distinct(seqs_of(ms)) >= 20; }, kDeadline));

  broker_->stop();
  ASSERT_TRUE(wait_for([this] { return !stats().connected; }, kDeadline));
  append(300);
  store_->flush();
  EXPECT_GE(store_->stats().backlog_rows, 300);  // the outbox is the buffer

  broker_->start();
  ASSERT_TRUE(
      cloud->wait_until([](const auto& ms) { return distinct(seqs_of(ms)) >= 320; }, kDeadline))
      << "received " << distinct(seqs_of(cloud->messages())) << " distinct rows";
  ASSERT_TRUE(wait_backlog_empty());

  // Every seq arrived; duplicates may repeat a seen seq, but a new seq never comes early.
  const auto seqs = seqs_of(cloud->messages());
  std::set<std::int64_t> seen;
  std::int64_t highest = 0;
  for (const auto seq : seqs) {
    if (seen.insert(seq).second) {
      EXPECT_GT(seq, highest) << "seq " << seq << " arrived after " << highest;
      highest = seq;
    }
  }
  EXPECT_EQ(seen.size(), 320u);
  EXPECT_EQ(*seen.begin(), 1);
  EXPECT_EQ(*seen.rbegin(), 320);
  EXPECT_GE(stats().reconnects, 1);
}

TEST_F(UplinkTest, RowsInFlightWhenTheConnectionBreaksAreSentAgain) {
  test::TcpProxy proxy(broker_->port());
  config_.mqtt.servers = {proxy.uri()};
  auto cloud = collector("cloud", kRoot + "meters/#");
  start_uplink();
  ASSERT_TRUE(wait_connected());
  // The relay proxy is slow (a few hundred rows/s, less under ASan): 600 rows keep the test
  // bounded while the cut still lands mid-drain.
  append(600);
  // Cut in the middle of the drain: rows are in flight and buffered at that moment.
  ASSERT_TRUE(
      cloud->wait_until([](const auto& ms) { return distinct(seqs_of(ms)) >= 100; }, kDeadline));
  proxy.cut();
  ASSERT_TRUE(
      cloud->wait_until([](const auto& ms) { return distinct(seqs_of(ms)) >= 600; }, kDeadline))
      << "received " << distinct(seqs_of(cloud->messages())) << " distinct rows";
  EXPECT_TRUE(wait_backlog_empty()) << store_->stats().backlog_rows << " rows left";
  EXPECT_GE(stats().reconnects, 1);
  EXPECT_GE(proxy.connections(), 2);
}

TEST_F(UplinkTest, FailsOverToTheNextServerWhenTheFirstIsDead) {
  const std::string dead = "tcp://127.0.0.1:" + std::to_string(test::free_tcp_port());
  config_.mqtt.servers = {dead, broker_->uri()};
  auto cloud = collector("cloud", kRoot + "meters/#");
  start_uplink();
  ASSERT_TRUE(wait_connected());
  EXPECT_EQ(stats().server, broker_->uri());
  append(5);
  EXPECT_TRUE(
      cloud->wait_until([](const auto& ms) { return distinct(seqs_of(ms)) >= 5; }, kDeadline));
}

TEST_F(UplinkTest, VolatileMessagesGoOutWhenConnectedAndAreCountedWhenDropped) {
  config_.mqtt.servers = {"tcp://127.0.0.1:" + std::to_string(test::free_tcp_port())};
  start_uplink();
  run_on(loop_, [this] { uplink_->publish_volatile("health", R"({"uptime_s":1})"); });
  EXPECT_EQ(stats().volatile_dropped, 1);
  run_on(loop_, [this] {
    uplink_->stop(1s);
    uplink_.reset();
  });

  config_.mqtt.servers = {broker_->uri()};
  auto cloud = collector("cloud", kRoot + "health");
  start_uplink();
  ASSERT_TRUE(wait_connected());
  run_on(loop_, [this] { uplink_->publish_volatile("health", R"({"uptime_s":2})"); });
  ASSERT_TRUE(cloud->wait_for_count(kRoot + "health", 1, kDeadline));
  EXPECT_EQ(cloud->messages_on(kRoot + "health").front().json()["uptime_s"], 2);
  EXPECT_EQ(store_->stats().backlog_rows, 0);  // not stored
}

TEST_F(UplinkTest, CommandReachesTheHandlerWithItsExactPayload) {
  start_uplink();
  ASSERT_TRUE(wait_subscribed());
  // Key order, spacing and non-ASCII text are the signer's business: passed on byte for byte.
  const std::string command =
      "{\"op\":\"relay_open\", \"id\":\"c-1\",\"meter\":\"m-\xc3\xa9\",\"issued_at\":1}\n";
  publish_as_cloud(broker_->uri(), kRoot + "cmd", command);
  ASSERT_TRUE(wait_commands(1));
  EXPECT_EQ(commands(), std::vector<std::string>{command});
  EXPECT_EQ(stats().commands_received, 1);
}

TEST_F(UplinkTest, MessagesBesideCmdAreNotHandedToTheHandler) {
  start_uplink();
  ASSERT_TRUE(wait_subscribed());
  publish_as_cloud(broker_->uri(), kRoot + "cmd/result", R"({"id":"not-a-command"})");
  publish_as_cloud(broker_->uri(), kRoot + "cmd/x", R"({"id":"not-a-command"})");
  publish_as_cloud(broker_->uri(), kRoot + "cmd", R"({"id":"c-2"})");
  ASSERT_TRUE(wait_commands(1));
  EXPECT_EQ(commands(), std::vector<std::string>{R"({"id":"c-2"})"});
}

TEST_F(UplinkTest, CommandsArriveAgainAfterTheBrokerRestarts) {
  start_uplink();
  ASSERT_TRUE(wait_subscribed());
  publish_as_cloud(broker_->uri(), kRoot + "cmd", R"({"id":"before"})");
  ASSERT_TRUE(wait_commands(1));

  broker_->restart();
  ASSERT_TRUE(wait_for([this] { return stats().reconnects >= 1; }, kDeadline));
  ASSERT_TRUE(wait_subscribed());
  publish_as_cloud(broker_->uri(), kRoot + "cmd", R"({"id":"after"})");
  ASSERT_TRUE(wait_commands(2));
  EXPECT_EQ(commands().back(), R"({"id":"after"})");
}

// The second broker never saw the gateway: only a subscription made on connect can work there.
TEST_F(UplinkTest, CommandsFollowTheFailoverToAnotherServer) {
  TempDir other_dir("meterd-uplink-test-b");
  MosquittoBroker other(other_dir.path());
  other.start();
  config_.mqtt.servers = {broker_->uri(), other.uri()};
  start_uplink();
  ASSERT_TRUE(wait_subscribed());
  ASSERT_EQ(stats().server, broker_->uri());

  broker_->stop();
  ASSERT_TRUE(wait_for(
      [&] {
        const auto s = stats();
        return s.server == other.uri() && s.commands_subscribed;
      },
      kDeadline));
  publish_as_cloud(other.uri(), kRoot + "cmd", R"({"id":"on-b"})");
  ASSERT_TRUE(wait_commands(1));
  EXPECT_EQ(commands().front(), R"({"id":"on-b"})");
}

TEST_F(UplinkTest, CommandPublishedWhileTheGatewayIsCutOffArrivesAfterReconnect) {
  test::TcpProxy proxy(broker_->port());
  config_.mqtt.servers = {proxy.uri()};
  auto cloud = collector("cloud", kRoot + "status");
  start_uplink();
  ASSERT_TRUE(wait_subscribed());

  proxy.set_refusing(true);
  proxy.cut();
  // The will proves the broker saw the connection die before the command is published.
  ASSERT_TRUE(
      cloud->wait_until([](const auto& ms) { return has_state(ms, "offline"); }, kDeadline));
  publish_as_cloud(broker_->uri(), kRoot + "cmd", R"({"id":"while-away"})");
  EXPECT_TRUE(commands().empty());

  proxy.set_refusing(false);
  ASSERT_TRUE(wait_commands(1));
  EXPECT_EQ(commands(), std::vector<std::string>{R"({"id":"while-away"})"});
  EXPECT_GE(stats().reconnects, 1);
}

TEST_F(UplinkTest, CommandPublishedWhileTheGatewayIsStoppedArrivesAfterItStartsAgain) {
  start_uplink();
  ASSERT_TRUE(wait_subscribed());
  run_on(loop_, [this] {
    uplink_->stop(2s);
    uplink_.reset();
  });
  publish_as_cloud(broker_->uri(), kRoot + "cmd", R"({"id":"while-stopped"})");

  start_uplink();  // the same client id resumes the broker session
  ASSERT_TRUE(wait_commands(1));
  EXPECT_EQ(commands(), std::vector<std::string>{R"({"id":"while-stopped"})"});
}

TEST_F(UplinkTest, ResultRowsArePublishedOnCmdResultWithTheOutboxHeader) {
  auto cloud = collector("cloud", kRoot + "cmd/result");
  start_uplink();
  ASSERT_TRUE(wait_subscribed());
  store_->append_row(OutboxKind::kResult, "", clock_.wall_now(),
                     R"({"id":"c-9","state":"done","results":[{"meter":"m1","ok":true}]})");
  ASSERT_TRUE(cloud->wait_for_count(kRoot + "cmd/result", 1, kDeadline));
  ASSERT_TRUE(wait_backlog_empty());

  const auto message = cloud->messages_on(kRoot + "cmd/result").front();
  EXPECT_EQ(message.qos, 1);
  EXPECT_FALSE(message.retained);
  const auto result = message.json();
  EXPECT_EQ(result["seq"], 1);
  EXPECT_EQ(result["gw"], "gw-test");
  EXPECT_FALSE(result.contains("meter"));
  EXPECT_GT(result["ts"].get<std::int64_t>(), 1'600'000'000'000);
  EXPECT_EQ(result["kind"], "result");
  EXPECT_EQ(result["id"], "c-9");
  EXPECT_EQ(result["state"], "done");
  EXPECT_EQ(result["results"], nlohmann::json::parse(R"([{"meter":"m1","ok":true}])"));
  EXPECT_EQ(stats().commands_received, 0);  // the gateway does not hear its own results
}

// Without it a command's first result waits for the broker's delayed ACK of the command's PUBACK
// (40 ms). No collector here: the test support turns Nagle off on its own sockets as well.
TEST_F(UplinkTest, TheConnectionToTheBrokerHasNagleOff) {
  start_uplink();
  ASSERT_TRUE(wait_connected());
  EXPECT_EQ(nodelay_of_sockets_to(broker_->port()), std::vector<bool>{true});
}

}  // namespace
}  // namespace meterd
