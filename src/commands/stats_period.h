// SPDX-License-Identifier: Apache-2.0
// The local periods of the stats op as the wire writes them ("2026-03-01" for a day,
// "2026-03" for a month) and as the rollups key them (yyyymmdd, yyyymm): parsing, counting,
// formatting and shifting by whole months (for mom and yoy). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/usage_rollup.h"

namespace meterd {

// nullopt: not a valid date (month) in the granularity's form.
std::optional<std::int32_t> parse_stats_period(std::string_view text, UsageGranularity g);
std::string format_stats_period(std::int32_t key, UsageGranularity g);
// The periods in from..to, both included (from <= to).
int stats_period_count(std::int32_t from, std::int32_t to, UsageGranularity g);
// `key` moved by `months` (negative: back); a day past the end of its new month becomes the
// month's last day (2026-03-31 a month back is 2026-02-28).
std::int32_t shift_stats_period(std::int32_t key, UsageGranularity g, int months);

}  // namespace meterd
