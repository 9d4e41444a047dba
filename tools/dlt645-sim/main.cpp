// SPDX-License-Identifier: Apache-2.0
// dlt645-sim: serves simulated DL/T 645-2007 meters (plugins/dlt645/sim) on a tty or pty.
//
//   dlt645-sim --device PATH [--baud 2400] [--parity none|even] [--wire-delay]
//              [--bits-per-char N] [--latency-ms N] [--vary]
//              [--preamble N] [--password 02000000] [--utc-offset-min 480]
//              [--fault ADDRESS=no-reply|bad-checksum|garbage|extra-preamble[:N]]
//              [--relay-open]
//              ADDRESS[:1997]...
//
// ADDRESS is a 12-digit meter address; ":1997" makes that meter speak DL/T 645-1997. Use
// --parity none on ptys (8E1 may fail on a pty). --wire-delay holds each reply
// back for the time the request and the reply take on the wire at the chosen baud rate and
// framing (--bits-per-char overrides it: 11 for 8E1 on a pty set to 8N1), plus --latency-ms.
// --vary gives the i-th meter (0-based) forward energy 1234.56 + i kWh, balance 100.00 + i
// and purchase count 3 + i, so meters are told apart. --relay-open starts every meter tripped
// (relay open, trip commanded). "Close allowed" (1B) leaves a relay open, the trip command
// lifted: no simulated customer closes it. A partial request is dropped after
// 500 ms of silence.
// Runs until SIGINT or SIGTERM; prints its counters to stderr on exit, and a line
// "dlt645-sim: control frame at T ms" (T since the start, steady clock) for each relay/alarm
// request when it arrives, so tests can check how relay retries are spaced.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/serial_port.h"
#include "core/clock.h"
#include "dlt645/sim/line_sim.h"

namespace {

using namespace meterd::dlt645;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct FaultArg {
  Address address;
  SimFault fault;
  int replies;
};

struct Options {
  std::string device;
  int baud = 2400;
  bool even_parity = false;
  bool wire_delay = false;
  int bits_per_char = 0;  // 0: from the parity
  int latency_ms = 0;
  bool vary = false;
  bool relay_open = false;
  std::size_t preamble = 0;
  Password password{0x02, 0};
  int utc_offset_min = 8 * 60;
  std::vector<std::pair<Address, Version>> meters;
  std::vector<FaultArg> faults;
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "dlt645-sim: %s\nusage: dlt645-sim --device PATH [--baud 2400] [--parity "
               "none|even] [--wire-delay] [--bits-per-char N] [--latency-ms N] [--vary] "
               "[--preamble N] [--password 02000000] [--utc-offset-min 480] "
               "[--fault ADDRESS=KIND[:N]] [--relay-open] ADDRESS[:1997]...\n",
               problem.c_str());
  std::exit(64);
}

int to_int(const std::string& text, const char* what) {
  try {
    std::size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  usage(std::string("bad ") + what + ": " + text);
}

Address to_address(const std::string& text) {
  auto address = parse_address(text);
  if (!address) usage("bad meter address: " + text);
  return *address;
}

FaultArg to_fault(const std::string& text) {
  static const std::map<std::string, SimFault> kinds = {
      {"no-reply", SimFault::kNoReply},
      {"bad-checksum", SimFault::kBadChecksum},
      {"garbage", SimFault::kGarbagePrefix},
      {"extra-preamble", SimFault::kExtraPreamble}};
  const auto equals = text.find('=');
  if (equals == std::string::npos) usage("bad --fault: " + text);
  std::string kind = text.substr(equals + 1);
  int replies = -1;
  if (const auto colon = kind.find(':'); colon != std::string::npos) {
    replies = to_int(kind.substr(colon + 1), "fault count");
    kind.resize(colon);
  }
  auto it = kinds.find(kind);
  if (it == kinds.end()) usage("unknown fault kind: " + kind);
  return FaultArg{to_address(text.substr(0, equals)), it->second, replies};
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--device") {
      options.device = value();
    } else if (arg == "--baud") {
      options.baud = to_int(value(), "baud");
    } else if (arg == "--parity") {
      const std::string parity = value();
      if (parity != "none" && parity != "even") usage("--parity is none or even");
      options.even_parity = parity == "even";
    } else if (arg == "--wire-delay") {
      options.wire_delay = true;
    } else if (arg == "--bits-per-char") {
      options.bits_per_char = to_int(value(), "bits per char");
    } else if (arg == "--latency-ms") {
      options.latency_ms = to_int(value(), "latency");
    } else if (arg == "--vary") {
      options.vary = true;
    } else if (arg == "--relay-open") {
      options.relay_open = true;
    } else if (arg == "--preamble") {
      options.preamble = static_cast<std::size_t>(to_int(value(), "preamble"));
    } else if (arg == "--password") {
      const std::string text = value();
      auto password = parse_password(text);
      if (!password) usage("bad password (8 hex digits, level first): " + text);
      options.password = *password;
    } else if (arg == "--utc-offset-min") {
      options.utc_offset_min = to_int(value(), "UTC offset");
    } else if (arg == "--fault") {
      options.faults.push_back(to_fault(value()));
    } else if (arg.starts_with("--")) {
      usage("unknown option " + arg);
    } else if (arg.ends_with(":1997")) {
      options.meters.emplace_back(to_address(arg.substr(0, arg.size() - 5)), Version::k1997);
    } else {
      options.meters.emplace_back(to_address(arg), Version::k2007);
    }
  }
  if (options.device.empty()) usage("--device is required");
  if (options.meters.empty()) usage("at least one meter address is required");
  return options;
}

