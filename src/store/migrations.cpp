#include "store/migrations.h"

#include <stdexcept>
#include <string>

namespace meterd {
namespace {

// Append only: a released migration is never edited, a change is a new entry.
// outbox.seq uses AUTOINCREMENT so a seq is never reused, even after the newest rows are
// deleted: the cloud deduplicates by seq. latest.value has no declared type so it keeps the
// storage class it was written with (INTEGER for counts and flags, REAL for analogs).
constexpr const char* kMigrations[] = {
    // 1: outbox, events, latest values, persistent counters.
    R"sql(
CREATE TABLE outbox(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind INTEGER NOT NULL,
  meter_id TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  body TEXT NOT NULL);
CREATE TABLE events(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  meter_id TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  details TEXT NOT NULL,
  outbox_seq INTEGER);
CREATE TABLE latest(
  meter_id TEXT NOT NULL,
  point TEXT NOT NULL,
  value,
  ts_ms INTEGER NOT NULL,
  PRIMARY KEY(meter_id, point)) WITHOUT ROWID;
CREATE TABLE counters(
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO counters(name, value) VALUES('evicted_rows_total', 0);
)sql",
};

constexpr int kLatest = static_cast<int>(std::size(kMigrations));

}  // namespace

int latest_schema_version() { return kLatest; }

void migrate(SqliteDb& db) {
  Result<std::int64_t> version = db.query_int("PRAGMA user_version");
  if (!version) throw std::runtime_error("cannot read schema version: " + version.error().message);
  if (version.value() > kLatest) {
    throw std::runtime_error("database schema version " + std::to_string(version.value()) +
                             " is newer than this meterd (" + std::to_string(kLatest) + ")");
  }
  for (int next = static_cast<int>(version.value()) + 1; next <= kLatest; ++next) {
    Transaction tx(db);
    Status status = tx.begun();
    if (status) status = db.exec(kMigrations[next - 1]);
    if (status) status = db.exec("PRAGMA user_version = " + std::to_string(next));
    if (status) status = tx.commit();
    if (!status) {
      throw std::runtime_error("schema migration " + std::to_string(next) +
                               " failed: " + status.error().message);
    }
  }
}

}  // namespace meterd
