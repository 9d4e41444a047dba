// SPDX-License-Identifier: Apache-2.0
// The size budget: before each batch is inserted, make_room() checks the pages in use and,
// when the batch would take them over 90% of the budget, deletes the oldest telemetry outbox
// rows (kind 0 only: events, event rows and result rows are never evicted) until under 75%.
// Deleted pages go to SQLite's freelist and are reused, so the main file stays within the
// budget. Runs on the store thread, inside the batch's write transaction, so an eviction is
// committed (or rolled back) together with the rows that needed the room.
#pragma once

#include <cstdint>
#include <memory>

#include "core/result.h"
#include "store/sqlite_db.h"

namespace meterd {

struct Eviction {
  std::int64_t rows = 0;
  std::int64_t oldest_seq = 0;
  std::int64_t newest_seq = 0;
};

struct RoomOutcome {
  Eviction evicted;          // telemetry rows deleted for this batch (rows == 0: none)
  bool over_budget = false;  // even with no telemetry left, the batch exceeds the budget
};

// Bounds for the write-ahead log, derived from the budget: the WAL is checkpointed every
// `autocheckpoint_pages` pages and truncated back to `journal_limit_bytes` after each
// checkpoint, so it peaks at about autocheckpoint_pages * page_size plus one batch.
struct WalLimits {
  std::int64_t autocheckpoint_pages = 1000;
  std::int64_t journal_limit_bytes = 0;
};
WalLimits wal_limits_for(std::uint64_t budget_bytes, std::int64_t page_size);

class SizeBudget {
 public:
  // Prepares its statements on `db`; throws std::runtime_error at start-up if it cannot.
  SizeBudget(SqliteDb& db, std::uint64_t budget_bytes);
  ~SizeBudget();

  // Bytes in pages that hold data: (page_count - freelist_count) * page_size.
  Result<std::int64_t> used_bytes();
  // Bytes the database could still grow by: the smaller of the free space of its file system
  // (for an unprivileged process) and SQLite's page limit (PRAGMA max_page_count).
  Result<std::int64_t> disk_room();
  // `ceiling` > 0 lowers the budget for this call (a full disk); over_budget still compares
  // with the configured budget.
  Result<RoomOutcome> make_room(std::int64_t incoming_bytes, std::int64_t ceiling = 0);
  // Telemetry rows evicted over the database's whole life (the `counters` table).
  Result<std::int64_t> evicted_total();
  std::int64_t page_size() const { return page_size_; }
  std::int64_t budget_bytes() const { return budget_; }

 private:
  struct Statements;
  SqliteDb& db_;
  std::int64_t budget_;
  std::int64_t page_size_ = 4096;
  std::unique_ptr<Statements> st_;
};

}  // namespace meterd
