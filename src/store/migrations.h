// Schema migrations, numbered in code. The database's `PRAGMA user_version` is the number of
// the last migration applied; migrate() applies the missing ones, each in its own
// transaction, so reopening an up-to-date database changes nothing. Runs at start-up on the
// store's connection.
#pragma once

#include "store/sqlite_db.h"

namespace meterd {

// The version migrate() brings a database to.
int latest_schema_version();

// Throws std::runtime_error when a migration fails or the database was written by a newer
// meterd (user_version above latest_schema_version()).
void migrate(SqliteDb& db);

}  // namespace meterd
