// SPDX-License-Identifier: Apache-2.0
// Meters of one model share one profile tree (MeterSpec::profile_settings): a plugin's
// factory parses, and reports the errors of, each tree once, and its meters share the result.
// Used by the factory on the thread that builds the bus; not shared across buses.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <utility>

namespace meterd::plugin {

// `Key` is what makes two meters' profiles the same: the tree's address, with anything else
// the parse depends on (a protocol variant).
template <typename Key, typename Profile>
class ProfileCache {
 public:
  // The profile of `key`, parsed by `parse` (a callable returning std::optional<Profile>) the
  // first time only. A failed parse is kept as nullptr, so its errors are reported once.
  template <typename Parse>
  std::shared_ptr<const Profile> get(const Key& key, Parse&& parse) {
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    std::shared_ptr<const Profile> profile;
    if (std::optional<Profile> parsed = std::forward<Parse>(parse)()) {
      profile = std::make_shared<const Profile>(std::move(*parsed));
    }
    cache_.emplace(key, profile);
    return profile;
  }

 private:
  std::map<Key, std::shared_ptr<const Profile>> cache_;
};

}  // namespace meterd::plugin
