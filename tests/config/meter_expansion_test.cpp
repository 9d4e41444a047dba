// SPDX-License-Identifier: Apache-2.0
#include "config/meter_expansion.h"

#include <gtest/gtest.h>

#include "config/yaml_to_settings.h"

namespace meterd {
namespace {

SettingsNode parse(const std::string& text) {
  ConfigErrors errors;
  auto root = yaml_to_settings(text, "t.yaml", errors);
  EXPECT_TRUE(errors.empty());
  return root.value_or(SettingsNode{});
}

TEST(SubstituteCounter, ReplacesEveryPlaceholderAndPadsOnRequest) {
  EXPECT_EQ(substitute_counter("m{n}-{n}", 7), "m7-7");
  EXPECT_EQ(substitute_counter("m{n:03}", 7), "m007");
  EXPECT_EQ(substitute_counter("m{n:02}", 123), "m123");
  EXPECT_EQ(substitute_counter("{x} {n:} {n", 5), "{x} {n:} {n");
  EXPECT_TRUE(has_counter("a{n:04}"));
  EXPECT_FALSE(has_counter("a{m}"));
}

TEST(ExpandMeterEntry, CountMakesOneEntryPerMeterWithTheCounterInEveryScalar) {
  SettingsNode entry = parse(
      "id: \"d-{n}\"\ncount: 3\nfirst: 5\naddress: \"{n}\"\ntags: {room: \"r{n}\"}\n"
      "list: [\"x{n}\"]\n");
  ConfigErrors errors;
  auto meters = expand_meter_entry(entry, errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(meters.size(), 3u);
  EXPECT_EQ(meters[0].find("id")->scalar, "d-5");
  EXPECT_EQ(meters[2].find("id")->scalar, "d-7");
  EXPECT_EQ(meters[2].find("address")->scalar, "7");
  EXPECT_EQ(meters[1].find("tags")->find("room")->scalar, "r6");
  EXPECT_EQ(meters[1].find("list")->items[0].scalar, "x6");
  EXPECT_EQ(meters[0].find("count"), nullptr);
  EXPECT_EQ(meters[0].find("first"), nullptr);
  EXPECT_EQ(meters[2].find("address")->pos.line, 4);
}

TEST(ExpandMeterEntry, EntryWithoutCountIsReturnedAsIs) {
  SettingsNode entry = parse("id: m1\naddress: \"{n}\"\n");
  ConfigErrors errors;
  auto meters = expand_meter_entry(entry, errors);
  ASSERT_EQ(meters.size(), 1u);
  EXPECT_EQ(meters[0].find("address")->scalar, "{n}");
  EXPECT_TRUE(errors.empty());
}

TEST(ExpandMeterEntry, CountWithoutPlaceholderInIdIsAnError) {
  SettingsNode entry = parse("id: same\ncount: 4\n");
  ConfigErrors errors;
  auto meters = expand_meter_entry(entry, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.all()[0].to_string(),
            "t.yaml:1:5: 'id' must contain {n} when 'count' is set, got 'same'");
  EXPECT_EQ(meters.size(), 1u);
}

TEST(ExpandMeterEntry, OutOfRangeCountIsAnErrorAndTheEntryIsKeptOnce) {
  SettingsNode entry = parse("id: \"d{n}\"\ncount: 0\n");
  ConfigErrors errors;
  auto meters = expand_meter_entry(entry, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.all()[0].pos.line, 2);
  ASSERT_EQ(meters.size(), 1u);
  EXPECT_EQ(meters[0].find("id")->scalar, "d1");
}

TEST(ExpandMeterEntry, FirstWithoutCountIsAnError) {
  SettingsNode entry = parse("id: m1\nfirst: 3\n");
  ConfigErrors errors;
  expand_meter_entry(entry, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.all()[0].to_string(), "t.yaml:2:8: 'first' needs 'count'");
}

}  // namespace
}  // namespace meterd

namespace meterd {
namespace {

TEST(ExpansionBudget, CountsPastTheFilesMeterLimitAreAnErrorNotAnExpansion) {
  ExpansionBudget budget;
  ConfigErrors errors;
  const SettingsNode entry = parse("id: \"d-{n}\"\ncount: 10000\n");
  EXPECT_EQ(expand_meter_entry(entry, errors, budget).size(), 10'000u);
  EXPECT_EQ(expand_meter_entry(entry, errors, budget).size(), 10'000u);
  EXPECT_TRUE(errors.empty());
  const auto third = expand_meter_entry(entry, errors, budget);
  EXPECT_EQ(third.size(), 1u) << "the entry goes on once, so the rest of it is validated";
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.all()[0].to_string(),
            "t.yaml:2:8: 'count' = 10000 takes the file past 20000 meters");
}

TEST(ExpansionBudget, ALargeEntryCountedManyTimesIsAnErrorNotAnOutOfMemory) {
  std::string big = "id: \"d-{n}\"\ncount: 10000\nsettings: [";
  for (int i = 0; i < 150; ++i) big += "x, ";
  big += "x]\n";
  ExpansionBudget budget;
  ConfigErrors errors;
  const auto meters = expand_meter_entry(parse(big), errors, budget);
  EXPECT_EQ(meters.size(), 1u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.all()[0].message,
            "'count' = 10000 copies this entry into 1540000 settings nodes, past the file's limit "
            "of 500000");
}

}  // namespace
}  // namespace meterd
