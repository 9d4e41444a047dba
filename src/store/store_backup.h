// SPDX-License-Identifier: Apache-2.0
// An online backup of the store: a consistent copy of the database taken with SQLite's backup
// API on a connection of its own, while the store thread goes on writing (WAL mode: the copy
// is one read transaction, a snapshot, and writers are not blocked). The copy is written to
// "<destination>.partial", synced and renamed, so a destination that exists is always whole;
// an existing destination is never overwritten.
//
// The copy gets a new store_id: restored, it must not publish seqs the original store may have
// published after the backup with other content (docs/operations.md). Any thread; blocking for
// as long as the copy takes.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace meterd {

struct BackupSummary {
  std::string path;        // the destination
  std::int64_t bytes = 0;  // its size
  std::int64_t schema_version = 0;
  std::int64_t last_seq = 0;    // the highest seq the copy has handed out
  std::string source_store_id;  // the store it was taken from
  std::string store_id;         // the copy's own, new identity
};

Result<BackupSummary> backup_store(const std::string& source, const std::string& destination);

}  // namespace meterd
