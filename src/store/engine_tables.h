// SPDX-License-Identifier: Apache-2.0
// The prepaid engine's tables (store migrations 2 and 4: accounts, tariffs, ledger, meter
// billing, meter recharges, relay overrides, meter controls, load trips): read at start-up and
// written inside store batch transactions. Each function is one statement's worth of work;
// apply_engine_change runs one change of an EngineWrite. Store thread only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.h"
#include "engine/engine_rows.h"
#include "store/sqlite_db.h"
#include "store/usage_coalescer.h"

namespace meterd {

Status load_engine_state(SqliteDb& db, StoredEngineState& out);

Status upsert_account(SqliteDb& db, const AccountRow& row);
Status replace_account_meters(SqliteDb& db, const std::string& account_id,
                              const std::vector<std::string>& meters);
Status upsert_tariff_change(SqliteDb& db, const TariffRow& row);
Status save_account_state(SqliteDb& db, const AccountStateRow& row);
Status append_ledger(SqliteDb& db, const LedgerEntry& entry);
Status save_meter_billing(SqliteDb& db, const MeterBillingRow& row);
Status save_meter_recharge(SqliteDb& db, const MeterRechargeRow& row);
// Held open by a command (`command_id`), or released when `hold` is false.
Status save_relay_override(SqliteDb& db, const std::string& meter_id, bool hold,
                           const std::string& command_id, std::int64_t ts_ms);

Status read_controls(SqliteDb& db, StoredControls& out);
// `json` empty: the control is removed.
Status save_control(SqliteDb& db, const std::string& meter_id, const std::string& kind,
                    const std::string& json, const std::string& source, std::int64_t ts_ms);
// A state neither tripped nor with restores to count removes the row.
Status save_load_trip(SqliteDb& db, const std::string& meter_id, const LoadTripState& state);

// One change of an EngineWrite, by its kind. A UsageDelta goes into `usage`, written before
// the batch commits; a period change (UsagePrune, UsagePeriodClose, UsageReopen, UsageSummary)
// writes what `usage` holds first, so it sees the rollups as every delta before it left them.
Status apply_engine_change(SqliteDb& db, const EngineChange& change, UsageCoalescer& usage);

}  // namespace meterd
