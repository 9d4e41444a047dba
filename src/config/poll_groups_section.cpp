// SPDX-License-Identifier: Apache-2.0
#include <map>
#include <set>

#include "config/config_sections.h"
#include "core/point.h"
#include "core/settings_reader.h"

namespace meterd {
namespace {

using std::chrono::milliseconds;

void read_points(const SettingsNode& list, PollGroupSpec& group, ConfigErrors& errors) {
  if (list.items.empty()) errors.add(list.pos, "'points' must list at least one point");
  std::set<std::string> seen;
  for (const auto& item : list.items) {
    if (!item.is_scalar()) {
      errors.add(item.pos,
                 std::string("'points' entries must be point names, not a ") + item.kind_name());
    } else if (!find_point(item.scalar)) {
      errors.add(item.pos, "unknown point '" + item.scalar + "'");
    } else if (!seen.insert(item.scalar).second) {
      errors.add(item.pos, "point '" + item.scalar + "' is listed twice");
    } else {
      group.points.push_back(item.scalar);
    }
  }
}

}  // namespace

std::vector<PollGroupSpec> read_poll_groups_section(const SettingsNode& list,
                                                    ConfigErrors& errors) {
  std::vector<PollGroupSpec> groups;
  if (list.items.empty()) errors.add(list.pos, "'poll_groups' must list at least one group");
  std::map<std::string, SourcePos> first;
  for (const auto& item : list.items) {
    SettingsReader r(item, errors, describe_item("poll group", item, "name"));
    if (!item.is_map()) continue;
    PollGroupSpec group;
    group.name = r.required_string("name");
    bool usable = !group.name.empty();
    if (usable && !is_valid_name(group.name, 64, "_.-")) {
      errors.add(r.any("name")->pos, "poll group name '" + group.name +
                                         "' may only hold letters, digits, '_', '.', '-' "
                                         "(at most 64)");
    }
    if (usable) {
      const SourcePos& pos = r.any("name")->pos;
      auto [it, inserted] = first.emplace(group.name, pos);
      if (!inserted) {
        errors.add(pos, "duplicate poll group '" + group.name + "' (first at " +
                            first_at(it->second, pos) + ")");
        usable = false;
      }
    }
    group.interval =
        r.duration("interval", milliseconds(10'000), milliseconds(100), std::chrono::hours(24));
    if (const SettingsNode* points = r.sequence("points", true)) {
      read_points(*points, group, errors);
    }
    r.finish();
    if (usable) groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace meterd
