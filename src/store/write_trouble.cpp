// SPDX-License-Identifier: Apache-2.0
#include "store/write_trouble.h"

#include <sqlite3.h>

namespace meterd {

void WriteTrouble::on_failure(const Error& error, std::int64_t used_bytes, std::int64_t disk_room) {
  ++failures_;
  if ((error.code & 0xff) != SQLITE_FULL) return;
  full_in_run_ = true;
  if (!disk_full_) {
    disk_full_ = true;
    full_reported_ = false;
  }
  full_bytes_ = used_bytes;
  // Room is made under what the disk held, unless the disk shows room now (space came back,
  // or the limit was not ours to see); without a size (the read failed too) the budget alone
  // applies and the next attempt simply retries.
  ceiling_ = disk_room < kRoomToRecover ? used_bytes : 0;
}

bool WriteTrouble::on_success(std::int64_t disk_room) {
  if (full_in_run_ && disk_full_) full_reported_ = true;
  failures_ = 0;
  full_in_run_ = false;
  ceiling_ = 0;  // the eviction it called for is committed
  if (!disk_full_ || disk_room < kRoomToRecover) return false;
  disk_full_ = false;
  return true;
}

std::optional<Event> WriteTrouble::report(WallTime now) const {
  if (failures_ == 0) return std::nullopt;
  const std::string failures = std::to_string(failures_);
  if (!full_in_run_) return Event{kWriteErrorEvent, "", now, "{\"failures\":" + failures + "}"};
  if (full_reported_) return std::nullopt;  // one event per episode; health shows the rest
  return Event{
      kDiskFullEvent, "", now,
      "{\"failures\":" + failures + ",\"used_bytes\":" + std::to_string(full_bytes_) + "}"};
}

}  // namespace meterd
