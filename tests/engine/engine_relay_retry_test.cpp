// SPDX-License-Identifier: Apache-2.0
// Bounded relay retries through the engine over a real store, in virtual time: a meter that
// will not switch gets `relay_attempts` actions spaced by the backoff and one final
// relay_action_failed; a meter that took "close allowed" is left for the customer; only a
// change (the relay, the goal, a command) starts the attempts again.
#include "engine_fixture.h"

namespace meterd::test {
namespace {

const Money kPrice{6000};

MeterReading armed_reading() {  // open, but the meter lets the customer close it
  return MeterReading{
      {{"relay_closed", PointScalar{false}}, {"relay_close_allowed", PointScalar{true}}}, {}};
}

class RelayRetryTest : public EngineTest {
 protected:
  BillingConfig config() const {
    BillingConfig config = flat_config(Money{100 * kUnits}, kPrice);
    config.relay_retry_min = 2s;
    config.relay_retry_max = 3s;
    config.relay_attempts = 3;
    return config;
  }
  std::int64_t events_of(const std::string& type) { return event_count(type); }
  // Ticks and polls (relay still open) for `span` of virtual time, a second at a time.
  void run_for(std::chrono::seconds span, const MeterReading& reading) {
    for (auto t = 0s; t < span; t += 1s) {
      clock_.advance(1s);
      read("m1", reading);
      engine_->on_tick();
      drain();
    }
  }
};

TEST_F(RelayRetryTest, MeterThatStaysOpenGetsTheConfiguredAttemptsSpacedByBackoffThenOneFailure) {
  const BillingConfig cfg = config();
  start_engine(cfg);
  read("m1", gateway_reading(0, false));  // supply wanted, the relay is open
  ASSERT_EQ(action_names(), std::vector<std::string>{"m1:relay_close"});
  port_->answer(0, relay_reading(false));  // answered, but the relay did not move
  drain();

  clock_.advance(cfg.relay_retry_min - 1ms);
  engine_->on_tick();
  EXPECT_EQ(port_->submitted.size(), 1u) << "retried before relay_retry_min";
  clock_.advance(1ms);
  engine_->on_tick();
  ASSERT_EQ(port_->submitted.size(), 2u);
  port_->answer(1, make_error(ErrorKind::kRejected, "password"));
  drain();
  clock_.advance(cfg.relay_retry_max - 1ms);  // second backoff: min doubled, capped at max
  engine_->on_tick();
  EXPECT_EQ(port_->submitted.size(), 2u) << "retried before the backoff";
  clock_.advance(1ms);
  engine_->on_tick();
  ASSERT_EQ(port_->submitted.size(), 3u);
  port_->answer(2, relay_reading(false));
  drain();

  run_for(60s, relay_reading(false));  // readings keep showing it open: no new round
  EXPECT_EQ(port_->submitted.size(), 3u) << "more than relay_attempts actions";
  EXPECT_EQ(events_of("relay_action_failed"), 1);
  EXPECT_EQ(event_details("relay_action_failed"),
            std::vector<std::string>{
                R"({"action":"relay_close","attempts":3,"message":"the meter answered, but its )"
                R"(relay is still open","reason":"not_switched","relay":{"attempts":3,)"
                R"("max_attempts":3,"reported":"open","state":"failed","wanted":"closed"}})"});
  EXPECT_EQ(events_of("relay_mismatch"), 1) << "one mismatch started the goal";
}

TEST_F(RelayRetryTest, GivenUpRelayIsTriedAgainOnlyWhenTheRelayOrACommandChangesIt) {
  start_engine(config());
  read("m1", gateway_reading(0, false));
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(port_->submitted.size(), i + 1);
    port_->answer(i, make_error(ErrorKind::kTimeout, "no answer"));
    drain();
    clock_.advance(3s);
    engine_->on_tick();
  }
  run_for(10s, relay_reading(false));
  ASSERT_EQ(port_->submitted.size(), 3u);
  ASSERT_EQ(events_of("relay_action_failed"), 1);

  // Someone closes it by hand, then it falls open again: news, so a new round starts.
  read("m1", relay_reading(true));
  clock_.advance(1s);
  read("m1", relay_reading(false));
  ASSERT_EQ(action_names(3), std::vector<std::string>{"m1:relay_close"});
  port_->answer(3, relay_reading(true));
  drain();
  run_for(10s, relay_reading(true));
  EXPECT_EQ(port_->submitted.size(), 4u);

  // A relay command is a new goal even for a relay that was given up on.
  std::optional<Result<MeterReading>> answered;
  engine_->command_relay("m1", false, [&](Result<MeterReading> r) { answered = r; });
  ASSERT_EQ(action_names(4), std::vector<std::string>{"m1:relay_open"});
  port_->answer(4, relay_reading(false));
  ASSERT_TRUE(pump_until([&] { return answered.has_value(); }));
  EXPECT_EQ(events_of("relay_action_failed"), 1);
}

TEST_F(RelayRetryTest, MeterThatAllowsClosingIsLeftForTheCustomerWithOneEvent) {
  start_engine(config());
  read("m1", gateway_reading(0, false));
  ASSERT_EQ(action_names(), std::vector<std::string>{"m1:relay_close"});
  port_->answer(0, armed_reading());  // DL/T 645 1B: the customer closes it at the meter
  drain();
  run_for(60s, armed_reading());
  EXPECT_EQ(port_->submitted.size(), 1u) << "the engine fought a meter waiting for its customer";
  EXPECT_EQ(events_of("relay_close_allowed"), 1);
  EXPECT_EQ(events_of("relay_action_failed"), 0);
  EXPECT_EQ(events_of("relay_mismatch"), 1);

  read("m1", relay_reading(true));  // the customer closed it
  run_for(5s, relay_reading(true));
  EXPECT_EQ(port_->submitted.size(), 1u);
}

}  // namespace
}  // namespace meterd::test
