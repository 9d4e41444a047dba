// SPDX-License-Identifier: Apache-2.0
#include "config/drop_in_files.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace meterd {

namespace fs = std::filesystem;

std::string drop_in_folder(const std::string& main_file) {
  return (fs::path(main_file).parent_path() / "conf.d").string();
}

std::vector<std::string> list_drop_ins(const std::string& folder, ConfigErrors& errors) {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(folder, ec);
  if (ec == std::errc::no_such_file_or_directory) return {};
  const auto cannot_read = [&](const std::error_code& why) {
    errors.add({folder, 0, 0}, "cannot read the drop-in folder: " + why.message());
  };
  if (ec) {
    cannot_read(ec);
    return {};
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with('.') || !name.ends_with(".yaml")) continue;
    std::error_code type_ec;
    if (!fs::is_regular_file(it->path(), type_ec)) {  // follows links
      errors.add(
          {it->path().string(), 0, 0},
          "drop-in is not a regular file" + (type_ec ? ": " + type_ec.message() : std::string()));
      continue;
    }
    names.push_back(name);
  }
  if (ec) cannot_read(ec);
  // Byte order, whatever the locale: what `LC_ALL=C ls` shows is what applies.
  std::sort(names.begin(), names.end());
  std::vector<std::string> files;
  files.reserve(names.size());
  for (const auto& name : names) files.push_back((fs::path(folder) / name).string());
  return files;
}

}  // namespace meterd
