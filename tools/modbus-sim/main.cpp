// SPDX-License-Identifier: Apache-2.0
// modbus-sim: a multi-drop Modbus line of simulated meters driven by a profile, for tests,
// benchmarks and the demo.
//   modbus-sim --profile config/profiles/acrel-ddsy1352.yaml (--rtu /dev/pts/N | --tcp PORT)
//              [--units FIRST-LAST] [--base-load W] [--frozen] [--wire-delay] [--baud 9600]
//              [--parity none|even|odd] [--stop-bits 1|2] [--latency-us N]
//              [--fault UNIT:dead|crc|exception|late|garbage|held[:EVERY]]...
//              [--stuck-relay UNIT:open|closed]...
//
// --stuck-relay: the unit's relay starts in that state and stays there; relay writes are
// acknowledged but change nothing (a welded contact, a meter in local keep-power mode).
// On exit it prints, per unit with relay writes, "modbus-sim: unit U relay write at T ms"
// for each (T since the start, steady clock), so tests can count and space relay traffic.
// Prints "ready <port>" (TCP) or "ready" (RTU) on stdout, then serves until SIGTERM/SIGINT.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "config/yaml_to_settings.h"
#include "modbus/driver/profile.h"
#include "modbus/sim/line_server.h"

using namespace meterd;
using namespace meterd::modbus;

namespace {

int usage(const std::string& why) {
  std::cerr << "modbus-sim: " << why << "\n";
  return 2;
}

std::optional<sim::Fault> parse_fault(const std::string& text, std::uint8_t& unit) {
  std::stringstream s(text);
  std::string u, kind, every;
  std::getline(s, u, ':');
  std::getline(s, kind, ':');
  std::getline(s, every, ':');
  sim::Fault f;
  unit = static_cast<std::uint8_t>(std::stoi(u));
  if (kind == "dead")
    f.kind = sim::FaultKind::kDead;
  else if (kind == "crc")
    f.kind = sim::FaultKind::kCrc;
  else if (kind == "exception")
    f.kind = sim::FaultKind::kException;
  else if (kind == "late")
    f.kind = sim::FaultKind::kLate;
  else if (kind == "garbage")
    f.kind = sim::FaultKind::kGarbage;
  else if (kind == "held")
    f.kind = sim::FaultKind::kHeld;
  else
    return std::nullopt;
  if (!every.empty()) f.every = std::stoi(every);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::string profile_path, rtu;
  int tcp_port = -1, first = 1, last = 1;
  double base_load = 800;
  bool frozen = false;
  sim::LineOptions options;
  std::vector<std::pair<std::uint8_t, sim::Fault>> faults;
  std::map<int, bool> stuck;  // unit -> stuck closed?
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
        return argv[++i];
      };
      if (a == "--profile")
        profile_path = next();
      else if (a == "--rtu")
        rtu = next();
      else if (a == "--tcp")
        tcp_port = std::stoi(next());
      else if (a == "--units") {
        const std::string r = next();
        const auto dash = r.find('-');
        first = std::stoi(r.substr(0, dash));
        last = dash == std::string::npos ? first : std::stoi(r.substr(dash + 1));
      } else if (a == "--base-load")
        base_load = std::stod(next());
      else if (a == "--frozen")
        frozen = true;
      else if (a == "--wire-delay")
        options.wire_delay = true;
      else if (a == "--baud")
        options.baud = std::stoi(next());
      else if (a == "--parity")
        options.parity = next() != "none";
      else if (a == "--stop-bits")
        options.stop_bits = std::stoi(next());
      else if (a == "--latency-us")
        options.latency = std::chrono::microseconds(std::stol(next()));
      else if (a == "--stuck-relay") {
        const std::string v = next();
        const auto colon = v.find(':');
        if (colon == std::string::npos) return usage("bad --stuck-relay");
        const std::string state = v.substr(colon + 1);
        if (state != "open" && state != "closed") return usage("bad --stuck-relay");
        stuck[std::stoi(v.substr(0, colon))] = state == "closed";
      } else if (a == "--fault") {
        std::uint8_t unit = 0;
        auto f = parse_fault(next(), unit);
        if (!f) return usage("bad --fault");
        faults.emplace_back(unit, *f);
      } else {
        return usage("unknown argument " + a);
      }
    }
  } catch (const std::exception& e) {
    return usage(e.what());
  }
  if (profile_path.empty() || (rtu.empty() && tcp_port < 0)) {
    return usage("needs --profile and --rtu DEVICE or --tcp PORT");
  }
  std::ifstream in(profile_path);
  std::stringstream text;
  text << in.rdbuf();
  ConfigErrors errors;
  auto tree = yaml_to_settings(text.str(), profile_path, errors);
  std::shared_ptr<const Profile> profile;
  if (tree) profile = parse_profile(*tree, profile_path, errors);
  if (!profile) {
    for (const auto& e : errors.all()) std::cerr << e.to_string() << "\n";
    return 2;
  }
  std::vector<std::unique_ptr<sim::SimMeter>> meters;
  for (int u = first; u <= last; ++u) {
    sim::SimMeterParams p;
    p.unit = static_cast<std::uint8_t>(u);
    p.base_load_w = base_load;
    p.initial_energy_wh = 100'000 + u * 1'000;
    p.frozen = frozen;
    if (auto found = stuck.find(u); found != stuck.end()) p.relay_stuck_closed = found->second;
    meters.push_back(std::make_unique<sim::SimMeter>(profile, p));
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  const auto started = std::chrono::steady_clock::now();
  sim::LineServer server(std::move(meters), options);
  for (auto& [unit, fault] : faults) server.set_fault(unit, fault);
  try {
    if (!rtu.empty()) {
      server.start_rtu(rtu);
      std::cout << "ready" << std::endl;
    } else {
      std::cout << "ready " << server.start_tcp(static_cast<std::uint16_t>(tcp_port)) << std::endl;
    }
  } catch (const std::exception& e) {
    std::cerr << "modbus-sim: " << e.what() << "\n";
    return 1;
  }
  int sig = 0;
  sigwait(&set, &sig);
  server.stop();
  std::cerr << "modbus-sim: served " << server.requests() << " requests\n";
  for (int u = first; u <= last; ++u) {
    server.with_meter(static_cast<std::uint8_t>(u), [&](const sim::SimMeter& meter) {
      for (const auto at : meter.relay_writes()) {
        std::cerr << "modbus-sim: unit " << u << " relay write at "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(at - started).count()
                  << " ms\n";
      }
    });
  }
  return 0;
}
