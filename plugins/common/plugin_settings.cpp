// SPDX-License-Identifier: Apache-2.0
#include "common/plugin_settings.h"

namespace meterd::plugin {

const SettingsNode& map_or_empty(const SettingsNode& node, SettingsNode& empty) {
  if (!node.is_null()) return node;
  empty.kind = SettingsNode::Kind::kMap;
  empty.pos = node.pos;
  return empty;
}

}  // namespace meterd::plugin
