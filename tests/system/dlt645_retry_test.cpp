// The real meterd on a dlt645 bus over a pty against dlt645-sim: relay actions and meter
// recharges that the meter does not carry out are bounded. Relay frames are counted on the
// line (the simulator's control-frame counter); results and events are read from the store
// and the broker.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "command_harness.h"
#include "daemon_harness.h"
#include "support/broker.h"
#include "support/mqtt_collector.h"
#include "support/process.h"
#include "support/pty_pair.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace meterd::test {
namespace {

constexpr int kRelayAttempts = 3;

std::string simulator_path() {
  return (std::filesystem::path(METERD_PLUGIN_DIR).parent_path() / "tools" / "dlt645-sim" /
          "dlt645-sim")
      .string();
}

struct Line {
  std::string close_command = "direct";
  std::string password = "02000000";
  std::string account;  // the account entry under billing.accounts
};

std::string site_yaml(const std::string& broker_uri, const std::string& device,
                      const std::string& db_path, const Line& line) {
  std::ostringstream y;
  y << "gateway_id: gw-test\n"
    << "plugin_dir: " << METERD_PLUGIN_DIR << "\n"
    << "profile_dir: " << METERD_SOURCE_DIR << "/config/profiles\n"
    << "mqtt:\n  servers: [" << broker_uri << "]\n  keepalive: 5s\n"
    << "  reconnect_min: 100ms\n  reconnect_max: 1s\n"
    << "store:\n  path: " << db_path << "\n  commit_interval: 100ms\n"
    << "poll_groups:\n"
    << "  - {name: slow, interval: 300ms, points: [energy_total, balance, purchase_count, "
       "relay_closed, relay_close_allowed]}\n"
    << "buses:\n"
    << "  - name: line1\n"
    << "    protocol: dlt645\n"
    << "    device: " << device << "\n"
    << "    parity: none\n"
    << "    password: \"" << line.password << "\"\n"
    << "    close_command: " << line.close_command << "\n"
    << "    backoff_interval: 1s\n"
    << "    meters:\n"
    << "      - {id: m01, address: \"000000000001\", timeout: 300ms, profile: dlt645-2007-default}\n"
    << "billing:\n"
    << "  relay_retry_min: 200ms\n"
    << "  relay_retry_max: 400ms\n"
    << "  relay_attempts: " << kRelayAttempts << "\n"
    << "  recharge_attempts: 2\n"
    << "  tariffs:\n    - {id: flat, price: \"0.5000\"}\n"
    << "  accounts:\n    - " << line.account << "\n";
  return y.str();
}

// The simulator's count of relay control frames, printed when it exits.
int control_frames(ChildProcess& simulator) {
  simulator.terminate();
  // (No std::regex: GCC 12 warns inside <regex> under ASan, and warnings are errors.)
  const std::string log = simulator.log();
  const std::string label = "control frames ";
  const auto at = log.find(label);
  if (at == std::string::npos) return -1;
  const auto digits = log.find_first_not_of("0123456789", at + label.size());
  const std::string number = log.substr(at + label.size(), digits - at - label.size());
  return number.empty() ? -1 : std::stoi(number);
}

class Dlt645Retry : public ::testing::Test {
 protected:
  void start(const Line& line, std::vector<std::string> sim_options) {
    ASSERT_TRUE(std::filesystem::exists(simulator_path())) << simulator_path();
    sim_args_ = {simulator_path(), "--device", pty_.b(), "--parity", "none"};
    sim_args_.insert(sim_args_.end(), sim_options.begin(), sim_options.end());
    sim_args_.push_back("000000000001");
    start_simulator();
    broker_.start();
    std::ofstream(dir_.file("meterd.yaml"))
        << site_yaml(broker_.uri(), pty_.a(), db_path(), line);
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{METERD_BINARY, "--config", dir_.file("meterd.yaml")},
        dir_.file("meterd.log"));
  }
  void start_simulator() {
    simulator_ = std::make_unique<ChildProcess>(sim_args_, dir_.file("sim.log"));
  }
  std::string db_path() const { return dir_.file("meterd.db"); }
  std::int64_t count(const std::string& sql) {
    if (!std::filesystem::exists(db_path())) return 0;
    if (query_store_int(db_path(), "SELECT count(*) FROM sqlite_master WHERE name = 'events'") == 0) {
      return 0;
    }
    return query_store_int(db_path(), sql);
  }
  std::int64_t events_of(const std::string& type) {
    return count("SELECT count(*) FROM events WHERE type = '" + type + "'");
  }
  // When the newest reading of m01 was taken (unix ms; 0 before the first).
  std::int64_t last_reading_ms() {
    return count("SELECT coalesce(max(ts_ms), 0) FROM latest WHERE meter_id = 'm01'");
  }
  // Waits for `type`, then for readings taken `span` after it (at 300 ms a poll, several
  // polls), any of which would have restarted a relay loop.
  bool wait_for_event_then_readings(const std::string& type, std::chrono::milliseconds span) {
    if (!wait_for([&] { return events_of(type) > 0; }, std::chrono::seconds(30))) return false;
    const std::int64_t event_ms =
        count("SELECT max(ts_ms) FROM events WHERE type = '" + type + "'");
    return wait_for([&] { return last_reading_ms() >= event_ms + span.count(); },
                    std::chrono::seconds(30));
  }
  std::string logs() { return daemon_->log() + "\n--- simulator\n" + simulator_->log(); }

