// SPDX-License-Identifier: Apache-2.0
// The appliance sim's own cost: reading 1,000 dorm rooms (base load, lights, charger, fridge,
// kettle) every 2 s of virtual time, and the catch-up a restart costs when the state file is a
// day old (each meter integrates 24 h in steps of a minute or an appliance switching). Virtual
// time, one thread: the figures are CPU time of the bus thread.
//   usage: bench_sim_appliances [meters=1000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "sim/sim/sim_meter.h"

using namespace meterd;
using namespace meterd::sim;
using namespace std::chrono_literals;

namespace {

std::vector<Appliance> dorm_room(std::uint64_t key) {
  return {{"led-lights", 40, 0.55,
           Switching({}, {DailyWindow{18 * 60, 23 * 60 + 30}}, std::nullopt, key)},
          {"laptop-charger", 65, 0.6, Switching({}, {}, RandomUse{2h, 0.7, 30min, 90min}, key + 1)},
          {"fridge", 120, 0.8, Switching({}, {}, RandomUse{30min, 0.8, 8min, 15min}, key + 2)},
          {"kettle", 2000, 0.99,
           Switching({RelativePeriod{45s, 3min, Millis(10min)}}, {}, std::nullopt, key + 3)}};
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t meters = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000;
  const WallTime start{std::chrono::sys_days{std::chrono::year{2026} / 12 / 1}};
  std::vector<SimMeter> rooms;
  for (std::size_t i = 0; i < meters; ++i) {
    SimMeterParams p;
    p.index = i;
    p.phases = 1;
    p.base_load_w = 150;
    p.appliances = dorm_room(i * 16);
    rooms.emplace_back(p, start, SteadyTime{}, start);
  }

  // One hour of polls every 2 s: advance and four points per meter.
  const int polls = 1800;
  auto t0 = std::chrono::steady_clock::now();
  double sink = 0;
  for (int k = 1; k <= polls; ++k) {
    const Millis at = Millis(2000LL * k);
    for (SimMeter& m : rooms) {
      m.advance(start + at, SteadyTime{} + at);
      for (const char* point : {"power_total", "pf_total", "reactive_power_total", "current_a"}) {
        sink += std::get<double>(m.value(point).value());
      }
    }
  }
  const double poll_s = seconds_since(t0);
  std::printf("%zu meters, %d polls each (2 s apart, 4 points): %.2f us per meter poll\n", meters,
              polls, poll_s * 1e6 / (static_cast<double>(meters) * polls));

  // A restart a day after the last save: every meter catches up 24 h.
  t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < meters; ++i) {
    SimMeter& m = rooms[i];
    const MeterState saved = m.state();
    m.restore(saved, start + 1h, start + 25h, SteadyTime{} + 25h, 24h);
    sink += static_cast<double>(m.energy_wh());
  }
  const double catch_up_s = seconds_since(t0);
  std::printf("restart after 24 h away: %.1f ms for all %zu meters (%.2f ms each)\n",
              catch_up_s * 1e3, meters, catch_up_s * 1e3 / static_cast<double>(meters));
  return sink == 42.0 ? 1 : 0;  // keeps the work observable
}
