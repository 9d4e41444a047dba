// SPDX-License-Identifier: Apache-2.0
// The meters of the site as commands address them: by id, by list, or by tags from the
// configuration (building, floor ...). Built once per configuration; pure lookups.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "commands/command.h"

namespace meterd {

class MeterDirectory {
 public:
  void add(const std::string& meter_id, std::map<std::string, std::string> tags);
  bool has(const std::string& meter_id) const { return tags_.count(meter_id) > 0; }
  // The meters a target names, in the order given (a selector: in id order). Unknown ids are
  // returned too: each gets its own failed result.
  std::vector<std::string> resolve(const CommandTarget& target) const;

 private:
  std::map<std::string, std::map<std::string, std::string>> tags_;
};

}  // namespace meterd
