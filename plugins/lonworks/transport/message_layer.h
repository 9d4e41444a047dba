// SPDX-License-Identifier: Apache-2.0
// The LonTalk transaction layer of the gateway node: sends requests (REQUEST -> RESPONSE,
// ACKD -> ACK) over the links with 4-bit transaction ids, a transmit timer and retries that
// reuse the transaction id (so a node's duplicate detection answers a repeat from memory),
// and keeps many transactions in flight on a channel at once, bounded in total and per
// node. Replies are matched by link, source node, transaction id and service; anything else
// (late, duplicate, wrong transaction id, not for us) is counted and dropped. An ACKD message
// a node sends to the gateway is acknowledged; service-pin messages are remembered for
// discovery. Used by the bus thread only; every wait is bounded by the requests' timers.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "lonworks/codec/apdu.h"
#include "lonworks/codec/lon_message.h"
#include "lonworks/transport/link.h"

namespace meterd::lonworks {

struct MessageLayerConfig {
  Domain domain;
  SubnetNode self{1, 126};                 // the gateway's own address
  std::size_t max_in_flight = 32;          // on all links together
  std::size_t max_in_flight_per_node = 1;  // 1..15 (transaction ids must stay distinct)
};

struct LonRequest {
  std::size_t link = 0;
  SubnetNode node;
  Service service = Service::kRequest;  // kRequest or kAckd
  std::vector<std::uint8_t> apdu;
  Millis attempt_timeout{200};  // the transmit timer
  int retries = 2;              // repeats after the first attempt
};

struct LonReply {
  Service service = Service::kResponse;  // kResponse or kAck
  std::vector<std::uint8_t> apdu;        // empty for an ACK
  int attempts = 1;
};

struct MessageStats {
  std::uint64_t transactions = 0;
  std::uint64_t retries = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t unmatched = 0;  // late, duplicate or wrong-transaction-id replies
  std::uint64_t not_for_us = 0;
  std::uint64_t acks_sent = 0;  // to unsolicited ACKD messages
  std::uint64_t service_pins = 0;
};

struct HeardIdentity {
  std::size_t link = 0;
  SubnetNode node;
  NodeIdentity identity;
};

class MessageLayer {
 public:
  MessageLayer(MessageLayerConfig config, std::vector<std::unique_ptr<Link>> links,
               const Clock& clock);

  Status open();
  void close();
  bool is_open() const { return open_; }

  // Runs every request to its end and returns one result per request, in order: the reply,
  // kTimeout after the last retry, or kBusError when a link failed.
  std::vector<Result<LonReply>> exchange(std::span<const LonRequest> requests);

  // Sends `apdu` as a REQUEST to the whole domain on `link` and gathers every response for
  // `window` (discovery: Query ID).
  Result<std::vector<LonMessage>> broadcast_request(std::size_t link,
                                                    std::vector<std::uint8_t> apdu, Millis window);

  std::vector<HeardIdentity> take_service_pins();
  const MessageStats& stats() const { return stats_; }
  std::size_t link_count() const { return links_.size(); }
  const Link& link(std::size_t index) const { return *links_[index]; }
  const MessageLayerConfig& config() const { return config_; }

 private:
  // Waits until a datagram arrives or `deadline`; false on a poll error.
  bool wait_readable(SteadyTime deadline);
  // Every message waiting on every link, with the link it came on.
  std::vector<std::pair<std::size_t, LonMessage>> drain_links();
  // Handles a message no transaction claimed: acknowledges ACKD, notes service pins.
  void handle_unclaimed(std::size_t link, const LonMessage& message);
  LonMessage outgoing(const LonRequest& request, std::uint8_t tid) const;

  MessageLayerConfig config_;
  std::vector<std::unique_ptr<Link>> links_;
  const Clock& clock_;
  bool open_ = false;
  MessageStats stats_;
  std::vector<HeardIdentity> service_pins_;
  // The last transaction id used towards each node, so consecutive transactions differ.
  std::map<std::pair<std::size_t, std::uint16_t>, std::uint8_t> last_tid_;
  std::uint8_t broadcast_tid_ = 0;
};

}  // namespace meterd::lonworks
