// SPDX-License-Identifier: Apache-2.0
// Checks what start-up would refuse about the files a configuration names, so that
// --check-config and SIGHUP reload refuse it too: the MQTT credentials file and (with TLS on)
// the CA, certificate and key files must open for reading; the store's folder must be a
// writable folder (the database is created there when missing, with its -wal and -shm files)
// and an existing database a writable file. Each problem is reported at the position of the key
// that names the file. Start-up/reload only; calling thread.
#pragma once

#include "config/app_config.h"

namespace meterd {

void check_named_files(const AppConfig& config, ConfigErrors& errors);

// Where `key` (one of kFileKeys) is written in the file; the file alone when it is not.
SourcePos file_key_position(const AppConfig& config, const std::string& key);

}  // namespace meterd
