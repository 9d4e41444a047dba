// SPDX-License-Identifier: Apache-2.0
// One daemon per store, and one identity per store: a second meterd on a store in use exits at
// once with exit code 73 naming the holder (while --check-config still works), and two gateways
// configured with one gateway_id are told apart by store_id and report their client-id fight.
// A store written by a newer meterd (a downgrade) is refused with exit 78 and left as it was.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>

#include "support/broker.h"
#include "support/wait.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

using namespace std::chrono_literals;

constexpr int kExitStoreLocked = 73;
constexpr int kExitConfig = 78;

std::string store_id_of(const std::string& db_path) {
  return query_store_text(db_path, "SELECT store_id FROM store_identity");
}

bool logged(DaemonUnderTest& daemon, const std::string& text) {
  return daemon.log().find(text) != std::string::npos;
}

TEST(StoreLockSystem, ASecondDaemonOnAStoreInUseExits73NamingTheFirstWhileCheckConfigPasses) {
  TempDir dir;
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  SiteSpec spec;
  spec.servers = {broker.uri()};
  DaemonUnderTest first(dir, spec);
  first.start();
  ASSERT_TRUE(wait_for([&] { return logged(first, "running: gateway"); }, 30s)) << first.log();

  ChildProcess second({METERD_BINARY, "--config", first.config_path()}, dir.file("second.log"));
  const std::optional<ExitStatus> refused = second.wait(30s);
  ASSERT_TRUE(refused.has_value()) << "a second daemon kept running on a store in use";
  EXPECT_TRUE(refused->exited);
  EXPECT_EQ(refused->code, kExitStoreLocked) << second.log();
  EXPECT_NE(second.log().find("in use by another meterd (pid " + std::to_string(first.pid())),
            std::string::npos)
      << second.log();

  ChildProcess check({METERD_BINARY, "--check-config", "--config", first.config_path()},
                     dir.file("check.log"));
  const std::optional<ExitStatus> checked = check.wait(30s);
  ASSERT_TRUE(checked.has_value());
  EXPECT_TRUE(checked->exited && checked->code == 0) << check.log();

  EXPECT_TRUE(first.running()) << first.log();
  const auto stopped = first.terminate(10s);
  ASSERT_TRUE(stopped && stopped->exited && stopped->code == 0) << first.log();
}

TEST(StoreDowngradeSystem, AStoreFromANewerMeterdIsRefusedWithExit78AndLeftUntouched) {
  TempDir dir;
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  SiteSpec spec;
  spec.servers = {broker.uri()};
  DaemonUnderTest daemon(dir, spec);
  daemon.start();
  ASSERT_TRUE(wait_for([&] { return logged(daemon, "running: gateway"); }, 30s)) << daemon.log();
  const auto stopped = daemon.terminate(10s);
  ASSERT_TRUE(stopped && stopped->exited && stopped->code == 0) << daemon.log();

  // What a newer meterd would leave: a schema version above this binary's.
  const std::int64_t version = query_store_int(daemon.db_path(), "PRAGMA user_version");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(daemon.db_path().c_str(), &db), SQLITE_OK);
  const std::string bump = "PRAGMA user_version = " + std::to_string(version + 1);
  EXPECT_EQ(sqlite3_exec(db, bump.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  const std::int64_t rows = query_store_int(daemon.db_path(), "SELECT count(*) FROM outbox");

  ChildProcess downgraded({METERD_BINARY, "--config", daemon.config_path()},
                          dir.file("downgraded.log"));
  const std::optional<ExitStatus> refused = downgraded.wait(30s);
  ASSERT_TRUE(refused.has_value()) << "meterd ran on a store from a newer version";
  EXPECT_TRUE(refused->exited);
  EXPECT_EQ(refused->code, kExitConfig) << downgraded.log();
  EXPECT_NE(downgraded.log().find("written by a newer meterd"), std::string::npos)
      << downgraded.log();
  EXPECT_EQ(query_store_int(daemon.db_path(), "PRAGMA user_version"), version + 1);
  EXPECT_EQ(query_store_int(daemon.db_path(), "SELECT count(*) FROM outbox"), rows);
}

TEST(StoreIdentitySystem, TwoGatewaysWithOneIdReportAClientIdConflictAndDistinctStoreIds) {
  TempDir broker_dir, dir_a, dir_b;
  MosquittoBroker broker(broker_dir.path() / "broker");
  broker.start();
  SiteSpec spec;
  spec.servers = {broker.uri()};
  spec.gateway_id = "gw-twin";
  spec.meters_per_bus = 2;
  spec.health_interval = "1s";
  MqttCollector collector(broker.uri(), "test-twin", "meterd/v1/gw-twin/#");
  DaemonUnderTest a(dir_a, spec);
  DaemonUnderTest b(dir_b, spec);
  a.start();
  b.start();
  for (DaemonUnderTest* d : {&a, &b}) {
    ASSERT_TRUE(wait_for([&] { return logged(*d, "running: gateway"); }, 30s)) << d->log();
  }

  auto conflicts = [](DaemonUnderTest& d) {
    return query_store_int(d.db_path(),
                           "SELECT count(*) FROM events WHERE type = 'client_id_conflict'");
  };
  ASSERT_TRUE(wait_for([&] { return conflicts(a) >= 1 && conflicts(b) >= 1; }, 60s))
      << a.log() << b.log();
  EXPECT_TRUE(logged(a, "client id 'meterd-gw-twin' conflict")) << a.log();
  const std::string id_a = store_id_of(a.db_path());
  const std::string id_b = store_id_of(b.db_path());
  EXPECT_EQ(id_a.size(), 32u);
  EXPECT_NE(id_a, id_b);

  // Both stores' rows reach the cloud, told apart by store_id; health shows the conflict.
  auto seen = [&] {
    std::set<std::string> store_ids;
    bool conflict_in_health = false;
    for (const CollectedMessage& m : collector.messages()) {
      const nlohmann::json j = m.json();
      if (!j.is_object()) continue;
      if (m.topic.ends_with("/telemetry") && j.contains("store_id"))
        store_ids.insert(j["store_id"]);
      if (m.topic.ends_with("/health") && j.value("client_id_conflict", false) &&
          j.value("client_id_conflicts", 0) >= 1 && j.contains("store_id")) {
        conflict_in_health = true;
      }
    }
    return store_ids == std::set<std::string>{id_a, id_b} && conflict_in_health;
  };
  EXPECT_TRUE(wait_for(seen, 60s, 200ms)) << collector.size() << " messages";
  for (DaemonUnderTest* d : {&a, &b}) {
    const auto stopped = d->terminate(10s);
    EXPECT_TRUE(stopped && stopped->exited && stopped->code == 0) << d->log();
  }
}

}  // namespace
}  // namespace meterd::test
