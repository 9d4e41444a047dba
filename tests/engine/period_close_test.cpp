// SPDX-License-Identifier: Apache-2.0
// Period close in the engine, in virtual time: a local day closes once its meter is billed past
// midnight (or an hour after midnight without it), its meter's and account's summaries are
// written once, not again after a restart, and a late reading that changes the closed day
// writes a correction with the next revision and the new figures.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine_fixture.h"

namespace meterd::test {
namespace {

class PeriodClose : public EngineTest {
 protected:
  // The summaries written so far of `granularity`, as (owner, period, revision, energy_wh).
  std::vector<std::tuple<std::string, std::int32_t, std::int32_t, std::int64_t>> written(
      UsageGranularity granularity = UsageGranularity::kDay) const {
    std::vector<std::tuple<std::string, std::int32_t, std::int32_t, std::int64_t>> out;
    for (const UsageSummary& s : store_.summaries) {
      if (s.granularity != granularity) continue;
      const nlohmann::json body = nlohmann::json::parse(s.body_json);
      EXPECT_EQ(body.value("revision", -1), s.revision);
      EXPECT_EQ(body.value("correction", false), s.revision > 0);
      EXPECT_EQ(body.value("scope", ""), usage_scope_name(s.scope));
      out.emplace_back(s.owner, s.period, s.revision, body.value("energy_wh", std::int64_t{-1}));
    }
    return out;
  }
  void tick() {
    engine_->on_tick();
    drain();
  }
};

using Summaries = std::vector<std::tuple<std::string, std::int32_t, std::int32_t, std::int64_t>>;

TEST_F(PeriodClose, ADayClosesOnceBilledPastMidnightAndALateReadingPublishesACorrection) {
  const BillingConfig config = flat_config(Money{500 * kUnits}, Money{kUnits});
  start_engine(config);  // 2026-03-02 10:00 local
  std::int64_t wh = 0;
  read("m1", gateway_reading(wh, true));
  clock_.advance(1h);
  read("m1", gateway_reading(wh += 1000, true));
  tick();
  // 00:30 on the 3rd: the day ended but the meter has not been read past it.
  clock_.advance(13h + 30min);
  tick();
  EXPECT_TRUE(written().empty());
  read("m1", gateway_reading(wh, true));
  clock_.advance(16min);  // past the ledger interval: the reading is billed, the day closes
  tick();
  EXPECT_EQ(written(), (Summaries{{"m1", 20260302, 0, 1000}, {"a1", 20260302, 0, 1000}}));
  restart_engine(config);
  tick();
  EXPECT_EQ(written().size(), 2u) << "a restart publishes nothing again";

  // The meter reads at 10:00 on the 3rd, then is offline until 02:00 on the 4th: the 3rd
  // closes an hour after its end without it, with what was billed by then.
  clock_.advance(9h + 14min);
  read("m1", gateway_reading(wh += 500, true));
  clock_.advance(14h + 30min);  // 00:30 on the 4th
  tick();
  EXPECT_EQ(written().size(), 2u) << "the day waits an hour for its meter";
  clock_.advance(1h);  // 01:30
  tick();
  ASSERT_EQ(written().size(), 4u);
  EXPECT_EQ(written()[2], std::make_tuple(std::string("m1"), 20260303, 0, std::int64_t{500}));
  // The late reading at 02:00: 1600 Wh over 10:00..02:00, 14 of its 16 hours on the 3rd.
  clock_.advance(30min);
  read("m1", gateway_reading(wh += 1600, true));
  clock_.advance(16min);
  tick();
  ASSERT_EQ(written().size(), 6u);
  EXPECT_EQ(written()[4], std::make_tuple(std::string("m1"), 20260303, 1, std::int64_t{1900}));
  EXPECT_EQ(written()[5], std::make_tuple(std::string("a1"), 20260303, 1, std::int64_t{1900}));
  restart_engine(config);
  tick();
  EXPECT_EQ(written().size(), 6u);
  EXPECT_TRUE(written(UsageGranularity::kMonth).empty()) << "March has not ended";
}

TEST_F(PeriodClose, AMonthThatEndedWhileStoppedClosesAtStartUpWithItsLastDay) {
  const BillingConfig config = flat_config(Money{500 * kUnits}, Money{kUnits});
  start_engine(config);  // 2026-03-02 10:00 local
  std::int64_t wh = 0;
  read("m1", gateway_reading(wh, true));
  clock_.advance(1h);
  read("m1", gateway_reading(wh += 1000, true));
  engine_->stop();
  drain();
  crash_engine();
  clock_.advance(std::chrono::days{30});  // 2026-04-01 11:00, more than an hour after March
  start_engine(config);
  tick();
  EXPECT_EQ(written(UsageGranularity::kMonth),
            (Summaries{{"m1", 202603, 0, 1000}, {"a1", 202603, 0, 1000}}));
  EXPECT_EQ(written(), (Summaries{{"m1", 20260302, 0, 1000}, {"a1", 20260302, 0, 1000}}));
}

}  // namespace
}  // namespace meterd::test
