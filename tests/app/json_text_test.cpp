// SPDX-License-Identifier: Apache-2.0
// Text out of JSON and of hostile bytes: never an exception, never raw bytes.
#include "core/json_text.h"

#include <gtest/gtest.h>

namespace meterd {
namespace {

TEST(JsonText, InvalidUtf8InAStringBecomesAReplacementCharacterInsteadOfAnException) {
  const nlohmann::json value{{"message", std::string("last read: '\"\xff\xfe'")}};
  EXPECT_THROW((void)value.dump(), nlohmann::json::type_error);  // what once ended the daemon
  const std::string text = json_text(value);
  EXPECT_EQ(text, "{\"message\":\"last read: '\\\"\xef\xbf\xbd\xef\xbf\xbd'\"}");
  EXPECT_FALSE(nlohmann::json::parse(text, nullptr, false).is_discarded());
}

TEST(JsonText, PrintableEscapesEveryByteOutsidePrintableAsciiAndCapsTheLength) {
  EXPECT_EQ(printable(std::string("a\0b\xff\n~", 6)), "a\\x00b\\xff\\x0a~");
  EXPECT_EQ(printable("abcdef", 3), "abc...");
  EXPECT_EQ(printable(""), "");
}

TEST(JsonText, WellFormedUtf8IsTheRfc3629FormWithoutOverlongsSurrogatesOrTooHighCodePoints) {
  EXPECT_FALSE(first_invalid_utf8("plain \xc3\xa9 \xe4\xb8\xad \xf0\x9f\x94\x8c").has_value());
  EXPECT_EQ(first_invalid_utf8("ab\xc0\xaf"), 2u);         // overlong '/'
  EXPECT_EQ(first_invalid_utf8("\xed\xa0\x80"), 0u);       // a surrogate
  EXPECT_EQ(first_invalid_utf8("x\xf4\x90\x80\x80"), 1u);  // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("x\xe2\x82"), 1u);          // truncated
  EXPECT_EQ(valid_utf8("a\xff"
                       "b\xe2\x82"),
            "a\xef\xbf\xbd"
            "b\xef\xbf\xbd\xef\xbf\xbd");
}

}  // namespace
}  // namespace meterd
