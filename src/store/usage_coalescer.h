// SPDX-License-Identifier: Apache-2.0
// The statistics rollup deltas of one store batch, merged per rollup row and written once per
// row before the batch commits: a deduction's UsageDelta touches two rows (its meter's and
// its account's day; four when its month is closed: usage_tables.h), and a batch carries many
// deductions of the same meters and days, so one upsert per row and batch replaces those of
// every delta. The rows still commit with the ledger rows they come from, in the same
// transaction, or not at all.
//
// Deltas are merged first per (meter, account, day), one hash lookup per delta, and spread
// over their rows only when written. Figures are merged with UsageFigures::operator+=, so each
// figure merges as the rollups define it (sums, and whatever else a figure needs); it is
// commutative and associative, so the grouping does not change a row. A period change inside
// the batch (a close, a prune) calls write() first, so it sees every delta before it, as if
// each had been written on its own (store/engine_tables.h). Store thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/result.h"
#include "engine/usage_rollup.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/usage_tables.h"

namespace meterd {

class UsageCoalescer final : public DeferredWrites {
 public:
  void add(const UsageDelta& delta);
  // Adds what it holds to the stored rows, then holds nothing.
  Status write(SqliteDb& db) override;
  void discard() override { deltas_.clear(); }
  // The rollup rows the held deltas add to, with the months up to `closed_month` closed.
  std::size_t pending_rows(std::int32_t closed_month) const { return rows(closed_month).size(); }

 private:
  struct Source {
    std::string meter_id;
    std::string account_id;
    std::int32_t day = 0;
    bool operator==(const Source&) const = default;
  };
  struct SourceHash {
    std::size_t operator()(const Source& source) const;
  };
  UsageAdditions rows(std::int32_t closed_month) const;

  std::unordered_map<Source, UsageFigures, SourceHash> deltas_;
};

}  // namespace meterd
