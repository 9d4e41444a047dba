// SPDX-License-Identifier: Apache-2.0
// profibus-sim: many simulated PROFIBUS DP-V0 slaves (energy meters) on one serial device,
// speaking the real telegrams, so any DP master can be tested against it.
//
//   profibus-sim --device PATH [--baud 19200] [--parity even|none] [--tsdr-bits 11]
//                [--no-wire-delay] [--profile-dir DIR] [--config SLAVES.yaml]
//                [--slave ADDRESS:PROFILE[:FAULT[,FAULT...]]]...
//
// PROFILE is a meter profile (<profile-dir>/PROFILE.yaml, or a path ending in .yaml) naming
// the GSD and the modules; the slave takes its ident number and configuration from them.
// FAULT: silent | cfg-mismatch | restart-after=N (power cycle after N data exchanges, again
// and again) | ext-diag=HEX (extended diagnosis, DH on data replies) | garbage (noise before
// each reply) | bad-fcs-every=N.
// The YAML file holds the same: {device, baud, parity, tsdr_bits, wire_delay, profile_dir,
// slaves: [{address, profile, faults: [...]}]}; command-line options win.
// Slave ADDRESS starts with energy 1000 kWh + ADDRESS kWh and a load of 500 + 100 x ADDRESS W.
// Replies wait for the wire time of request and reply (11 bits per character at --baud, also
// on a pty set to 8N1) plus TSDR, unless --no-wire-delay. Runs until SIGINT or SIGTERM.
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "config/yaml_to_settings.h"
#include "core/settings_reader.h"
#include "profibus/sim/line_sim.h"

namespace {

using namespace meterd;
using namespace meterd::profibus;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

struct SlaveArg {
  int address = -1;
  std::string profile;
  std::vector<std::string> faults;
};

struct Options {
  std::string device;
  int baud = 19200;
  bool even_parity = true;
  int tsdr_bits = 11;
  bool wire_delay = true;
  std::string profile_dir = "/etc/meterd/profiles";
  std::vector<SlaveArg> slaves;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "profibus-sim: " << why
            << "\nusage: profibus-sim --device PATH [--baud N] [--parity even|none] "
               "[--tsdr-bits N] [--no-wire-delay] [--profile-dir DIR] [--config FILE] "
               "--slave ADDRESS:PROFILE[:FAULT,...]...\n";
  std::exit(64);
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, sep)) out.push_back(part);
  return out;
}

SlaveArg parse_slave(const std::string& text) {
  auto parts = split(text, ':');
  if (parts.size() < 2 || parts.size() > 3) usage("bad --slave '" + text + "'");
  SlaveArg s;
  try {
    s.address = std::stoi(parts[0]);
  } catch (...) {
    usage("bad slave address in '" + text + "'");
  }
  s.profile = parts[1];
  if (parts.size() == 3) s.faults = split(parts[2], ',');
  return s;
}

void read_config(const std::string& path, Options& o) {
  std::ifstream in(path);
  if (!in) usage("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  ConfigErrors errors;
  auto root = yaml_to_settings(text.str(), path, errors);
  if (root && root->is_map()) {
    SettingsReader r(*root, errors, "simulator");
    o.device = r.string("device", o.device);
    o.baud = static_cast<int>(r.integer("baud", o.baud, 9600, 12'000'000));
    o.even_parity = r.one_of("parity", "even", {"even", "none"}) == "even";
    o.tsdr_bits = static_cast<int>(r.integer("tsdr_bits", o.tsdr_bits, 11, 255));
    o.wire_delay = r.boolean("wire_delay", o.wire_delay);
    o.profile_dir = r.string("profile_dir", o.profile_dir);
    if (const SettingsNode* list = r.sequence("slaves", true)) {
      for (const auto& item : list->items) {
        SettingsReader sr(item, errors, "slave");
        SlaveArg s;
        s.address = static_cast<int>(sr.required_integer("address", 0, 125));
        s.profile = sr.required_string("profile");
        if (sr.has("faults")) s.faults = sr.string_list("faults");
        sr.finish();
        o.slaves.push_back(s);
      }
    }
    r.finish();
  }
  for (const auto& e : errors.all()) std::cerr << e.to_string() << "\n";
  if (!errors.empty() || !root) std::exit(78);
}

std::shared_ptr<const Profile> load_profile(const Options& o, const std::string& name) {
  static std::map<std::string, std::shared_ptr<const Profile>> cache;
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  const std::string path = name.ends_with(".yaml")
                               ? name
                               : (std::filesystem::path(o.profile_dir) / (name + ".yaml")).string();
  std::ifstream in(path);
  if (!in) usage("cannot read profile " + path);
  std::ostringstream text;
  text << in.rdbuf();
  ConfigErrors errors;
  auto tree = yaml_to_settings(text.str(), path, errors);
  std::optional<Profile> profile;
  if (tree) profile = read_profile(*tree, "profile '" + name + "'", errors);
  for (const auto& e : errors.all()) std::cerr << e.to_string() << "\n";
  if (!profile) std::exit(78);
  auto shared = std::make_shared<const Profile>(std::move(*profile));
  cache[name] = shared;
  return shared;
}

std::vector<std::uint8_t> parse_hex(const std::string& text) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(text.substr(i, 2), nullptr, 16)));
  }
  return out;
}

