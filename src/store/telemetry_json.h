// SPDX-License-Identifier: Apache-2.0
// Outbox bodies: the kind-specific JSON object of each outbox row. Pure functions, no I/O;
// hand-composed because telemetry is encoded once per poll of every meter.
//
// Telemetry: {"group":"fast","values":{"energy_total":123456,"power_total":812.5,
//             "relay_closed":true},"errors":{"balance":"timeout: no reply"}}
//   ("errors" is omitted when empty; an integer point stays an integer, a double always has a
//   '.' or an exponent; a NaN or infinite double is not a JSON number, so it is left out of
//   "values" and reported in "errors" as "non_finite: <value>").
// Event: {"event":"meter_offline","details":{...}}
#pragma once

#include <string>
#include <string_view>

#include "core/event.h"
#include "core/point.h"

namespace meterd {

struct Telemetry;

std::string encode_telemetry_body(const Telemetry& telemetry);

// `details_json` must be a JSON object; anything else is kept as a string under
// {"invalid_details": "..."} so a bad producer never corrupts a message.
std::string encode_event_body(const Event& event);

// The details object to store for an event: details_json when it is a JSON object, else the
// wrapped form above.
std::string sanitize_details(std::string_view details_json);

// Appends `text` as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view text);

}  // namespace meterd
