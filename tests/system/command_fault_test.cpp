// SPDX-License-Identifier: Apache-2.0
// Commands under faults, end to end: the real daemon, a real mosquitto, sim meters. The cloud
// re-publishes every command whose final result has not arrived; whether the uplink flaps or
// the daemon is killed with SIGKILL, each recharge ends `done` and its order is in the ledger
// exactly once, and the balance stays the sum of the ledger.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "support/broker.h"
#include "support/tcp_proxy.h"
#include "support/wait.h"
#include "system/command_harness.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// Recharge `n` (1-based) of a series: its own id, order id and amount of n units.
json recharge(const std::string& series, int n) {
  return make_command(
      series + "-c" + std::to_string(n), "recharge", {{"account", "A101"}},
      {{"order_id", series + "-o" + std::to_string(n)}, {"amount", std::to_string(n) + ".0000"}});
}

// The states of every final result per command id.
std::map<std::string, std::vector<std::string>> final_states(const MqttCollector::Messages& m) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& message : m) {
    if (message.topic != kResultTopic) continue;
    const json j = message.json();
    if (j.is_discarded()) continue;
    const std::string state = j.value("state", "");
    if (state == "done" || state == "failed" || state == "cancelled") {
      out[j.value("id", "")].push_back(state);
    }
  }
  return out;
}

// The commands of `sent` that have no final result yet.
std::vector<json> unanswered(MqttCollector& collector, const std::vector<json>& sent) {
  const auto finals = final_states(collector.messages());
  std::vector<json> out;
  for (const json& command : sent) {
    if (!finals.contains(command.value("id", ""))) out.push_back(command);
  }
  return out;
}

// What the cloud does: re-publish whatever has no final result, every `interval`, until all
// have one or `timeout` passes. True when all have one.
bool republish_until_answered(MqttCollector& collector, const std::vector<json>& sent,
                              std::chrono::milliseconds interval,
                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const std::vector<json> open = unanswered(collector, sent);
    if (open.empty()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    for (const json& command : open) collector.publish(kCmdTopic, command.dump());
    collector.wait_until(
        [&](const MqttCollector::Messages& m) {
          const auto finals = final_states(m);
          for (const json& command : open) {
            if (!finals.contains(command.value("id", ""))) return false;
          }
          return true;
        },
        interval);
  }
}

class CommandFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_.start();
    collector_ =
        std::make_unique<MqttCollector>(broker_.uri(), "fault-collector", "meterd/v1/gw-test/#");
    spec_.meters_per_bus = 2;
    spec_.billing_yaml = kOneAccountBilling;
    // Results and telemetry are packed whenever two rows are ready (docs/mqtt-api.md#batch):
    // a result in a pack lost to a flap or a kill must still arrive.
    spec_.mqtt_settings = {"pack_min_rows: 2"};
  }
  // Ready once the account's meters have been read (the engine bills from the first reading)
  // and so the daemon has subscribed to cmd with its persistent session.
  void start_and_wait_ready() {
    daemon_ = std::make_unique<DaemonUnderTest>(dir_, spec_);
    daemon_->start();
    ASSERT_TRUE(wait_for_telemetry_of(*collector_, "b1-m2", 20s)) << daemon_->log();
  }
  std::int64_t db_int(const std::string& sql) { return query_store_int(daemon_->db_path(), sql); }

  // Every command ended `done` (every repeat too), each order has one ledger row, and A101's
  // balance is the sum of its ledger. Call after the daemon has stopped.
  void expect_applied_exactly_once(const std::string& series, const std::vector<json>& sent) {
    const auto finals = final_states(collector_->messages());
    for (const json& command : sent) {
      const std::string id = command.value("id", "");
      ASSERT_TRUE(finals.contains(id)) << id;
      for (const std::string& state : finals.at(id)) EXPECT_EQ(state, "done") << id;
      const std::string order = command["args"].value("order_id", "");
      EXPECT_EQ(db_int("SELECT count(*) FROM ledger WHERE order_id = '" + order + "'"), 1) << order;
    }
    const auto n = static_cast<std::int64_t>(sent.size());
    EXPECT_EQ(db_int("SELECT count(*) FROM ledger WHERE kind = 'recharge' AND order_id LIKE '" +
                     series + "-o%'"),
              n);
    // Amounts 1..n units: the ledger holds exactly their sum, in 1/10000.
    EXPECT_EQ(db_int("SELECT sum(amount) FROM ledger WHERE kind = 'recharge' AND order_id LIKE '" +
                     series + "-o%'"),
              n * (n + 1) / 2 * 10'000);
    EXPECT_EQ(db_int("SELECT sum(amount) FROM ledger WHERE account_id = 'A101'"),
              db_int("SELECT balance FROM account_state WHERE account_id = 'A101'"));
    EXPECT_EQ(db_int("SELECT count(*) FROM commands WHERE state IN ('accepted', 'scheduled')"), 0);
  }

  TempDir dir_;
  MosquittoBroker broker_{dir_.path() / "broker"};
  std::unique_ptr<MqttCollector> collector_;
  SiteSpec spec_;
  std::unique_ptr<DaemonUnderTest> daemon_;
};