SimMeterFaults parse_faults(const std::vector<std::string>& faults) {
  SimMeterFaults f;
  for (const auto& fault : faults) {
    const auto eq = fault.find('=');
    const std::string name = fault.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : fault.substr(eq + 1);
    try {
      if (name == "silent")
        f.silent = true;
      else if (name == "cfg-mismatch")
        f.cfg_mismatch = true;
      else if (name == "garbage")
        f.garbage = true;
      else if (name == "restart-after")
        f.restart_after = std::stoull(value);
      else if (name == "bad-fcs-every")
        f.bad_fcs_every = std::stoull(value);
      else if (name == "ext-diag")
        f.ext_diag = parse_hex(value);
      else
        usage("unknown fault '" + fault + "'");
    } catch (const std::exception&) {
      usage("bad fault '" + fault + "'");
    }
  }
  return f;
}

int open_line(const Options& o) {
  const int fd = ::open(o.device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    std::perror(o.device.c_str());
    std::exit(1);
  }
  termios tio{};
  if (::tcgetattr(fd, &tio) == 0) {
    ::cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    if (o.even_parity) tio.c_cflag |= PARENB;
    // Standard rates only here; 45.45k/93.75k need a real UART set by the master's side.
    const speed_t speed = o.baud == 9600 ? B9600 : B19200;
    ::cfsetispeed(&tio, speed);
    ::cfsetospeed(&tio, speed);
    ::tcsetattr(fd, TCSANOW, &tio);
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  // The config file first, so the command line wins.
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--config") read_config(args[i + 1], o);
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) usage(a + " needs a value");
      return args[++i];
    };
    try {
      if (a == "--device")
        o.device = value();
      else if (a == "--baud")
        o.baud = std::stoi(value());
      else if (a == "--parity")
        o.even_parity = value() == "even";
      else if (a == "--tsdr-bits")
        o.tsdr_bits = std::stoi(value());
      else if (a == "--no-wire-delay")
        o.wire_delay = false;
      else if (a == "--profile-dir")
        o.profile_dir = value();
      else if (a == "--config")
        value();
      else if (a == "--slave")
        o.slaves.push_back(parse_slave(value()));
      else
        usage("unknown option " + a);
    } catch (const std::invalid_argument&) {
      usage("bad value for " + a);
    }
  }
  if (o.device.empty()) usage("--device is required");
  if (o.slaves.empty()) usage("no slaves");
  std::vector<std::unique_ptr<SimMeter>> meters;
  for (const auto& s : o.slaves) {
    if (s.address < 0 || s.address > 125) usage("slave address 0..125");
    SimMeterSpec spec;
    spec.address = static_cast<std::uint8_t>(s.address);
    spec.profile = load_profile(o, s.profile);
    spec.energy_wh = 1'000'000.0 + 1000.0 * s.address;
    spec.power_w = 500.0 + 100.0 * s.address;
    spec.faults = parse_faults(s.faults);
    meters.push_back(std::make_unique<SimMeter>(std::move(spec)));
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const int fd = open_line(o);
  LineTiming timing;
  timing.baud = o.baud;
  timing.bits_per_char = 11;
  timing.tsdr_bits = o.tsdr_bits;
  timing.wire_delay = o.wire_delay;
  LineSim line(std::move(meters), timing);
  std::cerr << "profibus-sim: " << o.slaves.size() << " slaves on " << o.device << " at " << o.baud
            << " bit/s\n";
  line.run(fd, g_stop);
  const auto& c = line.counters();
  std::cerr << "profibus-sim: requests " << c.requests << ", replies " << c.replies
            << ", garbage bytes " << c.garbage_bytes << ", bad FCS " << c.bad_fcs << "\n";
  for (auto& m : line.meters()) {
    std::cerr << "  slave " << int(m->spec().address) << ": exchanges " << m->slave().exchanges()
              << ", restarts " << m->restarts() << ", relay "
              << (m->relay_closed() ? "closed" : "open") << "\n";
  }
  ::close(fd);
  return 0;
}
