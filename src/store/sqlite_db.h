// SPDX-License-Identifier: Apache-2.0
// A thin RAII layer over one SQLite connection: open, exec, prepared statements and
// transactions. Errors on the data path come back as Status values carrying the SQLite
// extended result code in Error::code, a failed prepare included (it is reported by the
// statement's first step); only open() failures at start-up throw.
// Not thread-safe: a SqliteDb and its statements belong to one thread (the store thread).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace meterd {

class Statement;

class SqliteDb {
 public:
  // Opens (creating) the file; throws std::runtime_error when it cannot.
  explicit SqliteDb(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements that return no rows worth reading.
  Status exec(const std::string& sql);
  // Runs a statement whose first column of the first row is an integer (PRAGMA page_count).
  Result<std::int64_t> query_int(const std::string& sql);
  std::int64_t last_insert_rowid() const;
  int changes() const;
  bool in_transaction() const;
  Error last_error(std::string_view what) const;
  sqlite3* handle() { return db_; }
  // The main database file's path (empty for an in-memory database).
  std::string path() const;
  // `sql` prepared once for this connection and kept until it closes: for statements run
  // many times per second, whose parsing would cost more than their work. Use run() (or
  // reset()) after each use.
  Statement& cached(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

class Statement {
 public:
  enum class Step { kRow, kDone };

  // Prepares `sql` once for repeated use. Never throws: a failure (a syntax error, a missing
  // table, a full disk) is kept and returned by prepared(), step() and run(); binds and
  // column reads of an unprepared statement do nothing.
  Statement(SqliteDb& db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  void bind(int index, std::int64_t value);
  void bind(int index, double value);
  void bind(int index, std::string_view text);
  // Binds `text` without copying it: it must stay as it is until the next run() or reset().
  // For statements run many times a batch, where the copy is a malloc per parameter.
  void bind_uncopied(int index, std::string_view text);
  void bind_null(int index);
  // Binds ?1, ?2, ... to `values` in order.
  template <typename... Values>
  void bind_all(const Values&... values) {
    int index = 0;
    (bind(++index, values), ...);
  }
  const Status& prepared() const { return prepared_; }
  Result<Step> step();
  // Steps a statement that returns no rows; resets it afterwards.
  Status run();
  // Clears bindings and rewinds, ready for the next use.
  void reset();

  bool column_is_null(int index) const;
  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;

 private:
  SqliteDb& db_;
  sqlite3_stmt* stmt_ = nullptr;
  Status prepared_ = Ok{};
};

// Start-up only: throws std::runtime_error naming the first statement that did not prepare.
void require_prepared(std::initializer_list<const Statement*> statements);

// Runs `each` for every row of `st`, bound already, then resets it for its next use (a cached
// statement).
template <typename Each>
Status for_each_row(Statement& st, Each each) {
  Status status = Ok{};
  while (true) {
    Result<Statement::Step> step = st.step();
    if (!step) {
      status = step.error();
      break;
    }
    if (step.value() == Statement::Step::kDone) break;
    each(st);
  }
  st.reset();
  return status;
}

// Runs `each` for every row of `sql`.
template <typename Each>
Status for_each_row(SqliteDb& db, const std::string& sql, Each each) {
  Statement st(db, sql);
  return for_each_row(st, each);
}

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(SqliteDb& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  const Status& begun() const { return begun_; }
  Status commit();

 private:
  SqliteDb& db_;
  Status begun_ = Ok{};
  bool open_ = false;
};

}  // namespace meterd
