// SPDX-License-Identifier: Apache-2.0
// The engine's persistence port: everything the prepaid engine keeps durable goes through it,
// so the engine knows neither SQLite nor threads. The daemon's implementation is the SQLite
// store (store/sqlite_engine_store.h); engine tests may use an in-memory one.
#pragma once

#include <functional>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "engine/engine_rows.h"

namespace meterd {

// One atomic write: the changes, in order, and the events that report them, all or nothing.
struct EngineWrite {
  std::vector<EngineChange> changes;
  std::vector<Event> events;
  // Someone waits for it (a command's result, a recharge): made durable at once rather than
  // with the next batch.
  bool urgent = false;
  // Runs once the write is durable, on any thread (the engine posts it onto its loop).
  std::function<void()> committed;
};

class EngineStore {
 public:
  virtual ~EngineStore() = default;
  // The whole stored picture, at start-up. A failure leaves the outputs partly filled.
  virtual Status load(StoredEngineState& state, StoredControls& controls) = 0;
  // Queues the write. A write that fails is retried until it lands (the store's own
  // trouble handling: events, counters, health), never dropped.
  virtual void write(EngineWrite write) = 0;
  // An event with no state change.
  virtual void append_event(Event event) = 0;
  // Statistics rollups as stored (what was written, durable or not yet): `query`'s rows.
  // Blocks until read; not from the store's own thread.
  virtual Result<std::vector<UsageRollup>> read_usage(const UsageQuery& query) = 0;
  // The same for many meters at once, summed per period, in one read (tag aggregates).
  virtual Result<std::vector<UsageRollup>> read_usage_sum(const UsageSumQuery& query) = 0;
  // Period close (period_close.h): the closed-through marks, and up to `limit` rows due for a
  // summary (oldest period first), as written so far. Block until read; not from the store's
  // own thread.
  virtual Result<UsageCloseMarks> read_close_marks() = 0;
  virtual Result<std::vector<DueSummary>> read_due_summaries(int limit) = 0;
};

}  // namespace meterd
