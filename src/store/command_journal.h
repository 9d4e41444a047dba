// SPDX-License-Identifier: Apache-2.0
// The command journal (store migration 3): every accepted command is written before it runs,
// and its result once it has one. Functions run on the store thread inside StateWrites, or at
// start-up through Store::read_state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/sqlite_db.h"

namespace meterd {

struct JournalEntry {
  std::string id;
  std::string op;
  std::string payload;
  std::string operator_id;  // "cloud", or "local:<name>"
  std::int64_t received_ms = 0;
  std::optional<std::int64_t> run_at_ms;  // scheduled batches
  std::string state;                      // accepted, scheduled, done, failed, cancelled
  std::string result;                     // the result body, once finished
};

Status journal_insert(SqliteDb& db, const JournalEntry& entry);
Status journal_finish(SqliteDb& db, const std::string& id, const std::string& state,
                      const std::string& result, std::int64_t finished_ms);
// Every entry (ids for duplicates, open ones to resume), oldest first.
Status journal_load(SqliteDb& db, std::vector<JournalEntry>& out);

}  // namespace meterd
