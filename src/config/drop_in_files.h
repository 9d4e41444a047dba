// SPDX-License-Identifier: Apache-2.0
// Which files make up a site's configuration: the main file and the drop-ins of the
// `conf.d` folder beside it (docs/config-format.md, "Drop-ins"). Start-up/reload; any thread.
#pragma once

#include <string>
#include <vector>

#include "core/settings.h"

namespace meterd {

// `<folder of main_file>/conf.d` ("conf.d" when main_file names no folder).
std::string drop_in_folder(const std::string& main_file);

// The `*.yaml` files of `folder`, in byte order of their names, as `folder/name`. Names that
// start with '.' are skipped (editor and lock files). A folder that does not exist has no
// drop-ins; one that cannot be read, or a `*.yaml` entry that is not a regular file (a folder,
// a dangling link), is an error naming it.
std::vector<std::string> list_drop_ins(const std::string& folder, ConfigErrors& errors);

}  // namespace meterd
