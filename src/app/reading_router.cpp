// SPDX-License-Identifier: Apache-2.0
#include "app/reading_router.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/json_text.h"

namespace meterd {

void ReadingRouter::route(BusOutput output) {
  board_.seen(output);
  if (auto* polled = std::get_if<MeterPolled>(&output)) {
    std::string relay;
    if (engine_) {
      engine_->on_reading(*polled);
      // A poll that reads the relay carries the engine's view of it (docs/mqtt-api.md).
      const bool reads_relay =
          std::any_of(polled->reading.values.begin(), polled->reading.values.end(),
                      [](const PointValue& v) { return v.name == "relay_closed"; });
      if (reads_relay) relay = engine_->relay_json(polled->meter_id).value_or("");
    }
    store_.append_telemetry(Telemetry{polled->meter_id, polled->group, polled->time,
                                      std::move(polled->reading.values),
                                      std::move(polled->reading.errors), std::move(relay)});
    return;
  }
  if (auto* seen = std::get_if<DriverEventSeen>(&output)) {
    store_.append_event(Event{std::move(seen->event.type), std::move(seen->meter_id), seen->time,
                              std::move(seen->event.details_json)});
    return;
  }
  auto& change = std::get<MeterStateChanged>(output);
  if (engine_) engine_->on_meter_state(change.meter_id, change.online, change.time);
  nlohmann::json details = nlohmann::json::object();
  if (!change.online) details["reason"] = change.reason;
  store_.append_event(Event{change.online ? "meter_online" : "meter_offline", change.meter_id,
                            change.time, json_text(details)});
}

}  // namespace meterd
