// SPDX-License-Identifier: Apache-2.0
// The store: one SQLite connection owned by one thread, the store thread. Everything that
// must survive a crash goes through here: the outbox (what the cloud has not acknowledged
// yet, with a monotonic seq), events (never evicted), latest values per point.
//
// Threading: every public method may be called from any thread; writes are queued and
// committed by the store thread in batches (one transaction per commit_interval or batch_rows),
// never one commit per row. Callbacks run on the store thread: callers post them onward
// (the loop does `asio::post`).
//
// Disk: the main file stays within StoreConfig::budget_bytes (see budget.h; freed pages are
// reused). The -wal file is checkpointed every min(1000, budget/8/page_size) pages and
// truncated back to that size after each checkpoint, so it peaks at about that plus one
// transaction (at most 4 x batch_rows rows): 4 MiB + one batch with the default budget.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/app_config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/point.h"
#include "core/result.h"

namespace meterd {

// kMeterStats / kAccountStats: a closed period's summary (engine/period_summary.h), whose
// row's meter_id holds the meter or the account it is about.
enum class OutboxKind {
  kTelemetry = 0,
  kEvent = 1,
  kResult = 2,
  kMeterStats = 3,
  kAccountStats = 4
};

// A row waiting in the outbox; the uplink turns it into one MQTT message carrying `seq`.
struct OutboxRow {
  std::int64_t seq = 0;
  OutboxKind kind = OutboxKind::kTelemetry;
  std::string meter_id;    // empty for gateway-level rows
  std::int64_t ts_ms = 0;  // when it happened (unix ms)
  std::string body_json;   // the payload's kind-specific part, a JSON object
};

struct Telemetry {
  std::string meter_id;
  std::string group;
  WallTime time;
  std::vector<PointValue> values;
  std::vector<PointError> errors;
  std::string relay_json{};  // the engine's relay state of the meter (a JSON object); "": none
};

class SqliteDb;

// Writes that state writes leave for the end of their batch, so that many small changes to
// the same rows are merged in memory and written once per batch (the statistics rollups,
// store/usage_coalescer.h). Shared by the state writes that feed it; the batch transaction
// calls discard() before the first apply, so a rolled-back attempt leaves nothing behind, and
// write() after the last, before COMMIT, so what it writes commits with them or not at all.
// An apply that reads what it holds writes it first. Store thread only.
class DeferredWrites {
 public:
  virtual ~DeferredWrites() = default;
  virtual void discard() = 0;
  virtual Status write(SqliteDb& db) = 0;
};

// A change to state tables (ledger, accounts, journal) made atomic with the outbox rows that
// report it: `apply` runs on the store thread inside a batch transaction, and the events and
// rows are inserted in the same transaction right after it. When the transaction fails it is
// rolled back and `apply` runs again on the retry, so it must only touch the database (and
// `deferred`). `committed` (optional) runs on the store thread once everything is durable.
struct StateWrite {
  std::function<Status(SqliteDb&)> apply;
  // What `apply` leaves for the end of the batch (see DeferredWrites); null: nothing.
  std::shared_ptr<DeferredWrites> deferred;
  std::vector<Event> events;
  struct Row {
    OutboxKind kind = OutboxKind::kResult;
    std::string meter_id;
    WallTime time;
    std::string body_json;
  };
  std::vector<Row> rows;
  std::function<void()> committed;
  // Someone waits for it (a command's result, a recharge): committed at once rather than
  // with the next batch. Costs one fsync of its own.
  bool urgent = false;
};

struct StoreStats {
  std::int64_t backlog_rows = 0;        // rows in the outbox
  std::int64_t db_bytes = 0;            // used pages * page size
  std::int64_t evicted_rows = 0;        // telemetry rows evicted for the budget, since start
  std::int64_t evicted_rows_total = 0;  // the same over the database's life (persisted)
  std::int64_t committed_rows = 0;      // rows committed since start
  std::int64_t commits = 0;
  std::int64_t write_errors = 0;     // failed commits (disk full ...), rows kept queued
  std::int64_t internal_errors = 0;  // exceptions caught on the store thread (bugs), since start
  std::int64_t last_seq = 0;         // highest seq committed
  bool over_budget = false;          // only never-evictable rows left and still over budget
  bool disk_full = false;      // the disk filled and has not shown room since (write_trouble.h)
  bool write_failing = false;  // the last commit failed; its rows wait queued for a retry
};

// The store's condition in one word, worst first: "disk_full", "write_failing",
// "over_budget" or "ok".
const char* store_state(const StoreStats& stats);

class Store {
 public:
  // Takes the store's lock (store_lock.h), opens (creating and migrating) the database and
  // starts the store thread. Throws at start-up: StoreLockedError when another process holds
  // the store, std::runtime_error when the file cannot be opened or migrated.
  // `on_commit(max_seq)` runs on the store thread after each commit that added outbox rows.
  Store(const StoreConfig& config, const Clock& clock,
        std::function<void(std::int64_t max_seq)> on_commit);
  ~Store();  // flushes and stops
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Sees every event appended (append_event and the events of append_state), on the appending
  // thread, before it is queued: the journal's line for it. Set once, before any append.
  void set_event_observer(std::function<void(const Event&)> observer);

  void append_telemetry(Telemetry telemetry);
  void append_event(Event event);
  // A row of another kind (command results later) with a ready body.
  void append_row(OutboxKind kind, std::string meter_id, WallTime time, std::string body_json);

  // See StateWrite. Never evicted, never split from its events.
  void append_state(StateWrite write);
  // Commits what is queued, then runs `read` on the store thread and waits for it: for
  // loading state at start-up. Not from a store callback (returns an error there).
  Status read_state(const std::function<Status(SqliteDb&)>& read);

  // Reads up to `limit` outbox rows with seq > after_seq, in seq order; `done` runs on the
  // store thread.
  void fetch_outbox(std::int64_t after_seq, int limit,
                    std::function<void(std::vector<OutboxRow>)> done);
  // Removes acknowledged rows (batched with the next commit).
  void acknowledge(std::vector<std::int64_t> seqs);

  // Commits everything queued so far and waits for it. Used at shutdown and in tests.
  // Returns false when a commit failed (the rows stay queued and are retried) or when called
  // on the store thread itself (from a callback), where waiting would deadlock.
  bool flush();

  StoreStats stats() const;
  // The database's identity: 32 lowercase hex digits (128 random bits), created with the
  // database and kept for its life. Carried in every outbox message as `store_id`.
  const std::string& store_id() const;
  // Steady time of the store thread's last loop turn; the watchdog checks it.
  SteadyTime last_progress() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::function<void(const Event&)> event_observer_;
};

}  // namespace meterd
