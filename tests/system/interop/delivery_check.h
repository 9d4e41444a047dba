// SPDX-License-Identifier: Apache-2.0
// The delivery contract as the cloud side checks it over every outbox topic (telemetry, events
// and cmd/result): each (store_id, seq) the broker acknowledged arrives, a duplicate repeats a
// seq with the same payload, and a command is answered once (one result seq per final state,
// however often the broker repeats that result).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/mqtt_collector.h"
#include "system/daemon_harness.h"

namespace meterd::test {

struct Delivered {
  std::set<std::int64_t> seqs;
  std::set<std::string> store_ids;
  std::size_t duplicates = 0;
  std::vector<std::int64_t> conflicting;  // repeated seqs whose payload differed
};
Delivered delivered(const MqttCollector::Messages& messages);

// delivered(), one message at a time, for a run too long to keep every message: a repeated
// seq is compared by a hash of its parsed row (so a row repeated in a pack, re-serialized,
// matches the row sent alone).
class DeliveryTally {
 public:
  // False when the message is not an outbox row (another topic, no integer seq).
  bool add(const CollectedMessage& message);
  const Delivered& result() const { return d_; }

 private:
  Delivered d_;
  std::map<std::int64_t, std::size_t> content_hashes_;
};

// The seqs of `view` that left the outbox (the broker acknowledged them) but are not in `d`.
std::vector<std::int64_t> missing_from(const StoreView& view, const Delivered& d);

// Waits until every seq of `view` that left the outbox has reached `collector`; the ones still
// missing once a whole `quiet` passed in which none arrived.
std::vector<std::int64_t> wait_for_every_acknowledged_seq(MqttCollector& collector,
                                                          const StoreView& view,
                                                          std::chrono::milliseconds quiet);

// Distinct result seqs of command `id` in a final state (done, failed, cancelled).
std::size_t answers(const MqttCollector::Messages& messages, const std::string& id);

}  // namespace meterd::test
