// SPDX-License-Identifier: Apache-2.0
// Expands a `meters:` entry with `count:` into one entry per meter. The counter runs from
// `first` (default 1) for `count` meters and replaces `{n}` (or `{n:0W}`, zero-padded to W
// digits) in every scalar of the entry, at any depth. Pure function; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/settings.h"

namespace meterd {

// What the meter entries of one file may expand to in all, so that an absurd `count:` (or
// many of them, or a large aliased entry counted many times) is a configuration error and not
// an out-of-memory. Each expansion takes its share.
struct ExpansionBudget {
  static constexpr std::int64_t kMaxMeters = 20'000;
  static constexpr std::int64_t kMaxNodes = 500'000;  // settings nodes in all the copies
  std::int64_t meters = kMaxMeters;
  std::int64_t nodes = kMaxNodes;
};

// Returns the meter entries `entry` stands for, without the `count` and `first` keys.
// An entry without `count` comes back as itself. Problems with `count`/`first` (range, an id
// without `{n}`, more than `budget` has left) are reported to `errors`; the entry is then
// returned once, so the rest of it is still validated.
std::vector<SettingsNode> expand_meter_entry(const SettingsNode& entry, ConfigErrors& errors,
                                             ExpansionBudget& budget);
// The same with a budget of its own (one entry alone).
std::vector<SettingsNode> expand_meter_entry(const SettingsNode& entry, ConfigErrors& errors);

// True when `text` holds a `{n}` or `{n:0W}` placeholder.
bool has_counter(const std::string& text);
// `text` with every placeholder replaced by `n`.
std::string substitute_counter(const std::string& text, std::int64_t n);

}  // namespace meterd
