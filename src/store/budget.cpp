// SPDX-License-Identifier: Apache-2.0
#include "store/budget.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace meterd {
namespace {

// Start evicting above kHighWater of the budget, stop below kLowWater: hysteresis, so one
// eviction makes room for many batches instead of trimming a few rows before each.
constexpr double kHighWater = 0.90;
constexpr double kLowWater = 0.75;
constexpr std::int64_t kFirstChunkRows = 256;
constexpr std::int64_t kMinChunkRows = 32;
constexpr std::int64_t kMaxChunkRows = 16384;

}  // namespace

struct SizeBudget::Statements {
  explicit Statements(SqliteDb& db)
      : page_count(db, "PRAGMA page_count"),
        freelist_count(db, "PRAGMA freelist_count"),
        max_page_count(db, "PRAGMA max_page_count"),
        oldest_telemetry(db,
                         "SELECT count(*), min(seq), max(seq) FROM (SELECT seq FROM outbox "
                         "WHERE kind = 0 ORDER BY seq LIMIT ?1)"),
        delete_telemetry(db, "DELETE FROM outbox WHERE kind = 0 AND seq <= ?1"),
        add_evicted(db, "UPDATE counters SET value = value + ?1 WHERE name = 'evicted_rows_total'"),
        evicted_total(db, "SELECT value FROM counters WHERE name = 'evicted_rows_total'") {}
  Statement page_count;
  Statement freelist_count;
  Statement max_page_count;
  Statement oldest_telemetry;
  Statement delete_telemetry;
  Statement add_evicted;
  Statement evicted_total;
};

WalLimits wal_limits_for(std::uint64_t budget_bytes, std::int64_t page_size) {
  // An eighth of the budget between checkpoints, within SQLite's usual 1000 pages.
  const auto budget = static_cast<std::int64_t>(budget_bytes);
  WalLimits limits;
  limits.autocheckpoint_pages = std::clamp<std::int64_t>(budget / 8 / page_size, 16, 1000);
  limits.journal_limit_bytes = limits.autocheckpoint_pages * page_size;
  return limits;
}

SizeBudget::SizeBudget(SqliteDb& db, std::uint64_t budget_bytes)
    : db_(db), budget_(static_cast<std::int64_t>(budget_bytes)) {
  Result<std::int64_t> size = db.query_int("PRAGMA page_size");
  if (!size) throw std::runtime_error(size.error().message);
  page_size_ = size.value();
  st_ = std::make_unique<Statements>(db);
  require_prepared({&st_->page_count, &st_->freelist_count, &st_->max_page_count,
                    &st_->oldest_telemetry, &st_->delete_telemetry, &st_->add_evicted,
                    &st_->evicted_total});
}

SizeBudget::~SizeBudget() = default;

Result<std::int64_t> SizeBudget::used_bytes() {
  std::int64_t counts[2] = {0, 0};
  Statement* statements[2] = {&st_->page_count, &st_->freelist_count};
  for (int i = 0; i < 2; ++i) {
    Result<Statement::Step> step = statements[i]->step();
    if (!step) return step.error();
    counts[i] = statements[i]->column_int(0);
    statements[i]->reset();
  }
  return (counts[0] - counts[1]) * page_size_;
}

Result<std::int64_t> SizeBudget::evicted_total() {
  Result<Statement::Step> step = st_->evicted_total.step();
  if (!step) return step.error();
  const std::int64_t total = st_->evicted_total.column_int(0);
  st_->evicted_total.reset();
  return total;
}

Result<std::int64_t> SizeBudget::disk_room() {
  std::int64_t counts[2] = {0, 0};
  Statement* statements[2] = {&st_->page_count, &st_->max_page_count};
  for (int i = 0; i < 2; ++i) {
    Result<Statement::Step> step = statements[i]->step();
    if (!step) return step.error();
    counts[i] = statements[i]->column_int(0);
    statements[i]->reset();
  }
  std::int64_t room = (counts[1] - counts[0]) * page_size_;
  struct statvfs fs {};
  if (const std::string path = db_.path(); !path.empty() && statvfs(path.c_str(), &fs) == 0) {
    room = std::min(
        room, static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize));
  }
  return std::max<std::int64_t>(room, 0);
}

Result<RoomOutcome> SizeBudget::make_room(std::int64_t incoming_bytes, std::int64_t ceiling) {
  RoomOutcome outcome;
  const std::int64_t limit = ceiling > 0 ? std::min(budget_, ceiling) : budget_;
  Result<std::int64_t> used = used_bytes();
  if (!used) return used.error();
  if (used.value() + incoming_bytes <= static_cast<std::int64_t>(limit * kHighWater)) {
    return outcome;
  }
  const auto target = static_cast<std::int64_t>(limit * kLowWater) - incoming_bytes;
  // Freeing a page takes a run of deleted rows; after the first chunk, the bytes it freed per
  // row size the next one, so the eviction stops close to the low-water mark.
  std::int64_t chunk = kFirstChunkRows;
  while (used.value() >= target) {
    st_->oldest_telemetry.bind(1, chunk);
    Result<Statement::Step> step = st_->oldest_telemetry.step();
    if (!step) return step.error();
    const std::int64_t rows = st_->oldest_telemetry.column_int(0);
    const std::int64_t oldest = st_->oldest_telemetry.column_int(1);
    const std::int64_t newest = st_->oldest_telemetry.column_int(2);
    st_->oldest_telemetry.reset();
    if (rows == 0) break;  // only never-evictable rows are left

    st_->delete_telemetry.bind(1, newest);
    if (Status deleted = st_->delete_telemetry.run(); !deleted) return deleted.error();
    if (outcome.evicted.rows == 0) outcome.evicted.oldest_seq = oldest;
    outcome.evicted.newest_seq = newest;
    outcome.evicted.rows += rows;
    const std::int64_t before = used.value();
    used = used_bytes();
    if (!used) return used.error();
    const std::int64_t freed = before - used.value();
    chunk = freed > 0 ? (used.value() - target) * rows / freed + 1 : chunk * 2;
    chunk = std::clamp(chunk, kMinChunkRows, kMaxChunkRows);
  }
  if (outcome.evicted.rows > 0) {
    st_->add_evicted.bind(1, outcome.evicted.rows);
    if (Status added = st_->add_evicted.run(); !added) return added.error();
  }
  outcome.over_budget = used.value() + incoming_bytes > budget_;
  return outcome;
}

}  // namespace meterd
