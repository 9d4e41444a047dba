// SPDX-License-Identifier: Apache-2.0
// A multi-drop Modbus line of simulated meters, served on its own thread: RTU on a serial
// device or pty (frames found by length and CRC; requests for units it does not serve are
// ignored, broadcasts are applied without reply), or Modbus TCP on a port (unit id selects the
// meter). Optional baud-accurate reply delay: the request and reply wire time at the line's
// baud and format plus a fixed meter latency. Faults are injected per unit at run time.
// Public methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "modbus/sim/sim_meter.h"

namespace meterd::modbus::sim {

// kHeld: the reply is held back and sent right before the reply to the next request on the
// line (RTU) or connection (TCP): a late reply that lands in the next transaction, whatever
// the machine's load.
enum class FaultKind { kNone, kDead, kCrc, kException, kLate, kGarbage, kHeld };

struct Fault {
  FaultKind kind = FaultKind::kNone;
  int every = 1;                           // every Nth request of the unit is hit
  std::chrono::milliseconds late_by{300};  // kLate: reply this long after the request
};

struct LineOptions {
  bool wire_delay = false;  // baud-accurate reply delay
  int baud = 9600;
  bool parity = false;
  int stop_bits = 1;
  std::chrono::microseconds latency{0};  // meter reply latency
};

class LineServer {
 public:
  LineServer(std::vector<std::unique_ptr<SimMeter>> meters, LineOptions options);
  ~LineServer();  // stops
  LineServer(const LineServer&) = delete;
  LineServer& operator=(const LineServer&) = delete;

  // Throws std::runtime_error when the device cannot be opened or the port bound.
  void start_rtu(const std::string& device);
  // `port` 0 picks a free one; returns the port.
  std::uint16_t start_tcp(std::uint16_t port);
  void stop();

  void set_fault(std::uint8_t unit, Fault fault);
  // Runs `fn(meter)` under the server's lock (tests read state and expected values).
  template <typename Fn>
  auto with_meter(std::uint8_t unit, Fn&& fn) {
    std::lock_guard lock(mutex_);
    return fn(*by_unit_.at(unit));
  }
  std::uint64_t requests() const { return requests_.load(); }

 private:
  void run_rtu();
  void run_tcp();
  // The reply frame body for `unit` (empty: no reply), applying faults; under the lock.
  std::vector<std::uint8_t> answer(std::uint8_t unit, std::span<const std::uint8_t> pdu,
                                   Fault& applied);

  std::vector<std::unique_ptr<SimMeter>> meters_;
  std::map<std::uint8_t, SimMeter*> by_unit_;
  LineOptions options_;
  std::mutex mutex_;
  std::map<std::uint8_t, Fault> faults_;
  std::map<std::uint8_t, std::uint64_t> counts_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> requests_{0};
  int fd_ = -1;
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace meterd::modbus::sim
