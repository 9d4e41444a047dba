// SPDX-License-Identifier: Apache-2.0
#include "commands/command_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace meterd {
namespace {

constexpr std::size_t kMacBytes = 32;
constexpr std::size_t kMinKeyBytes = 16;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The bytes of an even-length hex string, or nullopt when it is not one.
std::optional<std::vector<std::uint8_t>> decode_hex(std::string_view text) {
  if (text.empty() || text.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> bytes;
  bytes.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = hex_value(text[i]);
    const int low = hex_value(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes.push_back(static_cast<std::uint8_t>(high * 16 + low));
  }
  return bytes;
}

std::array<std::uint8_t, kMacBytes> hmac_sha256(std::span<const std::uint8_t> key,
                                                std::string_view data) {
  std::array<std::uint8_t, kMacBytes> mac{};
  unsigned int length = 0;
  // OpenSSL wants a non-null key pointer even for an empty key.
  static const std::uint8_t kNoKey = 0;
  HMAC(EVP_sha256(), key.empty() ? &kNoKey : key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &length);
  return mac;
}

CommandError auth_error(std::string_view code, std::string path, std::string message) {
  return CommandError{std::string(code), std::move(path), std::move(message)};
}

}  // namespace

std::string canonical_payload(const nlohmann::json& command) {
  if (!command.is_object() || !command.contains("sig")) {
    return command.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  nlohmann::json unsigned_command = command;
  unsigned_command.erase("sig");
  // Parsed payloads hold valid UTF-8 only; `replace` merely keeps this from throwing on a
  // hand-built object (whose signature then cannot match).
  return unsigned_command.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string hmac_sha256_hex(std::span<const std::uint8_t> key, std::string_view data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (std::uint8_t byte : hmac_sha256(key, data)) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0x0f];
  }
  return hex;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  return hmac_sha256_hex(std::span(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()),
                         data);
}

std::optional<CommandError> verify_command(const nlohmann::json& command, const HmacKey& key,
                                           WallTime now, Millis window) {
  if (!command.is_object()) return auth_error(kCodeUnauthenticated, "", "not a command object");
  const auto sig = command.find("sig");
  if (sig == command.end()) return auth_error(kCodeUnauthenticated, "/sig", "missing signature");
  const auto claimed =
      sig->is_string() ? decode_hex(sig->get_ref<const std::string&>()) : std::nullopt;
  if (!claimed || claimed->size() != kMacBytes) {
    return auth_error(kCodeUnauthenticated, "/sig", "signature must be 64 hex digits");
  }
  const auto expected = hmac_sha256(key.bytes, canonical_payload(command));
  if (CRYPTO_memcmp(expected.data(), claimed->data(), kMacBytes) != 0) {
    return auth_error(kCodeUnauthenticated, "/sig", "signature does not match");
  }

  const auto issued = command.find("issued_at");
  if (issued == command.end() || !issued->is_number_integer()) {
    return auth_error(kCodeInvalid, "/issued_at", "must be an integer (unix milliseconds)");
  }
  const std::int64_t now_ms = to_unix_ms(now);
  // Compared in the unsigned domain first so an absurd value cannot overflow the subtraction.
  if (issued->is_number_unsigned() &&
      issued->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX / 2)) {
    return auth_error(kCodeExpired, "/issued_at", "issued_at is far in the future");
  }
  const std::int64_t issued_ms = issued->get<std::int64_t>();
  if (issued_ms < INT64_MIN / 2) {
    return auth_error(kCodeExpired, "/issued_at", "issued_at is far in the past");
  }
  const std::int64_t skew = now_ms - issued_ms;
  if (skew > window.count()) {
    return auth_error(kCodeExpired, "/issued_at",
                      "issued " + std::to_string(skew) + " ms ago; the window is " +
                          std::to_string(window.count()) + " ms");
  }
  if (-skew > window.count()) {
    return auth_error(kCodeExpired, "/issued_at",
                      "issued " + std::to_string(-skew) + " ms in the future; the window is " +
                          std::to_string(window.count()) + " ms");
  }
  return std::nullopt;
}

HmacKey load_hmac_key(const std::filesystem::path& path) {
  const std::string where = "HMAC key file " + path.string();
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw std::runtime_error("cannot read " + where + ": " + std::strerror(errno));
  }
  // Group-readable is allowed (root:meterd 0640 is the usual install); world-readable is not.
  if ((info.st_mode & (S_IROTH | S_IWOTH)) != 0) {
    throw std::runtime_error(where + " is readable or writable by others; chmod o-rw it");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + where);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.ends_with("\r\n")) {
    text.resize(text.size() - 2);
  } else if (text.ends_with('\n')) {
    text.pop_back();
  }
  HmacKey key;
  if (auto hex = decode_hex(text)) {
    key.bytes = std::move(*hex);
  } else {
    key.bytes.assign(text.begin(), text.end());
  }
  if (key.bytes.size() < kMinKeyBytes) {
    throw std::runtime_error(where + " holds " + std::to_string(key.bytes.size()) +
                             " key bytes; at least " + std::to_string(kMinKeyBytes) +
                             " are needed (e.g. openssl rand -hex 32)");
  }
  return key;
}

}  // namespace meterd
