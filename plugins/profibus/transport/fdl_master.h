// SPDX-License-Identifier: Apache-2.0
// The master's half of FDL on a Phy: one request, one reply, with the bus timing of the
// standard. Before each request the line is kept idle for TSYN (33 bit times); a reply must
// start within the slot time (TSL bit times, but never less than `min_slot_time`: a
// user-space master on Linux cannot rely on a few milliseconds of scheduling); a request that
// got no valid reply is repeated up to `retry_limit` times with the same FC (so a slave that
// answered already repeats its reply). Echoes of the request, stray telegrams, garbage and
// telegrams with a bad FCS are skipped and counted. One thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "profibus/codec/telegram.h"
#include "profibus/transport/phy.h"

namespace meterd::profibus {

struct FdlTiming {
  int tsyn_bits = 33;
  int slot_time_bits = 100;
  std::chrono::microseconds min_slot_time{20'000};
  int retry_limit = 1;
};

struct FdlStats {
  std::uint64_t requests = 0;  // telegrams sent, repeats included
  std::uint64_t retries = 0;
  std::uint64_t no_reply = 0;  // requests with no valid reply after every retry
  std::uint64_t bad_fcs = 0;
  std::uint64_t garbage_bytes = 0;
  std::uint64_t stray = 0;  // echoes and telegrams from other stations
};

class FdlMaster {
 public:
  FdlMaster(std::unique_ptr<Phy> phy, FdlTiming timing);

  Status open() { return phy_->open(); }
  void close() { phy_->close(); }
  bool is_open() const { return phy_->is_open(); }

  // Sends `request` and returns the reply from its destination: kTimeout when none came
  // after every retry (the message says what was seen), kBusError when the Phy failed.
  Result<Telegram> transact(const Telegram& request);
  // Sends a telegram that has no reply (SDN, e.g. Global_Control to 127).
  Status send(const Telegram& request);

  const FdlStats& stats() const { return stats_; }
  const Phy& phy() const { return *phy_; }

 private:
  Status write_after_idle(const std::vector<std::uint8_t>& bytes);
  // One attempt: the first valid reply telegram, or nullopt when the slot time passed.
  Result<std::optional<Telegram>> receive(const Telegram& request,
                                          const std::vector<std::uint8_t>& sent);

  std::unique_ptr<Phy> phy_;
  FdlTiming timing_;
  FdlStats stats_;
  std::chrono::steady_clock::time_point line_idle_since_{};
  std::vector<std::uint8_t> buffer_;
};

}  // namespace meterd::profibus
