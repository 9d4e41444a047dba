// SPDX-License-Identifier: Apache-2.0
// The node-exporter textfile: written whole to a temporary file beside it, then renamed over
// it, so the collector never reads half a file.
#pragma once

#include <string>

namespace meterd {

// False (and a warning in the log) when the file could not be written; never throws.
bool write_metrics_textfile(const std::string& path, const std::string& text);

}  // namespace meterd
