// SPDX-License-Identifier: Apache-2.0
// Command signing: the HMAC itself, the canonical form, verification and key files.
#include "commands/command_auth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "commands/command_test_payloads.h"

namespace meterd {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

const HmacKey kKey{
    {'g', 'a', 't', 'e', 'w', 'a', 'y', '-', 'k', 'e', 'y', '-', '0', '0', '0', '1'}};
const WallTime kIssued{milliseconds(1732537300000)};
const Millis kWindow{300'000};

json signed_command(json command, const HmacKey& key = kKey) {
  const std::string canonical = canonical_payload(command);
  command["sig"] = hmac_sha256_hex(key.bytes, canonical);
  return command;
}

TEST(CommandAuth, HmacMatchesRfc4231TestCase2) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CommandAuth, CanonicalFormIsCompactSortedAndWithoutSig) {
  const json command = json::parse(
      R"({"op":"recharge", "sig":"00", "id":"c1","args":{"order_id":"o1","amount":"5.0000"},
          "issued_at":1732537300000,"account":"a1"})");
  EXPECT_EQ(canonical_payload(command),
            R"({"account":"a1","args":{"amount":"5.0000","order_id":"o1"},"id":"c1",)"
            R"("issued_at":1732537300000,"op":"recharge"})");
}

TEST(CommandAuth, KeyOrderDoesNotChangeTheCanonicalForm) {
  const json a = json::parse(R"({"id":"c1","op":"relay_open","meters":["m2","m1"],"issued_at":1,
                                 "select":{"tags":{"b":"1","a":"2"}}})");
  const json b = json::parse(R"({"select":{"tags":{"a":"2","b":"1"}},"issued_at":1,
                                 "meters":["m2","m1"],"op":"relay_open","id":"c1"})");
  EXPECT_EQ(canonical_payload(a), canonical_payload(b));
  // Array order is data, not layout: it stays as sent.
  EXPECT_NE(canonical_payload(a).find(R"(["m2","m1"])"), std::string::npos);
}

TEST(CommandAuth, CanonicalFormEscapesOnlyWhatJsonRequires) {
  const json command = {{"id", "c1"}, {"note", "a/b \"q\" \\ \xc3\xa9 \x01"}};
  EXPECT_EQ(canonical_payload(command),
            "{\"id\":\"c1\",\"note\":\"a/b \\\"q\\\" \\\\ \xc3\xa9 \\u0001\"}");
}

// The worked example of docs/commands.md, byte for byte.
TEST(CommandAuth, DocumentedExampleVerifies) {
  HmacKey key;
  for (int i = 0; i < 32; ++i) key.bytes.push_back(static_cast<std::uint8_t>(i));
  const json command =
      json::parse(R"({"id":"c-20241125-0042","op":"recharge","account":"a-17",)"
                  R"("args":{"order_id":"ord-9","amount":"50.0000"},"issued_at":1732537300000,)"
                  R"("sig":"f5f17bb97898259e9bce626d4a2759cfdf9dade85dc5fa9f7dd939fa00c6894b"})");
  EXPECT_EQ(canonical_payload(command),
            R"({"account":"a-17","args":{"amount":"50.0000","order_id":"ord-9"},)"
            R"("id":"c-20241125-0042","issued_at":1732537300000,"op":"recharge"})");
  EXPECT_EQ(verify_command(command, key, kIssued, kWindow), std::nullopt);
}

TEST(CommandAuth, SignedCommandVerifies) {
  const json command = signed_command(test::recharge_command());
  EXPECT_EQ(verify_command(command, kKey, kIssued, kWindow), std::nullopt);
}

TEST(CommandAuth, UppercaseSignatureVerifiesToo) {
  json command = signed_command(test::recharge_command());
  std::string sig = command["sig"];
  for (char& c : sig) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  command["sig"] = sig;
  EXPECT_EQ(verify_command(command, kKey, kIssued, kWindow), std::nullopt);
}

