// SPDX-License-Identifier: Apache-2.0
// The profibus driver against the simulator over a socat pty pair (8N1: a pty carries bytes
// only), with the shipped generic GSD and profile: slaves brought up to data exchange, a
// silent one costing one timeout without holding the others back, relay commands as output
// state that survives a new driver, a power-cycled slave re-parameterized within one read,
// garbage and FCS errors on the line survived.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "config/yaml_to_settings.h"
#include "profibus/driver/profibus_driver.h"
#include "profibus/sim/line_sim.h"
#include "profibus/transport/uart_phy.h"
#include "support/pty_pair.h"
#include "support/temp_dir.h"

namespace meterd::profibus {
namespace {

std::shared_ptr<const Profile> generic_profile() {
  const std::string path =
      std::string(METERD_SOURCE_DIR) + "/config/profiles/profibus-generic.yaml";
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  ConfigErrors errors;
  auto tree = yaml_to_settings(text.str(), path, errors);
  EXPECT_TRUE(tree);
  auto profile = read_profile(*tree, "generic", errors);
  EXPECT_TRUE(profile) << (errors.empty() ? "" : errors.all().front().to_string());
  return std::make_shared<const Profile>(std::move(*profile));
}

class SimulatedLine {
 public:
  SimulatedLine(const std::string& device, std::vector<std::unique_ptr<SimMeter>> meters)
      : line_(std::move(meters), LineTiming{19200, 11, 11, false}) {
    fd_ = ::open(device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    EXPECT_GE(fd_, 0);
    thread_ = std::thread([this] { line_.run(fd_, stop_, &mutex_); });
  }
  ~SimulatedLine() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  // Runs `f` on meter `i` while the simulator thread is between requests.
  template <typename F>
  auto with_meter(std::size_t i, F f) {
    std::lock_guard lock(mutex_);
    return f(*line_.meters()[i]);
  }

 private:
  std::mutex mutex_;
  LineSim line_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Rig {
  test::TempDir dir{"profibus-driver"};
  test::PtyPair pty{dir.path()};
  std::shared_ptr<const Profile> profile = generic_profile();
  std::vector<PollGroupSpec> groups{
      {"all",
       {"energy_total", "power_total", "voltage_a", "relay_closed", "frequency"},
       std::chrono::seconds(1)}};

  std::unique_ptr<SimMeter> sim(std::uint8_t address, SimMeterFaults faults = {},
                                double power_w = 1000) {
    SimMeterSpec spec;
    spec.address = address;
    spec.profile = profile;
    spec.energy_wh = 1'000'000 + address;
    spec.power_w = power_w;
    spec.faults = faults;
    return std::make_unique<SimMeter>(std::move(spec));
  }

  std::unique_ptr<ProfibusDriver> driver(std::vector<std::uint8_t> addresses,
                                         ProfibusBusConfig bus = {}) {
    bus.name = "dp1";
    bus.watchdog = std::chrono::seconds(5);
    bus.timing.min_slot_time = std::chrono::milliseconds(300);  // a loaded CI machine
    std::vector<ProfibusMeterConfig> meters;
    for (auto a : addresses) meters.push_back({"m" + std::to_string(a), a, 0, profile});
    return std::make_unique<ProfibusDriver>(
        bus, meters, groups, std::make_unique<UartPhy>(UartSettings{pty.a(), 19200, false}),
        dir.path().string());
  }
};

std::int64_t energy_of(const MeterReading& r) {
  for (const auto& v : r.values) {
    if (v.name == "energy_total") return std::get<std::int64_t>(v.value);
  }
  return -1;
}

bool relay_of(const MeterReading& r) {
  for (const auto& v : r.values) {
    if (v.name == "relay_closed") return std::get<bool>(v.value);
  }
  ADD_FAILURE() << "no relay_closed";
  return false;
}

int count(const std::vector<DriverEvent>& events, const std::string& type) {
  int n = 0;
  for (const auto& e : events) n += e.type == type;
  return n;
}

TEST(ProfibusDriver, SlavesComeUpAndReadTheSimulatorsValuesWhileASilentOneOnlyTimesOut) {
  Rig rig;
  std::vector<std::unique_ptr<SimMeter>> meters;
  meters.push_back(rig.sim(8));
  meters.push_back(rig.sim(9, [] {
    SimMeterFaults f;
    f.silent = true;
    return f;
  }()));
  meters.push_back(rig.sim(10));
  SimulatedLine line(rig.pty.b(), std::move(meters));
  auto driver = rig.driver({8, 9, 10});
  ASSERT_TRUE(driver->open().ok());
  auto first = driver->read(0, 0);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_GE(energy_of(first.value()), 1'000'008);
  EXPECT_TRUE(relay_of(first.value()));
  auto silent = driver->read(1, 0);
  ASSERT_FALSE(silent.ok());
  EXPECT_EQ(silent.error().kind, ErrorKind::kTimeout);
  auto third = driver->read(2, 0);
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_GE(energy_of(third.value()), 1'000'010);
  for (const auto& v : third.value().values) {
    if (v.name == "voltage_a") {
      EXPECT_NEAR(std::get<double>(v.value), 230.0, 0.05);
    }
    if (v.name == "power_total") {
      EXPECT_DOUBLE_EQ(std::get<double>(v.value), 1000.0);
    }
  }
  const auto events = driver->take_events();
  EXPECT_EQ(count(events, "slave_ready"), 2);
  EXPECT_EQ(count(events, "slave_lost"), 0);
  EXPECT_EQ(driver->link(1).state(), SlaveState::kProbe);
}

TEST(ProfibusDriver, RelayOpenIsOutputStateThatStopsConsumptionAndSurvivesANewDriver) {
  Rig rig;
  std::vector<std::unique_ptr<SimMeter>> meters;
  meters.push_back(rig.sim(8));
  SimulatedLine line(rig.pty.b(), std::move(meters));
  {
    auto driver = rig.driver({8});
    ASSERT_TRUE(driver->open().ok());
    ASSERT_TRUE(driver->read(0, 0).ok());
    auto opened = driver->act(0, Action{"relay_open", {}, {}});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_FALSE(relay_of(opened.value()));
    EXPECT_EQ(driver->outputs(0), (std::vector<std::uint8_t>{0x01}));
    EXPECT_EQ(line.with_meter(0, [](SimMeter& m) { return m.slave().outputs(); }),
              (std::vector<std::uint8_t>{0x01}));
    auto after = driver->read(0, 0);
    ASSERT_TRUE(after.ok());
    EXPECT_FALSE(relay_of(after.value()));
    const double energy = line.with_meter(0, [](SimMeter& m) { return m.energy_wh(); });
    ASSERT_TRUE(driver->read(0, 0).ok());
    EXPECT_EQ(line.with_meter(0, [](SimMeter& m) { return m.energy_wh(); }),
              energy);  // no consumption with the relay open
  }
  // A new driver (daemon restart) starts from the persisted image: the first Data_Exchange
  // keeps the relay open, it never sends zeros.
  line.with_meter(0, [](SimMeter& m) { return m.slave().restart(); });
  auto driver = rig.driver({8});
  EXPECT_EQ(driver->outputs(0), (std::vector<std::uint8_t>{0x01}));
  ASSERT_TRUE(driver->open().ok());
  auto read = driver->read(0, 0);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_FALSE(relay_of(read.value()));
  EXPECT_EQ(line.with_meter(0, [](SimMeter& m) { return m.slave().outputs(); }),
            (std::vector<std::uint8_t>{0x01}));
  ASSERT_TRUE(driver->act(0, Action{"relay_close", {}, {}}).ok());
  EXPECT_TRUE(line.with_meter(0, [](SimMeter& m) { return m.relay_closed(); }));
  EXPECT_EQ(driver->act(0, Action{"recharge", {}, {}}).error().kind, ErrorKind::kNotSupported);
}

TEST(ProfibusDriver, APowerCycledSlaveIsReparameterizedWithinOneReadWithLostAndReadyEvents) {
  Rig rig;
  std::vector<std::unique_ptr<SimMeter>> meters;
  meters.push_back(rig.sim(8, [] {
    SimMeterFaults f;
    f.restart_after = 3;
    return f;
  }()));
  SimulatedLine line(rig.pty.b(), std::move(meters));
  auto driver = rig.driver({8});
  ASSERT_TRUE(driver->open().ok());
  for (int i = 0; i < 8; ++i) {
    auto r = driver->read(0, 0);
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().message;
  }
  const auto events = driver->take_events();
  EXPECT_GE(line.with_meter(0, [](SimMeter& m) { return m.restarts(); }), 2u);
  EXPECT_EQ(count(events, "slave_lost"),
            static_cast<int>(line.with_meter(0, [](SimMeter& m) { return m.restarts(); })));
  EXPECT_EQ(count(events, "slave_ready"),
            static_cast<int>(line.with_meter(0, [](SimMeter& m) { return m.restarts(); })) + 1);
  EXPECT_NE(events.front().details_json.find("\"bus\":\"dp1\""), std::string::npos);
}

TEST(ProfibusDriver, GarbageAndBadFcsRepliesAreSurvivedAndCounted) {
  Rig rig;
  std::vector<std::unique_ptr<SimMeter>> meters;
  meters.push_back(rig.sim(8, [] {
    SimMeterFaults f;
    f.garbage = true;
    f.bad_fcs_every = 4;
    return f;
  }()));
  SimulatedLine line(rig.pty.b(), std::move(meters));
  auto driver = rig.driver({8});
  ASSERT_TRUE(driver->open().ok());
  int ok = 0;
  for (int i = 0; i < 10; ++i) ok += driver->read(0, 0).ok();
  EXPECT_EQ(ok, 10);  // a bad FCS costs a retry, not a reading
  EXPECT_GT(driver->fdl_stats().garbage_bytes, 0u);
  EXPECT_GT(driver->fdl_stats().bad_fcs, 0u);
  EXPECT_GT(driver->fdl_stats().retries, 0u);
}

TEST(ProfibusDriver, ACfgMismatchIsOneEventAndAReadErrorNamingBothConfigurations) {
  Rig rig;
  std::vector<std::unique_ptr<SimMeter>> meters;
  meters.push_back(rig.sim(8, [] {
    SimMeterFaults f;
    f.cfg_mismatch = true;
    return f;
  }()));
  SimulatedLine line(rig.pty.b(), std::move(meters));
  auto driver = rig.driver({8});
  ASSERT_TRUE(driver->open().ok());
  std::vector<DriverEvent> events;
  for (int i = 0; i < 4; ++i) {
    auto r = driver->read(0, 0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kRejected);
    EXPECT_NE(r.error().message.find("expected 5F 20, the slave reports 5F 20 10"),
              std::string::npos)
        << r.error().message;
    for (auto& e : driver->take_events()) events.push_back(e);
  }
  EXPECT_EQ(count(events, "cfg_fault"), 1);
}

TEST(ProfibusDriver, AFreezeGroupIsReadFromOneInstantAndOtherGroupsReadLiveValues) {
  Rig rig;
  rig.groups.push_back({"fast", {"energy_total"}, std::chrono::seconds(1)});
  std::vector<std::unique_ptr<SimMeter>> meters;
  for (std::uint8_t a : {8, 9}) {
    meters.push_back(rig.sim(a, {}, 3.6e6));  // 1 Wh a millisecond: any delay shows
  }
  SimulatedLine line(rig.pty.b(), std::move(meters));
  ProfibusBusConfig bus;
  bus.freeze_group = 0;  // "all"
  auto driver = rig.driver({8, 9}, bus);
  ASSERT_TRUE(driver->open().ok());
  ASSERT_TRUE(driver->read(0, 1).ok());  // both slaves up, live reads
  ASSERT_TRUE(driver->read(1, 1).ok());
  EXPECT_FALSE(line.with_meter(0, [](SimMeter& m) { return m.slave().frozen(); }));
  // The freeze round: FREEZE goes out before the first read; the second slave answers with
  // the image it latched then, not a live one.
  auto first = driver->read(0, 0);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(line.with_meter(1, [](SimMeter& m) { return m.slave().frozen(); }));
  const auto frozen_image =
      line.with_meter(1, [](SimMeter& m) { return m.slave().frozen_inputs(); });
  auto second = driver->read(1, 0);
  ASSERT_TRUE(second.ok()) << second.error().message;
  const PointMap& energy = *rig.profile->find_point("energy_total");
  auto latched = decode_point(energy, frozen_image);
  ASSERT_TRUE(latched.ok());
  EXPECT_EQ(energy_of(second.value()), std::get<std::int64_t>(latched.value().value));
  // The live meter moved on (TSYN alone is 1.7 ms between the two reads).
  EXPECT_GT(line.with_meter(1, [](SimMeter& m) { return m.energy_wh(); }),
            static_cast<double>(energy_of(second.value())) + 1);
  // Every meter read in the round: UNFREEZE went out (no reply: the next exchange's reply shows
  // the slave took it), and the next reads are live again.
  auto live = driver->read(1, 1);
  ASSERT_TRUE(live.ok());
  EXPECT_FALSE(line.with_meter(1, [](SimMeter& m) { return m.slave().frozen(); }));
  EXPECT_GT(energy_of(live.value()), energy_of(second.value()));
}

TEST(ProfibusDriver, OnStopClearBroadcastsClearSoTheSlavesDropTheirOutputs) {
  Rig rig;
  std::vector<std::unique_ptr<SimMeter>> meters;
  meters.push_back(rig.sim(8));
  meters.push_back(rig.sim(9));
  SimulatedLine line(rig.pty.b(), std::move(meters));
  {
    ProfibusBusConfig bus;
    bus.clear_on_stop = true;
    auto driver = rig.driver({8}, bus);
    ASSERT_TRUE(driver->open().ok());
    ASSERT_TRUE(driver->act(0, Action{"relay_open", {}, {}}).ok());
    EXPECT_EQ(line.with_meter(0, [](SimMeter& m) { return m.slave().outputs(); }),
              (std::vector<std::uint8_t>{0x01}));
    driver->close();  // the bus thread closes before the driver goes
  }
  // Another master's exchange on the line: its reply comes after the CLEAR was taken.
  auto other = rig.driver({9});
  ASSERT_TRUE(other->open().ok());
  ASSERT_TRUE(other->read(0, 0).ok());
  EXPECT_EQ(line.with_meter(0, [](SimMeter& m) { return m.slave().outputs(); }),
            (std::vector<std::uint8_t>{0x00}));
  EXPECT_TRUE(line.with_meter(0, [](SimMeter& m) { return m.relay_closed(); }));
}

TEST(WatchdogFactors, CoverTheDurationWithBothFactorsInRange) {
  EXPECT_EQ(watchdog_factors(std::chrono::seconds(1)),
            (std::pair<std::uint8_t, std::uint8_t>{100, 1}));
  const auto [a, b] = watchdog_factors(std::chrono::seconds(60));
  EXPECT_GE(a * b * 10, 60'000);
  EXPECT_LE(a * b * 10, 60'000 + 10 * 255);
}

}  // namespace
}  // namespace meterd::profibus
