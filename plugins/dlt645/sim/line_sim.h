// SPDX-License-Identifier: Apache-2.0
// A simulated DL/T 645 multi-drop line: several SimMeters behind one byte stream. Bytes from
// the master go in, the bytes the meters send back come out, so tests need no pty; the
// dlt645-sim tool puts it on a tty. Meters answer only frames to their address (AA bytes
// match any meter); a wildcard request that more than one meter matches, and any broadcast,
// gets no reply (on a real line it would collide). Faults are injected per meter. Time comes
// from the injected Clock. Single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "core/clock.h"
#include "dlt645/sim/sim_meter.h"

namespace meterd::dlt645 {

enum class SimFault {
  kNone,
  kNoReply,        // the meter stays silent
  kBadChecksum,    // the reply's CS is off by one
  kGarbagePrefix,  // noise (including a stray 68) before the reply
  kExtraPreamble,  // four more FE before the reply
};

struct LineSimStats {
  std::uint64_t frames = 0;         // valid frames received
  std::uint64_t bad_checksum = 0;   // frames dropped for their CS
  std::uint64_t garbage_bytes = 0;  // bytes dropped as noise
  std::uint64_t replies = 0;
  std::uint64_t control_frames = 0;  // relay / alarm / keep-power requests (C=1C)
  std::uint64_t write_frames = 0;    // write requests (C=14: parameters, vendor recharge)
};

class LineSim {
 public:
  explicit LineSim(const Clock& clock,
                   std::chrono::minutes utc_offset = std::chrono::minutes{8 * 60});

  // Returns the meter, which stays valid as long as the line. Addresses must be unique.
  SimMeter& add_meter(SimMeter meter);
  SimMeter* find(const Address& address);
  std::size_t meter_count() const { return entries_.size(); }

  // Applies `fault` to the next `replies` replies of the meter (-1: until set to kNone).
  void inject_fault(const Address& meter, SimFault fault, int replies = 1);
  void set_reply_preamble(std::size_t count) { reply_preamble_ = count; }

  // Feeds bytes from the master; returns the bytes the meters answer (often empty).
  std::vector<std::uint8_t> receive(std::span<const std::uint8_t> bytes);
  // Drops a half-received frame, as a meter does after an inter-byte gap.
  void clear_input() { input_.clear(); }
  const LineSimStats& stats() const { return stats_; }

 private:
  struct Entry {
    SimMeter meter;
    SimFault fault = SimFault::kNone;
    int fault_replies = 0;
  };

  void dispatch(const Frame& request, std::vector<std::uint8_t>& out);
  void send(Entry& entry, const Frame& reply, std::vector<std::uint8_t>& out);

  const Clock& clock_;
  std::chrono::minutes utc_offset_;
  std::deque<Entry> entries_;  // a deque keeps meter references stable
  std::vector<std::uint8_t> input_;
  std::size_t reply_preamble_ = 0;
  LineSimStats stats_;
};

}  // namespace meterd::dlt645
