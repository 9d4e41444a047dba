// SPDX-License-Identifier: Apache-2.0
// The dlt645 driver through a real pty against simulated meters (PtyLineServer): reads,
// relay control, passwords, recharge idempotency, parameter writes, a 1997 meter on the same
// line, and line faults.
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "dlt645/codec/reply.h"
#include "dlt645/driver/dlt645_driver.h"
#include "pty_line_server.h"
#include "support/pty_pair.h"
#include "support/temp_dir.h"

namespace meterd::dlt645 {
namespace {

using namespace std::chrono_literals;
using testing::PtyLineServer;

const Password kPassword{0x02, 0x123456};
constexpr std::size_t kMeters = 16;

Address meter_address(std::size_t i) {
  char text[13];
  std::snprintf(text, sizeof text, "%012zu", 100 + i);
  return *parse_address(text);
}

const std::vector<std::string> kReadPoints = {
    "energy_total", "energy_sharp", "energy_valley", "voltage_a",      "current_a", "power_total",
    "pf_total",     "balance",      "relay_closed",  "purchase_count", "frequency"};

class DriverTest : public ::testing::Test {
 protected:
  DriverTest() : pty_(dir_.path()), server_(pty_.b(), clock_) {
    server_.with_line([&](LineSim& line) {
      for (std::size_t i = 0; i < kMeters; ++i) {
        SimMeter& meter = line.add_meter(SimMeter(meter_address(i), kPassword));
        const auto n = static_cast<std::int64_t>(i);
        meter.set(di::kForwardActiveTotal, 100000 + n * 1111);  // 1000.00 kWh + i x 11.11
        meter.set(di::kForwardActiveTariff1, 1000 + n);
        meter.set(di::kForwardActiveTariff1 + 0x300, 2000 + n);
        meter.set(di::kVoltageA, 2200 + n);  // 220.0 V + i x 0.1
        meter.set(di::kCurrentA, -(1000 + n));
        meter.set(di::kActivePowerTotal, 10000 + n);
        meter.set(di::kRemainingAmount, 5000 + n * 100);  // 50.00 + i
        meter.set(di::kPurchaseCount, 10 + n);
      }
      line.add_meter(SimMeter(*parse_address("000000001997"), kPassword, Version::k1997));
      return 0;
    });
  }

  Dlt645BusConfig bus_config(Password password = kPassword) {
    Dlt645BusConfig bus;
    bus.name = "line1";
    bus.line.device = pty_.a();
    bus.line.parity = Parity::kNone;  // ptys may refuse even parity
    bus.password = password;
    bus.operator_code = 0x00000001;
    return bus;
  }

  Dlt645MeterConfig meter_config(std::size_t i, Version variant = Version::k2007) {
    Dlt645MeterConfig meter;
    meter.id = "m" + std::to_string(i);
    meter.timeout = timeout_;
    meter.address = meter_address(i);
    meter.profile = std::make_shared<const Profile>(default_profile(variant));
    return meter;
  }

  std::unique_ptr<Dlt645Driver> driver(Password password = kPassword) {
    std::vector<Dlt645MeterConfig> meters;
    for (std::size_t i = 0; i < kMeters; ++i) meters.push_back(meter_config(i));
    Dlt645MeterConfig old = meter_config(0, Version::k1997);
    old.id = "old";
    old.address = *parse_address("000000001997");
    meters.push_back(old);
    auto d = std::make_unique<Dlt645Driver>(
        bus_config(password), std::move(meters),
        std::vector<PollGroupSpec>{{"all", kReadPoints, 10s},
                                   {"old", {"energy_total", "voltage_a", "current_a"}, 10s}},
        clock_);
    EXPECT_TRUE(d->open().ok());
    return d;
  }

  template <typename T>
  static std::optional<T> value_of(const MeterReading& reading, const std::string& name) {
    for (const auto& v : reading.values) {
      if (v.name == name) {
        if (const T* x = std::get_if<T>(&v.value)) return *x;
      }
    }
    return std::nullopt;
  }

  static std::string describe(const MeterReading& reading) {
    std::string out;
    for (const auto& e : reading.errors) out += e.name + ": " + e.error.message + "; ";
    return out;
  }

