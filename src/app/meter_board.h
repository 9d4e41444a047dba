// SPDX-License-Identifier: Apache-2.0
// What the loop knows of each configured meter for the technician's `meterctl meters` and the
// health counts: its bus, whether it answers (unknown until its first poll result), since
// when, and its last reading's time. Fed by the reading router from the bus threads' outputs.
// Loop thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bus/bus_worker.h"
#include "core/clock.h"

namespace meterd {

enum class MeterLink { kUnknown, kOnline, kOffline };
const char* meter_link_name(MeterLink link);  // "unknown", "online", "offline"

struct MeterBoardEntry {
  std::string meter_id;
  std::string bus;
  MeterLink link = MeterLink::kUnknown;
  std::optional<WallTime> since;         // when `link` last changed (none while unknown)
  std::optional<WallTime> last_reading;  // the last poll result's time
  std::string offline_reason;            // the error that took it offline
};

class MeterBoard {
 public:
  // The meters of the running configuration, in configuration order (a reload calls it again;
  // meters that stay keep what is known of them).
  void set_meters(const std::vector<std::pair<std::string, std::string>>& meter_and_bus);
  void seen(const BusOutput& output);
  const std::vector<MeterBoardEntry>& entries() const { return entries_; }
  std::int64_t count(MeterLink link) const;

 private:
  MeterBoardEntry* find(const std::string& meter_id);
  std::vector<MeterBoardEntry> entries_;
  std::map<std::string, std::size_t> index_;
};

}  // namespace meterd
