// SPDX-License-Identifier: Apache-2.0
#include "engine/controls_db.h"

namespace meterd {

Status read_controls(SqliteDb& db, StoredControls& out) {
  Status status = for_each_row(db, "SELECT meter_id, kind, json FROM meter_controls",
                               [&](Statement& st) {
                                 auto& into = st.column_text(1) == kLoadLimitsControl
                                                  ? out.load_limits
                                                  : out.schedules;
                                 into[st.column_text(0)] = st.column_text(2);
                               });
  if (!status) return status;
  return for_each_row(
      db,
      "SELECT meter_id, reason, tripped_ms, restore_at_ms, restores_today, restores_day, "
      "tripped FROM load_trips",
      [&](Statement& st) {
        LoadTripState trip;
        trip.tripped = st.column_int(6) != 0;
        trip.reason = load_trip_reason_named(st.column_text(1)).value_or(LoadTripReason::kOverload);
        trip.tripped_at = WallTime{} + std::chrono::milliseconds(st.column_int(2));
        if (!st.column_is_null(3)) {
          trip.restore_at = WallTime{} + std::chrono::milliseconds(st.column_int(3));
        }
        trip.restores_today = static_cast<int>(st.column_int(4));
        trip.restores_day = static_cast<std::int32_t>(st.column_int(5));
        out.trips[st.column_text(0)] = trip;
      });
}

Status save_control(SqliteDb& db, const std::string& meter_id, const std::string& kind,
                    const std::string& json, const std::string& source, std::int64_t ts_ms) {
  if (json.empty()) {
    Statement st(db, "DELETE FROM meter_controls WHERE meter_id = ?1 AND kind = ?2");
    st.bind_all(meter_id, kind);
    return st.run();
  }
  Statement st(db,
               "INSERT OR REPLACE INTO meter_controls(meter_id, kind, json, source, updated_ms) "
               "VALUES(?1,?2,?3,?4,?5)");
  st.bind_all(meter_id, kind, json, source, ts_ms);
  return st.run();
}

Status save_load_trip(SqliteDb& db, const std::string& meter_id, const LoadTripState& state) {
  if (!state.tripped && state.restores_today == 0) {
    Statement st(db, "DELETE FROM load_trips WHERE meter_id = ?1");
    st.bind_all(meter_id);
    return st.run();
  }
  Statement st(db,
               "INSERT OR REPLACE INTO load_trips(meter_id, reason, tripped_ms, restore_at_ms, "
               "restores_today, restores_day, tripped) VALUES(?1,?2,?3,?4,?5,?6,?7)");
  st.bind_all(meter_id, std::string(load_trip_event(state.reason)), to_unix_ms(state.tripped_at));
  if (state.restore_at) {
    st.bind(4, to_unix_ms(*state.restore_at));
  } else {
    st.bind_null(4);
  }
  st.bind(5, static_cast<std::int64_t>(state.restores_today));
  st.bind(6, static_cast<std::int64_t>(state.restores_day));
  st.bind(7, static_cast<std::int64_t>(state.tripped ? 1 : 0));
  return st.run();
}

}  // namespace meterd
