// SPDX-License-Identifier: Apache-2.0
// Period close end to end: the real daemon, a real broker and sim meters cross a local
// midnight (a fixed UTC offset with seconds puts it a few seconds after the test starts, see
// docs/statistics.md), and each billed meter and the account get exactly one summary of the
// day that ended on meters/<id>/stats and accounts/<id>/stats, with the day's rollup in it;
// also when the daemon was stopped across midnight, and not again after a restart.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "support/broker.h"
#include "support/wait.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

// Local midnight falls `lead` after now under the offset returned (within +-12 h).
struct Midnight {
  std::string utc_offset;         // "+05:29:45"
  system_clock::time_point when;  // the local midnight
  std::string day_before;         // the local date that ends there, "2026-12-05"
};

Midnight midnight_after(seconds lead) {
  const system_clock::time_point when = std::chrono::floor<seconds>(system_clock::now()) + lead;
  const std::int64_t tod =
      std::chrono::duration_cast<seconds>(when.time_since_epoch()).count() % 86400;
  std::int64_t offset = (86400 - tod) % 86400;  // utc + offset is a whole local day there
  if (offset > 43200) offset -= 86400;
  const std::int64_t magnitude = offset < 0 ? -offset : offset;
  char text[16];
  std::snprintf(text, sizeof text, "%c%02d:%02d:%02d", offset < 0 ? '-' : '+',
                static_cast<int>(magnitude / 3600), static_cast<int>(magnitude / 60 % 60),
                static_cast<int>(magnitude % 60));
  // The local date one second before midnight.
  const std::time_t local = system_clock::to_time_t(when - seconds(1)) + offset;
  std::tm tm{};
  gmtime_r(&local, &tm);
  char day[16];
  std::strftime(day, sizeof day, "%Y-%m-%d", &tm);
  return Midnight{text, when, day};
}

// 1.0000 per kWh: 10 units (1/10000) per Wh.
std::string billing(const Midnight& midnight) {
  return "billing:\n  utc_offset: \"" + midnight.utc_offset + R"("
  ledger_interval: 1s
  tariffs:
    - id: unit
      price: "1.0000"
  accounts:
    - id: A1
      meters: [b1-m1, b1-m2]
      tariff: unit
      opening_balance: "100000.0000"
)";
}

SiteSpec site(const MosquittoBroker& broker, const Midnight& midnight) {
  SiteSpec spec;
  spec.servers = {broker.uri()};
  spec.meters_per_bus = 2;
  spec.slow_interval = "500ms";
  spec.slow_points = "energy_total, relay_closed, voltage_a";
  spec.meter_settings = "base_load_w: 9000";
  spec.billing_yaml = billing(midnight);
  return spec;
}

const std::string kRoot = "meterd/v1/gw-test/";
const std::vector<std::string> kStatsTopics = {
    kRoot + "meters/b1-m1/stats", kRoot + "meters/b1-m2/stats", kRoot + "accounts/A1/stats"};

// Day summaries per stats topic, one per seq: delivery is at least once, so a message the
// broker had not acknowledged when the daemon stopped comes again with its seq, which the cloud
// drops; a second summary is a second seq.
std::map<std::string, std::vector<nlohmann::json>> day_summaries(
    const MqttCollector::Messages& messages) {
  std::map<std::string, std::vector<nlohmann::json>> out;
  std::set<std::int64_t> seqs;
  for (const auto& m : messages) {
    if (!m.topic.ends_with("/stats")) continue;
    const nlohmann::json j = m.json();
    if (j.value("period_kind", "") != "day") continue;
    if (seqs.insert(j.value("seq", std::int64_t{0})).second) out[m.topic].push_back(j);
  }
  return out;
}

bool every_owner_summarised(const MqttCollector::Messages& messages) {
  const auto summaries = day_summaries(messages);
  for (const std::string& topic : kStatsTopics) {
    if (!summaries.count(topic)) return false;
  }
  return true;
}

// Slow readings of both meters that arrived after message `from`.
bool both_meters_read_since(const MqttCollector::Messages& messages, std::size_t from, int n) {
  std::map<std::string, int> seen;
  for (std::size_t i = from; i < messages.size(); ++i) {
    if (!messages[i].topic.ends_with("/telemetry")) continue;
    if (messages[i].json().value("group", "") == "slow") ++seen[messages[i].topic];
  }
  return seen[kRoot + "meters/b1-m1/telemetry"] >= n && seen[kRoot + "meters/b1-m2/telemetry"] >= n;
}

