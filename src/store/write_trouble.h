// SPDX-License-Identifier: Apache-2.0
// What the store thread knows about failing commits: how many failed in a row, whether the
// disk is full, and the event that reports the trouble in the first batch that commits.
//
// A full disk (SQLITE_FULL, from the file system or SQLite's own page limit) starts an
// episode. While the disk has less than kRoomToRecover bytes free, the next attempt makes room
// under a ceiling, the bytes in use when the disk filled (see SizeBudget::make_room), so the
// oldest telemetry is evicted and state rows (ledger, journal) still go in; with room the
// attempt is simply repeated. The episode lasts until a commit succeeds with kRoomToRecover bytes
// of room on the disk again (SizeBudget::disk_room). One `disk_full` event per episode, committed
// with the first batch that fits; other failures are reported as `store_write_error`.
// Pure value type; the store thread owns it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/event.h"
#include "core/result.h"

namespace meterd {

class WriteTrouble {
 public:
  static constexpr const char* kWriteErrorEvent = "store_write_error";
  static constexpr const char* kDiskFullEvent = "disk_full";
  // Room that ends a disk-full episode: a few batches and a write-ahead log's worth.
  static constexpr std::int64_t kRoomToRecover = 4 << 20;

  // A commit failed with `error`; `used_bytes`: the database's data after the rollback,
  // `disk_room`: what it could grow by (SizeBudget::disk_room; each 0 when unknown).
  void on_failure(const Error& error, std::int64_t used_bytes, std::int64_t disk_room);
  // A commit succeeded; `disk_room`: what the database could grow by now (asked only while
  // disk_full()). True when this ended a disk-full episode.
  bool on_success(std::int64_t disk_room);

  // The event to commit first in the next batch, if any.
  std::optional<Event> report(WallTime now) const;

  // Bytes the next batch must stay under (0: no ceiling beyond the budget).
  std::int64_t ceiling() const { return ceiling_; }
  int failures() const { return failures_; }
  bool disk_full() const { return disk_full_; }

 private:
  int failures_ = 0;            // failed commits in a row
  bool disk_full_ = false;      // an episode is on
  bool full_reported_ = false;  // its event has been committed
  bool full_in_run_ = false;    // the current run of failures includes SQLITE_FULL
  std::int64_t full_bytes_ = 0;
  std::int64_t ceiling_ = 0;
};

}  // namespace meterd
