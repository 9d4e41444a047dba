// SPDX-License-Identifier: Apache-2.0
#include "config/yaml_to_settings.h"

#include <gtest/gtest.h>

namespace meterd {
namespace {

SettingsNode parse_ok(const std::string& text) {
  ConfigErrors errors;
  auto root = yaml_to_settings(text, "t.yaml", errors);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors.all()[0].to_string());
  return root.value_or(SettingsNode{});
}

TEST(YamlToSettings, GivesOneBasedPositionsForKeysAndValues) {
  SettingsNode root = parse_ok("a: 1\nb:\n  c: [x, \"y\"]\n");
  ASSERT_TRUE(root.is_map());
  ASSERT_EQ(root.entries.size(), 2u);
  EXPECT_EQ(root.entries[0].key_pos.line, 1);
  EXPECT_EQ(root.entries[0].key_pos.column, 1);
  EXPECT_EQ(root.entries[0].value.pos.column, 4);
  const SettingsNode* c = root.find("b")->find("c");
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->is_sequence());
  EXPECT_EQ(c->pos.line, 3);
  EXPECT_EQ(c->pos.column, 6);
  EXPECT_EQ(c->items[1].scalar, "y");
  EXPECT_EQ(c->items[1].pos.column, 10);
  EXPECT_EQ(c->items[1].pos.file, "t.yaml");
}

TEST(YamlToSettings, EmptyValueAndTildeAreNullButQuotedNullIsAString) {
  SettingsNode root = parse_ok("a:\nb: ~\nc: \"null\"\n");
  EXPECT_TRUE(root.find("a")->is_null());
  EXPECT_TRUE(root.find("b")->is_null());
  ASSERT_TRUE(root.find("c")->is_scalar());
  EXPECT_EQ(root.find("c")->scalar, "null");
}

TEST(YamlToSettings, AliasIsACopyOfItsAnchor) {
  SettingsNode root = parse_ok("base: &b {x: 1}\nother: *b\n");
  const SettingsNode* other = root.find("other");
  ASSERT_TRUE(other && other->is_map());
  EXPECT_EQ(other->find("x")->scalar, "1");
}

TEST(YamlToSettings, DuplicateKeyIsAnErrorAtTheSecondKeyAndTheFirstValueWins) {
  ConfigErrors errors;
  auto root = yaml_to_settings("a: 1\nb:\n  c: 2\n  c: 3\na: 4\n", "t.yaml", errors);
  ASSERT_TRUE(root.has_value());
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors.all()[0].to_string(), "t.yaml:4:3: duplicate key 'c' (first at line 3)");
  EXPECT_EQ(errors.all()[1].to_string(), "t.yaml:5:1: duplicate key 'a' (first at line 1)");
  EXPECT_EQ(root->find("a")->scalar, "1");
  EXPECT_EQ(root->find("b")->find("c")->scalar, "2");
  EXPECT_EQ(root->entries.size(), 2u);
}

TEST(YamlToSettings, DuplicateKeyInFlowMapIsDetected) {
  ConfigErrors errors;
  yaml_to_settings("tags: {a: 1, b: 2, a: 3}\n", "t.yaml", errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.all()[0].to_string(), "t.yaml:1:20: duplicate key 'a' (first at line 1)");
}

TEST(YamlToSettings, SyntaxErrorIsOneErrorWithItsPosition) {
  ConfigErrors errors;
  auto root = yaml_to_settings("a: 1\nb: [1, 2\nc: 3\n", "t.yaml", errors);
  EXPECT_FALSE(root.has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.all()[0].pos.line, 3);
  EXPECT_EQ(errors.all()[0].pos.column, 2);
  EXPECT_NE(errors.all()[0].message.find("YAML syntax error"), std::string::npos);
}

TEST(YamlToSettings, BadIndentationIsASyntaxErrorOnItsLine) {
  ConfigErrors errors;
  auto root = yaml_to_settings("a: 1\n b: 2\n", "t.yaml", errors);
  EXPECT_FALSE(root.has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.all()[0].to_string(), "t.yaml:2:3: YAML syntax error: illegal map value");
}

TEST(YamlToSettings, NonScalarKeyIsAnError) {
  ConfigErrors errors;
  auto root = yaml_to_settings("? [a, b]\n: 1\nc: 2\n", "t.yaml", errors);
  ASSERT_TRUE(root.has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.all()[0].pos.line, 1);
  EXPECT_EQ(root->entries.size(), 1u);
  EXPECT_EQ(root->entries[0].key, "c");
}

TEST(YamlToSettings, SecondDocumentIsAnError) {
  ConfigErrors errors;
  yaml_to_settings("a: 1\n---\nb: 2\n", "t.yaml", errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.all()[0].message, "only one YAML document is allowed");
}

TEST(YamlToSettings, EmptyTextIsANullDocument) {
  ConfigErrors errors;
  auto root = yaml_to_settings("# only a comment\n", "t.yaml", errors);
  ASSERT_TRUE(root.has_value());
  EXPECT_TRUE(root->is_null());
  EXPECT_TRUE(errors.empty());
}

TEST(YamlToSettings, AliasBombIsRejectedInsteadOfExhaustingMemory) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += prev + (k < 9 ? ", " : "]\n");
  }
  ConfigErrors errors;
  auto root = yaml_to_settings(text, "t.yaml", errors);
  EXPECT_FALSE(root.has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors.all()[0].message.find("too large"), std::string::npos);
}

}  // namespace
}  // namespace meterd
