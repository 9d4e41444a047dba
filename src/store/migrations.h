// SPDX-License-Identifier: Apache-2.0
// Schema migrations, numbered in code. The database's `PRAGMA user_version` is the number of
// the last migration applied; migrate() applies the missing ones, each in its own
// transaction, so reopening an up-to-date database changes nothing. Runs at start-up on the
// store's connection.
#pragma once

#include <stdexcept>
#include <string>

#include "store/sqlite_db.h"

namespace meterd {

// A store written by a newer meterd (a downgrade): it is refused before anything changes the
// file, so the newer binary can still open it as it left it.
class StoreSchemaTooNewError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The version migrate() brings a database to.
int latest_schema_version();

// Throws StoreSchemaTooNewError when the database was written by a newer meterd
// (user_version above latest_schema_version()); reads the header only, writes nothing.
void refuse_newer_schema(SqliteDb& db);

// Throws std::runtime_error when a migration fails, StoreSchemaTooNewError as above.
void migrate(SqliteDb& db);

}  // namespace meterd
