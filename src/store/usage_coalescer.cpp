// SPDX-License-Identifier: Apache-2.0
#include "store/usage_coalescer.h"

#include <functional>

namespace meterd {

std::size_t UsageCoalescer::SourceHash::operator()(const Source& source) const {
  const std::hash<std::string> text;
  std::size_t h = text(source.meter_id);
  h = h * 31 + text(source.account_id);
  return h * 31 + static_cast<std::size_t>(source.day);
}

void UsageCoalescer::add(const UsageDelta& delta) {
  // A new entry starts from the delta's figures, never from zeroes: a figure merged by minimum
  // would otherwise keep the zero.
  auto [held, added] =
      deltas_.try_emplace(Source{delta.meter_id, delta.account_id, delta.day}, delta.figures);
  if (!added) held->second += delta.figures;
}

UsageAdditions UsageCoalescer::rows(std::int32_t closed_month) const {
  UsageAdditions rows;
  for (const auto& [source, held] : deltas_) {
    // A structured binding is named through a reference: clang 14 does not capture bindings.
    const UsageFigures& figures = held;
    for_each_usage_row(source.meter_id, source.account_id, source.day, closed_month,
                       [&](UsageRowKey key) {
                         auto [row, added] = rows.try_emplace(std::move(key), figures);
                         if (!added) row->second += figures;
                       });
  }
  return rows;
}

Status UsageCoalescer::write(SqliteDb& db) {
  if (deltas_.empty()) return Ok{};
  // The last closed month as it stands now, after any close earlier in the batch.
  Result<std::int32_t> closed = read_closed_month(db);
  if (!closed) return closed.error();
  // On failure the batch rolls back and is retried, its applies adding every delta again.
  if (Status status = add_usage_rows(db, rows(closed.value())); !status) return status;
  deltas_.clear();
  return Ok{};
}

}  // namespace meterd