TEST_F(CommandFaultTest, CommandArrivingWhileTheConnectionFlapsRunsOnceAndItsResultArrives) {
  TcpProxy proxy(broker_.port());
  spec_.servers = {proxy.uri()};
  start_and_wait_ready();
  const int connections_before = proxy.connections();

  // Five flaps, each a cut and a short partition, while the commands go out.
  const unsigned seed = std::random_device{}();
  std::printf("random seed %u\n", seed);
  SCOPED_TRACE("random seed " + std::to_string(seed));
  std::atomic<bool> flapping{true};
  std::thread flapper([&] {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> up_ms(300, 700);
    std::uniform_int_distribution<int> down_ms(0, 300);
    for (int flap = 0; flap < 5; ++flap) {
      std::this_thread::sleep_for(std::chrono::milliseconds(up_ms(rng)));
      proxy.set_refusing(true);
      proxy.cut();
      std::this_thread::sleep_for(std::chrono::milliseconds(down_ms(rng)));
      proxy.set_refusing(false);
    }
    flapping = false;
  });

  std::vector<json> sent;
  for (int n = 1; n <= 12; ++n) {
    sent.push_back(recharge("flap", n));
    ASSERT_TRUE(collector_->publish(kCmdTopic, sent.back().dump()));
    std::this_thread::sleep_for(250ms);  // spread over the flaps
  }
  const bool answered = republish_until_answered(*collector_, sent, 2s, 60s);
  flapper.join();
  ASSERT_TRUE(answered) << unanswered(*collector_, sent).size() << " without a final result\n"
                        << daemon_->log();
  // The flaps really broke the daemon's connection: it reconnected after most of them.
  std::printf("daemon reconnected %d times\n", proxy.connections() - connections_before);
  EXPECT_GE(proxy.connections() - connections_before, 3);

  // Every repeat of a command got the same answer as the first.
  for (const json& command : sent) {
    const std::string id = command.value("id", "");
    std::vector<json> done;
    for (json& r : results_for(collector_->messages(), id)) {
      if (r.value("state", "") == "done") done.push_back(std::move(r));
    }
    ASSERT_FALSE(done.empty()) << id;
    for (const json& r : done) EXPECT_EQ(r["results"], done.front()["results"]) << id;
  }
  ASSERT_TRUE(daemon_->terminate(15s).has_value());
  expect_applied_exactly_once("flap", sent);
}

TEST_F(CommandFaultTest, KillNineDuringRechargesAppliesEachOrderExactlyOnce) {
  spec_.servers = {broker_.uri()};
  start_and_wait_ready();  // the first start creates the persistent session on the broker

  const unsigned seed = std::random_device{}();
  std::printf("random seed %u\n", seed);
  SCOPED_TRACE("random seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> kill_after_ms(0, 500);
  std::vector<json> sent;
  int answered_before_kill = 0;
  for (int round = 0; round < 6; ++round) {
    if (round > 0) daemon_->start();
    // Three new recharges and, as the cloud would, every earlier one still unanswered: the
    // broker queues them for the daemon's session until it has subscribed.
    std::vector<json> batch = unanswered(*collector_, sent);
    for (int k = 0; k < 3; ++k) {
      sent.push_back(recharge("kill", static_cast<int>(sent.size()) + 1));
      batch.push_back(sent.back());
    }
    for (const json& command : batch) ASSERT_TRUE(collector_->publish(kCmdTopic, command.dump()));
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms(rng)));
    daemon_->kill9();
    answered_before_kill = static_cast<int>(sent.size() - unanswered(*collector_, sent).size());
  }
  std::printf("%d of %zu commands answered before the last kill\n", answered_before_kill,
              sent.size());

  const auto subscriptions = [&] {
    const std::string log = daemon_->log();
    std::size_t n = 0;
    for (auto at = log.find("uplink: subscribed"); at != std::string::npos;
         at = log.find("uplink: subscribed", at + 1)) {
      ++n;
    }
    return n;
  };
  const std::size_t subscribed_before = subscriptions();
  daemon_->start();
  // Up and subscribed before it can be asked to stop (all may be answered already).
  ASSERT_TRUE(wait_for([&] { return subscriptions() > subscribed_before; }, 20s)) << daemon_->log();
  ASSERT_TRUE(republish_until_answered(*collector_, sent, 3s, 90s))
      << unanswered(*collector_, sent).size() << " without a final result\n"
      << daemon_->log();
  const auto status = daemon_->terminate(15s);
  ASSERT_TRUE(status && status->exited && status->code == 0)
      << (status ? "exit code " + std::to_string(status->code) + ", signal " +
                       std::to_string(status->signal)
                 : std::string("did not stop"))
      << "\n"
      << daemon_->log();
  expect_applied_exactly_once("kill", sent);
}

}  // namespace
}  // namespace meterd::test
