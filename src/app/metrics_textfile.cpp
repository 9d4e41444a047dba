// SPDX-License-Identifier: Apache-2.0
#include "app/metrics_textfile.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace meterd {

bool write_metrics_textfile(const std::string& path, const std::string& text) {
  try {
    // The collector reads only *.prom: the temporary name does not end so.
    const std::string temp = path + ".tmp." + std::to_string(::getpid());
    std::FILE* file = std::fopen(temp.c_str(), "w");
    if (!file) {
      spdlog::warn("metrics textfile {}: cannot write", temp);
      return false;
    }
    const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
    const bool closed = std::fclose(file) == 0;
    std::error_code ec;
    if (!written || !closed) {
      std::filesystem::remove(temp, ec);
      spdlog::warn("metrics textfile {}: write failed", temp);
      return false;
    }
    std::filesystem::rename(temp, path, ec);
    if (ec) {
      std::filesystem::remove(temp, ec);
      spdlog::warn("metrics textfile {}: {}", path, ec.message());
      return false;
    }
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace meterd
