// The command API end to end: the real daemon, a real mosquitto, sim meters. Every op gets its
// result on cmd/result; duplicates execute once; bad input is refused with a clear result or
// a counted event and the daemon keeps running; a scheduled batch survives a restart.
#include <gtest/gtest.h>

#include <fstream>

#include "commands/command_auth.h"
#include "support/broker.h"
#include "support/wait.h"
#include "system/command_harness.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;



class CommandsTest : public ::testing::Test {
 protected:
  void start(const std::string& extra_yaml = "") {
    broker_.start();
    collector_ = std::make_unique<MqttCollector>(broker_.uri(), "cmd-collector", "meterd/v1/gw-test/#");
    spec_.servers = {broker_.uri()};
    spec_.meters_per_bus = 6;
    spec_.billing_yaml = std::string(kOneAccountBilling) + extra_yaml;
    daemon_ = std::make_unique<DaemonUnderTest>(dir_, spec_);
    daemon_->start();
    // Ready once the account's meters have been read (the engine bills from the first reading).
    ASSERT_TRUE(wait_for_telemetry_of(*collector_, "b1-m2", 20s)) << daemon_->log();
  }
  json run(const json& command) { return run_command(*collector_, command); }
  std::int64_t db_int(const std::string& sql) { return query_store_int(daemon_->db_path(), sql); }

  TempDir dir_;
  MosquittoBroker broker_{dir_.path() / "broker"};
  std::unique_ptr<MqttCollector> collector_;
  SiteSpec spec_;
  std::unique_ptr<DaemonUnderTest> daemon_;
};

