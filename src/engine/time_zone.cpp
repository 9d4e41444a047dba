// SPDX-License-Identifier: Apache-2.0
// IANA time zones from the system tz database, through Howard Hinnant's date library
// (GCC 12 has no std::chrono::tzdb). Only this file and local_time.cpp see the library.
#include <date/tz.h>

#include <exception>

#include "engine/tariff.h"

namespace meterd {

Result<LocalZone> find_time_zone(const std::string& name) {
  try {
    return LocalZone::named(date::locate_zone(name));
  } catch (const std::exception& e) {
    return make_error(ErrorKind::kInvalidArgument,
                      "no time zone '" + name + "' in the system tz database (" + e.what() +
                          "); names look like Asia/Shanghai or Europe/Berlin");
  }
}

}  // namespace meterd
