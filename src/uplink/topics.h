// SPDX-License-Identifier: Apache-2.0
// Topic names and payloads of the uplink, composed as strings. Pure functions: no I/O, no
// state, callable from any thread. The payload of an outbox row is the row's body object with
// the self-describing header fields spliced in front, so the body is never re-parsed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace meterd {

// "telemetry", "event", "result", "stats".
const char* to_string(OutboxKind kind);

// "meterd/v1/<gateway_id>/".
std::string topic_root(std::string_view gateway_id);

// The topic commands arrive on, under `root`: cmd.
std::string command_topic(std::string_view root);

// The topic of an outbox row under `root`: meters/<meter>/telemetry, meters/<meter>/events,
// events (gateway-level event), cmd/result, meters/<meter>/stats, accounts/<account>/stats.
std::string outbox_topic(std::string_view root, const OutboxRow& row);

// Who a message comes from: the configured gateway and the identity of its store.
struct MessageOrigin {
  std::string_view gateway_id;
  std::string_view store_id;
};

// The topic of a pack of outbox rows under `root`: batch.
std::string batch_topic(std::string_view root);

// {"seq":N,"store_id":"..","gw":"..","meter":"..","ts":<unix ms>,"kind":"..",<body members>}.
// "meter" is left out when the row has no meter; an account's summary has "account" instead. A body
// that is not a JSON object (a broken invariant) is dropped and only the header is sent.
std::string outbox_payload(const MessageOrigin& origin, const OutboxRow& row);

// A pack: the JSON array of the rows' outbox_payload() objects, in the given order.
std::string pack_payload(const MessageOrigin& origin, const std::vector<OutboxRow>& rows);

// An upper bound of outbox_payload(origin, row).size() plus one (a separator in a pack),
// computed without building the payload.
std::size_t outbox_payload_bound(const MessageOrigin& origin, const OutboxRow& row);

// The retained status: {"state":"online"|"offline","gw":"..","store_id":"..","ts":<unix ms>,
// "version":".."}.
std::string status_payload(bool online, const MessageOrigin& origin, std::int64_t ts_ms,
                           std::string_view version);

// `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

}  // namespace meterd
