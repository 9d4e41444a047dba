// SPDX-License-Identifier: Apache-2.0
// Read-only queries behind the technician's reports (meterctl backlog, meterctl account):
// figures the store's running stats do not keep. Each runs on the store thread, through
// Store::read_state, and returns its error as a value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/sqlite_db.h"

namespace meterd {

struct BacklogFigures {
  std::int64_t rows = 0;
  std::int64_t body_bytes = 0;               // the rows' payloads, as they will be sent
  std::optional<std::int64_t> oldest_ts_ms;  // the oldest unsent row's time; none when empty
  std::optional<std::int64_t> oldest_seq;
};

Result<BacklogFigures> read_backlog_figures(SqliteDb& db);

// One recharge or refund of an account's ledger.
struct MoneyMovement {
  std::int64_t ts_ms = 0;
  std::string kind;                // "recharge" or "refund"
  std::int64_t amount = 0;         // 1/10000 units, as the ledger holds it
  std::int64_t balance_after = 0;  // likewise
  std::string order_id;
};

// The newest `limit` recharges and refunds of `account_id`, newest first.
Result<std::vector<MoneyMovement>> read_recent_recharges(SqliteDb& db,
                                                         const std::string& account_id, int limit);

}  // namespace meterd
