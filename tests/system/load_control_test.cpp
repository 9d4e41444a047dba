// SPDX-License-Identifier: Apache-2.0
// Load control end to end with the sim plugin's appliances: the real daemon, a real mosquitto,
// rooms whose appliances switch on a schedule. A 2 kW kettle (pf 0.99) trips malignant-load
// detection; a 1.5 kW compressor (pf 0.8) and a whitelisted 800 W heater do not; a heater
// switched on while learning is learned and then allowed; an over-power trip lands within
// grace_s plus one poll interval. Times are taken from the data (telemetry and trip times the
// daemon recorded), never from the test's own clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>

#include "support/broker.h"
#include "support/wait.h"
#include "system/command_harness.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr std::int64_t kGraceMs = 2000;
constexpr double kMaxPowerW = 2000;

// Five single-phase rooms polled every 250 ms. Each appliance runs for a few seconds of every
// cycle, so whenever the limits arrive, the next switching comes within one cycle.
constexpr const char* kRooms = R"(poll_groups:
  - {name: fast, interval: 250ms, points: [power_total, pf_total, reactive_power_total, current_a]}
  - {name: slow, interval: 2s, points: [energy_total, relay_closed]}
buses:
  - name: bus1
    protocol: sim
    seed: 7
    meters:
      - id: kettle-room
        timeout: 200ms
        phases: 1
        base_load_w: 100
        appliances:
          - {name: kettle, power_w: 2000, pf: 0.99, schedule: [{after: 1s, for: 2s, every: 4s}]}
      - id: fridge-room
        timeout: 200ms
        phases: 1
        base_load_w: 100
        appliances:
          - {name: compressor, power_w: 1500, pf: 0.8, schedule: [{after: 1s, for: 2s, every: 4s}]}
      - id: heater-room
        timeout: 200ms
        phases: 1
        base_load_w: 100
        appliances:
          - {name: heater, power_w: 800, pf: 1.0, schedule: [{after: 1s, for: 2s, every: 4s}]}
      - id: learning-room
        timeout: 200ms
        phases: 1
        base_load_w: 100
        appliances:
          - {name: heater, power_w: 800, pf: 1.0, schedule: [{after: 1s, for: 2s, every: 4s}]}
      - id: motor-room
        timeout: 200ms
        phases: 1
        base_load_w: 100
        appliances:
          - {name: motor, power_w: 3000, pf: 0.8, schedule: [{after: 1s, for: 4s, every: 8s}]}
)";

struct Sample {
  std::int64_t ts = 0;
  double power_w = 0;
};

// The fast-group readings of every meter, parsed once as they arrive, deduplicated by seq.
class PowerLog {
 public:
  void absorb(const MqttCollector::Messages& messages) {
    for (; next_ < messages.size(); ++next_) {
      const CollectedMessage& m = messages[next_];
      if (!m.topic.ends_with("/telemetry")) continue;
      const json j = m.json();
      if (j.is_discarded() || j.value("group", "") != "fast") continue;
      if (!seqs_.insert(j.value("seq", std::int64_t{0})).second) continue;
      const json& values = j["values"];
      if (!values.contains("power_total")) continue;
      samples_[j.value("meter", "")].push_back(
          Sample{j.value("ts", std::int64_t{0}), values["power_total"].get<double>()});
    }
  }
  std::vector<Sample> of(const std::string& meter) const {
    auto it = samples_.find(meter);
    if (it == samples_.end()) return {};
    std::vector<Sample> s = it->second;
    std::sort(s.begin(), s.end(), [](const Sample& a, const Sample& b) { return a.ts < b.ts; });
    return s;
  }
  // A switch-on seen in two consecutive readings both taken after `since_ms`: a rise of at
  // least `min_step_w`, followed by a later reading (the engine judged the rise by then).
  bool saw_rise_after(const std::string& meter, std::int64_t since_ms, double min_step_w) const {
    const std::vector<Sample> s = of(meter);
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
      if (s[i - 1].ts > since_ms && s[i].power_w - s[i - 1].power_w >= min_step_w) return true;
    }
    return false;
  }

 private:
  std::size_t next_ = 0;
  std::set<std::int64_t> seqs_;
  std::map<std::string, std::vector<Sample>> samples_;
};

class LoadControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_.start();
    collector_ =
        std::make_unique<MqttCollector>(broker_.uri(), "load-collector", "meterd/v1/gw-test/#");
    spec_.servers = {broker_.uri()};
    daemon_ = std::make_unique<DaemonUnderTest>(dir_, spec_);
    // The harness's site with these rooms in place of its generic meters.
    std::string yaml = site_yaml(spec_, daemon_->db_path());
    yaml = yaml.substr(0, yaml.find("poll_groups:\n")) + kRooms;
    std::ofstream(daemon_->config_path(), std::ios::trunc) << yaml;
    daemon_->start();
    ASSERT_TRUE(wait_for_telemetry_of(*collector_, "motor-room", 20s)) << daemon_->log();
  }

  // Sends set_load_limits and returns a time after the engine took the limits (the result
  // came after they were in force), on the daemon's wall clock.
  std::int64_t set_limits(const std::string& id, const json& meters, const json& args) {
    const json r =
        run_command(*collector_, make_command(id, "set_load_limits", {{"meters", meters}}, args));
    EXPECT_EQ(r.value("state", ""), "done") << r.dump() << daemon_->log();
    return unix_now_ms();
  }

  bool wait_for_log(const std::function<bool(const PowerLog&)>& done) {
    return wait_for(
        [&] {
          log_.absorb(collector_->messages());
          return done(log_);
        },
        25s, 100ms);
  }

  std::vector<std::string> events_of(const std::string& meter, const std::string& type) {
    return meter_events(collector_->messages(), meter, {type});
  }

  std::int64_t db_int(const std::string& sql) { return query_store_int(daemon_->db_path(), sql); }

  TempDir dir_;
  MosquittoBroker broker_{dir_.path() / "broker"};
  std::unique_ptr<MqttCollector> collector_;
  SiteSpec spec_;
  std::unique_ptr<DaemonUnderTest> daemon_;
  PowerLog log_;
};

TEST_F(LoadControlTest, AKettleTripsButACompressorAWhitelistedHeaterAndALearnedHeaterDoNot) {
  const json malignant = {{"min_step_w", 300}, {"min_pf", "0.95"}};
  const std::int64_t plain_since =
      set_limits("l-plain", {"kettle-room", "fridge-room"},
                 {{"malignant", malignant}, {"restore_after_s", 3600}});
  json whitelisted = malignant;
  whitelisted["whitelist"] = json::array({json{{"step_w", 800}, {"tolerance_w", 80}}});
  const std::int64_t whitelist_since = set_limits(
      "l-white", {"heater-room"}, {{"malignant", whitelisted}, {"restore_after_s", 3600}});
  json learning = malignant;
  learning["learn_s"] = 6;  // longer than one cycle of the heater: it switches on inside it
  const std::int64_t learn_since = set_limits("l-learn", {"learning-room"},
                                              {{"malignant", learning}, {"restore_after_s", 3600}});
  const std::int64_t learn_until = learn_since + 6000;

  // Every room has shown a switch-on the engine judged under its limits; the learning room one
  // after its learning ended.
  ASSERT_TRUE(wait_for_log([&](const PowerLog& log) {
    return !events_of("kettle-room", "malignant_load_trip").empty() &&
           !events_of("learning-room", "load_learned").empty() &&
           log.saw_rise_after("fridge-room", plain_since, 1400) &&
           log.saw_rise_after("heater-room", whitelist_since, 700) &&
           log.saw_rise_after("learning-room", learn_until, 700);
  })) << daemon_->log();
  ASSERT_TRUE(daemon_->terminate(15s).has_value());

  const auto count = [&](const std::string& type, const std::string& meter) {
    return db_int("SELECT COUNT(*) FROM events WHERE type = '" + type + "' AND meter_id = '" +
                  meter + "'");
  };
  EXPECT_EQ(count("malignant_load_trip", "kettle-room"), 1);
  const json trip =
      json::parse(query_store_text(daemon_->db_path(),
                                   "SELECT details FROM events WHERE type = 'malignant_load_trip' "
                                   "AND meter_id = 'kettle-room'"));
  EXPECT_NEAR(trip.value("step_w", 0.0), 2000, 30) << trip.dump();
  EXPECT_GE(trip.value("step_pf", 0.0), 0.98) << trip.dump();
  EXPECT_EQ(count("malignant_load_trip", "fridge-room"), 0);
  EXPECT_EQ(count("malignant_load_trip", "heater-room"), 0);
  EXPECT_EQ(count("malignant_load_trip", "learning-room"), 0);
  EXPECT_EQ(db_int("SELECT COUNT(*) FROM load_trips WHERE tripped = 1"), 1);

  EXPECT_EQ(count("load_learned", "learning-room"), 1);
  const json learned = json::parse(query_store_text(
      daemon_->db_path(),
      "SELECT details FROM events WHERE type = 'load_learned' AND meter_id = 'learning-room'"));
  EXPECT_NEAR(learned.value("step_w", 0), 800, 30) << learned.dump();
  EXPECT_EQ(count("load_learned", "heater-room"), 0);  // a whitelisted step is not learned again
}