TEST(CommandAuth, AnyChangedByteOfTheSignedPayloadFails) {
  const std::string wire = signed_command(test::recharge_command()).dump();
  int parsed_variants = 0;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    std::string tampered = wire;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    const json command = json::parse(tampered, nullptr, false);
    if (command.is_discarded()) continue;  // no longer JSON: the parser refuses it anyway
    ++parsed_variants;
    const auto error = verify_command(command, kKey, kIssued, kWindow);
    ASSERT_TRUE(error.has_value()) << "byte " << i << ": " << tampered;
    EXPECT_EQ(error->code, "unauthenticated") << "byte " << i << ": " << tampered;
  }
  EXPECT_GT(parsed_variants, 50);
}

TEST(CommandAuth, WrongKeyFails) {
  HmacKey other = kKey;
  other.bytes.back() ^= 1;
  const auto error =
      verify_command(signed_command(test::recharge_command(), other), kKey, kIssued, kWindow);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "unauthenticated");
  EXPECT_EQ(error->path, "/sig");
}

TEST(CommandAuth, MissingOrMalformedSignatureIsUnauthenticated) {
  const auto missing = verify_command(test::recharge_command(), kKey, kIssued, kWindow);
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->code, "unauthenticated");
  EXPECT_EQ(missing->message, "missing signature");
  for (const json& sig : {json("abc"), json(std::string(64, 'g')), json(7)}) {
    json command = test::recharge_command();
    command["sig"] = sig;
    const auto error = verify_command(command, kKey, kIssued, kWindow);
    ASSERT_TRUE(error.has_value()) << sig;
    EXPECT_EQ(error->code, "unauthenticated");
  }
}

TEST(CommandAuth, IssuedAtOutsideTheWindowIsExpired) {
  const json command = signed_command(test::recharge_command());
  EXPECT_EQ(verify_command(command, kKey, kIssued + kWindow, kWindow), std::nullopt);
  EXPECT_EQ(verify_command(command, kKey, kIssued - kWindow, kWindow), std::nullopt);
  const auto late = verify_command(command, kKey, kIssued + kWindow + milliseconds(1), kWindow);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->code, "expired");
  EXPECT_EQ(late->path, "/issued_at");
  const auto early = verify_command(command, kKey, kIssued - kWindow - milliseconds(1), kWindow);
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early->code, "expired");
}

TEST(CommandAuth, AbsurdIssuedAtIsExpiredNotOverflowed) {
  for (const json& issued : {json(std::numeric_limits<std::uint64_t>::max()),
                             json(std::numeric_limits<std::int64_t>::min())}) {
    json command = test::recharge_command();
    command["issued_at"] = issued;
    const auto error = verify_command(signed_command(command), kKey, kIssued, kWindow);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, "expired");
  }
}

class KeyFile : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& content, mode_t mode = 0600) {
    std::ofstream(path_, std::ios::binary) << content;
    ::chmod(path_.c_str(), mode);
    return path_;
  }
  void TearDown() override { std::filesystem::remove(path_); }

  std::filesystem::path path_ =
      std::filesystem::temp_directory_path() / ("meterd_key_" + std::to_string(::getpid()));
};

TEST_F(KeyFile, HexKeyIsDecodedAndTrailingNewlineDropped) {
  const HmacKey key = load_hmac_key(write("00112233445566778899aabbccddeeff\n"));
  ASSERT_EQ(key.bytes.size(), 16u);
  EXPECT_EQ(key.bytes[0], 0x00);
  EXPECT_EQ(key.bytes[15], 0xff);
  EXPECT_EQ(load_hmac_key(write("00112233445566778899AABBCCDDEEFF\r\n")).bytes, key.bytes);
}

TEST_F(KeyFile, NonHexKeyIsUsedAsRawBytes) {
  const HmacKey key = load_hmac_key(write("correct horse battery staple\n", 0640));
  EXPECT_EQ(std::string(key.bytes.begin(), key.bytes.end()), "correct horse battery staple");
}

TEST_F(KeyFile, EmptyShortMissingOrWorldReadableKeyIsRefused) {
  EXPECT_THROW(load_hmac_key(write("")), std::runtime_error);
  EXPECT_THROW(load_hmac_key(write("\n")), std::runtime_error);
  EXPECT_THROW(load_hmac_key(write("0011223344")), std::runtime_error);
  EXPECT_THROW(load_hmac_key(write("00112233445566778899aabbccddeeff", 0644)), std::runtime_error);
  EXPECT_THROW(load_hmac_key(path_.string() + ".absent"), std::runtime_error);
}

}  // namespace
}  // namespace meterd