// Exactly one summary per owner, of the day that ended, with the day's rollup as stored;
// nothing left to publish and every close record at revision 0.
void expect_one_summary_each(const MqttCollector::Messages& messages, const Midnight& midnight,
                             const std::string& db, const std::string& log) {
  const auto summaries = day_summaries(messages);
  std::int64_t meters_wh = 0;
  for (const std::string& topic : kStatsTopics) {
    auto found = summaries.find(topic);
    ASSERT_NE(found, summaries.end()) << topic << "\n" << log;
    ASSERT_EQ(found->second.size(), 1u)
        << topic << ": " << nlohmann::json(found->second).dump() << "\n"
        << log;
    const nlohmann::json& s = found->second.front();
    const bool account = topic.find("/accounts/") != std::string::npos;
    const std::string owner = account ? s.value("account", "") : s.value("meter", "");
    EXPECT_EQ(s.value("kind", ""), "stats");
    EXPECT_EQ(s.value("scope", ""), account ? "account" : "meter");
    EXPECT_EQ(s.value("period", ""), midnight.day_before) << s.dump();
    EXPECT_EQ(s.value("revision", -1), 0);
    EXPECT_FALSE(s.value("correction", true));
    EXPECT_TRUE(s.contains("store_id") && s.contains("seq")) << s.dump();
    const std::int64_t wh = s.value("energy_wh", std::int64_t{-1});
    EXPECT_GT(wh, 0) << s.dump();
    // Single price: all of it flat, 10 units per Wh.
    EXPECT_EQ(s.at("by_period").at("flat").value("energy_wh", std::int64_t{-1}), wh);
    const std::int64_t cost_units = wh * 10;
    char cost[32];
    std::snprintf(cost, sizeof cost, "%lld.%04lld", static_cast<long long>(cost_units / 10000),
                  static_cast<long long>(cost_units % 10000));
    EXPECT_EQ(s.value("cost", ""), cost) << s.dump();
    const std::string scope = account ? "account" : "meter";
    const std::string period = midnight.day_before.substr(0, 4) + midnight.day_before.substr(5, 2) +
                               midnight.day_before.substr(8, 2);
    EXPECT_EQ(query_store_int(db, "SELECT wh_flat FROM usage_rollups WHERE scope = '" + scope +
                                      "' AND owner = '" + owner +
                                      "' AND granularity = 'day' AND period = " + period),
              wh);
    // The voltage range of the polled phase, for meters only.
    if (account) {
      EXPECT_TRUE(s.at("voltage").is_null()) << s.dump();
    } else {
      const double low = s.at("voltage").value("min_v", 0.0);
      EXPECT_GT(low, 100.0) << s.dump();
      EXPECT_LE(low, s.at("voltage").value("max_v", 0.0)) << s.dump();
    }
    if (account) {
      EXPECT_EQ(wh, meters_wh);  // kStatsTopics lists the meters first
    } else {
      meters_wh += wh;
    }
  }
  EXPECT_EQ(query_store_int(db, "SELECT count(*) FROM outbox WHERE kind IN (3, 4)"), 0);
  EXPECT_EQ(query_store_int(db, "SELECT count(*) FROM usage_closes WHERE due = 1"), 0);
  EXPECT_EQ(query_store_int(db, "SELECT max(revision) FROM usage_closes"), 0);
}

TEST(StatsClose, EachMeterAndTheAccountGetOneSummaryOfTheDayThatEndedAndNoneAgainAfterRestart) {
  TempDir dir;
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  MqttCollector collector(broker.uri(), "stats-collector", kRoot + "#");
  const Midnight midnight = midnight_after(seconds(10));
  DaemonUnderTest daemon(dir, site(broker, midnight));
  daemon.start();

  ASSERT_TRUE(collector.wait_until(every_owner_summarised, seconds(30))) << daemon.log();
  ASSERT_TRUE(daemon.terminate(seconds(15)).has_value());
  // Restarted, it publishes nothing again: what a restart would repeat goes out before the
  // readings that follow it, in outbox order.
  const std::size_t before_restart = collector.size();
  daemon.start();
  ASSERT_TRUE(collector.wait_until(
      [&](const MqttCollector::Messages& m) {
        return both_meters_read_since(m, before_restart, 3);
      },
      seconds(20)))
      << daemon.log();
  ASSERT_TRUE(daemon.terminate(seconds(15)).has_value());
  expect_one_summary_each(collector.messages(), midnight, daemon.db_path(), daemon.log());
}

TEST(StatsClose, ADayThatEndedWhileTheDaemonWasStoppedIsSummarisedOnceAtStartUp) {
  TempDir dir;
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  MqttCollector collector(broker.uri(), "stats-collector", kRoot + "#");
  const Midnight midnight = midnight_after(seconds(10));
  DaemonUnderTest daemon(dir, site(broker, midnight));
  daemon.start();

  // Billed usage of the day (both meters and the account) is in the store, then it stops.
  ASSERT_TRUE(wait_for(
      [&] {
        try {  // the daemon creates the database after it starts
          return query_store_int(daemon.db_path(),
                                 "SELECT count(*) FROM usage_rollups WHERE granularity = 'day' "
                                 "AND wh_flat > 0") >= 3;
        } catch (const std::exception&) {
          return false;
        }
      },
      seconds(8)))
      << daemon.log();
  ASSERT_TRUE(daemon.terminate(seconds(15)).has_value());
  ASSERT_LT(system_clock::now(), midnight.when) << "the daemon was not stopped before midnight";
  ASSERT_TRUE(
      wait_for([&] { return system_clock::now() > midnight.when + seconds(1); }, seconds(15)));
  EXPECT_TRUE(day_summaries(collector.messages()).empty());

  daemon.start();
  ASSERT_TRUE(collector.wait_until(every_owner_summarised, seconds(20))) << daemon.log();
  const std::size_t after_close = collector.size();
  ASSERT_TRUE(collector.wait_until(
      [&](const MqttCollector::Messages& m) { return both_meters_read_since(m, after_close, 3); },
      seconds(20)))
      << daemon.log();
  ASSERT_TRUE(daemon.terminate(seconds(15)).has_value());
  expect_one_summary_each(collector.messages(), midnight, daemon.db_path(), daemon.log());
}

}  // namespace
}  // namespace meterd::test
