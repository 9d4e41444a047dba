// SPDX-License-Identifier: Apache-2.0
#include "app/meter_board.h"

#include <algorithm>

namespace meterd {

const char* meter_link_name(MeterLink link) {
  switch (link) {
    case MeterLink::kOnline:
      return "online";
    case MeterLink::kOffline:
      return "offline";
    default:
      return "unknown";
  }
}

void MeterBoard::set_meters(const std::vector<std::pair<std::string, std::string>>& meter_and_bus) {
  std::vector<MeterBoardEntry> next;
  next.reserve(meter_and_bus.size());
  std::map<std::string, std::size_t> index;
  for (const auto& [meter, bus] : meter_and_bus) {
    MeterBoardEntry entry;
    if (const MeterBoardEntry* known = find(meter)) entry = *known;
    entry.meter_id = meter;
    entry.bus = bus;
    index[meter] = next.size();
    next.push_back(std::move(entry));
  }
  entries_ = std::move(next);
  index_ = std::move(index);
}

MeterBoardEntry* MeterBoard::find(const std::string& meter_id) {
  const auto it = index_.find(meter_id);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

void MeterBoard::seen(const BusOutput& output) {
  if (const auto* polled = std::get_if<MeterPolled>(&output)) {
    MeterBoardEntry* entry = find(polled->meter_id);
    if (!entry) return;
    // A poll result of a meter not yet known to answer: online from now (the bus worker
    // reports coming online only after an offline spell).
    if (entry->link == MeterLink::kUnknown) {
      entry->link = MeterLink::kOnline;
      entry->since = polled->time;
    }
    entry->last_reading = polled->time;
    return;
  }
  if (const auto* change = std::get_if<MeterStateChanged>(&output)) {
    MeterBoardEntry* entry = find(change->meter_id);
    if (!entry) return;
    entry->link = change->online ? MeterLink::kOnline : MeterLink::kOffline;
    entry->since = change->time;
    entry->offline_reason = change->online ? "" : change->reason;
  }
}

std::int64_t MeterBoard::count(MeterLink link) const {
  return std::count_if(entries_.begin(), entries_.end(),
                       [link](const MeterBoardEntry& e) { return e.link == link; });
}

}  // namespace meterd
