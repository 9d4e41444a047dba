// SPDX-License-Identifier: Apache-2.0
#include "core/settings_reader.h"

#include <gtest/gtest.h>

namespace meterd {
namespace {

SettingsNode scalar(const std::string& value, int line) {
  SettingsNode n;
  n.kind = SettingsNode::Kind::kScalar;
  n.scalar = value;
  n.pos = {"t.yaml", line, 5};
  return n;
}

SettingsNode map_of(std::vector<std::pair<std::string, SettingsNode>> kv) {
  SettingsNode n;
  n.kind = SettingsNode::Kind::kMap;
  n.pos = {"t.yaml", 1, 1};
  for (auto& [k, v] : kv) n.entries.push_back({k, {"t.yaml", v.pos.line, 1}, v});
  return n;
}

TEST(SettingsReader, ReadsTypedValuesInRange) {
  auto node = map_of({{"n", scalar("42", 2)}, {"d", scalar("250ms", 3)}, {"s", scalar("2MiB", 4)}});
  ConfigErrors errors;
  SettingsReader r(node, errors, "test");
  EXPECT_EQ(r.integer("n", 0, 0, 100), 42);
  EXPECT_EQ(r.duration("d", std::chrono::seconds(1), std::chrono::milliseconds(1),
                       std::chrono::seconds(10)),
            std::chrono::milliseconds(250));
  EXPECT_EQ(r.size_bytes("s", 0, 0, 1ull << 30), 2u << 20);
  r.finish();
  EXPECT_TRUE(errors.empty());
}

TEST(SettingsReader, ReportsEveryErrorWithItsPosition) {
  auto node = map_of({{"n", scalar("420", 2)}, {"b", scalar("maybe", 3)}, {"x", scalar("1", 4)}});
  ConfigErrors errors;
  SettingsReader r(node, errors, "test");
  r.integer("n", 0, 0, 100);
  r.boolean("b", false);
  r.required_string("missing");
  r.finish();
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors.all()[0].to_string(), "t.yaml:2:5: 'n' = 420 is out of range [0, 100]");
  EXPECT_EQ(errors.all()[1].pos.line, 3);
  EXPECT_NE(errors.all()[2].message.find("missing required key 'missing'"), std::string::npos);
  EXPECT_EQ(errors.all()[3].to_string(), "t.yaml:4:1: test: unknown key 'x'");
}

TEST(SettingsReader, RestHandsOnUnreadKeys) {
  auto node = map_of({{"id", scalar("m1", 2)}, {"address", scalar("7", 3)}});
  ConfigErrors errors;
  SettingsReader r(node, errors, "meter");
  EXPECT_EQ(r.required_string("id"), "m1");
  SettingsNode rest = r.rest();
  r.finish();
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(rest.entries.size(), 1u);
  EXPECT_EQ(rest.entries[0].key, "address");
}

TEST(ParseDuration, RejectsUnknownUnits) {
  EXPECT_FALSE(parse_duration("5 parsecs").has_value());
  EXPECT_FALSE(parse_duration("").has_value());
  EXPECT_EQ(parse_duration("2m").value(), std::chrono::minutes(2));
}

}  // namespace
}  // namespace meterd
