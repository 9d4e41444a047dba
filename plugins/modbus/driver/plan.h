// SPDX-License-Identifier: Apache-2.0
// The read planner: turns the points one poll group asks of one meter into the fewest
// register reads. Points inside a profile's declared read block are read with that block
// (some meters answer only their documented blocks); the rest are coalesced per function
// code in address order, bridging gaps of up to `max_gap` unused registers, each read at most
// 125 registers. Pure; planned once at start-up.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace meterd::modbus {

struct RegisterSpan {
  std::uint8_t fc = 3;
  std::uint16_t address = 0;
  std::uint16_t count = 1;
};

struct PlannedRead {
  RegisterSpan span;
  std::vector<std::size_t> points;  // indexes into the planner's input, ascending address
};

std::vector<PlannedRead> plan_reads(std::span<const RegisterSpan> points,
                                    std::span<const RegisterSpan> blocks, std::uint16_t max_gap);

}  // namespace meterd::modbus
