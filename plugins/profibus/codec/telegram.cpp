// SPDX-License-Identifier: Apache-2.0
#include "profibus/codec/telegram.h"

#include <numeric>

namespace meterd::profibus {

namespace {

std::size_t unit_size(const Telegram& t) {
  return t.data.size() + (t.dsap ? 1 : 0) + (t.ssap ? 1 : 0);
}

bool is_start(std::uint8_t b) {
  return b == kSd1 || b == kSd2 || b == kSd3 || b == kSd4 || b == kSc;
}

// DA SA FC DU.. of a framed telegram into a Telegram; nullopt when a SAP extension lacks its byte.
std::optional<Telegram> decode_body(std::uint8_t sd, std::span<const std::uint8_t> body) {
  Telegram t;
  t.sd = sd;
  t.da = body[0] & 0x7F;
  t.sa = body[1] & 0x7F;
  t.fc = body[2];
  std::size_t at = 3;
  if (body[0] & kAddressExtension) {
    if (at >= body.size()) return std::nullopt;
    t.dsap = body[at++];
  }
  if (body[1] & kAddressExtension) {
    if (at >= body.size()) return std::nullopt;
    t.ssap = body[at++];
  }
  t.data.assign(body.begin() + static_cast<std::ptrdiff_t>(at), body.end());
  return t;
}

ScanResult framed(std::uint8_t sd, std::span<const std::uint8_t> body, std::uint8_t check,
                  std::size_t total) {
  ScanResult r;
  r.consume = total;
  if (fcs(body) != check) {
    r.status = ScanStatus::kBadFcs;
    return r;
  }
  auto t = decode_body(sd, body);
  if (!t) {
    r.status = ScanStatus::kMalformed;
    return r;
  }
  r.status = ScanStatus::kTelegram;
  r.telegram = std::move(*t);
  return r;
}

ScanResult garbage(std::size_t n) { return ScanResult{ScanStatus::kGarbage, n, {}}; }

}  // namespace

std::uint8_t fcs(std::span<const std::uint8_t> bytes) {
  return static_cast<std::uint8_t>(std::accumulate(
      bytes.begin(), bytes.end(), 0u, [](unsigned a, std::uint8_t b) { return a + b; }));
}

std::size_t encoded_size(const Telegram& t) {
  if (t.kind == Telegram::Kind::kShortAck) return 1;
  if (t.kind == Telegram::Kind::kToken) return 3;
  const std::size_t du = unit_size(t);
  if (du == 0) return 6;
  if (du == 8) return 14;
  return du + 9;
}

Result<std::vector<std::uint8_t>> encode(const Telegram& t) {
  if (t.kind == Telegram::Kind::kShortAck) return std::vector<std::uint8_t>{kSc};
  if (t.da > kBroadcast || t.sa > kBroadcast) {
    return make_error(ErrorKind::kInvalidArgument, "PROFIBUS address over 127");
  }
  if (t.kind == Telegram::Kind::kToken) return std::vector<std::uint8_t>{kSd4, t.da, t.sa};
  const std::size_t du = unit_size(t);
  if (du > kMaxUnitData) {
    return make_error(ErrorKind::kInvalidArgument,
                      "PROFIBUS telegram data of " + std::to_string(du) + " bytes (at most 246)");
  }
  std::vector<std::uint8_t> body;
  body.reserve(du + 3);
  body.push_back(static_cast<std::uint8_t>(t.da | (t.dsap ? kAddressExtension : 0)));
  body.push_back(static_cast<std::uint8_t>(t.sa | (t.ssap ? kAddressExtension : 0)));
  body.push_back(t.fc);
  if (t.dsap) body.push_back(*t.dsap);
  if (t.ssap) body.push_back(*t.ssap);
  body.insert(body.end(), t.data.begin(), t.data.end());
  std::vector<std::uint8_t> out;
  out.reserve(body.size() + 6);
  if (du == 0) {
    out.push_back(kSd1);
  } else if (du == 8) {
    out.push_back(kSd3);
  } else {
    const auto le = static_cast<std::uint8_t>(body.size());
    out.insert(out.end(), {kSd2, le, le, kSd2});
  }
  out.insert(out.end(), body.begin(), body.end());
  out.push_back(fcs(body));
  out.push_back(kEd);
  return out;
}

ScanResult scan(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return {};
  std::size_t skip = 0;
  while (skip < bytes.size() && !is_start(bytes[skip])) ++skip;
  if (skip > 0) return garbage(skip);
  const std::uint8_t sd = bytes[0];
  switch (sd) {
    case kSc: {
      ScanResult r{ScanStatus::kTelegram, 1, Telegram::short_ack()};
      r.telegram.sd = kSc;
      return r;
    }
    case kSd4: {
      if (bytes.size() < 3) return {};
      if (bytes[1] > kBroadcast || bytes[2] > kBroadcast) return garbage(1);
      ScanResult r{ScanStatus::kTelegram, 3, {}};
      r.telegram.kind = Telegram::Kind::kToken;
      r.telegram.sd = kSd4;
      r.telegram.da = bytes[1];
      r.telegram.sa = bytes[2];
      return r;
    }
    case kSd1:
    case kSd3: {
      const std::size_t total = sd == kSd1 ? 6 : 14;
      if (bytes.size() < total) return {};
      if (bytes[total - 1] != kEd) return garbage(1);
      return framed(sd, bytes.subspan(1, total - 3), bytes[total - 2], total);
    }
    default: {  // SD2
      if (bytes.size() < 4) return {};
      const std::size_t le = bytes[1];
      if (le != bytes[2] || bytes[3] != kSd2 || le < 3 || le > kMaxLe) return garbage(1);
      const std::size_t total = le + 6;
      if (bytes.size() < total) return {};
      if (bytes[total - 1] != kEd) return garbage(1);
      return framed(sd, bytes.subspan(4, le), bytes[total - 2], total);
    }
  }
}

}  // namespace meterd::profibus
