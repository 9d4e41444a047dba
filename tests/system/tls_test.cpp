// SPDX-License-Identifier: Apache-2.0
// TLS to the broker: meterd verifies the server certificate against its CA file and the
// server's host name, and presents a client certificate when configured. A broker whose
// certificate does not verify gets no data.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "support/mqtt_collector.h"
#include "support/net.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"
#include "system/daemon_harness.h"
#include "system/test_pki.h"

namespace meterd::test {
namespace {

class TlsBroker {
 public:
  TlsBroker(const TempDir& dir, const std::string& prefix)
      : tls_port_(free_tcp_port()), plain_port_(free_tcp_port()) {
    const std::string conf = dir.file(prefix + "mosquitto.conf");
    std::ofstream out(conf);
    // As root, mosquitto would drop to the "mosquitto" user, which cannot read our files.
    if (::geteuid() == 0) out << "user root\n";
    out << "per_listener_settings true\n"
        << "listener " << plain_port_ << " 127.0.0.1\nallow_anonymous true\n"
        << "listener " << tls_port_ << " 127.0.0.1\nallow_anonymous true\n"
        << "cafile " << dir.file(prefix + "ca.pem") << "\n"
        << "certfile " << dir.file(prefix + "server.pem") << "\n"
        << "keyfile " << dir.file(prefix + "server.key") << "\n"
        << "require_certificate true\n";
    out.close();
    process_ =
        std::make_unique<ChildProcess>(std::vector<std::string>{"/usr/sbin/mosquitto", "-c", conf},
                                       dir.file(prefix + "mosquitto.log"));
    EXPECT_TRUE(wait_for_listener(plain_port_, std::chrono::seconds(10))) << process_->log();
    EXPECT_TRUE(wait_for_listener(tls_port_, std::chrono::seconds(10))) << process_->log();
  }
  std::uint16_t tls_port() const { return tls_port_; }
  std::string plain_uri() const { return "tcp://127.0.0.1:" + std::to_string(plain_port_); }

 private:
  std::uint16_t tls_port_;
  std::uint16_t plain_port_;
  std::unique_ptr<ChildProcess> process_;
};

// The site config with a TLS section pointing at the files of `pki` (the client's trust).
void write_tls_site(const DaemonUnderTest& daemon, const std::string& server, const TempDir& dir,
                    const std::string& trust_prefix) {
  SiteSpec spec;
  spec.servers = {server};
  spec.meters_per_bus = 2;
  spec.fast_interval = "200ms";
  const std::string yaml = with_tls(site_yaml(spec, daemon.db_path()), dir, trust_prefix);
  std::ofstream(daemon.config_path()) << yaml;
}

bool any_telemetry(const MqttCollector::Messages& messages) {
  for (const auto& m : messages) {
    if (m.topic.ends_with("/telemetry")) return true;
  }
  return false;
}

TEST(Tls, VerifiedServerAndClientCertificateCarryTelemetry) {
  TempDir dir;
  make_pki(dir, "good-", "localhost");
  TlsBroker broker(dir, "good-");
  MqttCollector collector(broker.plain_uri(), "tls-collector", "meterd/v1/gw-test/#");
  DaemonUnderTest daemon(dir, SiteSpec{});
  write_tls_site(daemon, "ssl://localhost:" + std::to_string(broker.tls_port()), dir, "good-");
  daemon.start();
  EXPECT_TRUE(collector.wait_until(any_telemetry, std::chrono::seconds(20))) << daemon.log();
  daemon.terminate(std::chrono::seconds(5));
}

TEST(Tls, UntrustedServerCertificateGetsNoData) {
  TempDir dir;
  make_pki(dir, "good-", "localhost");
  make_pki(dir, "rogue-", "localhost");
  TlsBroker broker(dir, "rogue-");  // signed by a CA the daemon does not trust
  MqttCollector collector(broker.plain_uri(), "tls-collector", "meterd/v1/gw-test/#");
  DaemonUnderTest daemon(dir, SiteSpec{});
  write_tls_site(daemon, "ssl://localhost:" + std::to_string(broker.tls_port()), dir, "good-");
  daemon.start();
  // The daemon keeps storing while it cannot connect; give it time to try (and fail) a few
  // times, then check that nothing reached the broker.
  ASSERT_TRUE(wait_for([&] { return read_store(daemon.db_path()).pending.size() > 20; },
                       std::chrono::seconds(20)));
  EXPECT_FALSE(any_telemetry(collector.messages()));
  EXPECT_NE(daemon.log().find("connect to ssl://localhost"), std::string::npos) << daemon.log();
  daemon.terminate(std::chrono::seconds(5));
}

TEST(Tls, HostNameMismatchIsRefused) {
  TempDir dir;
  make_pki(dir, "other-", "broker.example");  // valid chain, wrong name for 127.0.0.1
  TlsBroker broker(dir, "other-");
  MqttCollector collector(broker.plain_uri(), "tls-collector", "meterd/v1/gw-test/#");
  DaemonUnderTest daemon(dir, SiteSpec{});
  write_tls_site(daemon, "ssl://127.0.0.1:" + std::to_string(broker.tls_port()), dir, "other-");
  daemon.start();
  ASSERT_TRUE(wait_for([&] { return read_store(daemon.db_path()).pending.size() > 20; },
                       std::chrono::seconds(20)));
  EXPECT_FALSE(any_telemetry(collector.messages()));
  daemon.terminate(std::chrono::seconds(5));
}

}  // namespace
}  // namespace meterd::test
