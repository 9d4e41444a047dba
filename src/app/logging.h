// SPDX-License-Identifier: Apache-2.0
// Sets up the process-wide spdlog logger: journald when started by systemd (JOURNAL_STREAM
// is set), stderr otherwise. Called once at start-up on the main thread.
#pragma once

#include <string>

namespace meterd {

void setup_logging(const std::string& level);
void set_log_level(const std::string& level);

}  // namespace meterd
