// SPDX-License-Identifier: Apache-2.0
// Closing local periods (days, months) of the statistics rollups: the plain values the engine
// writes and reads through its store port so each closed period's summary goes out once, and a
// correction when a late reading changes it. The store keeps, per rollup row of a closed period,
// the revision last published and whether a summary is due (store/usage_close_tables.h); the
// engine decides when a period closes (engine_period_close.cpp). Plain values, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/usage_rollup.h"

namespace meterd {

// Closes `period` (yyyymmdd or yyyymm) of `granularity`: it becomes the granularity's
// closed-through mark, and, when `publish`, every rollup row of it is due for a summary.
// `publish` is false for the mark a new store starts from (nothing before it goes out).
struct UsagePeriodClose {
  UsageGranularity granularity = UsageGranularity::kDay;
  std::int32_t period = 0;
  bool publish = true;
};

// A late delta changed local day `day` (yyyymmdd) of the meter and of the account after it
// closed (and its month, when `month_closed`): their rows are due for a summary again.
struct UsageReopen {
  std::string meter_id;
  std::string account_id;
  std::int32_t day = 0;
  bool month_closed = false;
};

// A summary that goes out through the outbox on the owner's stats topic, recording `revision`
// as published and the row as no longer due, in the same transaction.
struct UsageSummary {
  UsageScope scope = UsageScope::kMeter;
  std::string owner;
  UsageGranularity granularity = UsageGranularity::kDay;
  std::int32_t period = 0;
  std::int32_t revision = 0;
  std::string body_json;
  std::int64_t ts_ms = 0;  // when it was published (unix ms)
};

// A rollup row due for a summary, with the revision last published (nullopt: none yet).
struct DueSummary {
  UsageRollup rollup;
  std::optional<std::int32_t> published;
};

// The last closed day (yyyymmdd) and month (yyyymm); 0: none closed yet (a new store).
struct UsageCloseMarks {
  std::int32_t day = 0;
  std::int32_t month = 0;
};

}  // namespace meterd
