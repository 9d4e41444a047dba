// SPDX-License-Identifier: Apache-2.0
// Hostile commands through the whole path: bytes published on `cmd` of a real mosquitto reach
// the real daemon's uplink, intake, authentication and journal. Whatever the bytes, the daemon
// stays up, refuses each one with a `command_rejected` event (and a failed result when the id
// was readable), writes only valid UTF-8, and moves no money.
#include <gtest/gtest.h>

#include <fstream>

#include "commands/command_auth.h"
#include "support/broker.h"
#include "system/command_harness.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using namespace std::string_literals;

const std::string kKey = "a key of the hostile-command test";

std::string sign(json command, const std::string& key = kKey) {
  command["sig"] = hmac_sha256_hex(std::string_view(key), canonical_payload(command));
  return command.dump();
}

std::string fresh_recharge(const std::string& id) {
  return R"({"id":")" + id + R"(","op":"recharge","account":"A101","issued_at":)" +
         std::to_string(unix_now_ms()) + R"(,"args":{"order_id":"o-)" + id +
         R"(","amount":"5.0000"}})";
}

struct Hostile {
  std::string label;
  std::string payload;
  std::string id;  // the id a failed result must name; empty when none is readable
};

std::vector<Hostile> hostile_payloads() {
  std::vector<Hostile> list = {
      // Invalid UTF-8 in every place a string can stand.
      {"the reported defect", "{\"id\":\"x1\",\"op\":\"query\",\"target\":\"\xff\xfe\"}", "x1"},
      {"in the id", "{\"id\":\"h\xff\",\"op\":\"query\",\"meter\":\"b1-m1\"}", ""},
      {"in the op", "{\"id\":\"h-op\",\"op\":\"re\xc3\x28harge\"}", "h-op"},
      {"in a key", "{\"id\":\"h-key\",\"\xfe\xff\":1}", "h-key"},
      {"in an order id (surrogate)",
       "{\"id\":\"h-ord\",\"op\":\"recharge\",\"account\":\"A101\",\"args\":{\"order_id\":"
       "\"\xed\xa0\x80\",\"amount\":\"1.0000\"}}",
       "h-ord"},
      {"in the sig", "{\"id\":\"h-sig\",\"op\":\"query\",\"sig\":\"\xc0\xaf\"}", "h-sig"},
      {"truncated sequence at the end",
       "{\"id\":\"h-trunc\",\"op\":\"query\",\"meter\":\"b1\xe2\x82\"}", "h-trunc"},
      {"in a batch step",
       "{\"id\":\"h-batch\",\"op\":\"batch\",\"args\":{\"ops\":[{\"op\":\"relay_open\","
       "\"meter\":\"\x80\"}]}}",
       "h-batch"},
      {"in get_result's command id",
       "{\"id\":\"h-get\",\"op\":\"get_result\",\"args\":{\"command_id\":\"\xf8\x88\x80\x80\x80\"}"
       "}",
       "h-get"},
      {"a raw control byte in a string", "{\"id\":\"h-nul\",\"op\":\"query\",\"meter\":\"a\0b\"}"s,
       ""},
      {"an escaped NUL in a name", R"({"id":"h-enul","op":"relay_open","meter":"b1\u0000m1"})",
       "h-enul"},
      {"an escaped lone surrogate", R"({"id":"h-lone","op":"relay_open","meter":"\ud800"})", ""},
      {"escape sequences in a name", R"({"id":"h-esc","op":"relay_open","meter":"\u001b[31m"})",
       "h-esc"},
      {"a byte-order mark", "\xef\xbb\xbf{\"id\":\"h-bom\",\"op\":\"query\"}", ""},
      // Wrong types and shapes.
      {"a numeric id", R"({"id":17,"op":"query"})", ""},
      {"an array op", R"({"id":"h-arr","op":["recharge"]})", "h-arr"},
      {"args as a string", R"({"id":"h-args","op":"recharge","account":"A101","args":"5"})",
       "h-args"},
      {"a number amount",
       R"({"id":"h-num","op":"recharge","account":"A101","args":{"order_id":"o","amount":5}})",
       "h-num"},
      {"meters as an object", R"({"id":"h-obj","op":"relay_open","meters":{"a":1}})", "h-obj"},
      {"issued_at as a string", R"({"id":"h-iat","op":"query","issued_at":"now"})", "h-iat"},
      {"an unknown op", R"({"id":"h-op2","op":"format_disk"})", "h-op2"},
      {"an unknown member", R"({"id":"h-unk","op":"query","meter":"b1-m1","colour":1})", "h-unk"},
      {"not an object", "[1,2,3]", ""},
      {"null", "null", ""},
      {"empty", "", ""},
      {"trailing garbage", R"({"id":"h-tail","op":"query"} xyz)", ""},
      {"NaN", R"({"id":"h-nan","op":"query","issued_at":NaN})", ""},
      // Huge numbers and sizes.
      {"a huge issued_at", R"({"id":"h-big","op":"query","issued_at":1e400})", ""},
      {"an issued_at beyond int64",
       R"({"id":"h-i64","op":"query","issued_at":18446744073709551616})", "h-i64"},
      {"a huge amount",
       R"({"id":"h-amt","op":"recharge","account":"A101","args":{"order_id":"o","amount":"99999999999999999999999.0000"}})",
       "h-amt"},
      {"a 10k id", R"({"id":")" + std::string(10'000, 'i') + R"(","op":"query"})", ""},
      {"1 MB", R"({"id":"h-mb","op":"query","pad":")" + std::string(1 << 20, 'p') + "\"}", ""},
      {"deep nesting", std::string(100'000, '[') + std::string(100'000, ']'), ""},
      {"deep nesting inside args",
       R"({"id":"h-deep","op":"query","args":)" + std::string(5'000, '[') +
           std::string(5'000, ']') + "}",
       ""},
      // Authentication.
      {"unsigned", fresh_recharge("h-unsigned"), "h-unsigned"},
      {"a wrong key", sign(json::parse(fresh_recharge("h-wrongkey")), "another key"), "h-wrongkey"},
  };
  json stale = json::parse(fresh_recharge("h-stale"));
  stale["issued_at"] = unix_now_ms() - 24 * 3'600'000LL;
  list.push_back({"a stale signature", sign(stale), "h-stale"});
  json tampered = json::parse(sign(json::parse(fresh_recharge("h-tamper"))));
  tampered["args"]["amount"] = "500.0000";
  list.push_back({"a signed command changed after signing", tampered.dump(), "h-tamper"});
  return list;
}

TEST(HostileCommands, NoPayloadStopsTheDaemonEachIsRefusedAndNoMoneyMoves) {
  TempDir dir;
  MosquittoBroker broker{dir.path() / "broker"};
  broker.start();
  MqttCollector collector(broker.uri(), "hostile-collector", "meterd/v1/gw-test/#");
  const std::string key_file = dir.file("cmd.key");
  std::ofstream(key_file) << kKey;
  std::filesystem::permissions(
      key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  SiteSpec spec;
  spec.servers = {broker.uri()};
  spec.billing_yaml = std::string(kOneAccountBilling) + "commands:\n  hmac_key_file: " + key_file +
                      "\n  issued_at_window: 60s\n";
  DaemonUnderTest daemon(dir, spec);
  daemon.start();
  ASSERT_TRUE(wait_for_telemetry_of(collector, "b1-m2", 20s)) << daemon.log();
  const std::int64_t balance_before = query_store_int(
      daemon.db_path(), "SELECT balance FROM account_state WHERE account_id = 'A101'");

  const std::vector<Hostile> payloads = hostile_payloads();
  ASSERT_GE(payloads.size(), 30u);
  std::size_t sent = 0;
  for (const Hostile& hostile : payloads) {
    ASSERT_TRUE(collector.publish(kCmdTopic, hostile.payload)) << hostile.label;
    ++sent;
    // Each is refused in order: its event arrives before the next one goes out.
    ASSERT_TRUE(collector.wait_until(
        [&](const MqttCollector::Messages& m) {
          return gateway_events(m, {"command_rejected"}).size() >= sent;
        },
        20s))
        << "no refusal for " << hostile.label << "\n"
        << daemon.log();
    ASSERT_TRUE(daemon.running()) << "stopped by " << hostile.label << "\n" << daemon.log();
    if (!hostile.id.empty()) {
      const json result = wait_final(collector, hostile.id, 10s);
      ASSERT_TRUE(result.is_object()) << "no result for " << hostile.label;
      EXPECT_EQ(result.value("state", ""), "failed") << hostile.label << ": " << result;
      EXPECT_TRUE(result["error"].is_object()) << hostile.label << ": " << result;
    }
  }

  // A wrong type in open_account's args once threw out of the loop after the journal, and the
  // journaled command threw again at every start. Now it is refused at intake, and nothing
  // stays pending.
  json bad_name = make_command("acct-bad", "open_account", {{"account", "A900"}},
                               {{"name", 5}, {"meters", {"b1-m5"}}});
  EXPECT_TRUE(collector.publish(kCmdTopic, sign(bad_name)));
  const json refused_account = wait_final(collector, "acct-bad");
  ASSERT_TRUE(refused_account.is_object()) << daemon.log();
  EXPECT_EQ(refused_account.value("state", ""), "failed") << refused_account << daemon.log();
  EXPECT_EQ(
      query_store_int(daemon.db_path(), "SELECT COUNT(*) FROM commands WHERE state = 'accepted'"),
      0);

  // Still serving: a signed command runs.
  json good = make_command("h-good", "query", {{"meter", "b1-m1"}}, {{"points", {"energy_total"}}});
  EXPECT_TRUE(collector.publish(kCmdTopic, sign(good)));
  const json good_result = wait_final(collector, "h-good");
  ASSERT_TRUE(good_result.is_object()) << daemon.log();
  EXPECT_EQ(good_result.value("state", ""), "done") << daemon.log();

  // Every message the gateway wrote is JSON, hence valid UTF-8.
  for (const CollectedMessage& message : collector.messages()) {
    if (message.topic == kCmdTopic) continue;  // what the test sent
    EXPECT_FALSE(message.json().is_discarded()) << message.topic << ": " << message.payload;
  }
  EXPECT_EQ(query_store_int(daemon.db_path(),
                            "SELECT COUNT(*) FROM ledger WHERE kind IN ('recharge', 'refund')"),
            0);
  EXPECT_EQ(query_store_int(daemon.db_path(),
                            "SELECT COUNT(*) FROM commands WHERE id LIKE 'h-%' AND id != 'h-good'"),
            0);
  ASSERT_TRUE(daemon.terminate(15s).has_value());
  // Deductions may have run meanwhile; only they may have moved the balance, downwards.
  EXPECT_LE(query_store_int(daemon.db_path(),
                            "SELECT balance FROM account_state WHERE account_id = 'A101'"),
            balance_before);
}

}  // namespace
}  // namespace meterd::test
