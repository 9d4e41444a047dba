// SPDX-License-Identifier: Apache-2.0
// The simulated meter with appliances: power, power factor, reactive power and current agree
// with the appliances that run, the energy counts them exactly, and a restored meter carries
// on as if it had never stopped.
#include "sim/sim/sim_meter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace meterd::sim {
namespace {

using namespace std::chrono_literals;

const WallTime kStart{std::chrono::sys_days{std::chrono::year{2024} / 3 / 1} + 10h};

Appliance appliance(const std::string& name, double power_w, double pf, Millis after,
                    Millis duration) {
  return Appliance{name, power_w, pf,
                   Switching({RelativePeriod{after, duration, std::nullopt}}, {}, std::nullopt, 1)};
}

SimMeterParams room(std::vector<Appliance> appliances, std::int64_t base_load_w = 100) {
  SimMeterParams p;
  p.seed = 3;
  p.base_load_w = base_load_w;
  p.phases = 1;
  p.appliances = std::move(appliances);
  return p;
}

double analog(const SimMeter& m, const std::string& point) {
  return std::get<double>(m.value(point).value());
}

// A meter read at virtual times `t` after kStart.
class MeterUnderTest {
 public:
  explicit MeterUnderTest(SimMeterParams params) : meter_(params, kStart, SteadyTime{}, kStart) {}
  SimMeter& at(Millis t) {
    meter_.advance(kStart + t, SteadyTime{} + t);
    return meter_;
  }