TEST_F(CommandsTest, EveryOpEndToEndHasItsResult) {
  start();
  json r = run(make_command("c-recharge", "recharge", {{"account", "A101"}},
                            {{"order_id", "o-1"}, {"amount", "50.0000"}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump() << daemon_->log();
  EXPECT_EQ(r["results"][0].value("amount", ""), "50.0000");
  // The accepted result came first.
  EXPECT_EQ(results_for(collector_->messages(), "c-recharge").front().value("state", ""), "accepted");

  r = run(make_command("c-refund", "refund", {{"account", "A101"}},
                       {{"order_id", "o-2"}, {"amount", "1.5000"}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();

  r = run(make_command("c-open", "relay_open", {{"meters", {"b1-m3", "b1-m4"}}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump();
  EXPECT_EQ(r["results"].size(), 2u);
  EXPECT_EQ(r["results"][0]["values"].value("relay_closed", true), false);
  r = run(make_command("c-close", "relay_close", {{"meter", "b1-m3"}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump();
  EXPECT_EQ(r["results"][0]["values"].value("relay_closed", false), true);

  r = run(make_command("c-query", "query", {{"meters", {"b1-m1", "b1-m5"}}},
                       {{"points", {"energy_total", "relay_closed"}}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump();
  EXPECT_TRUE(r["results"][1]["values"].contains("energy_total")) << r.dump();

  r = run(make_command("c-tariff", "set_tariff", {{"account", "A101"}},
                       {{"tariff", {{"id", "t2"}, {"price", "0.0200"}}}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();
  r = run(make_command("c-thr", "set_thresholds", {{"account", "A101"}},
                       {{"low_1", "30.0000"}, {"low_2", "20.0000"}, {"cut_off", "0"}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();

  r = run(make_command("c-acct", "open_account", {{"account", "A200"}},
                       {{"name", "Room 200"}, {"meters", {"b1-m4"}},
                        {"tariff", {{"id", "t3"}, {"price", "0.0300"}}},
                        {"opening_balance", "10.0000"}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();
  r = run(make_command("c-assign", "assign_meter", {{"meter", "b1-m5"}}, {{"account", "A200"}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();
  r = run(make_command("c-closeacct", "close_account", {{"account", "A200"}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();

  r = run(make_command("c-load", "set_load_limits", {{"meter", "b1-m1"}}, {{"max_w", 5000}}));
  EXPECT_EQ(r.value("state", ""), "failed") << r.dump();
  EXPECT_EQ(r["results"][0].value("code", ""), "not_supported");

  r = run(make_command("c-batch", "batch", json::object(),
                       {{"ops",
                         {{{"op", "relay_open"}, {"meter", "b1-m6"}, {"args", json::object()}},
                          {{"op", "query"}, {"meter", "b1-m6"}, {"args", {{"points", {"relay_closed"}}}}}}}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump();
  ASSERT_EQ(r["results"].size(), 2u);
  // Steps on one bus run in order: the query sees the relay the first step opened.
  EXPECT_EQ(r["results"][1]["values"].value("relay_closed", true), false) << r.dump();

  r = run(make_command("c-later", "batch", {{"meters", {"b1-m6"}}},
                       {{"op", "relay_close"}, {"run_at", unix_now_ms() + 1500}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();
  EXPECT_EQ(results_for(collector_->messages(), "c-later").front().value("state", ""), "scheduled");

  ASSERT_TRUE(collector_->publish(kCmdTopic, make_command("c-far", "batch", {{"meters", {"b1-m6"}}},
                                                          {{"op", "relay_open"}, {"run_at", unix_now_ms() + 600'000}})
                                                 .dump()));
  r = run(make_command("c-cancel", "cancel", json::object(), {{"command_id", "c-far"}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();
  EXPECT_EQ(wait_final(*collector_, "c-far").value("state", ""), "cancelled");

  r = run(make_command("c-get", "get_result", json::object(), {{"command_id", "c-recharge"}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump();
  EXPECT_EQ(r["results"][0]["result"].value("state", ""), "done");

  // The ledger: opening, recharge, refund of A101; A200's opening; balances are the sums.
  ASSERT_TRUE(daemon_->terminate(15s).has_value());
  EXPECT_EQ(db_int("SELECT count(*) FROM ledger WHERE kind = 'recharge' AND order_id = 'o-1'"), 1);
  EXPECT_EQ(db_int("SELECT count(*) FROM ledger WHERE kind = 'refund' AND order_id = 'o-2'"), 1);
  EXPECT_EQ(db_int("SELECT sum(amount) FROM ledger WHERE account_id = 'A101'"),
            db_int("SELECT balance FROM account_state WHERE account_id = 'A101'"));
  EXPECT_EQ(db_int("SELECT count(*) FROM commands WHERE state IN ('accepted', 'scheduled')"), 0);
}

TEST_F(CommandsTest, TheSameIdThreeTimesExecutesOnceAndAnswersThreeTimes) {
  start();
  const json command = make_command("dup-1", "recharge", {{"account", "A101"}},
                                    {{"order_id", "o-dup"}, {"amount", "5.0000"}});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(collector_->publish(kCmdTopic, command.dump()));
  const json last = wait_final(*collector_, "dup-1", 20s, 3);
  ASSERT_FALSE(last.is_null()) << daemon_->log();
  std::vector<json> finals;
  for (auto& r : results_for(collector_->messages(), "dup-1")) {
    if (r.value("state", "") == "done") finals.push_back(r);
  }
  ASSERT_EQ(finals.size(), 3u);
  for (auto& r : finals) EXPECT_EQ(r["results"], finals[0]["results"]);
  ASSERT_TRUE(daemon_->terminate(15s).has_value());
  EXPECT_EQ(db_int("SELECT count(*) FROM ledger WHERE order_id = 'o-dup'"), 1);
  EXPECT_EQ(db_int("SELECT count(*) FROM commands WHERE id = 'dup-1'"), 1);
}

TEST_F(CommandsTest, BadInputGetsAClearRefusalAndTheDaemonKeepsRunning) {
  start();
  auto refused = [&](const std::string& payload, const std::string& id) {
    EXPECT_TRUE(collector_->publish(kCmdTopic, payload));
    return wait_final(*collector_, id);
  };
  json r = refused(R"({"id":"bad-1","op":"recharge","account":"A101","issued_at":1,"args":{"order_id":"x","amount":5}})", "bad-1");
  EXPECT_EQ(r.value("state", ""), "failed");
  EXPECT_EQ(r["error"].value("path", ""), "/args/amount") << r.dump();
  r = refused(R"({"id":"bad-2","op":"explode","issued_at":1,"args":{}})", "bad-2");
  EXPECT_EQ(r["error"].value("code", ""), "unknown_op") << r.dump();
  r = refused(make_command("bad-3", "recharge", {{"account", "A101"}},
                           {{"order_id", "x"}, {"amount", "99999999.0000"}}).dump(), "bad-3");
  EXPECT_EQ(r["error"].value("code", ""), "invalid") << r.dump();
  r = run(make_command("bad-4", "relay_open", {{"meter", "nowhere"}}));
  EXPECT_EQ(r.value("state", ""), "failed");
  EXPECT_EQ(r["results"][0].value("code", ""), "unknown_meter") << r.dump();
  r = run(make_command("bad-5", "recharge", {{"account", "NOPE"}},
                       {{"order_id", "x"}, {"amount", "1.0000"}}));
  EXPECT_EQ(r["results"][0].value("code", ""), "unknown_account") << r.dump();
  r = run(make_command("bad-6", "refund", {{"account", "A101"}},
                       {{"order_id", "x"}, {"amount", "900000.0000"}}));
  EXPECT_EQ(r["results"][0].value("code", ""), "insufficient_balance") << r.dump();

  // No id to answer: a counted command_rejected event instead.
  ASSERT_TRUE(collector_->publish(kCmdTopic, "{not json"));
  ASSERT_TRUE(collector_->publish(kCmdTopic, std::string(70 * 1024, 'x')));
  ASSERT_TRUE(collector_->wait_until(
      [](const MqttCollector::Messages& m) {
        return gateway_events(m, {"command_rejected"}).size() >= 5;  // bad-1..3 and these two
      },
      20s));
  r = run(make_command("good", "query", {{"meter", "b1-m1"}}, {{"points", {"energy_total"}}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();
  EXPECT_TRUE(daemon_->running());
}

TEST_F(CommandsTest, SignaturesAreRequiredWhenAKeyIsConfigured) {
  const std::string key = "raw key: not hex, 32 bytes long!";  // a hex file is decoded first
  const std::string key_file = dir_.file("cmd.key");
  std::ofstream(key_file) << key;
  std::filesystem::permissions(key_file, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::owner_write);
  start("commands:\n  hmac_key_file: " + key_file + "\n  issued_at_window: 30s\n");
  auto sign = [&](json command) {
    command["sig"] = hmac_sha256_hex(std::string_view(key), canonical_payload(command));
    return command;
  };
  json r = run(make_command("u-1", "query", {{"meter", "b1-m1"}}, {{"points", {"energy_total"}}}));
  EXPECT_EQ(r["error"].value("code", ""), "unauthenticated") << r.dump();
  json forged = sign(make_command("u-2", "query", {{"meter", "b1-m1"}}, {{"points", {"energy_total"}}}));
  forged["args"]["points"] = {"relay_closed"};
  r = run(forged);
  EXPECT_EQ(r["error"].value("code", ""), "unauthenticated") << r.dump();
  json old = make_command("u-3", "query", {{"meter", "b1-m1"}}, {{"points", {"energy_total"}}});
  old["issued_at"] = unix_now_ms() - 3'600'000;
  r = run(sign(old));
  EXPECT_EQ(r["error"].value("code", ""), "expired") << r.dump();
  r = run(sign(make_command("s-1", "query", {{"meter", "b1-m1"}}, {{"points", {"energy_total"}}})));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();
}

TEST_F(CommandsTest, AScheduledBatchSurvivesARestartAndRunsOnceAtItsTime) {
  start();
  const std::int64_t run_at = unix_now_ms() + 6000;
  ASSERT_TRUE(collector_->publish(
      kCmdTopic, make_command("sched-1", "batch", {{"meters", {"b1-m3"}}},
                              {{"op", "relay_open"}, {"run_at", run_at}})
                     .dump()));
  ASSERT_TRUE(collector_->wait_until(
      [](const MqttCollector::Messages& m) { return !results_for(m, "sched-1").empty(); }, 20s));
  ASSERT_TRUE(daemon_->terminate(15s).has_value());
  EXPECT_EQ(db_int("SELECT count(*) FROM commands WHERE id = 'sched-1' AND state = 'scheduled'"), 1);
  daemon_->start();
  const json r = wait_final(*collector_, "sched-1", 30s);
  ASSERT_EQ(r.value("state", ""), "done") << r.dump() << daemon_->log();
  EXPECT_GE(r.value("ts", std::int64_t{0}), run_at);
  ASSERT_TRUE(daemon_->terminate(15s).has_value());
  std::size_t finals = 0;
  for (auto& x : results_for(collector_->messages(), "sched-1")) finals += x.value("state", "") == "done";
  EXPECT_EQ(finals, 1u);
}

}  // namespace
}  // namespace meterd::test