  std::chrono::milliseconds timeout_ = 1500ms;  // generous: CI is a loaded 2-core machine
  SystemClock clock_;
  test::TempDir dir_{"dlt645-driver"};
  test::PtyPair pty_;
  PtyLineServer server_;
};

TEST_F(DriverTest, SixteenMetersReadTheValuesTheirMetersServe) {
  auto d = driver();
  for (std::size_t i = 0; i < kMeters; ++i) {
    auto result = d->read(i, 0);
    ASSERT_TRUE(result.ok()) << result.error().message;
    const MeterReading& r = result.value();
    EXPECT_TRUE(r.errors.empty()) << describe(r);
    const auto n = static_cast<std::int64_t>(i);
    EXPECT_EQ(value_of<std::int64_t>(r, "energy_total"), 1'000'000 + n * 11'110) << i;
    EXPECT_EQ(value_of<std::int64_t>(r, "energy_sharp"), (1000 + n) * 10) << i;
    EXPECT_EQ(value_of<std::int64_t>(r, "energy_valley"), (2000 + n) * 10) << i;
    EXPECT_DOUBLE_EQ(value_of<double>(r, "voltage_a").value_or(0), (2200 + n) / 10.0) << i;
    EXPECT_DOUBLE_EQ(value_of<double>(r, "current_a").value_or(0), -(1000 + n) / 1000.0) << i;
    EXPECT_DOUBLE_EQ(value_of<double>(r, "power_total").value_or(0), (10000 + n) / 10.0) << i;
    EXPECT_DOUBLE_EQ(value_of<double>(r, "pf_total").value_or(0), 0.95) << i;
    EXPECT_DOUBLE_EQ(value_of<double>(r, "frequency").value_or(0), 50.0) << i;
    EXPECT_EQ(value_of<std::int64_t>(r, "balance"), (5000 + n * 100) * 100) << i;
    EXPECT_EQ(value_of<std::int64_t>(r, "purchase_count"), 10 + n) << i;
    EXPECT_EQ(value_of<bool>(r, "relay_closed"), true) << i;
  }
}

TEST_F(DriverTest, A1997MeterReadsOnTheSameLineAs2007Meters) {
  auto d = driver();
  auto old = d->read(kMeters, 1);
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_TRUE(old.value().errors.empty()) << describe(old.value());
  EXPECT_EQ(value_of<std::int64_t>(old.value(), "energy_total"), 1'234'560);
  EXPECT_DOUBLE_EQ(value_of<double>(old.value(), "voltage_a").value_or(0), 220.0);  // XXX V
  EXPECT_DOUBLE_EQ(value_of<double>(old.value(), "current_a").value_or(0), 5.12);   // XX.XX A
  // The 2007 meters are unaffected by the 1997 traffic.
  auto modern = d->read(3, 0);
  ASSERT_TRUE(modern.ok());
  EXPECT_EQ(value_of<std::int64_t>(modern.value(), "energy_total"), 1'000'000 + 3 * 11'110);
  // A point the 1997 profile does not map is a per-point error, not a failed read.
  auto unmapped = d->read(kMeters, 0);
  ASSERT_TRUE(unmapped.ok()) << unmapped.error().message;
  bool balance_unsupported = false;
  for (const auto& e : unmapped.value().errors) {
    if (e.name == "balance") balance_unsupported = e.error.kind == ErrorKind::kNotSupported;
  }
  EXPECT_TRUE(balance_unsupported);
}

TEST_F(DriverTest, RelayTripAndCloseChangeStatusWord3) {
  auto d = driver();
  auto opened = d->act(5, Action{"relay_open", {}, {}});
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(value_of<bool>(opened.value(), "relay_closed"), false);
  EXPECT_TRUE(server_.with_line([](LineSim& line) {
    return (line.find(meter_address(5))->status_word3() & status3::kRelayOpen) != 0;
  }));
  EXPECT_TRUE(
      server_.with_line([](LineSim& line) { return line.find(meter_address(6))->relay_closed(); }));
  auto read = d->read(5, 0);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(value_of<bool>(read.value(), "relay_closed"), false);

  auto closed = d->act(5, Action{"relay_close", {}, {}});
  ASSERT_TRUE(closed.ok()) << closed.error().message;
  EXPECT_EQ(value_of<bool>(closed.value(), "relay_closed"), true);
  EXPECT_TRUE(
      server_.with_line([](LineSim& line) { return line.find(meter_address(5))->relay_closed(); }));
}

TEST_F(DriverTest, WrongPasswordIsARejectedCommandWithAClearMessage) {
  auto d = driver(Password{0x02, 0x654321});
  auto result = d->act(2, Action{"relay_open", {}, {}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kRejected);
  EXPECT_NE(result.error().message.find("password"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("m2"), std::string::npos) << result.error().message;
  EXPECT_TRUE(
      server_.with_line([](LineSim& line) { return line.find(meter_address(2))->relay_closed(); }));

  auto price = d->act(2, Action{"set_price", {{"price_per_kwh", 15000}}, {}});
  ASSERT_FALSE(price.ok());
  EXPECT_EQ(price.error().kind, ErrorKind::kRejected);
}

TEST_F(DriverTest, RechargeIsAppliedOnceWhenCommandRepeats) {
  const Action recharge{"recharge", {{"amount", 500'000}, {"purchase_count", 18}}, {}};  // 50.00
  auto balance = [&] {
    return server_.with_line(
        [](LineSim& line) { return *line.find(meter_address(7))->get(di::kRemainingAmount); });
  };
  ASSERT_EQ(balance(), 5700);  // 57.00, purchase count 17
  {
    auto d = driver();
    auto first = d->act(7, recharge);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(value_of<std::int64_t>(first.value(), "balance"), 1'070'000);
    EXPECT_EQ(value_of<std::int64_t>(first.value(), "purchase_count"), 18);
    EXPECT_EQ(balance(), 10700);

    auto again = d->act(7, recharge);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(value_of<std::int64_t>(again.value(), "balance"), 1'070'000);
    EXPECT_EQ(balance(), 10700);
  }
  // A restarted driver (no memory of the first run) still applies it once.
  auto restarted = driver();
  auto third = restarted->act(7, recharge);
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_EQ(balance(), 10700);

  // A purchase count that skips one is refused, and nothing is written.
  auto skipped =
      restarted->act(7, Action{"recharge", {{"amount", 10'000}, {"purchase_count", 20}}, {}});
  ASSERT_FALSE(skipped.ok());
  EXPECT_EQ(skipped.error().kind, ErrorKind::kRejected);
  EXPECT_EQ(balance(), 10700);
  // Finer than the meter's 0.01 is an argument error, caught before the line is used.
  const std::uint64_t replies = server_.requests_with_reply();
  auto fine =
      restarted->act(7, Action{"recharge", {{"amount", 12'345}, {"purchase_count", 19}}, {}});
  ASSERT_FALSE(fine.ok());
  EXPECT_EQ(fine.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(server_.requests_with_reply(), replies);
}

TEST_F(DriverTest, PriceAndAlarmLimitWritesReachTheMeter) {
  auto d = driver();
  auto price = d->act(4, Action{"set_price", {{"price_per_kwh", 15'432}, {"tariff", 2}}, {}});
  ASSERT_TRUE(price.ok()) << price.error().message;
  auto all = d->act(
      4,
      Action{"set_alarm_thresholds", {{"alarm_limit_1", 300'000}, {"alarm_limit_2", 100'000}}, {}});
  ASSERT_TRUE(all.ok()) << all.error().message;
  server_.with_line([](LineSim& line) {
    const SimMeter& meter = *line.find(meter_address(4));
    EXPECT_EQ(meter.get(di::kTariffPrice1 + 1), 15432);
    EXPECT_EQ(meter.get(di::kTariffPrice1), 12000);  // others untouched
    EXPECT_EQ(meter.get(di::kAlarmLimit1), 3000);
    EXPECT_EQ(meter.get(di::kAlarmLimit2), 1000);
    return 0;
  });
  auto bad = d->act(4, Action{"set_price", {{"price_per_kwh", -1}}, {}});
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
  auto unknown = d->act(4, Action{"self_destruct", {}, {}});
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotSupported);
}

TEST_F(DriverTest, AutoAddressDiscoversTheOneMeterOnTheLine) {
  test::TempDir dir("dlt645-auto");
  test::PtyPair pty(dir.path());
  PtyLineServer server(pty.b(), clock_);
  server.with_line([](LineSim& line) { return &line.add_meter(SimMeter(meter_address(9))); });
  Dlt645BusConfig bus = bus_config();
  bus.line.device = pty.a();
  Dlt645MeterConfig meter = meter_config(9);
  meter.address.reset();
  Dlt645Driver d(bus, {meter}, {{"all", {"energy_total"}, 10s}}, clock_);
  ASSERT_TRUE(d.open().ok());
  auto r = d.read(0, 0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(value_of<std::int64_t>(r.value(), "energy_total"), 1'234'560);
}

// ---- faults on the line -------------------------------------------------------------------

TEST_F(DriverTest, NoiseAndStrayPreambleBeforeAReplyAreSkipped) {
  auto d = driver();
  server_.with_line([](LineSim& line) {
    line.inject_fault(meter_address(1), SimFault::kGarbagePrefix, 3);
    line.inject_fault(meter_address(2), SimFault::kExtraPreamble, 3);
    return 0;
  });
  for (std::size_t m : {1u, 2u}) {
    auto r = d->read(m, 0);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r.value().errors.empty()) << describe(r.value());
    EXPECT_EQ(value_of<std::int64_t>(r.value(), "energy_total"),
              1'000'000 + static_cast<std::int64_t>(m) * 11'110);
  }
  EXPECT_GT(d->line_stats().garbage_bytes, 0u);
}

TEST_F(DriverTest, WrongChecksumIsAPerPointErrorAndTheNextReadRecovers) {
  auto d = driver();
  server_.with_line([](LineSim& line) {
    line.inject_fault(meter_address(3), SimFault::kBadChecksum, 1);
    return 0;
  });
  auto r = d->read(3, 0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r.value().errors.size(), 1u);
  EXPECT_EQ(r.value().errors[0].name, "energy_total");
  EXPECT_EQ(r.value().errors[0].error.kind, ErrorKind::kChecksum);
  EXPECT_EQ(value_of<std::int64_t>(r.value(), "balance"), (5000 + 300) * 100);
  auto again = d->read(3, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.value().errors.empty()) << describe(again.value());
}

TEST_F(DriverTest, SilentMeterIsOneTimeoutNotOnePerPoint) {
  auto d = driver();
  server_.with_line([](LineSim& line) {
    line.inject_fault(meter_address(8), SimFault::kNoReply, -1);
    return 0;
  });
  const auto start = std::chrono::steady_clock::now();
  auto r = d->read(8, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_NE(r.error().message.find("m8"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // one 1.5 s timeout, not eleven
  auto other = d->read(9, 0);
  ASSERT_TRUE(other.ok()) << other.error().message;
}

TEST_F(DriverTest, TruncatedReplyIsAnErrorNotACrash) {
  auto d = driver();
  server_.set_reply_filter(
      [](std::vector<std::uint8_t> reply) {
        reply.resize(reply.size() / 2);
        return reply;
      },
      1);
  auto r = d->read(0, 0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_FALSE(r.value().errors.empty());
  EXPECT_EQ(r.value().errors[0].name, "energy_total");
  EXPECT_EQ(r.value().errors[0].error.kind, ErrorKind::kMalformed);
  EXPECT_EQ(value_of<std::int64_t>(r.value(), "balance"), 500'000);
}

TEST_F(DriverTest, ReplyFromAnotherMeterIsNeverReturned) {
  timeout_ = 300ms;
  auto d = driver();
  // Every reply claims to come from meter 11, with meter 11's own valid checksum: a late reply
  // of another meter, dropped; meter 0 itself is silent.
  server_.set_reply_filter([](std::vector<std::uint8_t> reply) {
    ScanResult scan = find_frame(reply);
    if (scan.status != ScanStatus::kFrame) return reply;
    scan.frame.address = meter_address(11);
    return encode_frame(scan.frame).value();
  });
  auto r = d->read(0, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout) << r.error().message;
  EXPECT_GT(d->line_stats().stray_frames, 0u);

  // A reply from the right meter for another DI is refused too.
  server_.set_reply_filter([](std::vector<std::uint8_t> reply) {
    ScanResult scan = find_frame(reply);
    if (scan.status != ScanStatus::kFrame || scan.frame.data.size() < 4) return reply;
    scan.frame.data[0] ^= 0x01;  // DI0 changed
    return encode_frame(scan.frame).value();
  });
  auto other_di = d->read(0, 0);
  ASSERT_TRUE(other_di.ok());
  EXPECT_TRUE(other_di.value().values.empty());
}

// Meter 2's reply is held back and sent in front of meter 3's: a late reply inside the next
// transaction, whatever the machine's load. It is dropped as another meter's frame.
TEST_F(DriverTest, LateReplyOfOneMeterDoesNotFailTheNextMetersTransaction) {
  timeout_ = 300ms;
  auto d = driver();
  auto held = std::make_shared<std::vector<std::uint8_t>>();
  server_.set_reply_filter([held](std::vector<std::uint8_t> reply) {
    const ScanResult scan = find_frame(reply);
    if (scan.status == ScanStatus::kFrame && scan.frame.address == meter_address(2)) {
      *held = std::move(reply);
      return std::vector<std::uint8_t>{};
    }
    reply.insert(reply.begin(), held->begin(), held->end());
    held->clear();
    return reply;
  });
  for (int round = 0; round < 2; ++round) {
    auto late = d->read(2, 0);
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().kind, ErrorKind::kTimeout) << late.error().message;
    auto next = d->read(3, 0);
    ASSERT_TRUE(next.ok()) << next.error().message;
    EXPECT_TRUE(next.value().errors.empty()) << describe(next.value());
    EXPECT_EQ(value_of<std::int64_t>(next.value(), "energy_total"), 1'000'000 + 3 * 11'110);
  }
  EXPECT_EQ(d->line_stats().stray_frames, 2u);
}

TEST_F(DriverTest, RandomLineNoiseNeverCrashesOrYieldsAnotherMetersData) {
  timeout_ = 300ms;  // many replies are lost on purpose; keep the run short
  auto d = driver();
  std::mt19937 rng(645);
  server_.set_reply_filter([&rng](std::vector<std::uint8_t> reply) {
    switch (rng() % 5) {
      case 0:  // noise only
        reply.assign(rng() % 40, 0);
        for (auto& b : reply) b = static_cast<std::uint8_t>(rng());
        return reply;
      case 1:  // one flipped byte
        reply[rng() % reply.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        return reply;
      case 2: {  // noise and stray FE/68 around the reply
        std::vector<std::uint8_t> out = {0xFE, 0x68, 0x16, 0xFE, 0xFE};
        out.insert(out.end(), reply.begin(), reply.end());
        out.push_back(0x68);
        return out;
      }
      case 3:  // cut short
        reply.resize(rng() % reply.size());
        return reply;
      default:
        return reply;
    }
  });
  for (int round = 0; round < 2; ++round) {
    for (std::size_t m = 0; m < kMeters; m += 3) {
      auto r = d->read(m, 0);
      if (!r.ok()) continue;
      // Whatever survived must be this meter's own value.
      if (auto energy = value_of<std::int64_t>(r.value(), "energy_total")) {
        EXPECT_EQ(*energy, 1'000'000 + static_cast<std::int64_t>(m) * 11'110) << m;
      }
      if (auto balance = value_of<std::int64_t>(r.value(), "balance")) {
        EXPECT_EQ(*balance, (5000 + static_cast<std::int64_t>(m) * 100) * 100) << m;
      }
    }
  }
  server_.set_reply_filter(nullptr, 0);
  auto clean = d->read(4, 0);
  ASSERT_TRUE(clean.ok()) << clean.error().message;
  EXPECT_TRUE(clean.value().errors.empty()) << describe(clean.value());
}

}  // namespace
}  // namespace meterd::dlt645
