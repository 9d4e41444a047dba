// SPDX-License-Identifier: Apache-2.0
#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <stdexcept>

namespace meterd {

SqliteDb::SqliteDb(const std::string& path) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("cannot open database '" + path + "': " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
}

SqliteDb::~SqliteDb() {
  // Statements are owned by the store and destroyed before the connection, so close_v2
  // finds nothing left; it would defer the close rather than leak if something were.
  cache_.clear();
  sqlite3_close_v2(db_);
}

Statement& SqliteDb::cached(const std::string& sql) {
  std::unique_ptr<Statement>& statement = cache_[sql];
  if (!statement) statement = std::make_unique<Statement>(*this, sql);
  return *statement;
}

Error SqliteDb::last_error(std::string_view what) const {
  return make_error(ErrorKind::kInternal, std::string(what) + ": " + sqlite3_errmsg(db_),
                    sqlite3_extended_errcode(db_));
}

Status SqliteDb::exec(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Ok{};
  std::string text = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return make_error(ErrorKind::kInternal, sql.substr(0, 40) + ": " + text,
                    sqlite3_extended_errcode(db_));
}

Result<std::int64_t> SqliteDb::query_int(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return last_error(sql);
  }
  const int rc = sqlite3_step(stmt);
  Result<std::int64_t> result = std::int64_t{0};
  if (rc == SQLITE_ROW) {
    result = std::int64_t{sqlite3_column_int64(stmt, 0)};
  } else if (rc != SQLITE_DONE) {
    result = last_error(sql);
  }
  sqlite3_finalize(stmt);
  return result;
}

std::int64_t SqliteDb::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

std::string SqliteDb::path() const {
  const char* name = sqlite3_db_filename(db_, "main");
  return name ? std::string(name) : std::string();
}

int SqliteDb::changes() const { return sqlite3_changes(db_); }

bool SqliteDb::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Statement::Statement(SqliteDb& db, const std::string& sql) : db_(db) {
  if (sqlite3_prepare_v3(db.handle(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt_,
                         nullptr) != SQLITE_OK) {
    prepared_ = db.last_error("cannot prepare '" + sql + "'");
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void require_prepared(std::initializer_list<const Statement*> statements) {
  for (const Statement* statement : statements) {
    if (!statement->prepared()) throw std::runtime_error(statement->prepared().error().message);
  }
}

// Binding only fails for an out-of-range index or out of memory: both surface at step().
// SQLite refuses a null statement in binds (SQLITE_MISUSE) but not in every call below, so
// an unprepared statement is skipped here and reports its error at step().
void Statement::bind(int index, std::int64_t value) {
  if (stmt_) sqlite3_bind_int64(stmt_, index, value);
}

void Statement::bind(int index, double value) {
  if (stmt_) sqlite3_bind_double(stmt_, index, value);
}

void Statement::bind(int index, std::string_view text) {
  if (stmt_) {
    sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
}

void Statement::bind_uncopied(int index, std::string_view text) {
  if (stmt_)
    sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

void Statement::bind_null(int index) {
  if (stmt_) sqlite3_bind_null(stmt_, index);
}

Result<Statement::Step> Statement::step() {
  if (!stmt_) return prepared_.error();
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return Step::kRow;
  if (rc == SQLITE_DONE) return Step::kDone;
  return db_.last_error(sqlite3_sql(stmt_));
}

Status Statement::run() {
  Result<Step> result = step();
  reset();
  if (!result) return result.error();
  return Ok{};
}

void Statement::reset() {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::column_is_null(int index) const {
  return !stmt_ || sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

std::int64_t Statement::column_int(int index) const {
  return stmt_ ? sqlite3_column_int64(stmt_, index) : 0;
}

std::string Statement::column_text(int index) const {
  if (!stmt_) return {};
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)))
              : std::string();
}

Transaction::Transaction(SqliteDb& db) : db_(db), begun_(db.exec("BEGIN IMMEDIATE")) {
  open_ = begun_.ok();
}

Transaction::~Transaction() {
  // SQLite may already have rolled back by itself (SQLITE_FULL, IOERR): only roll back
  // what is still open.
  if (open_ && db_.in_transaction()) db_.exec("ROLLBACK");
}

Status Transaction::commit() {
  Status status = db_.exec("COMMIT");
  if (status) open_ = false;
  return status;
}

}  // namespace meterd
