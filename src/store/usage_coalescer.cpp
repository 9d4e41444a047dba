// SPDX-License-Identifier: Apache-2.0
#include "store/usage_coalescer.h"

namespace meterd {

void UsageCoalescer::add(const UsageDelta& delta) {
  for_each_usage_row(delta, [&](UsageRowKey key) {
    // A new row starts from the delta's figures, never from zeroes: a figure merged by
    // minimum would otherwise keep the zero.
    auto [row, added] = rows_.try_emplace(std::move(key), delta.figures);
    if (!added) row->second += delta.figures;
  });
}

Status UsageCoalescer::write(SqliteDb& db) {
  // On failure the batch rolls back and is retried, its applies adding every delta again.
  if (Status status = add_usage_rows(db, rows_); !status) return status;
  rows_.clear();
  return Ok{};
}

}  // namespace meterd
