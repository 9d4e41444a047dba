// SPDX-License-Identifier: Apache-2.0
#include "store/store_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace meterd {
namespace {

struct Closer {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using Connection = std::unique_ptr<sqlite3, Closer>;

Error backup_error(const std::string& what) { return make_error(ErrorKind::kInternal, what); }

Result<Connection> open_connection(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) {
    return backup_error("cannot open " + path + ": " +
                        (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

// The first column of the first row of `sql`, as text ("" when there is no row).
Result<std::string> query_text(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return backup_error(std::string("backup query failed: ") + sqlite3_errmsg(db));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  const int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) {
    return backup_error(std::string("backup query failed: ") + sqlite3_errmsg(db));
  }
  const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
  return std::string(text ? reinterpret_cast<const char*>(text) : "");
}

Status exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return backup_error(std::string("backup: ") + sqlite3_errmsg(db));
  }
  return Ok{};
}

Status fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return backup_error("cannot open " + path + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) return backup_error("cannot sync " + path + ": " + std::strerror(error));
  return Ok{};
}

// Copies the snapshot into `partial` and gives the copy its own identity; fills `summary`.
Status copy_into(sqlite3* source, const std::string& partial, BackupSummary& summary) {
  Result<Connection> target =
      open_connection(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
  if (!target) return target.error();
  sqlite3* copy = target.value().get();
  sqlite3_backup* backup = sqlite3_backup_init(copy, "main", source, "main");
  if (!backup) return backup_error(std::string("backup: ") + sqlite3_errmsg(copy));
  // All pages in one step: one read transaction on the source, so the copy is a snapshot.
  const int step = sqlite3_backup_step(backup, -1);
  const int finish = sqlite3_backup_finish(backup);
  if (step != SQLITE_DONE || finish != SQLITE_OK) {
    return backup_error(std::string("backup failed: ") +
                        sqlite3_errstr(step == SQLITE_DONE ? finish : step));
  }
  // A single file with no WAL beside it, whatever the source's journal mode.
  if (Status s = exec(copy, "PRAGMA journal_mode = DELETE"); !s) return s;
  Result<std::string> check = query_text(copy, "PRAGMA quick_check");
  if (!check) return check.error();
  if (check.value() != "ok") return backup_error("the copy failed its check: " + check.value());
  Result<std::string> source_id = query_text(copy, "SELECT store_id FROM store_identity");
  if (!source_id) return source_id.error();
  summary.source_store_id = source_id.value();
  if (Status s = exec(copy, "UPDATE store_identity SET store_id = lower(hex(randomblob(16)))");
      !s) {
    return s;
  }
  Result<std::string> id = query_text(copy, "SELECT store_id FROM store_identity");
  Result<std::string> version = query_text(copy, "PRAGMA user_version");
  Result<std::string> seq = query_text(
      copy, "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)");
  if (!id || !version || !seq) return backup_error("backup: cannot read the copy's identity");
  summary.store_id = id.value();
  summary.schema_version = std::stoll(version.value());
  summary.last_seq = std::stoll(seq.value());
  return Ok{};
}

}  // namespace

Result<BackupSummary> backup_store(const std::string& source, const std::string& destination) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (destination.empty() || destination.front() != '/') {
    return make_error(ErrorKind::kInvalidArgument, "the backup path must be absolute");
  }
  if (fs::exists(destination, ec)) {
    return make_error(ErrorKind::kInvalidArgument,
                      destination + " exists; it is never overwritten");
  }
  const fs::path folder = fs::path(destination).parent_path();
  if (!fs::is_directory(folder, ec)) {
    return make_error(ErrorKind::kInvalidArgument, "no such folder: " + folder.string());
  }
  Result<Connection> db = open_connection(source, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!db) return db.error();

  const std::string partial = destination + ".partial";
  fs::remove(partial, ec);
  BackupSummary summary;
  summary.path = destination;
  Status copied = copy_into(db.value().get(), partial, summary);
  if (copied) copied = fsync_path(partial, O_RDONLY);
  if (copied) {
    fs::rename(partial, destination, ec);
    if (ec) copied = backup_error("cannot rename " + partial + ": " + ec.message());
  }
  if (copied) copied = fsync_path(folder.string(), O_RDONLY | O_DIRECTORY);
  if (!copied) {
    fs::remove(partial, ec);
    return copied.error();
  }
  summary.bytes = static_cast<std::int64_t>(fs::file_size(destination, ec));
  return summary;
}

}  // namespace meterd
