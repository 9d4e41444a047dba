// SPDX-License-Identifier: Apache-2.0
// The message layer against the node simulator on loopback UDP (both links): NV polls,
// NV updates, retries that reuse the transaction id, duplicate detection on both ends, and
// the faults a channel shows (silent node, late, duplicated, wrong-transaction-id and
// malformed replies).
#include <gtest/gtest.h>

#include "lonworks/codec/snvt.h"
#include "sim_channel.h"

namespace meterd::lonworks {
namespace {

using testing::SimChannel;

LonRequest poll_request(std::uint8_t node, std::uint16_t index, Millis timer = Millis(100),
                        int retries = 2) {
  LonRequest r;
  r.node = {1, node};
  r.service = Service::kRequest;
  r.apdu = encode_nv({selector_of_unbound_index(index), false, {}}).value();
  r.attempt_timeout = timer;
  r.retries = retries;
  return r;
}

LonRequest relay_update(std::uint8_t node, bool close, Millis timer, int retries) {
  LonRequest r;
  r.node = {1, node};
  r.service = Service::kAckd;
  r.apdu =
      encode_nv({selector_of_unbound_index(sim::nv::kRelayCommand), false, encode_switch(close)})
          .value();
  r.attempt_timeout = timer;
  r.retries = retries;
  return r;
}

double volts(const Result<LonReply>& reply) {
  EXPECT_TRUE(reply) << (reply ? "" : reply.error().message);
  if (!reply) return -1;
  auto nv = decode_nv(reply.value().apdu);
  EXPECT_TRUE(nv);
  auto value = decode_snvt(*find_snvt("SNVT_volt"), nv.value().data);
  return value ? value.value().value : -1;
}

MessageLayer make_layer(SimChannel& sim, const Clock& clock, std::size_t window = 32) {
  std::vector<std::unique_ptr<Link>> links;
  links.push_back(sim.make_link(clock));
  MessageLayerConfig config;
  config.max_in_flight = window;
  return MessageLayer(config, std::move(links), clock);
}

class BothLinks : public ::testing::TestWithParam<sim::SimLink> {};

TEST_P(BothLinks, NvPollsOfEveryNodeComeBackWithThatNodesValue) {
  SystemClock clock;
  SimChannel sim(GetParam(), 8, clock);
  sim.start();
  MessageLayer layer = make_layer(sim, clock);
  ASSERT_TRUE(layer.open());
  std::vector<LonRequest> requests;
  for (std::uint8_t n = 1; n <= 8; ++n) requests.push_back(poll_request(n, sim::nv::kVoltage));
  const auto replies = layer.exchange(requests);
  ASSERT_EQ(replies.size(), 8u);
  for (std::uint8_t n = 1; n <= 8; ++n) {
    EXPECT_DOUBLE_EQ(volts(replies[n - 1]), 230.0 + n / 10.0) << "node " << int(n);
  }
}

TEST_P(BothLinks, DiscoveryHearsEveryNodesNeuronIdAndProgramId) {
  SystemClock clock;
  SimChannel sim(GetParam(), 5, clock);
  sim.start();
  MessageLayer layer = make_layer(sim, clock);
  ASSERT_TRUE(layer.open());
  auto responses = layer.broadcast_request(0, build_query_id(3), Millis(300));
  ASSERT_TRUE(responses);
  ASSERT_EQ(responses.value().size(), 5u);
  std::set<int> nodes;
  for (const auto& m : responses.value()) {
    auto identity = parse_identity(m.apdu);
    ASSERT_TRUE(identity);
    EXPECT_EQ(identity.value().neuron_id[5], m.source.node);
    nodes.insert(m.source.node);
  }
  EXPECT_EQ(nodes.size(), 5u);
}

INSTANTIATE_TEST_SUITE_P(Links, BothLinks,
                         ::testing::Values(sim::SimLink::kLsUdp, sim::SimLink::kIp852));

TEST(MessageLayer, LateAckIsRetriedWithTheSameTransactionIdAndTheUpdateAppliedOnce) {
  SystemClock clock;
  SimChannel sim(sim::SimLink::kLsUdp, 2, clock);
  sim.channel().set_faults({1, 1}, sim::NodeFaults{false, Millis(120), false, false, false});
  sim.start();
  MessageLayer layer = make_layer(sim, clock);
  ASSERT_TRUE(layer.open());
  const LonRequest request = relay_update(1, false, Millis(50), 6);
  auto replies = layer.exchange(std::span(&request, 1));
  ASSERT_TRUE(replies[0]) << replies[0].error().message;
  EXPECT_EQ(replies[0].value().service, Service::kAck);
  EXPECT_GT(replies[0].value().attempts, 1);
  EXPECT_GT(layer.stats().retries, 0u);
  sim.stop();
  const auto& node = *sim.channel().find({1, 1});
  EXPECT_EQ(node.stats().updates, 1u);  // the repeats were duplicates, answered from memory
  EXPECT_GT(node.stats().duplicates_answered, 0u);
  EXPECT_FALSE(node.relay_closed());
}

TEST(MessageLayer, ASilentNodeTimesOutAfterItsRetriesWhileTheOthersAnswer) {
  SystemClock clock;
  SimChannel sim(sim::SimLink::kLsUdp, 4, clock);
  sim.channel().set_faults({1, 3}, sim::NodeFaults{true, Millis(0), false, false, false});
  sim.start();
  MessageLayer layer = make_layer(sim, clock);
  ASSERT_TRUE(layer.open());
  std::vector<LonRequest> requests;
  for (std::uint8_t n = 1; n <= 4; ++n)
    requests.push_back(poll_request(n, sim::nv::kVoltage, Millis(100), 2));
  const auto replies = layer.exchange(requests);
  for (std::uint8_t n : {1, 2, 4}) EXPECT_DOUBLE_EQ(volts(replies[n - 1]), 230.0 + n / 10.0);
  ASSERT_FALSE(replies[2]);
  EXPECT_EQ(replies[2].error().kind, ErrorKind::kTimeout);
  EXPECT_NE(replies[2].error().message.find("3 attempts"), std::string::npos);
  EXPECT_GE(layer.stats().retries, 2u);  // a busy machine may make a healthy node repeat too
  EXPECT_EQ(layer.stats().timeouts, 1u);
}

TEST(MessageLayer, RepliesWithAWrongTransactionIdAreNotTakenAsAnswers) {
  SystemClock clock;
  SimChannel sim(sim::SimLink::kLsUdp, 1, clock);
  sim.channel().set_faults({1, 1}, sim::NodeFaults{false, Millis(0), false, true, false});
  sim.start();
  MessageLayer layer = make_layer(sim, clock);
  ASSERT_TRUE(layer.open());
  const LonRequest request = poll_request(1, sim::nv::kVoltage, Millis(40), 1);
  auto replies = layer.exchange(std::span(&request, 1));
  ASSERT_FALSE(replies[0]);
  EXPECT_EQ(replies[0].error().kind, ErrorKind::kTimeout);
  EXPECT_GE(layer.stats().unmatched, 1u);
}

TEST(MessageLayer, MalformedRepliesAreDroppedAndCounted) {
  SystemClock clock;
  SimChannel sim(sim::SimLink::kIp852, 1, clock);
  sim.channel().set_faults({1, 1}, sim::NodeFaults{false, Millis(0), false, false, true});
  sim.start();
  MessageLayer layer = make_layer(sim, clock);
  ASSERT_TRUE(layer.open());
  const LonRequest request = poll_request(1, sim::nv::kVoltage, Millis(40), 1);
  auto replies = layer.exchange(std::span(&request, 1));
  ASSERT_FALSE(replies[0]);
  EXPECT_GE(layer.link(0).stats().malformed, 1u);
}

TEST(MessageLayer, ADuplicatedResponseCompletesOnceAndTheCopyIsCountedUnmatched) {
  SystemClock clock;
  SimChannel sim(sim::SimLink::kLsUdp, 1, clock);
  sim.channel().set_faults({1, 1}, sim::NodeFaults{false, Millis(0), true, false, false});
  sim.start();
  MessageLayer layer = make_layer(sim, clock);
  ASSERT_TRUE(layer.open());
  for (int round = 0; round < 3; ++round) {
    const LonRequest request = poll_request(1, sim::nv::kVoltage);
    auto replies = layer.exchange(std::span(&request, 1));
    EXPECT_DOUBLE_EQ(volts(replies[0]), 230.1);
  }
  // The copies of the first two rounds arrived while a later round waited.
  EXPECT_GE(layer.stats().unmatched, 2u);
}

TEST(MessageLayer, ManyPollsToOneNodeStayWithinThePerNodeBoundAndAllAnswer) {
  SystemClock clock;
  SimChannel sim(sim::SimLink::kLsUdp, 2, clock);
  sim.start();
  std::vector<std::unique_ptr<Link>> links;
  links.push_back(sim.make_link(clock));
  MessageLayerConfig config;
  config.max_in_flight_per_node = 3;
  MessageLayer layer(config, std::move(links), clock);
  ASSERT_TRUE(layer.open());
  std::vector<LonRequest> requests;
  for (int i = 0; i < 40; ++i) requests.push_back(poll_request(1 + i % 2, sim::nv::kVoltage));
  const auto replies = layer.exchange(requests);
  for (int i = 0; i < 40; ++i) EXPECT_DOUBLE_EQ(volts(replies[i]), 230.0 + (1 + i % 2) / 10.0);
  EXPECT_EQ(layer.stats().unmatched, 0u);
}

}  // namespace
}  // namespace meterd::lonworks