int open_line(const Options& options) {
  const int fd = ::open(options.device.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "dlt645-sim: %s: %s\n", options.device.c_str(), std::strerror(errno));
    std::exit(66);
  }
  if (!meterd::line::is_standard_baud(options.baud)) {
    usage("unsupported baud rate " + std::to_string(options.baud));
  }
  const meterd::line::SerialFraming framing{
      options.baud, 8,
      options.even_parity ? meterd::line::Parity::kEven : meterd::line::Parity::kNone, 1};
  switch (meterd::line::set_raw_mode(fd, framing)) {
    case meterd::line::RawModeResult::kSet:
      break;
    case meterd::line::RawModeResult::kNotATty:
      std::fprintf(stderr, "dlt645-sim: %s is not a tty\n", options.device.c_str());
      std::exit(66);
    case meterd::line::RawModeResult::kNotApplied:
      std::fprintf(stderr, "dlt645-sim: tcsetattr %s: %s\n", options.device.c_str(),
                   std::strerror(errno));
      std::exit(66);
  }
  return fd;
}

bool write_all(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  meterd::SystemClock clock;
  LineSim line(clock, std::chrono::minutes{options.utc_offset_min});
  line.set_reply_preamble(options.preamble);
  std::int64_t index = 0;
  for (const auto& [address, variant] : options.meters) {
    if (line.find(address)) usage("duplicate meter address " + to_string(address));
    SimMeter& meter = line.add_meter(SimMeter(address, options.password, variant));
    if (options.vary) {
      meter.set(di::kForwardActiveTotal, 123456 + index * 100);
      meter.set(di::kRemainingAmount, 10000 + index * 100);
      meter.set(di::kPurchaseCount, 3 + index);
    }
    if (options.relay_open) {
      meter.set_status_word3(meter.status_word3() | status3::kRelayOpen | status3::kRelayCommand);
    }
    ++index;
  }
  for (const auto& fault : options.faults) {
    if (!line.find(fault.address)) usage("--fault for an unknown meter");
    line.inject_fault(fault.address, fault.fault, fault.replies);
  }

  struct sigaction action {};
  action.sa_handler = on_signal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  const int fd = open_line(options);
  // start + 8 data + parity + stop
  const int bits_per_byte = options.bits_per_char > 0 ? options.bits_per_char
                            : options.even_parity     ? 11
                                                      : 10;
  std::size_t request_bytes = 0;  // received since the last reply
  std::fprintf(stderr, "dlt645-sim: %zu meter(s) on %s at %d baud\n", options.meters.size(),
               options.device.c_str(), options.baud);

  std::uint8_t buffer[512];
  int status = 0;
  const auto started = std::chrono::steady_clock::now();
  while (!g_stop) {
    pollfd pfd{fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, 500);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      std::perror("dlt645-sim: poll");
      status = 1;
      break;
    }
    if (ready == 0) {
      line.clear_input();  // silence: a half frame will never complete
      request_bytes = 0;
      continue;
    }
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) {
      if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EIO) {
        std::perror("dlt645-sim: read");
        status = 1;
        break;
      }
      // 0 or EIO: the pty's other end is closed (POLLHUP); wait for a master to open it.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    request_bytes += static_cast<std::size_t>(n);
    const std::uint64_t controls_before = line.stats().control_frames;
    const auto reply = line.receive(std::span(buffer, static_cast<std::size_t>(n)));
    for (auto i = controls_before; i < line.stats().control_frames; ++i) {
      const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      std::fprintf(stderr, "dlt645-sim: control frame at %lld ms\n",
                   static_cast<long long>(since.count()));
    }
    if (reply.empty()) continue;
    if (options.wire_delay) {
      // The pty carries bytes at once; a real line would have taken this long for both.
      const auto wire_bytes = static_cast<std::int64_t>(request_bytes + reply.size());
      std::this_thread::sleep_for(
          std::chrono::microseconds(wire_bytes * bits_per_byte * 1'000'000 / options.baud) +
          std::chrono::milliseconds(options.latency_ms));
    }
    request_bytes = 0;
    if (!write_all(fd, reply)) {
      std::perror("dlt645-sim: write");
      status = 1;
      break;
    }
  }
  const auto& stats = line.stats();
  std::fprintf(stderr,
               "dlt645-sim: frames %llu, bad checksum %llu, garbage bytes %llu, replies %llu, "
               "control frames %llu, write frames %llu\n",
               static_cast<unsigned long long>(stats.frames),
               static_cast<unsigned long long>(stats.bad_checksum),
               static_cast<unsigned long long>(stats.garbage_bytes),
               static_cast<unsigned long long>(stats.replies),
               static_cast<unsigned long long>(stats.control_frames),
               static_cast<unsigned long long>(stats.write_frames));
  ::close(fd);
  return status;
}
