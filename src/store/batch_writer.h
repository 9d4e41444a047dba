// SPDX-License-Identifier: Apache-2.0
// Writes one batch of queued rows in one transaction: deletes acknowledged rows, makes room
// under the size budget before each chunk of inserts, inserts outbox rows (an event also goes
// into `events`), applies state writes and then the writes they deferred to the end of the
// batch (DeferredWrites), records store_eviction and store_full events, and commits. On
// failure everything is rolled back and the caller keeps the batch to retry. Runs on the
// store thread.
//
// `latest` is for local queries, not for delivery: telemetry values are coalesced in memory
// per (meter, point) and written at most every kLatestInterval (or when asked, at flush), so
// ingest costs one insert per row instead of one per point. A crash may lose up to that
// interval of `latest` updates; the outbox loses nothing committed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "core/point.h"
#include "core/result.h"
#include "store/budget.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace meterd {

// A row ready to insert: its body already encoded, so a retried batch is not encoded twice.
struct PendingRow {
  OutboxKind kind = OutboxKind::kTelemetry;
  std::string meter_id;
  std::int64_t ts_ms = 0;
  std::string body;
  std::string event_type;                   // events only
  std::string details;                      // events only: the sanitized details object
  std::vector<PointValue> latest;           // telemetry only: values for the `latest` table
  std::int64_t estimated_bytes = 0;         // what the row will take in the file, roughly
  std::shared_ptr<const StateWrite> state;  // a state change: applied, not put in the outbox
};

PendingRow make_pending(Telemetry telemetry);
PendingRow make_pending(const Event& event);
PendingRow make_pending(OutboxKind kind, std::string meter_id, WallTime time, std::string body);
// The state change first, then its events and rows, so one batch carries them all.
void append_pending(StateWrite write, std::vector<PendingRow>& out);

struct BatchOutcome {
  std::int64_t rows_added = 0;  // outbox rows, including the store's own events
  std::int64_t max_seq = 0;     // highest seq added (0 when none)
  std::int64_t rows_acked = 0;  // outbox rows deleted by acknowledgements
  Eviction evicted;
  bool over_budget = false;
  std::int64_t used_bytes = 0;  // after the commit
};

class BatchWriter {
 public:
  // Prepares its statements; throws std::runtime_error at start-up if it cannot.
  BatchWriter(SqliteDb& db, SizeBudget& budget, const Clock& clock);
  ~BatchWriter();

  // `ceiling` > 0: the disk filled at that many bytes; room is made under it (see budget.h).
  Result<BatchOutcome> write(const std::vector<PendingRow>& rows,
                             const std::vector<std::int64_t>& acks, bool write_latest_now,
                             std::int64_t ceiling = 0);
  bool has_unwritten_latest() const { return !latest_.empty(); }

 private:
  struct Statements;
  struct LatestValue {
    std::string point;
    PointScalar value;
    std::int64_t ts_ms;
  };
  // A meter's points in the order its readings last listed them, so a reading with the same
  // points finds each at the position after the one before (no lookup by name).
  using MeterLatest = std::vector<LatestValue>;
  Status insert(const PendingRow& row, BatchOutcome& outcome);
  void remember_latest(const PendingRow& row);
  Status write_latest();
  Status insert_own_event(const std::string& type, const std::string& details,
                          BatchOutcome& outcome);

  SqliteDb& db_;
  SizeBudget& budget_;
  const Clock& clock_;
  std::unique_ptr<Statements> st_;
  bool full_reported_ = false;  // store_full is reported once per over-budget episode
  std::unordered_map<std::string, MeterLatest> latest_;  // by meter; not yet in `latest`
  SteadyTime latest_written_{};
};

}  // namespace meterd
