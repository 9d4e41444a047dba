// SPDX-License-Identifier: Apache-2.0
// The interop matrix: the real daemon against every broker implementation installed here
// (mosquitto, RabbitMQ 3.10 with rabbitmq_mqtt, ejabberd's mod_mqtt). For each: telemetry and
// events delivered with nothing lost, the retained status (birth and last will), the
// persistent session that keeps a command published while the gateway is down, commands
// executed and answered exactly once, and TLS with a client certificate. A broker that is not
// installed is reported as skipped.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/wait.h"
#include "system/command_harness.h"
#include "system/daemon_harness.h"
#include "system/interop/delivery_check.h"
#include "system/interop/interop_brokers.h"
#include "system/test_pki.h"

namespace meterd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const std::string kStatusTopic = "meterd/v1/gw-test/status";
constexpr int kMeters = 4;

bool telemetry_of_every_meter(MqttCollector& cloud) {
  return cloud.wait_until(
      [](const MqttCollector::Messages& m) {
        return analyse_seqs(m).meters_with_telemetry.size() == kMeters;
      },
      30s);
}

class Interop : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string absent;
    broker_ = make_interop_broker(GetParam(), dir_, absent);
    if (!broker_) GTEST_SKIP() << GetParam() << " skipped: " << absent;
    broker_->start();
  }

  std::unique_ptr<MqttCollector> subscriber(const std::string& uri, const std::string& client_id,
                                            const std::string& filter) {
    return std::make_unique<MqttCollector>(uri, client_id, filter, 20s, broker_->credentials());
  }

  // The site, with the broker's credentials when it needs them; `tls` points it at the TLS
  // listener with the test's client certificate.
  std::unique_ptr<DaemonUnderTest> daemon(const std::string& server, bool tls) {
    SiteSpec spec;
    spec.servers = {server};
    spec.meters_per_bus = kMeters;
    spec.fast_interval = "200ms";
    spec.control_dir = dir_.file("control");
    std::filesystem::create_directories(spec.control_dir);
    spec.billing_yaml = kOneAccountBilling;
    auto d = std::make_unique<DaemonUnderTest>(dir_, spec);
    std::string yaml = site_yaml(spec, d->db_path());
    if (tls) yaml = with_tls(yaml, dir_, kTlsPrefix);
    if (const auto c = broker_->credentials()) {
      std::ofstream(dir_.file("mqtt.credentials")) << c->first << ":" << c->second << "\n";
      yaml.insert(yaml.find("  keepalive:"),
                  "  credentials_file: " + dir_.file("mqtt.credentials") + "\n");
    }
    std::ofstream(d->config_path()) << yaml;
    return d;
  }

  // True once a subscriber that arrives now is handed a retained status in `state`.
  bool retained_status_is(const std::string& state, std::chrono::milliseconds timeout) {
    return wait_for(
        [&] {
          auto late =
              subscriber(broker_->uri(), "interop-late-" + std::to_string(++late_), kStatusTopic);
          return late->wait_until(
              [&](const MqttCollector::Messages& m) {
                for (const auto& message : m) {
                  if (message.retained && message.json().value("state", "") == state) return true;
                }
                return false;
              },
              2s);
        },
        timeout, 100ms);
  }

  TempDir dir_{"meterd-interop"};
  std::unique_ptr<InteropBroker> broker_;
  int late_ = 0;
};

TEST_P(Interop, DeliveryStatusWillSessionAndCommandsExactlyOnce) {
  const auto started = std::chrono::steady_clock::now();
  auto cloud = subscriber(broker_->uri(), "interop-cloud", "meterd/v1/gw-test/#");
  auto gateway = daemon(broker_->uri(), false);
  gateway->start();

  // Telemetry of every meter, and the retained birth message for a subscriber that comes later.
  ASSERT_TRUE(telemetry_of_every_meter(*cloud)) << gateway->log();
  EXPECT_TRUE(retained_status_is("online", 20s)) << broker_->log();

  // An event: a meter stops answering.
  std::ofstream(dir_.file("control/b1-m3.dead")) << "";
  EXPECT_TRUE(cloud->wait_until(
      [](const MqttCollector::Messages& m) {
        return !meter_events(m, "b1-m3", {"meter_offline"}).empty();
      },
      30s))
      << gateway->log();

  // A command while connected.
  json r = run_command(*cloud,
                       make_command("c-live", "recharge", {{"account", "A101"}},
                                    {{"order_id", "o-live"}, {"amount", "5.0000"}}),
                       30s);
  EXPECT_EQ(r.value("state", ""), "done") << r.dump() << gateway->log();

  // The gateway dies: the broker publishes its last will, retained.
  gateway->kill9();
  EXPECT_TRUE(retained_status_is("offline", 30s)) << broker_->log();

  // A command published while the gateway is down waits in its persistent session.
  ASSERT_TRUE(cloud->publish(kCmdTopic, make_command("c-away", "recharge", {{"account", "A101"}},
                                                     {{"order_id", "o-away"}, {"amount", "7.0000"}})
                                            .dump()));
  gateway->start();
  r = wait_final(*cloud, "c-away", 40s);
  EXPECT_EQ(r.value("state", ""), "done") << r.dump() << gateway->log() << broker_->log();
  EXPECT_TRUE(retained_status_is("online", 20s)) << broker_->log();

  // Everything the broker acknowledged arrived; a duplicate only repeats.
  ASSERT_TRUE(gateway->terminate(20s).has_value());
  const StoreView view = read_store(gateway->db_path());
  const auto missing = wait_for_every_acknowledged_seq(*cloud, view, 20s);
  EXPECT_TRUE(missing.empty()) << "lost: " << seq_ranges(missing);
  const Delivered report = delivered(cloud->messages());
  EXPECT_TRUE(report.conflicting.empty()) << seq_ranges(report.conflicting);
  EXPECT_EQ(report.store_ids.size(), 1u);
  EXPECT_GT(view.last_seq, 0);

  // Each command executed once and answered once (a redelivered result repeats its seq).
  for (const std::string order : {"o-live", "o-away"}) {
    EXPECT_EQ(query_store_int(gateway->db_path(),
                              "SELECT count(*) FROM ledger WHERE order_id = '" + order + "'"),
              1)
        << order;
  }
  EXPECT_EQ(answers(cloud->messages(), "c-live"), 1u);
  EXPECT_EQ(answers(cloud->messages(), "c-away"), 1u);
  std::printf("[ interop ] %s: %lld seqs, %zu duplicates, %.1f s\n", GetParam().c_str(),
              static_cast<long long>(view.last_seq), report.duplicates,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

TEST_P(Interop, TlsWithClientCertificateCarriesTelemetry) {
  if (broker_->tls_uri().empty()) GTEST_SKIP() << GetParam() << " has no TLS listener here";
  auto cloud = subscriber(broker_->uri(), "interop-tls-cloud", "meterd/v1/gw-test/#");
  auto gateway = daemon(broker_->tls_uri(), true);
  gateway->start();
  EXPECT_TRUE(telemetry_of_every_meter(*cloud)) << gateway->log() << broker_->log();
  ASSERT_TRUE(gateway->terminate(20s).has_value());
}

INSTANTIATE_TEST_SUITE_P(Brokers, Interop, ::testing::ValuesIn(interop_broker_kinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace meterd::test
