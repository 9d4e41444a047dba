// SPDX-License-Identifier: Apache-2.0
// The stats op through the command path: a payload parsed by the command parser, run by the
// StepRunner against an engine that billed readings into its rollups (in-memory store port,
// virtual time). The answers are the rollups, their total and the mom / yoy change; the
// refusals (reversed range, a granularity not kept, a range past the bound, an unknown meter
// or account) say what is wrong.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "../engine/engine_fixture.h"
#include "commands/command_parser.h"
#include "commands/step_runner.h"

namespace meterd::test {
namespace {

class NoLiveReads final : public LiveReadPort {
 public:
  void read(const std::string&, std::vector<std::string>,
            std::function<void(Result<MeterReading>)> done) override {
    done(make_error(ErrorKind::kNotSupported, "no live reads here"));
  }
};

class StatsCommand : public EngineTest {
 protected:
  StatsCommand() {
    directory_.add("m1", {{"building", "A"}});
    directory_.add("m2", {{"building", "B"}});  // on the site, without an account
    directory_.add("m3", {{"building", "A"}, {"floor", "2"}});
  }

  // Building A: m1 uses 1 kWh on 2026-03-02 and 3 kWh on 2026-04-02, m3 2 kWh and 5 kWh on
  // the same days, at 1.0000 per kWh, one account, written to the store.
  void bill_building_a() {
    const BillingConfig config = flat_config(Money{500 * kUnits}, Money{kUnits}, {"m1", "m3"});
    start_engine(config);
    auto both = [&](std::int64_t m1, std::int64_t m3) {
      read("m1", gateway_reading(m1, true));
      read("m3", gateway_reading(m3, true));
    };
    both(0, 0);
    clock_.advance(1h);
    both(1000, 2000);
    clock_.advance(std::chrono::days{31} - 1h);
    both(1000, 2000);
    clock_.advance(1h);
    both(4000, 7000);
    restart_engine(config);
  }

  // 1 kWh on 2026-03-02 and 3 kWh on 2026-04-02 at 1.0000 per kWh, written to the store.
  void bill_march_and_april() {
    const BillingConfig config = flat_config(Money{500 * kUnits}, Money{kUnits});
    start_engine(config);
    read("m1", gateway_reading(0, true));
    clock_.advance(1h);
    read("m1", gateway_reading(1000, true));
    clock_.advance(std::chrono::days{31} - 1h);
    read("m1", gateway_reading(1000, true));  // offline for a month: nothing used
    clock_.advance(1h);
    read("m1", gateway_reading(4000, true));
    restart_engine(config);  // every pending deduction written
  }

  // The parsed command, or its refusal.
  std::variant<Command, CommandError> parse(const nlohmann::json& target_and_args) {
    nlohmann::json payload{{"id", "c-stats"}, {"op", "stats"}, {"issued_at", 1}};
    payload.update(target_and_args);
    return parse_command(payload.dump()).outcome;
  }

  nlohmann::json run(const nlohmann::json& target_and_args) {
    auto parsed = parse(target_and_args);
    if (auto* error = std::get_if<CommandError>(&parsed)) {
      ADD_FAILURE() << "refused: " << error->path << ": " << error->message;
      return {};
    }
    const Command& command = std::get<Command>(parsed);
    StepRunner runner(*engine_, reads_, directory_);
    std::optional<TargetResults> results;
    runner.run(BatchStep{command.op, command.target, command.args}, "test",
               [&](TargetResults r) { results = std::move(r); });
    EXPECT_TRUE(pump_until([&] { return results.has_value(); }));
    if (!results || results->size() != 1) {
      ADD_FAILURE() << "not one result";
      return {};
    }
    return results->front();
  }

  CommandError refusal(const nlohmann::json& target_and_args) {
    auto parsed = parse(target_and_args);
    if (auto* error = std::get_if<CommandError>(&parsed)) return *error;
    ADD_FAILURE() << "accepted: " << target_and_args.dump();
    return {};
  }