 private:
  SimMeter meter_;
};

// The rise's own power factor, computed from two readings the way the engine's malignant-load
// rule does (apparent power S = P / pf before and after).
double step_pf(double p0, double pf0, double p1, double pf1) {
  return (p1 - p0) / (p1 / pf1 - p0 / pf0);
}

struct Step {
  double watts;
  double pf;
};

Step step_of(Appliance a) {
  MeterUnderTest m(room({std::move(a)}));
  const double p0 = analog(m.at(9s), "power_total");
  const double pf0 = analog(m.at(9s), "pf_total");
  const double p1 = analog(m.at(11s), "power_total");
  const double pf1 = analog(m.at(11s), "pf_total");
  return Step{p1 - p0, step_pf(p0, pf0, p1, pf1)};
}

TEST(SimMeterTest, AKettleStepsUpWithAResistivePowerFactor) {
  const Step step = step_of(appliance("kettle", 2000, 0.99, 10s, 60s));
  EXPECT_NEAR(step.watts, 2000, 15);  // the base load moves a little by the minute
  EXPECT_GE(step.pf, 0.98);
}

TEST(SimMeterTest, ACompressorStepsUpWithAMotorsPowerFactor) {
  const Step step = step_of(appliance("compressor", 1500, 0.8, 10s, 60s));
  EXPECT_NEAR(step.watts, 1500, 15);
  EXPECT_NEAR(step.pf, 0.8, 0.02);
}

TEST(SimMeterTest, ALowPowerFactorChargerLowersTheMetersPowerFactor) {
  MeterUnderTest m(room({appliance("charger", 300, 0.55, 10s, 60s)}, 50));
  const double before = analog(m.at(5s), "pf_total");
  const double during = analog(m.at(20s), "pf_total");
  EXPECT_GE(before, 0.93);
  EXPECT_LT(during, 0.65);
}

TEST(SimMeterTest, PowerFactorReactivePowerAndCurrentAgree) {
  MeterUnderTest m(room(
      {appliance("kettle", 2000, 0.99, 0s, 1h), appliance("compressor", 1500, 0.8, 0s, 1h)}, 0));
  SimMeter& meter = m.at(30s);
  const double p = analog(meter, "power_total");
  const double q = analog(meter, "reactive_power_total");
  const double s = std::hypot(p, q);
  EXPECT_EQ(p, 3500);
  EXPECT_EQ(q, 1410);  // 2000 * tan(acos 0.99) + 1500 * tan(acos 0.8)
  EXPECT_NEAR(analog(meter, "pf_total"), p / s, 0.0006);
  EXPECT_NEAR(analog(meter, "current_a"), s / analog(meter, "voltage_a"), 0.006);
  EXPECT_NEAR(analog(meter, "power_a"), p, 0.5);
  // A single-phase meter has no phases b and c.
  EXPECT_EQ(meter.value("current_b").error().kind, ErrorKind::kNotSupported);
}

// Analogs leave at their register resolution, and their JSON has no float noise:
// `232.7`, never `232.70000000000002`.
TEST(SimMeterTest, AnalogJsonHasNoMoreDecimalsThanTheResolution) {
  MeterUnderTest m(room(
      {appliance("kettle", 2000, 0.99, 0s, 1h), appliance("compressor", 1500, 0.8, 0s, 1h)}, 0));
  const std::pair<const char*, std::size_t> points[] = {
      {"voltage_a", 1}, {"current_a", 2}, {"pf_total", 3}, {"frequency", 2}};
  for (Millis t = 1s; t <= 10min; t += 7'300ms) {
    SimMeter& meter = m.at(t);
    for (const auto& [point, decimals] : points) {
      const std::string text = nlohmann::json(analog(meter, point)).dump();
      const std::size_t dot = text.find('.');
      const std::size_t places = dot == std::string::npos ? 0 : text.size() - dot - 1;
      EXPECT_LE(places, decimals) << point << " = " << text;
    }
  }
}

TEST(SimMeterTest, TheEnergyCountsEachApplianceExactly) {
  // Same room twice, one with a 2 kW kettle on for 3 minutes from 10.5 s: 100 Wh more.
  MeterUnderTest plain(room({}));
  MeterUnderTest with_kettle(room({appliance("kettle", 2000, 0.99, 10'500ms, 3min)}));
  for (Millis t = 0ms; t <= 10min; t += 7'300ms) {
    plain.at(t);
    with_kettle.at(t);
  }
  EXPECT_NEAR(with_kettle.at(10min).energy_wh() - plain.at(10min).energy_wh(), 100, 1);
}

TEST(SimMeterTest, AnOpenRelayCutsTheAppliancesToo) {
  MeterUnderTest m(room({appliance("kettle", 2000, 0.99, 0s, 1h)}));
  SimMeter& meter = m.at(1min);
  meter.set_relay(false);
  const std::int64_t at_open = meter.energy_wh();
  m.at(30min);
  EXPECT_EQ(meter.energy_wh(), at_open);
  EXPECT_EQ(analog(meter, "power_total"), 0.0);
  EXPECT_EQ(analog(meter, "pf_total"), 1.0);
  EXPECT_EQ(analog(meter, "current_a"), 0.0);
}

TEST(SimMeterTest, ARestoredMeterCarriesOnAsIfItHadNeverStopped) {
  const SimMeterParams params = room({appliance("heater", 800, 1.0, 20min, 50min)}, 600);
  MeterUnderTest uninterrupted(params);
  MeterUnderTest first(params);
  for (Millis t = 0ms; t <= 1h; t += 1min) {
    uninterrupted.at(t);
    first.at(t);
  }
  const MeterState saved = first.at(1h).state();
  // The gateway was away for an hour; the room went on drawing.
  SimMeter restarted(params, kStart + 2h, SteadyTime{} + 2h, kStart);
  restarted.restore(saved, kStart + 1h, kStart + 2h, SteadyTime{} + 2h, 24h);
  for (Millis t = 1h; t <= 2h; t += 1min) uninterrupted.at(t);
  EXPECT_NEAR(restarted.energy_wh(), uninterrupted.at(2h).energy_wh(), 1);
  EXPECT_GT(restarted.energy_wh(), saved.energy_wh + 500);  // ~600 W base for an hour

  // At most max_catch_up of an absence is counted.
  SimMeter capped(params, kStart + 2h, SteadyTime{} + 2h, kStart);
  capped.restore(saved, kStart + 1h, kStart + 2h, SteadyTime{} + 2h, 0ms);
  EXPECT_EQ(capped.energy_wh(), saved.energy_wh);
}

TEST(SimMeterTest, TheRelayStateIsPartOfTheSavedState) {
  MeterUnderTest m(room({}));
  SimMeter& meter = m.at(1min);
  meter.set_relay(false);
  SimMeter restarted(room({}), kStart + 2min, SteadyTime{} + 2min, kStart);
  restarted.restore(meter.state(), kStart + 1min, kStart + 2min, SteadyTime{} + 2min, 24h);
  EXPECT_FALSE(restarted.relay_closed());
  EXPECT_EQ(std::get<bool>(restarted.value("relay_closed").value()), false);
}

}  // namespace
}  // namespace meterd::sim
