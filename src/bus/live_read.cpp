// SPDX-License-Identifier: Apache-2.0
#include "bus/live_read.h"

#include <algorithm>

namespace meterd {
namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Looks `point` up in the readings; true when a value or an error for it was appended.
bool take_point(const std::string& point, const std::vector<MeterReading>& readings,
                MeterReading& out) {
  for (const MeterReading& reading : readings) {
    for (const PointValue& value : reading.values) {
      if (value.name != point) continue;
      out.values.push_back(value);
      return true;
    }
    for (const PointError& error : reading.errors) {
      if (error.name != point) continue;
      out.errors.push_back(error);
      return true;
    }
  }
  return false;
}

}  // namespace

LiveReadPlan plan_live_read(const std::vector<PollGroupSpec>& groups,
                            const std::vector<std::string>& points) {
  LiveReadPlan plan;
  for (const std::string& point : points) {
    if (!contains(plan.points, point)) plan.points.push_back(point);
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const bool wanted =
        std::any_of(plan.points.begin(), plan.points.end(),
                    [&](const std::string& p) { return contains(groups[g].points, p); });
    if (wanted) plan.groups.push_back(g);
  }
  for (const std::string& point : plan.points) {
    const bool polled = std::any_of(groups.begin(), groups.end(), [&](const PollGroupSpec& g) {
      return contains(g.points, point);
    });
    if (!polled) {
      plan.unpolled.push_back(
          {point, Error{ErrorKind::kNotSupported, 0, "not polled on this meter"}});
    }
  }
  return plan;
}

MeterReading assemble_live_read(const LiveReadPlan& plan,
                                const std::vector<MeterReading>& readings) {
  MeterReading out;
  for (const std::string& point : plan.points) {
    const auto unpolled = std::find_if(plan.unpolled.begin(), plan.unpolled.end(),
                                       [&](const PointError& e) { return e.name == point; });
    if (unpolled != plan.unpolled.end()) {
      out.errors.push_back(*unpolled);
      continue;
    }
    if (!take_point(point, readings, out)) {
      out.errors.push_back(
          {point, Error{ErrorKind::kMalformed, 0, "the meter's reply did not include it"}});
    }
  }
  return out;
}

}  // namespace meterd
