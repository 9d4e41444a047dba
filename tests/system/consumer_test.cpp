// SPDX-License-Identifier: Apache-2.0
// The reference cloud consumer (contrib/consumer) against a real mosquitto and the real
// daemon: it stores readings through its shared subscription, drops a redelivered
// (store_id, seq), and its signed command is accepted by a gateway that requires signatures.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/broker.h"
#include "support/wait.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

using namespace std::chrono_literals;

ExitStatus run(const TempDir& dir, std::vector<std::string> argv, const std::string& log) {
  ChildProcess process(std::move(argv), dir.file(log));
  const auto status = process.wait(30s);
  return status ? *status : process.terminate();
}

// The consumer's database may not exist yet, or be mid-write: not there yet is 0 / "".
std::int64_t cloud_int(const std::string& db, const std::string& sql) {
  try {
    return query_store_int(db, sql);
  } catch (const std::exception&) {
    return 0;
  }
}
std::string cloud_text(const std::string& db, const std::string& sql) {
  try {
    return query_store_text(db, sql);
  } catch (const std::exception&) {
    return "";
  }
}

TEST(Consumer, StoresDeduplicatesAndSendsASignedCommand) {
  TempDir dir;
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  const std::string key_file = dir.file("cmd.key");
  std::ofstream(key_file) << "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
  ::chmod(key_file.c_str(), 0600);
  SiteSpec spec;
  spec.servers = {broker.uri()};
  spec.meters_per_bus = 2;
  spec.fast_interval = "200ms";
  spec.billing_yaml = "commands:\n  hmac_key_file: " + key_file + "\n";
  DaemonUnderTest daemon(dir, spec);
  daemon.start();

  const std::string broker_address = "127.0.0.1:" + std::to_string(broker.port());
  const std::string cloud_db = dir.file("cloud.db");
  ChildProcess consumer({"/usr/bin/python3", METERD_CONSUMER, "consume", "--broker", broker_address,
                         "--db", cloud_db, "--duration", "120"},
                        dir.file("consumer.log"));
  ASSERT_TRUE(
      wait_for([&] { return cloud_int(cloud_db, "SELECT count(*) FROM readings") > 0; }, 30s))
      << consumer.log() << daemon.log();

  // A redelivery: the same outbox message again, as a broker may send it after a reconnect.
  const std::int64_t seq = cloud_int(cloud_db, "SELECT max(seq) FROM readings");
  const std::string store_id = cloud_text(cloud_db, "SELECT store_id FROM readings LIMIT 1");
  const std::string again = "{\"seq\":" + std::to_string(seq) + ",\"store_id\":\"" + store_id +
                            "\",\"gw\":\"gw-test\",\"meter\":\"b1-m1\",\"ts\":1,"
                            "\"kind\":\"telemetry\",\"group\":\"fast\",\"values\":{\"x\":1}}";
  const ExitStatus pub =
      run(dir,
          {"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-q",
           "1", "-t", "meterd/v1/gw-test/meters/b1-m1/telemetry", "-m", again},
          "pub.log");
  ASSERT_TRUE(pub.exited && pub.code == 0);
  EXPECT_TRUE(wait_for(
      [&] { return cloud_int(cloud_db, "SELECT value FROM stats WHERE name='duplicates'") >= 1; },
      20s))
      << consumer.log();
  EXPECT_EQ(cloud_int(cloud_db, "SELECT count(*) FROM readings WHERE point='x'"), 0);

  // A signed command: the gateway requires signatures, so a result with ok means it verified.
  const ExitStatus sent = run(dir,
                              {"/usr/bin/python3", METERD_CONSUMER, "send", "--broker",
                               broker_address, "--gateway", "gw-test", "--key-file", key_file,
                               R"({"id":"c-consumer-1","op":"relay_open","meter":"b1-m1"})"},
                              "send.log");
  ASSERT_TRUE(sent.exited && sent.code == 0);
  std::string body;
  EXPECT_TRUE(wait_for(
      [&] {
        body = cloud_text(cloud_db,
                          "SELECT body FROM results WHERE command_id='c-consumer-1' "
                          "ORDER BY seq DESC LIMIT 1");
        return body.find("\"state\":\"done\"") != std::string::npos ||
               body.find("unauthenticated") != std::string::npos;
      },
      30s))
      << body << consumer.log() << daemon.log();
  EXPECT_EQ(body.find("unauthenticated"), std::string::npos) << body;
  consumer.terminate();
}

}  // namespace
}  // namespace meterd::test
