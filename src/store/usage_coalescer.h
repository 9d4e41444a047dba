// SPDX-License-Identifier: Apache-2.0
// The statistics rollup deltas of one store batch, merged per rollup row and written once per
// row before the batch commits: a deduction's UsageDelta touches four rows (its meter's and
// its account's day and month), and a batch carries many deductions of the same meters and
// days, so one upsert per row and batch replaces four per delta. The rows still commit with
// the ledger rows they come from, in the same transaction, or not at all.
//
// Figures are merged with UsageFigures::operator+=, so each figure merges as the rollups
// define it (sums, and whatever else a figure needs). A period change inside the batch (a
// close, a prune) calls write() first, so it sees every delta before it, as if each had been
// written on its own (store/engine_tables.h). Store thread only.
#pragma once

#include <cstddef>

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
  void discard() override { rows_.clear(); }
  std::size_t pending_rows() const { return rows_.size(); }

 private:
  // In key order, so the upserts walk the table's b-tree in order: the same upserts in any
  // order took twice as long.
  UsageAdditions rows_;
};

}  // namespace meterd
