// SPDX-License-Identifier: Apache-2.0
#include "modbus/driver/plan.h"

#include <algorithm>
#include <numeric>

#include "modbus/codec/frame.h"

namespace meterd::modbus {
namespace {

std::uint32_t end_of(const RegisterSpan& s) { return std::uint32_t{s.address} + s.count; }

bool inside(const RegisterSpan& point, const RegisterSpan& block) {
  return point.fc == block.fc && point.address >= block.address && end_of(point) <= end_of(block);
}

}  // namespace

std::vector<PlannedRead> plan_reads(std::span<const RegisterSpan> points,
                                    std::span<const RegisterSpan> blocks, std::uint16_t max_gap) {
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (points[a].fc != points[b].fc) return points[a].fc < points[b].fc;
    return points[a].address < points[b].address;
  });

  std::vector<PlannedRead> reads;
  std::vector<int> block_read(blocks.size(), -1);  // index into reads, once used
  std::vector<std::size_t> loose;
  for (std::size_t i : order) {
    auto block = std::find_if(blocks.begin(), blocks.end(),
                              [&](const RegisterSpan& b) { return inside(points[i], b); });
    if (block == blocks.end()) {
      loose.push_back(i);
      continue;
    }
    const auto b = static_cast<std::size_t>(block - blocks.begin());
    if (block_read[b] < 0) {
      block_read[b] = static_cast<int>(reads.size());
      reads.push_back({*block, {}});
    }
    reads[static_cast<std::size_t>(block_read[b])].points.push_back(i);
  }

  PlannedRead* open = nullptr;
  for (std::size_t i : loose) {
    const RegisterSpan& p = points[i];
    if (open != nullptr && open->span.fc == p.fc) {
      const std::uint32_t start = open->span.address;
      const std::uint32_t end = std::max(end_of(open->span), end_of(p));
      const bool near = p.address <= end_of(open->span) + max_gap;
      if (near && end - start <= kMaxReadRegisters) {
        open->span.count = static_cast<std::uint16_t>(end - start);
        open->points.push_back(i);
        continue;
      }
    }
    reads.push_back({p, {i}});
    open = &reads.back();
  }
  return reads;
}

}  // namespace meterd::modbus
