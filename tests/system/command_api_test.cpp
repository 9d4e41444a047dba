// SPDX-License-Identifier: Apache-2.0
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
    collector_ =
        std::make_unique<MqttCollector>(broker_.uri(), "cmd-collector", "meterd/v1/gw-test/#");
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
  EXPECT_EQ(results_for(collector_->messages(), "c-recharge").front().value("state", ""),
            "accepted");

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
                       {{"name", "Room 200"},
                        {"meters", {"b1-m4"}},
                        {"tariff", {{"id", "t3"}, {"price", "0.0300"}}},
                        {"opening_balance", "10.0000"}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();
  r = run(make_command("c-assign", "assign_meter", {{"meter", "b1-m5"}}, {{"account", "A200"}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();
  r = run(make_command("c-closeacct", "close_account", {{"account", "A200"}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();

  r = run(make_command("c-load", "set_load_limits", {{"meters", {"b1-m1", "b1-m2"}}},
                       {{"max_power_w", 20000}, {"grace_s", 5}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();
  EXPECT_EQ(r["results"].size(), 2u);
  r = run(make_command("c-sched", "set_schedule", {{"meter", "b1-m1"}},
                       {{"windows", {{{"from", "00:00"}, {"to", "24:00"}}}},
                        {"holidays", {"2026-10-01"}},
                        {"on_holidays", "off"}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();

  r = run(make_command(
      "c-batch", "batch", json::object(),
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

  ASSERT_TRUE(collector_->publish(
      kCmdTopic, make_command("c-far", "batch", {{"meters", {"b1-m6"}}},
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
  json r = refused(
      R"({"id":"bad-1","op":"recharge","account":"A101","issued_at":1,"args":{"order_id":"x","amount":5}})",
      "bad-1");
  EXPECT_EQ(r.value("state", ""), "failed");
  EXPECT_EQ(r["error"].value("path", ""), "/args/amount") << r.dump();
  r = refused(R"({"id":"bad-2","op":"explode","issued_at":1,"args":{}})", "bad-2");
  EXPECT_EQ(r["error"].value("code", ""), "unknown_op") << r.dump();
  r = refused(make_command("bad-3", "recharge", {{"account", "A101"}},
                           {{"order_id", "x"}, {"amount", "99999999.0000"}})
                  .dump(),
              "bad-3");
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

  r = refused(
      make_command("bad-7", "set_load_limits", {{"meter", "b1-m1"}}, {{"max_power_w", 0}}).dump(),
      "bad-7");
  EXPECT_EQ(r["error"].value("path", ""), "/args/max_power_w") << r.dump();
  r = refused(make_command("bad-8", "set_schedule", {{"meter", "b1-m1"}},
                           {{"windows", {{{"from", "25:00"}, {"to", "06:00"}}}}})
                  .dump(),
              "bad-8");
  EXPECT_EQ(r["error"].value("path", ""), "/args/windows/0/from") << r.dump();

  // No id to answer: a counted command_rejected event instead.
  ASSERT_TRUE(collector_->publish(kCmdTopic, "{not json"));
  ASSERT_TRUE(collector_->publish(kCmdTopic, std::string(70 * 1024, 'x')));
  ASSERT_TRUE(collector_->wait_until(
      [](const MqttCollector::Messages& m) {
        return gateway_events(m, {"command_rejected"}).size() >= 7;  // bad-1..3, 7, 8, these two
      },
      20s));
  r = run(make_command("good", "query", {{"meter", "b1-m1"}}, {{"points", {"energy_total"}}}));
  EXPECT_EQ(r.value("state", ""), "done") << r.dump();
  EXPECT_TRUE(daemon_->running());
}

// The local time at the site (+08:00, kOneAccountBilling) `ahead` from now, as HH:MM.
std::string site_clock_in(std::chrono::minutes ahead) {
  const auto local = std::chrono::system_clock::now() + 8h + ahead;
  const auto minute = std::chrono::duration_cast<std::chrono::minutes>(
                          local - std::chrono::floor<std::chrono::days>(local))
                          .count();
  const auto two = [](long value) {
    return std::string(value < 10 ? "0" : "") + std::to_string(value);
  };
  return two(minute / 60) + ":" + two(minute % 60);
}

bool relay_closed(const json& query_result) {
  return query_result["results"][0]["values"].value("relay_closed", true);
}

TEST_F(CommandsTest, LoadLimitsAndSchedulesDriveTheRelayEndToEnd) {
  start();
  int queries = 0;  // each query a new id: a repeated id would get the stored result
  const auto query = [&](const std::string& id) {
    return run(make_command(id + "-" + std::to_string(++queries), "query", {{"meter", "b1-m2"}},
                            {{"points", {"relay_closed"}}}));
  };
  // Any load is over 1 W: the next power reading trips, and nothing restores it automatically.
  json r = run(make_command("l-1", "set_load_limits", {{"meter", "b1-m2"}},
                            {{"max_power_w", 1}, {"grace_s", 0}, {"restore_after_s", 0}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump();
  ASSERT_TRUE(collector_->wait_until(
      [](const MqttCollector::Messages& m) {
        return !meter_events(m, "b1-m2", {"overload_trip"}).empty();
      },
      20s))
      << daemon_->log();
  ASSERT_TRUE(wait_for([&] { return !relay_closed(query("l-q1")); }, 20s, 200ms));
  // A person restores it; the limit goes too, so it stays on.
  r = run(make_command("l-2", "set_load_limits", {{"meter", "b1-m2"}}, {{"clear", true}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump();
  EXPECT_TRUE(wait_for([&] { return relay_closed(query("l-q2")); }, 20s, 200ms));

  // A supply window that starts in two hours: no supply now.
  r = run(make_command(
      "s-1", "set_schedule", {{"meter", "b1-m2"}},
      {{"windows", {{{"from", site_clock_in(120min)}, {"to", site_clock_in(180min)}}}}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump();
  ASSERT_TRUE(wait_for([&] { return !relay_closed(query("s-q1")); }, 20s, 200ms));
  r = run(make_command("s-2", "relay_close", {{"meter", "b1-m2"}}));
  EXPECT_EQ(r["results"][0].value("code", ""), "rejected") << r.dump();
  // Kept across a restart (the sim meters come back with their relays closed).
  ASSERT_TRUE(daemon_->terminate(15s).has_value());
  daemon_->start();
  EXPECT_TRUE(wait_for([&] { return !relay_closed(query("s-q2")); }, 20s, 200ms));
  r = run(make_command("s-3", "set_schedule", {{"meter", "b1-m2"}}, {{"clear", true}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump();
  ASSERT_TRUE(wait_for([&] { return relay_closed(query("s-q3")); }, 20s, 200ms));
  EXPECT_EQ(meter_events(collector_->messages(), "b1-m2",
                         {"overload_trip", "load_reset", "load_cleared", "supply_schedule_off",
                          "supply_schedule_on"}),
            (std::vector<std::string>{"overload_trip", "load_cleared", "supply_schedule_off",
                                      "supply_schedule_on"}));
}

TEST_F(CommandsTest, SignaturesAreRequiredWhenAKeyIsConfigured) {
  const std::string key = "raw key: not hex, 32 bytes long!";  // a hex file is decoded first
  const std::string key_file = dir_.file("cmd.key");
  std::ofstream(key_file) << key;
  std::filesystem::permissions(
      key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  start("commands:\n  hmac_key_file: " + key_file + "\n  issued_at_window: 30s\n");
  auto sign = [&](json command) {
    command["sig"] = hmac_sha256_hex(std::string_view(key), canonical_payload(command));
    return command;
  };
  json r = run(make_command("u-1", "query", {{"meter", "b1-m1"}}, {{"points", {"energy_total"}}}));
  EXPECT_EQ(r["error"].value("code", ""), "unauthenticated") << r.dump();
  json forged =
      sign(make_command("u-2", "query", {{"meter", "b1-m1"}}, {{"points", {"energy_total"}}}));
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
  ASSERT_TRUE(
      collector_->publish(kCmdTopic, make_command("sched-1", "batch", {{"meters", {"b1-m3"}}},
                                                  {{"op", "relay_open"}, {"run_at", run_at}})
                                         .dump()));
  ASSERT_TRUE(collector_->wait_until(
      [](const MqttCollector::Messages& m) { return !results_for(m, "sched-1").empty(); }, 20s));
  ASSERT_TRUE(daemon_->terminate(15s).has_value());
  EXPECT_EQ(db_int("SELECT count(*) FROM commands WHERE id = 'sched-1' AND state = 'scheduled'"),
            1);
  daemon_->start();
  const json r = wait_final(*collector_, "sched-1", 30s);
  ASSERT_EQ(r.value("state", ""), "done") << r.dump() << daemon_->log();
  EXPECT_GE(r.value("ts", std::int64_t{0}), run_at);
  ASSERT_TRUE(daemon_->terminate(15s).has_value());
  std::size_t finals = 0;
  for (auto& x : results_for(collector_->messages(), "sched-1"))
    finals += x.value("state", "") == "done";
  EXPECT_EQ(finals, 1u);
}

}  // namespace
}  // namespace meterd::test