  TempDir dir_{"meterd-dlt645-retry"};
  PtyPair pty_{dir_.path()};
  MosquittoBroker broker_{dir_.path() / "broker"};
  std::vector<std::string> sim_args_;
  std::unique_ptr<ChildProcess> simulator_;
  std::unique_ptr<ChildProcess> daemon_;
};

const char* kGatewayAccount = "{id: A1, meters: [m01], tariff: flat, opening_balance: \"100\"}";

TEST_F(Dlt645Retry, MeterRefusingToCloseGetsTheConfiguredAttemptsThenOneFailure) {
  start({"direct", "02999999", kGatewayAccount}, {"--relay-open"});  // wrong password
  ASSERT_TRUE(wait_for_event_then_readings("relay_action_failed", std::chrono::seconds(3))) << logs();
  EXPECT_EQ(events_of("relay_action_failed"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE type = 'relay_action_failed' AND "
                  "json_extract(details, '$.reason') = 'rejected' AND "
                  "json_extract(details, '$.attempts') = 3"),
            1);
  EXPECT_EQ(events_of("relay_mismatch"), 1);
  const auto status = daemon_->terminate(std::chrono::seconds(10));
  EXPECT_TRUE(status.exited && status.code == 0) << logs();
  EXPECT_EQ(control_frames(*simulator_), kRelayAttempts) << logs();
}

TEST_F(Dlt645Retry, CloseAllowedMeterIsLeftOpenForTheCustomerAfterOneFrame) {
  start({"allowed", "02000000", kGatewayAccount}, {"--relay-open"});
  ASSERT_TRUE(wait_for_event_then_readings("relay_close_allowed", std::chrono::seconds(3))) << logs();
  EXPECT_EQ(events_of("relay_close_allowed"), 1);
  EXPECT_EQ(events_of("relay_action_failed"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM latest WHERE meter_id = 'm01' AND "
                  "((point = 'relay_close_allowed' AND value = 1) OR "
                  "(point = 'relay_closed' AND value = 0))"),
            2)
      << "telemetry reports the armed relay";
  const auto status = daemon_->terminate(std::chrono::seconds(10));
  EXPECT_TRUE(status.exited && status.code == 0) << logs();
  EXPECT_EQ(daemon_->log().find("relay_close of meter"), std::string::npos) << logs();
  EXPECT_EQ(control_frames(*simulator_), 1) << logs();
}

// A meter-billed account whose meter dies after reporting its purchase count: the recharge
// ends failed after recharge_attempts; the same order, sent again once the meter is back,
// is applied once.
TEST_F(Dlt645Retry, RechargeToADeadMeterFailsThenTheSameOrderAppliesOnceWhenItAnswers) {
  start({"direct", "02000000", "{id: S1, mode: meter, meters: [m01]}"}, {});
  MqttCollector collector(broker_.uri(), "retry-results", kResultTopic);
  ASSERT_TRUE(wait_for([&] { return last_reading_ms() > 0; }, std::chrono::seconds(30))) << logs();
  simulator_->terminate();  // the meter goes silent; the engine still knows its count (3)
  const nlohmann::json order = {{"order_id", "wx-7"}, {"amount", "25.0000"}};
  const nlohmann::json failed =
      run_command(collector, make_command("pay-1", "recharge", {{"account", "S1"}}, order),
                  std::chrono::seconds(60));
  ASSERT_EQ(failed.value("state", ""), "failed") << failed.dump() << logs();
  EXPECT_EQ(failed["results"][0].value("code", ""), "meter_unreachable") << failed.dump();
  EXPECT_EQ(events_of("recharge_failed"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM meter_recharges WHERE order_id = 'wx-7' AND "
                  "state = 'unreachable'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM ledger WHERE order_id = 'wx-7'"), 0);

  start_simulator();  // back, with the count it had (3): the failed write never reached it
  const std::int64_t seen = last_reading_ms();
  ASSERT_TRUE(wait_for([&] { return last_reading_ms() > seen; }, std::chrono::seconds(30)))
      << logs();
  const nlohmann::json done =
      run_command(collector, make_command("pay-2", "recharge", {{"account", "S1"}}, order),
                  std::chrono::seconds(60));
  ASSERT_EQ(done.value("state", ""), "done") << done.dump() << logs();
  EXPECT_EQ(done["results"][0].value("balance_after", ""), "125.0000") << done.dump();
  EXPECT_FALSE(done["results"][0].value("order_applied_before", true));
  const nlohmann::json repeat =
      run_command(collector, make_command("pay-3", "recharge", {{"account", "S1"}}, order));
  EXPECT_TRUE(repeat["results"][0].value("order_applied_before", false)) << repeat.dump();
  EXPECT_EQ(count("SELECT count(*) FROM ledger WHERE order_id = 'wx-7'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM meter_recharges WHERE order_id = 'wx-7' AND "
                  "state = 'done' AND purchase_count = 4"),
            1);
  const auto status = daemon_->terminate(std::chrono::seconds(10));
  EXPECT_TRUE(status.exited && status.code == 0) << logs();
}

}  // namespace
}  // namespace meterd::test
