// SPDX-License-Identifier: Apache-2.0
// How the configuration errors of one run are put together for the reader: repeats of one
// problem folded into one report, then sorted by position. Shared by the loader and the
// daemon's validation pass (plugins, billing, files). Pure function; any thread.
#pragma once

#include <string>
#include <vector>

#include "core/settings.h"

namespace meterd {

// `errors` without repeats, in report order.
// A repeat is an error at the position of an earlier one whose message differs at most in
// numbers: the copies of a `count:` entry (or of an aliased node) share their positions and
// differ only in the counter ("meter 'd7': ..."), so each problem of such an entry is
// reported once, with its first copy's text.
// Order: the errors of `main_file` first, then those of other files (profiles) in the order
// the files first appear; within a file by line and column, keeping the order of errors at
// one position.
ConfigErrors folded_and_sorted(const ConfigErrors& errors, const std::string& main_file);
// The same with the files of a configuration in their order (main file, then drop-ins): their
// errors come in that order, then those of other files (profiles) as they first appear.
ConfigErrors folded_and_sorted(const ConfigErrors& errors, const std::vector<std::string>& files);

}  // namespace meterd
