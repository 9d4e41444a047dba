// SPDX-License-Identifier: Apache-2.0
#include "app/event_log.h"

#include <array>
#include <string_view>

#include "core/json_text.h"

namespace meterd {

std::string event_log_line(const Event& event) {
  std::string line = "event " + printable(event.type, 64);
  if (!event.meter_id.empty()) line += " meter " + printable(event.meter_id, 64);
  if (!event.details_json.empty() && event.details_json != "{}") {
    line += ": " + printable(event.details_json, 200);
  }
  return line;
}

bool event_is_warning(const std::string& type) {
  static constexpr std::array<std::string_view, 11> kWarnings{
      "cut_off",          "relay_action_failed", "relay_mismatch",
      "meter_offline",    "overload_trip",       "malignant_load_trip",
      "command_rejected", "recharge_failed",     "meter_parameter_failed",
      "energy_reversed",  "clock_unsynchronized"};
  for (std::string_view warning : kWarnings) {
    if (type == warning) return true;
  }
  return false;
}

}  // namespace meterd