TEST_F(LoadControlTest, AnOverPowerTripLandsWithinGracePlusOnePollInterval) {
  // Limits while the motor is off, so its next run starts a clean over-power episode.
  ASSERT_TRUE(wait_for_log([&](const PowerLog& log) {
    const std::vector<Sample> s = log.of("motor-room");
    return !s.empty() && s.back().power_w < kMaxPowerW;
  }));
  const std::int64_t since = set_limits("l-power", {"motor-room"},
                                        {{"max_power_w", static_cast<int>(kMaxPowerW)},
                                         {"grace_s", kGraceMs / 1000},
                                         {"restore_after_s", 3600}});
  std::int64_t tripped_ms = 0;
  ASSERT_TRUE(wait_for_log([&](const PowerLog& log) {
    tripped_ms = db_int(
        "SELECT tripped_ms FROM load_trips WHERE meter_id = 'motor-room' "
        "AND tripped = 1");
    const std::vector<Sample> s = log.of("motor-room");
    return tripped_ms > 0 && !s.empty() && s.back().ts >= tripped_ms;
  })) << daemon_->log();
  EXPECT_EQ(events_of("motor-room", "overload_trip").size(), 1u);

  // The readings of the episode that tripped: over the limit from `first_over` to the trip.
  const std::vector<Sample> s = log_.of("motor-room");
  auto trip = std::find_if(s.begin(), s.end(), [&](const Sample& x) { return x.ts == tripped_ms; });
  ASSERT_NE(trip, s.end()) << "the trip was decided on a reading the daemon published";
  ASSERT_GT(trip->power_w, kMaxPowerW);
  auto first_over = trip;
  while (first_over != s.begin() && std::prev(first_over)->power_w > kMaxPowerW) --first_over;
  ASSERT_NE(first_over, s.begin());
  ASSERT_GT(std::prev(first_over)->ts, since) << "the episode began before the limits were set";
  std::int64_t poll_gap = 0;  // the poll interval as the polls actually ran
  for (auto it = first_over; it != trip; ++it)
    poll_gap = std::max(poll_gap, std::next(it)->ts - it->ts);

  const std::int64_t took = tripped_ms - first_over->ts;
  EXPECT_GE(took, kGraceMs);
  // Published times are whole milliseconds, the engine's are finer: 1 ms of rounding.
  EXPECT_LE(took, kGraceMs + poll_gap + 1) << "poll gap " << poll_gap;
  // The trip is the first reading at or past the grace time: none before it qualified.
  for (auto it = first_over; it != trip; ++it) EXPECT_LE(it->ts - first_over->ts, kGraceMs);
}

// The sim meters keep their registers and their relay across a restart of the daemon, as real
// meters do: the energy goes on from where it was even though the configuration now says the
// register starts at 0, and a relay opened before the restart is still open.
TEST_F(LoadControlTest, ARestartedDaemonFindsTheMetersRegistersAndTheirRelays) {
  const json r =
      run_command(*collector_, make_command("open-1", "relay_open", {{"meter", "fridge-room"}}));
  ASSERT_EQ(r.value("state", ""), "done") << r.dump();
  std::int64_t energy_before = 0;
  const auto slow_values = [&](const std::string& meter, std::size_t from) {
    std::vector<json> out;
    const auto messages = collector_->messages();
    for (std::size_t i = from; i < messages.size(); ++i) {
      if (!messages[i].topic.ends_with("/" + meter + "/telemetry")) continue;
      const json j = messages[i].json();
      if (!j.is_discarded() && j.value("group", "") == "slow") out.push_back(j["values"]);
    }
    return out;
  };
  ASSERT_TRUE(wait_for(
      [&] {
        const auto v = slow_values("fridge-room", 0);
        return !v.empty() && !v.back().value("relay_closed", true);
      },
      20s, 100ms));
  ASSERT_TRUE(daemon_->terminate(15s).has_value());
  for (const json& v : slow_values("kettle-room", 0)) {
    energy_before = std::max(energy_before, v.value("energy_total", std::int64_t{0}));
  }
  ASSERT_GT(energy_before, 1000);  // the seed's initial register
  const std::string state_file = dir_.file("sim-bus1.json");
  ASSERT_TRUE(std::filesystem::exists(state_file));

  // The same rooms, now configured with empty registers.
  std::ifstream in(daemon_->config_path());
  std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (auto at = yaml.find("phases: 1\n"); at != std::string::npos;
       at = yaml.find("phases: 1\n", at + 1)) {
    yaml.insert(at + 10, "        initial_energy_wh: 0\n");
  }
  std::ofstream(daemon_->config_path(), std::ios::trunc) << yaml;
  const std::size_t seen = collector_->size();
  daemon_->start();
  ASSERT_TRUE(wait_for(
      [&] {
        return !slow_values("kettle-room", seen).empty() &&
               !slow_values("fridge-room", seen).empty();
      },
      20s, 100ms))
      << daemon_->log();
  EXPECT_GE(slow_values("kettle-room", seen).front().value("energy_total", std::int64_t{0}),
            energy_before);
  EXPECT_FALSE(slow_values("fridge-room", seen).front().value("relay_closed", true));
}

}  // namespace
}  // namespace meterd::test