  NoLiveReads reads_;
  MeterDirectory directory_;
};

TEST_F(StatsCommand, MonthsOfAMeterAreItsBilledEnergyAndCost) {
  bill_march_and_april();
  const nlohmann::json r =
      run({{"meter", "m1"},
           {"args", {{"granularity", "month"}, {"from", "2026-01"}, {"to", "2026-06"}}}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["scope"], "meter");
  ASSERT_EQ(r["periods"].size(), 2u) << "months without usage are not listed";
  EXPECT_EQ(r["periods"][0]["period"], "2026-03");
  EXPECT_EQ(r["periods"][0]["energy_wh"], 1000);
  EXPECT_EQ(r["periods"][0]["cost"], "1.0000");
  EXPECT_EQ(r["periods"][0]["by_period"]["flat"]["energy_wh"], 1000);
  EXPECT_EQ(r["periods"][1]["period"], "2026-04");
  EXPECT_EQ(r["periods"][1]["energy_wh"], 3000);
  EXPECT_EQ(r["periods"][1]["cost"], "3.0000");
  EXPECT_EQ(r["total"]["energy_wh"], 4000);
  EXPECT_EQ(r["total"]["cost"], "4.0000");
  EXPECT_FALSE(r.contains("compare"));
}

TEST_F(StatsCommand, DaysOfAnAccountListOnlyTheDaysWithUsage) {
  bill_march_and_april();
  const nlohmann::json r =
      run({{"account", "a1"},
           {"args", {{"granularity", "day"}, {"from", "2026-03-01"}, {"to", "2026-04-30"}}}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["scope"], "account");
  ASSERT_EQ(r["periods"].size(), 2u);
  EXPECT_EQ(r["periods"][0]["period"], "2026-03-02");
  EXPECT_EQ(r["periods"][0]["energy_wh"], 1000);
  EXPECT_EQ(r["periods"][1]["period"], "2026-04-02");
  EXPECT_EQ(r["periods"][1]["cost"], "3.0000");
}

TEST_F(StatsCommand, MonthOnMonthAndYearOnYearAnswerTheAbsoluteAndRelativeChange) {
  bill_march_and_april();
  const nlohmann::json mom = run(
      {{"meter", "m1"},
       {"args",
        {{"granularity", "month"}, {"from", "2026-04"}, {"to", "2026-04"}, {"compare", "mom"}}}});
  ASSERT_EQ(mom["ok"], true) << mom.dump();
  EXPECT_EQ(mom["compare"]["kind"], "mom");
  EXPECT_EQ(mom["compare"]["from"], "2026-03");
  EXPECT_EQ(mom["compare"]["total"]["energy_wh"], 1000);
  EXPECT_EQ(mom["compare"]["change"]["energy_wh"], 2000);
  EXPECT_DOUBLE_EQ(mom["compare"]["change"]["energy_pct"].get<double>(), 200.0);
  EXPECT_EQ(mom["compare"]["change"]["cost"], "2.0000");
  EXPECT_DOUBLE_EQ(mom["compare"]["change"]["cost_pct"].get<double>(), 200.0);

  // A day range a month back: 2026-04-02 compares with 2026-03-02 (3 kWh against 1 kWh).
  const nlohmann::json days = run({{"meter", "m1"},
                                   {"args",
                                    {{"granularity", "day"},
                                     {"from", "2026-04-01"},
                                     {"to", "2026-04-30"},
                                     {"compare", "mom"}}}});
  EXPECT_EQ(days["compare"]["to"], "2026-03-30");
  EXPECT_EQ(days["compare"]["change"]["energy_wh"], 2000);

  const nlohmann::json yoy = run(
      {{"meter", "m1"},
       {"args",
        {{"granularity", "month"}, {"from", "2026-03"}, {"to", "2026-04"}, {"compare", "yoy"}}}});
  EXPECT_EQ(yoy["compare"]["from"], "2025-03");
  EXPECT_EQ(yoy["compare"]["total"]["energy_wh"], 0);
  EXPECT_EQ(yoy["compare"]["change"]["energy_wh"], 4000);
  EXPECT_TRUE(yoy["compare"]["change"]["energy_pct"].is_null()) << "nothing a year before";

  // Ranges that overlap their comparison (read together): March..April against February..March.
  const nlohmann::json overlap = run(
      {{"meter", "m1"},
       {"args",
        {{"granularity", "month"}, {"from", "2026-03"}, {"to", "2026-04"}, {"compare", "mom"}}}});
  ASSERT_EQ(overlap["periods"].size(), 2u) << overlap.dump();
  EXPECT_EQ(overlap["periods"][0]["period"], "2026-03") << "February is not in the range";
  EXPECT_EQ(overlap["total"]["energy_wh"], 4000);
  EXPECT_EQ(overlap["compare"]["from"], "2026-02");
  EXPECT_EQ(overlap["compare"]["total"]["energy_wh"], 1000) << "April is not in the comparison";
  EXPECT_EQ(overlap["compare"]["change"]["energy_wh"], 3000);
}

TEST_F(StatsCommand, YearOnYearOverThirteenMonthsIsTheRatioOfTheTwoMonths) {
  // Month i (2026-03 + i) uses 1000 * (i + 1) Wh at 1.0000 per kWh, on its 2nd at 10:00.
  const BillingConfig config = flat_config(Money{50'000 * kUnits}, Money{kUnits});
  start_engine(config);
  std::int64_t wh = 0;
  read("m1", gateway_reading(wh, true));
  for (int i = 0; i < 13; ++i) {
    using namespace std::chrono;
    const year_month month = year{2026} / March + months{i};
    const WallTime at = sys_days{month / day{2}} + 2h;  // 10:00 at +08:00
    clock_.advance(at - clock_.wall_now());
    read("m1", gateway_reading(wh, true));
    clock_.advance(1h);
    read("m1", gateway_reading(wh += 1000 * (i + 1), true));
    if (i % 4 == 3) restart_engine(config);
  }
  restart_engine(config);

  const nlohmann::json yoy = run(
      {{"meter", "m1"},
       {"args",
        {{"granularity", "month"}, {"from", "2027-03"}, {"to", "2027-03"}, {"compare", "yoy"}}}});
  ASSERT_EQ(yoy["ok"], true) << yoy.dump();
  EXPECT_EQ(yoy["total"]["energy_wh"], 13000);
  EXPECT_EQ(yoy["compare"]["from"], "2026-03");
  EXPECT_EQ(yoy["compare"]["total"]["energy_wh"], 1000);
  EXPECT_EQ(yoy["compare"]["change"]["energy_wh"], 12000);
  EXPECT_DOUBLE_EQ(yoy["compare"]["change"]["energy_pct"].get<double>(), 1200.0);
  EXPECT_EQ(yoy["compare"]["change"]["cost"], "12.0000");

  const nlohmann::json mom = run(
      {{"account", "a1"},
       {"args",
        {{"granularity", "month"}, {"from", "2027-03"}, {"to", "2027-03"}, {"compare", "mom"}}}});
  EXPECT_EQ(mom["compare"]["total"]["energy_wh"], 12000);
  EXPECT_DOUBLE_EQ(mom["compare"]["change"]["energy_pct"].get<double>(), 8.33)
      << "(13000 - 12000) / 12000, in percent to 0.01";

  const nlohmann::json year =
      run({{"meter", "m1"},
           {"args", {{"granularity", "month"}, {"from", "2026-01"}, {"to", "2027-12"}}}});
  ASSERT_EQ(year["periods"].size(), 13u);
  EXPECT_EQ(year["total"]["energy_wh"], 91000) << "1 + 2 + ... + 13 kWh";
}

TEST_F(StatsCommand, BadRangesAndGranularitiesAreRefusedWithWhatIsWrong) {
  const CommandError reversed =
      refusal({{"meter", "m1"},
               {"args", {{"granularity", "day"}, {"from", "2026-03-02"}, {"to", "2026-03-01"}}}});
  EXPECT_EQ(reversed.code, "invalid");
  EXPECT_EQ(reversed.path, "/args/to");
  EXPECT_NE(reversed.message.find("reversed"), std::string::npos) << reversed.message;

  const CommandError not_kept = refusal(
      {{"meter", "m1"}, {"args", {{"granularity", "year"}, {"from", "2026"}, {"to", "2026"}}}});
  EXPECT_EQ(not_kept.path, "/args/granularity");
  EXPECT_NE(not_kept.message.find("day or month"), std::string::npos) << not_kept.message;

  const CommandError too_long =
      refusal({{"meter", "m1"},
               {"args", {{"granularity", "day"}, {"from", "2025-01-01"}, {"to", "2026-03-01"}}}});
  EXPECT_EQ(too_long.code, "too_large");
  EXPECT_NE(too_long.message.find("at most 400"), std::string::npos) << too_long.message;
  const CommandError too_many_months =
      refusal({{"account", "a1"},
               {"args", {{"granularity", "month"}, {"from", "2020-01"}, {"to", "2023-01"}}}});
  EXPECT_EQ(too_many_months.code, "too_large");

  const CommandError bad_date =
      refusal({{"meter", "m1"},
               {"args", {{"granularity", "day"}, {"from", "2026-02-30"}, {"to", "2026-03-01"}}}});
  EXPECT_EQ(bad_date.path, "/args/from");
  const CommandError bad_compare = refusal({{"meter", "m1"},
                                            {"args",
                                             {{"granularity", "day"},
                                              {"from", "2026-03-01"},
                                              {"to", "2026-03-01"},
                                              {"compare", "wow"}}}});
  EXPECT_EQ(bad_compare.path, "/args/compare");
  const CommandError many_meters =
      refusal({{"meters", {"m1", "m2"}},
               {"args", {{"granularity", "day"}, {"from", "2026-03-01"}, {"to", "2026-03-01"}}}});
  EXPECT_EQ(many_meters.code, "invalid");
}

TEST_F(StatsCommand, UnknownMetersAndAccountsFailTheirTarget) {
  start_engine(flat_config(Money{500 * kUnits}, Money{kUnits}));
  const nlohmann::json args{{"granularity", "day"}, {"from", "2026-03-01"}, {"to", "2026-03-31"}};
  const nlohmann::json meter = run({{"meter", "m9"}, {"args", args}});
  EXPECT_EQ(meter["ok"], false);
  EXPECT_EQ(meter["code"], "unknown_meter");
  const nlohmann::json account = run({{"account", "a9"}, {"args", args}});
  EXPECT_EQ(account["ok"], false);
  EXPECT_EQ(account["code"], "unknown_account");
  const nlohmann::json quiet = run({{"meter", "m2"}, {"args", args}});
  EXPECT_EQ(quiet["ok"], true) << "a meter without usage answers an empty range";
  EXPECT_TRUE(quiet["periods"].empty());
}

TEST_F(StatsCommand, ATagSelectorAnswersTheSumOfItsMetersWithTheSameComparison) {
  bill_building_a();
  const nlohmann::json args{
      {"granularity", "month"}, {"from", "2026-04"}, {"to", "2026-04"}, {"compare", "mom"}};
  const nlohmann::json a = run({{"select", {{"tags", {{"building", "A"}}}}}, {"args", args}});
  ASSERT_EQ(a["ok"], true) << a.dump();
  EXPECT_EQ(a["target"], "building=A");
  EXPECT_EQ(a["scope"], "select");
  EXPECT_EQ(a["meters"], 2);
  ASSERT_EQ(a["periods"].size(), 1u);
  EXPECT_EQ(a["periods"][0]["energy_wh"], 8000);
  EXPECT_EQ(a["periods"][0]["by_period"]["flat"]["cost"], "8.0000");
  EXPECT_EQ(a["total"]["cost"], "8.0000");
  EXPECT_EQ(a["compare"]["total"]["energy_wh"], 3000);
  EXPECT_EQ(a["compare"]["change"]["energy_wh"], 5000);
  EXPECT_DOUBLE_EQ(a["compare"]["change"]["energy_pct"].get<double>(), 166.67);
  EXPECT_EQ(a["compare"]["change"]["cost"], "5.0000");

  // Day by day over both months: each day is the sum of the two meters' own answers.
  const nlohmann::json days{{"granularity", "day"}, {"from", "2026-03-01"}, {"to", "2026-04-30"}};
  const nlohmann::json sum = run({{"select", {{"tags", {{"building", "A"}}}}}, {"args", days}});
  const nlohmann::json m1 = run({{"meter", "m1"}, {"args", days}});
  const nlohmann::json m3 = run({{"meter", "m3"}, {"args", days}});
  ASSERT_EQ(sum["periods"].size(), 2u) << sum.dump();
  ASSERT_EQ(m1["periods"].size(), 2u);
  ASSERT_EQ(m3["periods"].size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(sum["periods"][i]["period"], m1["periods"][i]["period"]);
    EXPECT_EQ(sum["periods"][i]["energy_wh"].get<std::int64_t>(),
              m1["periods"][i]["energy_wh"].get<std::int64_t>() +
                  m3["periods"][i]["energy_wh"].get<std::int64_t>());
  }
  EXPECT_EQ(sum["total"]["energy_wh"], 11000);

  // Overlapping ranges by tag: March..April (11 kWh) against February..March (3 kWh).
  const nlohmann::json overlap = run(
      {{"select", {{"tags", {{"building", "A"}}}}},
       {"args",
        {{"granularity", "month"}, {"from", "2026-03"}, {"to", "2026-04"}, {"compare", "mom"}}}});
  EXPECT_EQ(overlap["total"]["energy_wh"], 11000) << overlap.dump();
  EXPECT_EQ(overlap["compare"]["total"]["energy_wh"], 3000);
  EXPECT_EQ(overlap["compare"]["change"]["cost"], "8.0000");

  const nlohmann::json floor =
      run({{"select", {{"tags", {{"building", "A"}, {"floor", "2"}}}}}, {"args", args}});
  EXPECT_EQ(floor["meters"], 1) << "every tag must match";
  EXPECT_EQ(floor["total"]["energy_wh"], 5000);
}

TEST_F(StatsCommand, ASelectorThatMatchesNoMeterOrTooManyFailsClearly) {
  start_engine(flat_config(Money{500 * kUnits}, Money{kUnits}));
  const nlohmann::json args{{"granularity", "day"}, {"from", "2026-03-01"}, {"to", "2026-03-31"}};
  const nlohmann::json none = run({{"select", {{"tags", {{"building", "Z"}}}}}, {"args", args}});
  EXPECT_EQ(none["ok"], false);
  EXPECT_EQ(none["target"], "building=Z");
  EXPECT_EQ(none["code"], "no_match");
  EXPECT_NE(none["message"].get<std::string>().find("matches no meter"), std::string::npos);
  const nlohmann::json quiet = run({{"select", {{"tags", {{"building", "B"}}}}}, {"args", args}});
  EXPECT_EQ(quiet["ok"], true) << "meters without usage answer an empty range";
  EXPECT_TRUE(quiet["periods"].empty());
  EXPECT_EQ(quiet["total"]["energy_wh"], 0);

  // One meter more than the bound carries the tag: refused, not read.
  for (std::size_t i = 0; i < kMaxStatsMeters; ++i) {
    directory_.add("x" + std::to_string(i), {{"building", "B"}});
  }
  const nlohmann::json many = run({{"select", {{"tags", {{"building", "B"}}}}}, {"args", args}});
  EXPECT_EQ(many["ok"], false);
  EXPECT_EQ(many["code"], "too_large");
  EXPECT_NE(many["message"].get<std::string>().find("at most 5000"), std::string::npos)
      << many.dump();
}

}  // namespace
}  // namespace meterd::test
