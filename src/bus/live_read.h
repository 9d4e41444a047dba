// SPDX-License-Identifier: Apache-2.0
// The pure half of a live read (BusWorker::submit_read): which poll groups to read for a set
// of requested points, and how to cut the groups' readings down to the points asked for. No
// I/O and no threads; the bus thread does the reading in between.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/driver.h"

namespace meterd {

struct LiveReadPlan {
  std::vector<std::string> points;   // requested, duplicates removed, in request order
  std::vector<std::size_t> groups;   // every group polling a requested point, each once, in order
  std::vector<PointError> unpolled;  // requested points no group polls: kNotSupported
};

// Plans the reads for `points` from the bus's poll groups (shared by all its meters).
LiveReadPlan plan_live_read(const std::vector<PollGroupSpec>& groups,
                            const std::vector<std::string>& points);

// The reply: for each requested point in request order, its value or its per-point error
// from the first group reading that mentions it (a point polled by no group gets the plan's
// kNotSupported; one the meter's replies omitted gets kMalformed). `readings[i]` is the
// reading of `plan.groups[i]`.
MeterReading assemble_live_read(const LiveReadPlan& plan,
                                const std::vector<MeterReading>& readings);

}  // namespace meterd
