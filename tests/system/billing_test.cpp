// SPDX-License-Identifier: Apache-2.0
// Gateway billing end to end: the real daemon bills sim meters' energy, the balance runs out,
// the alarms go out over MQTT in order, the relays open and consumption stops; the ledger in
// the daemon's database sums exactly to the balance it reports.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/broker.h"
#include "support/wait.h"
#include "system/command_harness.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

// 9 kW at 1000.0000 per kWh: 2.5 per second, so 10.0000 lasts about 4 s.
const char* kBilling = R"(billing:
  utc_offset: "+08:00"
  ledger_interval: 1s
  relay_retry_min: 200ms
  tariffs:
    - id: steep
      price: "1000.0000"
  accounts:
    - id: A101
      meters: [b1-m1, b1-m2]
      tariff: steep
      opening_balance: "10.0000"
      thresholds: {low_1: "8.0000", low_2: "5.0000", cut_off: "0", hysteresis: "1.0000"}
)";

std::vector<std::string> account_events(const MqttCollector::Messages& messages) {
  std::vector<std::string> types;
  for (const auto& m : messages) {
    if (m.topic != "meterd/v1/gw-test/events") continue;
    const std::string type = m.json().value("event", "");
    if (type.starts_with("balance_") || type == "cut_off" || type == "restored") {
      types.push_back(type);
    }
  }
  return types;
}

struct MeterSample {
  bool relay_closed = true;
  std::int64_t energy = -1;
};

// The slow-group readings of `meter` after index `from`, in arrival order.
std::vector<MeterSample> slow_samples(const MqttCollector::Messages& messages,
                                      const std::string& meter, std::size_t from) {
  std::vector<MeterSample> samples;
  for (std::size_t i = from; i < messages.size(); ++i) {
    if (messages[i].topic != "meterd/v1/gw-test/meters/" + meter + "/telemetry") continue;
    const auto j = messages[i].json();
    if (j.value("group", "") != "slow") continue;
    const auto& values = j.at("values");
    samples.push_back(
        {values.value("relay_closed", true), values.value("energy_total", std::int64_t{-1})});
  }
  return samples;
}

// Whether `meter` is closed and counting in its slow readings after index `from`.
bool counting(const MqttCollector::Messages& messages, const std::string& meter, std::size_t from) {
  const auto samples = slow_samples(messages, meter, from);
  return samples.size() >= 2 && samples.back().relay_closed &&
         samples.back().energy > samples.front().energy;
}

TEST(Billing, BalanceRunsOutRelaysOpenConsumptionStopsARechargeRestoresSupply) {
  TempDir dir;
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  MqttCollector collector(broker.uri(), "billing-collector", "meterd/v1/gw-test/#");
  SiteSpec spec;
  spec.servers = {broker.uri()};
  spec.meters_per_bus = 3;  // b1-m3 belongs to no account: it keeps running
  spec.slow_interval = "500ms";
  spec.meter_settings = "base_load_w: 9000";
  spec.billing_yaml = kBilling;
  DaemonUnderTest daemon(dir, spec);
  daemon.start();

  ASSERT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) {
        const auto types = account_events(m);
        return std::find(types.begin(), types.end(), "cut_off") != types.end();
      },
      std::chrono::seconds(60)))
      << daemon.log();
  EXPECT_EQ(account_events(collector.messages()),
            (std::vector<std::string>{"balance_low_1", "balance_low_2", "cut_off"}));

  // Both meters of the account go dark and stop counting; the third keeps consuming.
  const std::size_t mark = collector.size();
  auto stopped = [&](const MqttCollector::Messages& m, const std::string& meter) {
    const auto samples = slow_samples(m, meter, mark);
    for (std::size_t i = 1; i < samples.size(); ++i) {
      if (!samples[i - 1].relay_closed && !samples[i].relay_closed &&
          samples[i - 1].energy == samples[i].energy) {
        return true;
      }
    }
    return false;
  };
  // Two polls of a loaded machine may land within the same Wh, so the third meter is waited
  // on too: it must show closed and counting over the same stretch.
  ASSERT_TRUE(collector.wait_until(
      [&](const MqttCollector::Messages& m) {
        return stopped(m, "b1-m1") && stopped(m, "b1-m2") && counting(m, "b1-m3", mark);
      },
      std::chrono::seconds(30)))
      << daemon.log();
  for (const auto& sample : slow_samples(collector.messages(), "b1-m3", mark)) {
    EXPECT_TRUE(sample.relay_closed);
  }

  // A recharge from the cloud: `restored`, the relays close, the meters count again.
  const nlohmann::json result =
      run_command(collector, make_command("pay-1", "recharge", {{"account", "A101"}},
                                          {{"order_id", "wx-1"}, {"amount", "100.0000"}}));
  ASSERT_EQ(result.value("state", ""), "done") << result.dump() << daemon.log();
  const std::size_t paid = collector.size();
  ASSERT_TRUE(collector.wait_until(
      [&](const MqttCollector::Messages& m) {
        return counting(m, "b1-m1", paid) && counting(m, "b1-m2", paid);
      },
      std::chrono::seconds(30)))
      << daemon.log();
  // The first four (100.0000 lasts about 20 s: the cycle may begin again after them).
  auto events = gateway_events(collector.messages(),
                               {"balance_low_1", "balance_low_2", "cut_off", "restored"});
  events.resize(std::min<std::size_t>(events.size(), 4));
  EXPECT_EQ(events,
            (std::vector<std::string>{"balance_low_1", "balance_low_2", "cut_off", "restored"}));

  const auto exit = daemon.terminate(std::chrono::seconds(15));
  ASSERT_TRUE(exit.has_value());
  const std::string& db = daemon.db_path();
  const std::int64_t balance =
      query_store_int(db, "SELECT balance FROM account_state WHERE account_id = 'A101'");
  EXPECT_EQ(query_store_int(db, "SELECT sum(amount) FROM ledger WHERE account_id = 'A101'"),
            balance);
  EXPECT_EQ(query_store_int(db, "SELECT count(*) FROM ledger WHERE order_id = 'wx-1'"), 1);
  // Every Wh the meters counted since their first reading is in the ledger, priced exactly:
  // 1000.0000 per kWh is 10,000,000 units per kWh: 10,000 units per Wh.
  const std::int64_t billed_wh = query_store_int(
      db, "SELECT sum(json_extract(details, '$.wh')) FROM ledger WHERE kind = 'deduction'");
  const std::int64_t deducted =
      -query_store_int(db, "SELECT sum(amount) FROM ledger WHERE kind = 'deduction'");
  EXPECT_EQ(deducted, billed_wh * 10'000);
  EXPECT_GT(billed_wh, 0);
}

}  // namespace
}  // namespace meterd::test
