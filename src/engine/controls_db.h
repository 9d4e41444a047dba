// SPDX-License-Identifier: Apache-2.0
// The load and time control tables (store migration 4): per meter its load limits and supply
// schedule as JSON, and its load trip. Read at start-up, written inside store batch
// transactions (StateWrite::apply). Store thread only.
#pragma once

#include <map>
#include <string>

#include "core/result.h"
#include "engine/load_guard.h"
#include "store/sqlite_db.h"

namespace meterd {

inline constexpr const char* kLoadLimitsControl = "load_limits";
inline constexpr const char* kScheduleControl = "schedule";

struct StoredControls {
  std::map<std::string, std::string> load_limits;  // meter -> JSON
  std::map<std::string, std::string> schedules;    // meter -> JSON
  std::map<std::string, LoadTripState> trips;      // tripped, or restored automatically today
};

Status read_controls(SqliteDb& db, StoredControls& out);
// `json` empty: the control is removed.
Status save_control(SqliteDb& db, const std::string& meter_id, const std::string& kind,
                    const std::string& json, const std::string& source, std::int64_t ts_ms);
// A state neither tripped nor with restores to count removes the row.
Status save_load_trip(SqliteDb& db, const std::string& meter_id, const LoadTripState& state);

}  // namespace meterd
