// SPDX-License-Identifier: Apache-2.0
#include "app/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>

namespace meterd {

void setup_logging(const std::string& level) {
  std::shared_ptr<spdlog::logger> logger;
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    auto sink = std::make_shared<spdlog::sinks::systemd_sink_mt>("meterd");
    logger = std::make_shared<spdlog::logger>("meterd", sink);
    logger->set_pattern("%v");  // journald keeps time, level and unit itself
  } else {
    logger = spdlog::stderr_color_mt("meterd");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
  }
  spdlog::set_default_logger(logger);
  set_log_level(level);
  spdlog::flush_on(spdlog::level::warn);
}

void set_log_level(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }

}  // namespace meterd
