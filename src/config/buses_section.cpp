// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <map>
#include <set>

#include "config/config_sections.h"
#include "config/meter_expansion.h"
#include "config/profile_library.h"
#include "core/settings_reader.h"

namespace meterd {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kNameChars = "_.-";

// Remembers where each name was first seen, to report duplicates with that position (another
// file's when a drop-in repeats a name).
class UniqueNames {
 public:
  explicit UniqueNames(std::string what) : what_(std::move(what)) {}
  // True when `name` is new; otherwise reports the duplicate at `pos`.
  bool add(const std::string& name, const SourcePos& pos, ConfigErrors& errors) {
    auto [it, inserted] = first_.emplace(name, pos);
    if (!inserted) {
      errors.add(pos, "duplicate " + what_ + " '" + name + "' (first at " +
                          first_at(it->second, pos) + ")");
    }
    return inserted;
  }

 private:
  std::string what_;
  std::map<std::string, SourcePos> first_;
};

std::map<std::string, std::string> read_tags(const SettingsNode& node, ConfigErrors& errors) {
  std::map<std::string, std::string> tags;
  for (const auto& entry : node.entries) {
    if (!entry.value.is_scalar()) {
      errors.add(entry.value.pos,
                 "tag '" + entry.key + "' must be a scalar, not a " + entry.value.kind_name());
      continue;
    }
    tags[entry.key] = entry.value.scalar;
  }
  return tags;
}

// One expanded meter entry. Core keys are read here; the rest is the plugin's.
void read_meter(const SettingsNode& node, BusConfig& bus, UniqueNames& ids,
                ProfileLibrary& profiles, ConfigErrors& errors) {
  SettingsReader r(node, errors, describe_item("meter", node, "id"));
  if (!node.is_map()) return;
  MeterSpec meter;
  meter.id = r.required_string("id");
  if (!meter.id.empty()) {
    const SourcePos& pos = r.any("id")->pos;
    if (!is_valid_name(meter.id, 64, kNameChars)) {
      errors.add(pos, "meter id '" + meter.id +
                          "' may only hold letters, digits, '_', '.', '-' (at most 64); it is "
                          "part of MQTT topics");
    }
    ids.add(meter.id, pos, errors);
  }
  meter.timeout =
      r.duration("timeout", milliseconds(500), milliseconds(10), std::chrono::seconds(30));
  std::map<std::string, std::string> tags;
  if (const SettingsNode* t = r.map("tags")) tags = read_tags(*t, errors);
  if (r.has("profile")) {
    meter.profile = r.required_string("profile");
    if (!meter.profile.empty()) {
      meter.profile_settings = profiles.load(meter.profile, r.any("profile")->pos, errors);
    }
  }
  meter.settings = r.rest();
  if (!tags.empty()) bus.meter_tags[meter.id] = std::move(tags);
  bus.spec.meters.push_back(std::move(meter));
}

// `groups:` of a bus: copies of the named poll groups, in the order listed; all when absent.
std::vector<PollGroupSpec> select_groups(const SettingsNode* list,
                                         const std::vector<PollGroupSpec>& groups,
                                         ConfigErrors& errors) {
  if (!list) return groups;
  std::vector<PollGroupSpec> selected;
  if (list->items.empty()) errors.add(list->pos, "'groups' must name at least one poll group");
  std::set<std::string> seen;
  for (const auto& item : list->items) {
    if (!item.is_scalar()) {
      errors.add(item.pos, std::string("'groups' entries must be poll group names, not a ") +
                               item.kind_name());
      continue;
    }
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const PollGroupSpec& g) { return g.name == item.scalar; });
    if (it == groups.end()) {
      errors.add(item.pos, "unknown poll group '" + item.scalar + "'");
    } else if (!seen.insert(item.scalar).second) {
      errors.add(item.pos, "poll group '" + item.scalar + "' is listed twice");
    } else {
      selected.push_back(*it);
    }
  }
  return selected;
}

BusConfig read_bus(const SettingsNode& node, const std::vector<PollGroupSpec>& groups,
                   UniqueNames& names, UniqueNames& ids, ProfileLibrary& profiles,
                   ExpansionBudget& budget, ConfigErrors& errors) {
  SettingsReader r(node, errors, describe_item("bus", node, "name"));
  BusConfig bus;
  bus.pos = node.pos;
  if (!node.is_map()) return bus;
  bus.spec.name = r.required_string("name");
  if (!bus.spec.name.empty()) {
    const SourcePos& pos = r.any("name")->pos;
    if (!is_valid_name(bus.spec.name, 64, kNameChars)) {
      errors.add(pos, "bus name '" + bus.spec.name +
                          "' may only hold letters, digits, '_', '.', '-' (at most 64)");
    }
    names.add(bus.spec.name, pos, errors);
  }
  bus.spec.protocol = r.required_string("protocol");
  if (!bus.spec.protocol.empty() && !is_valid_name(bus.spec.protocol, 32, "_-")) {
    errors.add(r.any("protocol")->pos,
               "protocol '" + bus.spec.protocol +
                   "' may only hold letters, digits, '_', '-' (it names meterd-<protocol>.so)");
    bus.spec.protocol.clear();  // a partial config must not lead anyone to load such a path
  }
  bus.offline_after_failures = static_cast<int>(r.integer("offline_after_failures", 3, 1, 100));
  bus.backoff_interval = r.duration("backoff_interval", std::chrono::seconds(60),
                                    std::chrono::seconds(1), std::chrono::hours(24));
  bus.spec.groups = select_groups(r.sequence("groups"), groups, errors);
  if (const SettingsNode* meters = r.sequence("meters", true)) {
    if (meters->items.empty()) errors.add(meters->pos, "'meters' must list at least one meter");
    // The copies of a `count:` entry share positions; load() reports each problem once.
    for (const auto& entry : meters->items) {
      const std::vector<SettingsNode> expanded = expand_meter_entry(entry, errors, budget);
      bus.spec.meters.reserve(bus.spec.meters.size() + expanded.size());
      for (const auto& meter : expanded) read_meter(meter, bus, ids, profiles, errors);
    }
  }
  bus.spec.settings = r.rest();
  return bus;
}

}  // namespace

std::vector<BusConfig> read_buses_section(const SettingsNode& list,
                                          const std::vector<PollGroupSpec>& groups,
                                          const std::string& profile_dir, ConfigErrors& errors) {
  std::vector<BusConfig> buses;
  if (list.items.empty()) errors.add(list.pos, "'buses' must list at least one bus");
  UniqueNames names("bus name");
  UniqueNames ids("meter id");
  ProfileLibrary profiles(profile_dir);
  ExpansionBudget budget;
  for (const auto& item : list.items) {
    buses.push_back(read_bus(item, groups, names, ids, profiles, budget, errors));
  }
  return buses;
}

}  // namespace meterd
