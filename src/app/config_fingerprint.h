// SPDX-License-Identifier: Apache-2.0
// The configuration's fingerprint for the health report: SHA-256 over the main file's bytes
// and those of its drop-ins (in the order they are merged, each preceded by its name), so an
// operator can tell at a glance which boxes of a fleet run the same configuration. Start-up
// and reload; any thread.
#pragma once

#include <string>

namespace meterd {

// "sha256:<64 hex digits>"; "" when the main file cannot be read.
std::string config_fingerprint(const std::string& main_file);

}  // namespace meterd
