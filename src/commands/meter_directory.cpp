// SPDX-License-Identifier: Apache-2.0
#include "commands/meter_directory.h"

namespace meterd {

void MeterDirectory::add(const std::string& meter_id, std::map<std::string, std::string> tags) {
  tags_[meter_id] = std::move(tags);
}

std::vector<std::string> MeterDirectory::resolve(const CommandTarget& target) const {
  if (const auto* one = std::get_if<MeterTarget>(&target)) return {one->meter};
  if (const auto* list = std::get_if<MeterListTarget>(&target)) return list->meters;
  std::vector<std::string> meters;
  if (const auto* selector = std::get_if<TagSelector>(&target)) {
    for (const auto& [meter, tags] : tags_) {
      bool matches = true;
      for (const auto& [key, value] : selector->tags) {
        auto tag = tags.find(key);
        matches = matches && tag != tags.end() && tag->second == value;
      }
      if (matches) meters.push_back(meter);
    }
  }
  return meters;
}

}  // namespace meterd
