// SPDX-License-Identifier: Apache-2.0
// A two-node RabbitMQ cluster losing the node the gateway is connected to: meterd has both
// nodes in mqtt.servers, the cloud subscriber (a persistent session) is away while the node is
// killed and comes back on the surviving node; commands are published during the failover.
// Repeated METERD_INTEROP_KILLS times (default 2), alternating nodes. Nothing the gateway
// stored is lost, and every command executes and is answered exactly once. The MQTT plugin
// of RabbitMQ 3.10 keeps persistent sessions in classic queues (no quorum queues for MQTT);
// a mirroring policy (ha-mode all, automatic sync) keeps them on both nodes.
#include <gtest/gtest.h>

#include <cstdlib>

#include "support/wait.h"
#include "system/command_harness.h"
#include "system/daemon_harness.h"
#include "system/interop/delivery_check.h"
#include "system/interop/rabbitmq_node.h"

namespace meterd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

int kills_wanted() {
  const char* v = std::getenv("METERD_INTEROP_KILLS");
  return v ? std::max(1, std::atoi(v)) : 2;
}

TEST(RabbitCluster, NodeKilledWhileCloudAwayLosesNothingAndCommandsRunOnce) {
  if (!RabbitNode::installed()) {
    GTEST_SKIP()
        << "RabbitMQ with its MQTT plugin is not installed (Debian package rabbitmq-server)";
  }
  const auto started = std::chrono::steady_clock::now();
  TempDir dir("meterd-cluster");
  ErlangPortMapper epmd(dir.path() / "epmd");
  RabbitNode a(dir.path() / "cluster", "meterd-a", epmd);
  RabbitNode b(dir.path() / "cluster", "meterd-b", epmd);
  a.start();
  b.start();
  b.join(a);
  a.ctl({"set_policy", "--apply-to", "queues", "mqtt-sessions", "^mqtt-subscription-",
         R"({"ha-mode":"all","ha-sync-mode":"automatic"})"});
  const auto node_of = [&](const std::string& uri) { return uri == a.uri() ? &a : &b; };
  const auto other = [&](RabbitNode* n) { return n == &a ? &b : &a; };

  SiteSpec spec;
  spec.servers = {a.uri(), b.uri()};
  spec.meters_per_bus = 4;
  spec.fast_interval = "200ms";
  spec.billing_yaml = kOneAccountBilling;
  DaemonUnderTest gateway(dir, spec);
  auto cloud =
      std::make_unique<MqttCollector>(b.uri(), "cluster-cloud", "meterd/v1/gw-test/#", 30s);
  gateway.start();
  ASSERT_TRUE(wait_for_telemetry_of(*cloud, "b1-m2", 60s)) << gateway.log();

  std::vector<std::string> commands;
  MqttCollector::Messages earlier;  // what the cloud saw before it went away
  const int kills = kills_wanted();
  for (int kill = 1; kill <= kills; ++kill) {
    const std::string server = connected_server(gateway.log());
    ASSERT_FALSE(server.empty()) << gateway.log();
    RabbitNode* victim = node_of(server);
    RabbitNode* survivor = other(victim);
    const std::size_t connects_before = connects_to(gateway.log(), survivor->uri());

    // The cloud goes away; its session stays in the cluster. What it had seen is kept.
    for (auto& m : cloud->messages()) earlier.push_back(std::move(m));
    cloud.reset();
    victim->kill();
    // Commands during the failover, through the surviving node.
    {
      MqttCollector sender(survivor->uri(), "cluster-sender-" + std::to_string(kill),
                           "meterd/v1/none", 30s);
      for (int i = 0; i < 2; ++i) {
        const std::string id = "k" + std::to_string(kill) + "-c" + std::to_string(i);
        ASSERT_TRUE(sender.publish(kCmdTopic,
                                   make_command(id, "recharge", {{"account", "A101"}},
                                                {{"order_id", "o-" + id}, {"amount", "1.0000"}})
                                       .dump(),
                                   30s));
        commands.push_back(id);
      }
    }
    ASSERT_TRUE(wait_for(
        [&] { return connects_to(gateway.log(), survivor->uri()) > connects_before; }, 60s))
        << "no failover to " << survivor->uri() << "\n"
        << gateway.log();
    cloud = std::make_unique<MqttCollector>(survivor->uri(), "cluster-cloud", "meterd/v1/gw-test/#",
                                            30s);
    for (std::size_t i = commands.size() - 2; i < commands.size(); ++i) {  // this round's
      EXPECT_FALSE(wait_final(*cloud, commands[i], 60s).is_null()) << commands[i] << "\n"
                                                                   << gateway.log();
    }
    victim->start();  // rejoins the cluster from its data directory
  }

  ASSERT_TRUE(gateway.terminate(30s).has_value());
  const StoreView view = read_store(gateway.db_path());
  wait_for_every_acknowledged_seq(*cloud, view, 30s);
  MqttCollector::Messages all = earlier;
  for (auto& m : cloud->messages()) all.push_back(std::move(m));
  const Delivered report = delivered(all);
  const auto missing = missing_from(view, report);
  EXPECT_TRUE(missing.empty()) << "lost: " << seq_ranges(missing);
  EXPECT_TRUE(report.conflicting.empty()) << seq_ranges(report.conflicting);
  for (const auto& id : commands) {
    EXPECT_EQ(query_store_int(gateway.db_path(),
                              "SELECT count(*) FROM ledger WHERE order_id = 'o-" + id + "'"),
              1)
        << id;
    EXPECT_EQ(answers(all, id), 1u) << id;
  }
  std::printf("[ cluster ] %d node kills, %lld seqs (%zu pending), %zu duplicates, %.1f s\n", kills,
              static_cast<long long>(view.last_seq), view.pending.size(), report.duplicates,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

}  // namespace
}  // namespace meterd::test
