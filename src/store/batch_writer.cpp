// SPDX-License-Identifier: Apache-2.0
#include "store/batch_writer.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "store/telemetry_json.h"

namespace meterd {
namespace {

// Per-row bytes SQLite adds to the payload: rowid and integer columns, record header, cell
// pointer. `latest` rows are few (meters x points) and rewritten in place: not counted.
constexpr std::int64_t kRowOverhead = 40;

// Rows go in by chunks of at most this share of the budget, the budget checked before each,
// so one large batch cannot carry the file past the budget.
constexpr std::int64_t kChunkShareOfBudget = 32;

constexpr std::chrono::seconds kLatestInterval{5};

std::string eviction_details(const Eviction& e) {
  return "{\"rows\":" + std::to_string(e.rows) + ",\"oldest_seq\":" + std::to_string(e.oldest_seq) +
         ",\"newest_seq\":" + std::to_string(e.newest_seq) + "}";
}

// The deferred writes of the batch's state writes, each once, in the order first met.
std::vector<DeferredWrites*> deferred_writes_of(const std::vector<PendingRow>& rows) {
  std::vector<DeferredWrites*> out;
  for (const PendingRow& row : rows) {
    DeferredWrites* deferred = row.state ? row.state->deferred.get() : nullptr;
    if (deferred && std::find(out.begin(), out.end(), deferred) == out.end()) {
      out.push_back(deferred);
    }
  }
  return out;
}

}  // namespace

struct BatchWriter::Statements {
  explicit Statements(SqliteDb& db)
      : insert_outbox(db, "INSERT INTO outbox(kind, meter_id, ts_ms, body) VALUES(?1,?2,?3,?4)"),
        insert_event(db,
                     "INSERT INTO events(type, meter_id, ts_ms, details, outbox_seq) "
                     "VALUES(?1,?2,?3,?4,?5)"),
        upsert_latest(db,
                      "INSERT INTO latest(meter_id, point, value, ts_ms) VALUES(?1,?2,?3,?4) "
                      "ON CONFLICT(meter_id, point) DO UPDATE SET value = excluded.value, "
                      "ts_ms = excluded.ts_ms WHERE excluded.ts_ms >= latest.ts_ms"),
        delete_outbox(db, "DELETE FROM outbox WHERE seq BETWEEN ?1 AND ?2") {}
  Statement insert_outbox;
  Statement insert_event;
  Statement upsert_latest;
  Statement delete_outbox;
};

PendingRow make_pending(Telemetry telemetry) {
  PendingRow row;
  row.kind = OutboxKind::kTelemetry;
  row.body = encode_telemetry_body(telemetry);
  row.ts_ms = to_unix_ms(telemetry.time);
  row.meter_id = std::move(telemetry.meter_id);
  row.latest = std::move(telemetry.values);
  row.estimated_bytes =
      static_cast<std::int64_t>(row.body.size() + row.meter_id.size()) + kRowOverhead;
  return row;
}

PendingRow make_pending(const Event& event) {
  PendingRow row;
  row.kind = OutboxKind::kEvent;
  row.meter_id = event.meter_id;
  row.ts_ms = to_unix_ms(event.time);
  row.event_type = event.type;
  row.details = sanitize_details(event.details_json);
  row.body = encode_event_body(Event{event.type, event.meter_id, event.time, row.details});
  // One row in `outbox`, one in `events`.
  row.estimated_bytes = static_cast<std::int64_t>(row.body.size() + row.details.size() +
                                                  row.event_type.size() + 2 * row.meter_id.size()) +
                        2 * kRowOverhead;
  return row;
}

PendingRow make_pending(OutboxKind kind, std::string meter_id, WallTime time, std::string body) {
  PendingRow row;
  row.kind = kind;
  row.meter_id = std::move(meter_id);
  row.ts_ms = to_unix_ms(time);
  row.body = std::move(body);
  row.estimated_bytes =
      static_cast<std::int64_t>(row.body.size() + row.meter_id.size()) + kRowOverhead;
  return row;
}

void append_pending(StateWrite write, std::vector<PendingRow>& out) {
  std::vector<Event> events = std::move(write.events);
  std::vector<StateWrite::Row> rows = std::move(write.rows);
  PendingRow change;
  change.estimated_bytes = 4 * kRowOverhead;  // a ledger entry and a state row or two
  change.state = std::make_shared<const StateWrite>(std::move(write));
  out.push_back(std::move(change));
  for (const Event& event : events) out.push_back(make_pending(event));
  for (StateWrite::Row& row : rows) {
    out.push_back(
        make_pending(row.kind, std::move(row.meter_id), row.time, std::move(row.body_json)));
  }
}

BatchWriter::BatchWriter(SqliteDb& db, SizeBudget& budget, const Clock& clock)
    : db_(db), budget_(budget), clock_(clock), st_(std::make_unique<Statements>(db)) {
  require_prepared(
      {&st_->insert_outbox, &st_->insert_event, &st_->upsert_latest, &st_->delete_outbox});
}

BatchWriter::~BatchWriter() = default;

Status BatchWriter::insert(const PendingRow& row, BatchOutcome& outcome) {
  if (row.state) return row.state->apply ? row.state->apply(db_) : Status{Ok{}};
  Statement& outbox = st_->insert_outbox;
  outbox.bind(1, static_cast<std::int64_t>(row.kind));
  outbox.bind(2, row.meter_id);
  outbox.bind(3, row.ts_ms);
  outbox.bind(4, row.body);
  if (Status status = outbox.run(); !status) return status;
  const std::int64_t seq = db_.last_insert_rowid();
  outcome.rows_added += 1;
  outcome.max_seq = seq;

  if (row.kind == OutboxKind::kEvent) {
    Statement& event = st_->insert_event;
    event.bind(1, row.event_type);
    event.bind(2, row.meter_id);
    event.bind(3, row.ts_ms);
    event.bind(4, row.details);
    event.bind(5, seq);
    if (Status status = event.run(); !status) return status;
  }
  return Ok{};
}

void BatchWriter::remember_latest(const PendingRow& row) {
  if (row.latest.empty()) return;
  MeterLatest& points = latest_[row.meter_id];
  std::size_t next = 0;  // where the previous point was found, plus one
  for (const PointValue& point : row.latest) {
    if (const double* d = std::get_if<double>(&point.value); d && !std::isfinite(*d)) continue;
    if (next >= points.size() || points[next].point != point.name) {
      next = static_cast<std::size_t>(
          std::find_if(points.begin(), points.end(),
                       [&](const LatestValue& known) { return known.point == point.name; }) -
          points.begin());
    }
    if (next == points.size()) {
      points.push_back({point.name, point.value, row.ts_ms});
    } else if (row.ts_ms >= points[next].ts_ms) {  // a late, older reading does not win
      points[next].value = point.value;
      points[next].ts_ms = row.ts_ms;
    }
    ++next;
  }
}

Status BatchWriter::write_latest() {
  Statement& upsert = st_->upsert_latest;
  for (const auto& [meter_id, points] : latest_) {
    for (const LatestValue& latest : points) {
      upsert.bind(1, meter_id);
      upsert.bind(2, latest.point);
      if (const double* d = std::get_if<double>(&latest.value)) {
        upsert.bind(3, *d);
      } else if (const bool* b = std::get_if<bool>(&latest.value)) {
        upsert.bind(3, std::int64_t{*b ? 1 : 0});
      } else {
        upsert.bind(3, std::get<std::int64_t>(latest.value));
      }
      upsert.bind(4, latest.ts_ms);
      if (Status status = upsert.run(); !status) return status;
    }
  }
  return Ok{};
}

Status BatchWriter::insert_own_event(const std::string& type, const std::string& details,
                                     BatchOutcome& outcome) {
  return insert(make_pending(Event{type, "", clock_.wall_now(), details}), outcome);
}

Result<BatchOutcome> BatchWriter::write(const std::vector<PendingRow>& rows,
                                        const std::vector<std::int64_t>& acks,
                                        bool write_latest_now, std::int64_t ceiling) {
  BatchOutcome outcome;
  // Merging again on a retry is harmless: the same readings carry the same timestamps.
  for (const PendingRow& row : rows) remember_latest(row);
  const SteadyTime now = clock_.steady_now();
  const bool latest_due =
      !latest_.empty() && (write_latest_now || now - latest_written_ >= kLatestInterval);
  const std::vector<DeferredWrites*> deferred = deferred_writes_of(rows);
  Transaction tx(db_);
  if (!tx.begun()) return tx.begun().error();
  // A failed attempt at this batch may have left some: its applies run again below.
  for (DeferredWrites* writes : deferred) writes->discard();

  // Acknowledged rows first: the room they free counts for this batch. One DELETE per run of
  // consecutive seqs: a drain acknowledges in seq order, so a batch is mostly one or a few runs.
  std::vector<std::int64_t> sorted = acks;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (std::size_t first = 0; first < sorted.size();) {
    std::size_t last = first;
    while (last + 1 < sorted.size() && sorted[last + 1] == sorted[last] + 1) ++last;
    st_->delete_outbox.bind(1, sorted[first]);
    st_->delete_outbox.bind(2, sorted[last]);
    if (Status status = st_->delete_outbox.run(); !status) return status.error();
    outcome.rows_acked += db_.changes();
    first = last + 1;
  }

  const std::int64_t chunk_cap =
      std::max<std::int64_t>(budget_.budget_bytes() / kChunkShareOfBudget, 4096);
  std::size_t next = 0;
  while (next < rows.size()) {
    std::size_t end = next;
    std::int64_t chunk_bytes = 0;
    do {
      chunk_bytes += rows[end].estimated_bytes;
      ++end;
    } while (end < rows.size() && chunk_bytes + rows[end].estimated_bytes <= chunk_cap);

    Result<RoomOutcome> room = budget_.make_room(chunk_bytes, ceiling);
    if (!room) return room.error();
    Eviction& total = outcome.evicted;
    if (room.value().evicted.rows > 0) {
      if (total.rows == 0) total.oldest_seq = room.value().evicted.oldest_seq;
      total.newest_seq = room.value().evicted.newest_seq;
      total.rows += room.value().evicted.rows;
    }
    // Never-evictable rows are inserted even over the budget: events are never dropped.
    outcome.over_budget = outcome.over_budget || room.value().over_budget;
    for (; next < end; ++next) {
      if (Status status = insert(rows[next], outcome); !status) return status.error();
    }
  }

  for (DeferredWrites* writes : deferred) {
    if (Status status = writes->write(db_); !status) return status.error();
  }
  if (latest_due) {
    if (Status status = write_latest(); !status) return status.error();
  }
  if (outcome.evicted.rows > 0) {
    Status status = insert_own_event("store_eviction", eviction_details(outcome.evicted), outcome);
    if (!status) return status.error();
  }
  Result<std::int64_t> used = budget_.used_bytes();
  if (!used) return used.error();
  const bool report_full = outcome.over_budget && !full_reported_;
  if (report_full) {
    const std::string details = "{\"used_bytes\":" + std::to_string(used.value()) +
                                ",\"budget_bytes\":" + std::to_string(budget_.budget_bytes()) + "}";
    if (Status status = insert_own_event("store_full", details, outcome); !status) {
      return status.error();
    }
  }
  if (Status status = tx.commit(); !status) return status.error();

  if (report_full) full_reported_ = true;
  if (latest_due) {
    latest_.clear();
    latest_written_ = now;
  }
  // The episode ends once acknowledgements bring the file back under the low-water mark.
  if (used.value() < budget_.budget_bytes() * 3 / 4) full_reported_ = false;
  outcome.used_bytes = used.value();
  return outcome;
}

}  // namespace meterd
