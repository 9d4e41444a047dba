// SPDX-License-Identifier: Apache-2.0
#include "store/sqlite_engine_store.h"

#include <spdlog/spdlog.h>

#include "config/tariff_json.h"
#include "store/engine_tables.h"
#include "store/usage_close_tables.h"
#include "store/usage_tables.h"

namespace meterd {
namespace {

// The stored JSON as read_tariff reads a site file's (JSON is YAML).
std::optional<Tariff> tariff_from_json(const std::string& json, const std::string& what) {
  ConfigErrors errors;
  std::optional<Tariff> tariff = read_tariff_json(json, what, errors);
  if (!errors.empty()) {
    spdlog::error("engine: stored tariff of {} cannot be read: {}", what,
                  errors.all().front().to_string());
    return std::nullopt;
  }
  return tariff;
}

// `read`'s answer, read on the store thread (the caller waits).
template <typename Read>
auto read_on_store_thread(Store& store, Read read) -> decltype(read(std::declval<SqliteDb&>())) {
  decltype(read(std::declval<SqliteDb&>())) answer = make_error(ErrorKind::kInternal, "not read");
  Status status = store.read_state([&](SqliteDb& db) -> Status {
    answer = read(db);
    if (!answer) return answer.error();
    return Ok{};
  });
  if (!status) return status.error();
  return answer;
}

}  // namespace

Status SqliteEngineStore::load(StoredEngineState& state, StoredControls& controls) {
  Status status = store_.read_state([&](SqliteDb& db) { return load_engine_state(db, state); });
  if (!status) return status;
  for (TariffRow& row : state.tariffs) {
    row.tariff = tariff_from_json(row.tariff_json, "account " + row.account_id);
  }
  return store_.read_state([&](SqliteDb& db) { return read_controls(db, controls); });
}

void SqliteEngineStore::write(EngineWrite write) {
  StateWrite state;
  // A period summary goes out in the transaction that records it as published.
  for (const EngineChange& change : write.changes) {
    if (const UsageSummary* summary = std::get_if<UsageSummary>(&change)) {
      state.rows.push_back({summary->scope == UsageScope::kMeter ? OutboxKind::kMeterStats
                                                                 : OutboxKind::kAccountStats,
                            summary->owner, WallTime{} + std::chrono::milliseconds(summary->ts_ms),
                            summary->body_json});
    }
  }
  state.apply = [changes = std::move(write.changes), usage = usage_](SqliteDb& db) -> Status {
    for (const EngineChange& change : changes) {
      if (Status s = apply_engine_change(db, change, *usage); !s) return s;
    }
    return Status{Ok{}};
  };
  state.deferred = usage_;
  state.events = std::move(write.events);
  state.urgent = write.urgent;
  state.committed = std::move(write.committed);
  store_.append_state(std::move(state));
}

void SqliteEngineStore::append_event(Event event) { store_.append_event(std::move(event)); }

Result<std::vector<UsageRollup>> SqliteEngineStore::read_usage(const UsageQuery& query) {
  return read_on_store_thread(store_, [&](SqliteDb& db) { return meterd::read_usage(db, query); });
}

Result<std::vector<UsageRollup>> SqliteEngineStore::read_usage_sum(const UsageSumQuery& query) {
  return read_on_store_thread(store_,
                              [&](SqliteDb& db) { return meterd::read_usage_sum(db, query); });
}

Result<UsageCloseMarks> SqliteEngineStore::read_close_marks() {
  return read_on_store_thread(store_, [](SqliteDb& db) { return read_usage_close_marks(db); });
}

Result<std::vector<DueSummary>> SqliteEngineStore::read_due_summaries(int limit) {
  return read_on_store_thread(
      store_, [limit](SqliteDb& db) { return meterd::read_due_summaries(db, limit); });
}

}  // namespace meterd
