// SPDX-License-Identifier: Apache-2.0
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
    // 2: the prepaid engine. Money in 1/10000 units, energy in Wh, times in unix ms.
    // The ledger is append-only; an account's balance is the sum of its entries' amounts and
    // account_state.balance caches it. meter_billing holds the last billed reading of each
    // meter, written in the same transaction as the deduction it closed.
    R"sql(
CREATE TABLE accounts(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  mode TEXT NOT NULL,
  low_1 INTEGER NOT NULL,
  low_2 INTEGER NOT NULL,
  cut_off INTEGER NOT NULL,
  hysteresis INTEGER NOT NULL,
  credit_limit INTEGER NOT NULL,
  source TEXT NOT NULL,
  closed INTEGER NOT NULL DEFAULT 0,
  updated_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE account_meters(
  meter_id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE tariff_changes(
  account_id TEXT NOT NULL,
  effective_ms INTEGER NOT NULL,
  tariff TEXT NOT NULL,
  source TEXT NOT NULL,
  PRIMARY KEY(account_id, effective_ms)) WITHOUT ROWID;
CREATE TABLE account_state(
  account_id TEXT PRIMARY KEY,
  balance INTEGER NOT NULL,
  alarm_level INTEGER NOT NULL,
  tier_period INTEGER NOT NULL,
  tier_wh INTEGER NOT NULL,
  allowance_period INTEGER NOT NULL,
  allowance_used_wh INTEGER NOT NULL,
  carry_milli INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE ledger(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  amount INTEGER NOT NULL,
  balance_after INTEGER NOT NULL,
  order_id TEXT,
  meter_id TEXT NOT NULL,
  details TEXT NOT NULL);
CREATE UNIQUE INDEX ledger_order ON ledger(kind, order_id) WHERE order_id IS NOT NULL;
CREATE INDEX ledger_account ON ledger(account_id, id);
CREATE TABLE meter_billing(
  meter_id TEXT PRIMARY KEY,
  energy_wh INTEGER NOT NULL,
  ts_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE meter_recharges(
  order_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  account_id TEXT NOT NULL,
  meter_id TEXT NOT NULL,
  amount INTEGER NOT NULL,
  purchase_count INTEGER NOT NULL,
  state TEXT NOT NULL,
  ts_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql",
    // 3: the command journal (every accepted command, before it runs, with its result once
    // it has one) and relays held open by command.
    R"sql(
CREATE TABLE commands(
  id TEXT PRIMARY KEY,
  op TEXT NOT NULL,
  payload TEXT NOT NULL,
  operator TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  run_at_ms INTEGER,
  state TEXT NOT NULL,
  result TEXT,
  finished_ms INTEGER) WITHOUT ROWID;
CREATE INDEX commands_open ON commands(state) WHERE state IN ('accepted', 'scheduled');
CREATE TABLE relay_overrides(
  meter_id TEXT PRIMARY KEY,
  command_id TEXT NOT NULL,
  ts_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql",
    // 4: load and time control: each meter's limits and schedule as its last command set them
    // (JSON, as engine/load_limits.h and supply_schedule.h read it), and its load trip.
    R"sql(
CREATE TABLE meter_controls(
  meter_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  json TEXT NOT NULL,
  source TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY(meter_id, kind)) WITHOUT ROWID;
CREATE TABLE load_trips(
  meter_id TEXT PRIMARY KEY,
  tripped INTEGER NOT NULL,
  reason TEXT NOT NULL,
  tripped_ms INTEGER NOT NULL,
  restore_at_ms INTEGER,
  restores_today INTEGER NOT NULL,
  restores_day INTEGER NOT NULL) WITHOUT ROWID;
)sql",
    // 5: the store's identity, so (store_id, seq) is unique across replaced boxes and two
    // gateways configured with one gateway_id. randomblob() draws from SQLite's ChaCha20
    // generator, seeded from the operating system (/dev/urandom): 128 random bits.
    R"sql(
CREATE TABLE store_identity(
  singleton INTEGER PRIMARY KEY CHECK(singleton = 1),
  store_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL);
INSERT INTO store_identity(singleton, store_id, created_ms)
  VALUES(1, lower(hex(randomblob(16))), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
)sql",
    // 6: statistics rollups (engine/usage_rollup.h): per meter and per account ("scope",
    // "owner"), per local day (period yyyymmdd) and month (yyyymm): Wh and cost (1/10000
    // units) by TOU period, cost in total, allowance used, counts. Written by adding the
    // engine's deltas, in the transaction of the ledger deduction they come from.
    R"sql(
CREATE TABLE usage_rollups(
  scope TEXT NOT NULL,
  owner TEXT NOT NULL,
  granularity TEXT NOT NULL,
  period INTEGER NOT NULL,
  wh_sharp INTEGER NOT NULL, wh_peak INTEGER NOT NULL,
  wh_flat INTEGER NOT NULL, wh_valley INTEGER NOT NULL,
  cost_sharp INTEGER NOT NULL, cost_peak INTEGER NOT NULL,
  cost_flat INTEGER NOT NULL, cost_valley INTEGER NOT NULL,
  cost INTEGER NOT NULL,
  free_wh INTEGER NOT NULL,
  cut_offs INTEGER NOT NULL,
  load_trips INTEGER NOT NULL,
  relay_operations INTEGER NOT NULL,
  PRIMARY KEY(scope, owner, granularity, period)) WITHOUT ROWID;
)sql",
    // 7: period close (engine/period_close.h): per rollup row of a closed period, the revision
    // of its summary last published (NULL: none yet) and whether a summary is due (set when
    // the period closes or a late reading changes it; cleared with the summary's outbox row);
    // and per granularity the last period closed.
    R"sql(
CREATE TABLE usage_closes(
  scope TEXT NOT NULL,
  owner TEXT NOT NULL,
  granularity TEXT NOT NULL,
  period INTEGER NOT NULL,
  revision INTEGER,
  due INTEGER NOT NULL,
  PRIMARY KEY(scope, owner, granularity, period)) WITHOUT ROWID;
CREATE INDEX usage_closes_due ON usage_closes(granularity, period) WHERE due = 1;
CREATE TABLE usage_close_marks(
  granularity TEXT PRIMARY KEY,
  closed_through INTEGER NOT NULL);
)sql",
    // 8: statistics extremes and offline time (engine/usage_rollup.h): the highest tier
    // reached, maximum demand with its window's start, phase voltage range (0.1 V; 0: none
    // polled) and the ms a meter was offline. Rows written before read 0: not known.
    R"sql(
ALTER TABLE usage_rollups ADD COLUMN offline_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN tier_reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN demand_w INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN demand_at_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN voltage_min_dv INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN voltage_max_dv INTEGER NOT NULL DEFAULT 0;
)sql",
};

constexpr int kLatest = static_cast<int>(std::size(kMigrations));

}  // namespace

int latest_schema_version() { return kLatest; }

namespace {

std::int64_t schema_version(SqliteDb& db) {
  Result<std::int64_t> version = db.query_int("PRAGMA user_version");
  if (!version) throw std::runtime_error("cannot read schema version: " + version.error().message);
  return version.value();
}

void refuse_newer_schema(SqliteDb& db, std::int64_t version) {
  if (version <= kLatest) return;
  throw StoreSchemaTooNewError(
      "store " + db.path() + " has schema version " + std::to_string(version) +
      ", written by a newer meterd; this one knows versions up to " + std::to_string(kLatest) +
      ". It was not opened and is unchanged: run the meterd that wrote it, or restore a backup "
      "taken before the upgrade (docs/operations.md)");
}

}  // namespace

void refuse_newer_schema(SqliteDb& db) { refuse_newer_schema(db, schema_version(db)); }

void migrate(SqliteDb& db) {
  const std::int64_t version = schema_version(db);
  refuse_newer_schema(db, version);
  for (int next = static_cast<int>(version) + 1; next <= kLatest; ++next) {
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
