// SPDX-License-Identifier: Apache-2.0
#include "engine/tariff.h"

#include <algorithm>

namespace meterd {
namespace {

bool effective_before(const TariffChange& change, WallTime t) { return change.effective_from < t; }
bool effective_after(WallTime t, const TariffChange& change) { return t < change.effective_from; }

int two_digits(std::string_view text, std::size_t at) {
  const char a = text[at];
  const char b = text[at + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
  return (a - '0') * 10 + (b - '0');
}

}  // namespace

const char* tou_period_name(TouPeriod period) {
  switch (period) {
    case TouPeriod::kSharp:
      return "sharp";
    case TouPeriod::kPeak:
      return "peak";
    case TouPeriod::kFlat:
      return "flat";
    case TouPeriod::kValley:
      return "valley";
  }
  return "unknown";
}

void TariffHistory::add(TariffChange change) {
  auto it =
      std::lower_bound(changes_.begin(), changes_.end(), change.effective_from, effective_before);
  if (it != changes_.end() && it->effective_from == change.effective_from) {
    *it = std::move(change);
  } else {
    changes_.insert(it, std::move(change));
  }
}

const Tariff* TariffHistory::at(WallTime t) const {
  auto it = std::upper_bound(changes_.begin(), changes_.end(), t, effective_after);
  if (it == changes_.begin()) return nullptr;
  return &std::prev(it)->tariff;
}

std::optional<WallTime> TariffHistory::next_change_after(WallTime t) const {
  auto it = std::upper_bound(changes_.begin(), changes_.end(), t, effective_after);
  if (it == changes_.end()) return std::nullopt;
  return it->effective_from;
}

Result<LocalZone> parse_utc_offset(std::string_view text) {
  if (text == "Z") return LocalZone{};
  const bool with_seconds = text.size() == 9 && text[6] == ':';
  const bool sized = text.size() == 6 || with_seconds;
  const int hours = sized ? two_digits(text, 1) : -1;
  const int minutes = sized ? two_digits(text, 4) : -1;
  const int seconds = with_seconds ? two_digits(text, 7) : 0;
  if ((text.empty() || (text[0] != '+' && text[0] != '-')) || hours < 0 || minutes < 0 ||
      seconds < 0 || text[3] != ':') {
    return make_error(
        ErrorKind::kInvalidArgument,
        "UTC offset '" + std::string(text) + "' must look like +08:00, -03:30, +05:29:45 or Z");
  }
  if (hours > 14 || minutes > 59 || seconds > 59 || (hours == 14 && (minutes || seconds))) {
    return make_error(ErrorKind::kInvalidArgument,
                      "UTC offset '" + std::string(text) + "' is outside -14:00..+14:00");
  }
  const int total = (hours * 60 + minutes) * 60 + seconds;
  return LocalZone{std::chrono::seconds(text[0] == '-' ? -total : total)};
}

}  // namespace meterd
