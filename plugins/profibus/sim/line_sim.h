// SPDX-License-Identifier: Apache-2.0
// Many simulated DP slaves on one serial line: bytes from the master in, each complete
// request handed to the meter it addresses, the reply written back after the time the
// request and the reply take on the wire plus the slave's TSDR (11 bits per character when
// `bits_per_char` says so), so a master on a pty sees the timing of a real line. One thread:
// run() loops until `stop` turns true.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "profibus/sim/sim_meter.h"

namespace meterd::profibus {

struct LineTiming {
  int baud = 19200;
  int bits_per_char = 11;
  int tsdr_bits = 11;      // the slave's reply delay after the request's last bit
  bool wire_delay = true;  // false: reply at once (fast tests)
};

struct LineCounters {
  std::uint64_t requests = 0;
  std::uint64_t replies = 0;
  std::uint64_t garbage_bytes = 0;
  std::uint64_t bad_fcs = 0;
};

class LineSim {
 public:
  LineSim(std::vector<std::unique_ptr<SimMeter>> meters, LineTiming timing);

  // Feeds received bytes; returns the reply bytes to write, each with the time to write it.
  struct Reply {
    std::chrono::steady_clock::time_point at;
    std::vector<std::uint8_t> bytes;
  };
  std::vector<Reply> feed(std::span<const std::uint8_t> bytes,
                          std::chrono::steady_clock::time_point now);
  // Serves `fd` until `stop`. With `guard`, each batch of requests is handled under it, so
  // another thread (a test) may look at or change the meters under the same mutex.
  void run(int fd, const std::atomic<bool>& stop, std::mutex* guard = nullptr);

  std::vector<std::unique_ptr<SimMeter>>& meters() { return meters_; }
  const LineCounters& counters() const { return counters_; }

 private:
  std::chrono::microseconds wire(std::size_t chars) const;

  std::vector<std::unique_ptr<SimMeter>> meters_;
  LineTiming timing_;
  LineCounters counters_;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace meterd::profibus
