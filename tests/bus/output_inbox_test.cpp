// SPDX-License-Identifier: Apache-2.0
#include "bus/output_inbox.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace meterd {
namespace {

BusOutput polled(const std::string& meter) { return MeterPolled{meter, "live", {}, {}}; }

std::vector<std::string> meters_of(const std::vector<BusOutput>& outputs) {
  std::vector<std::string> meters;
  for (const BusOutput& out : outputs) meters.push_back(std::get<MeterPolled>(out).meter_id);
  return meters;
}

class OutputInboxTest : public ::testing::Test {
 protected:
  int drains_posted_ = 0;
  OutputInbox inbox_{[this] { ++drains_posted_; }};
};

TEST_F(OutputInboxTest, ABurstCostsOneDrainPostedAtItsEndWithEveryOutputInOrder) {
  for (const char* meter : {"m1", "m2", "m3"}) inbox_.push(polled(meter));
  EXPECT_EQ(drains_posted_, 0);
  inbox_.hand_over();
  inbox_.hand_over();  // a drain is already on its way
  EXPECT_EQ(drains_posted_, 1);
  EXPECT_EQ(meters_of(inbox_.take()), (std::vector<std::string>{"m1", "m2", "m3"}));
  inbox_.hand_over();  // nothing waits
  EXPECT_EQ(drains_posted_, 1);
}

TEST_F(OutputInboxTest, OutputsPushedWhileADrainIsOnItsWayGoWithIt) {
  inbox_.push(polled("m1"));
  inbox_.hand_over();
  inbox_.push(polled("m2"));
  inbox_.hand_over();
  EXPECT_EQ(drains_posted_, 1);
  EXPECT_EQ(meters_of(inbox_.take()), (std::vector<std::string>{"m1", "m2"}));
  inbox_.push(polled("m3"));
  inbox_.hand_over();
  EXPECT_EQ(drains_posted_, 2);
  EXPECT_EQ(meters_of(inbox_.take()), (std::vector<std::string>{"m3"}));
}

// A saturated bus never ends a burst: a full inbox goes to the loop without one.
TEST_F(OutputInboxTest, AFullInboxIsHandedOverWithoutABurstEnd) {
  for (std::size_t i = 1; i < OutputInbox::kHandOverRows; ++i) inbox_.push(polled("m"));
  EXPECT_EQ(drains_posted_, 0);
  inbox_.push(polled("m"));
  EXPECT_EQ(drains_posted_, 1);
  EXPECT_EQ(inbox_.take().size(), OutputInbox::kHandOverRows);
}

TEST_F(OutputInboxTest, AnOutputWaitingLongerThanTheHandOverAgeGoesWithTheNextPush) {
  inbox_.push(polled("m1"));
  const auto waited_from = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - waited_from <= OutputInbox::kHandOverAge) {
    std::this_thread::yield();
  }
  EXPECT_EQ(drains_posted_, 0);
  inbox_.push(polled("m2"));
  EXPECT_EQ(drains_posted_, 1);
  EXPECT_EQ(meters_of(inbox_.take()), (std::vector<std::string>{"m1", "m2"}));
}

}  // namespace
}  // namespace meterd
