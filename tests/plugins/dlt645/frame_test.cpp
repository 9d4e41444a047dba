// SPDX-License-Identifier: Apache-2.0
#include "dlt645/codec/frame.h"

#include <gtest/gtest.h>

#include <random>

#include "dlt645/codec/control.h"
#include "dlt645/codec/data_id.h"
#include "dlt645/codec/request.h"
#include "hex.h"

namespace meterd::dlt645 {
namespace {

using testing::bytes;
using testing::hex;

const Address kMeter1 = *parse_address("000000000001");

struct Golden {
  const char* name;
  DataId id;
  const char* wire;
};

// docs/dlt645.md, meter 000000000001, no preamble.
const Golden kGoldenReads[] = {
    {"energy", 0x00010000, "68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16"},
    {"remaining amount", 0x00900200, "68 01 00 00 00 00 00 68 11 04 33 35 C3 33 44 16"},
    {"status word 3", 0x04000503, "68 01 00 00 00 00 00 68 11 04 36 38 33 37 BE 16"},
};

TEST(Dlt645Frame, GoldenReadRequestsEncodeByteForByte) {
  for (const auto& golden : kGoldenReads) {
    EXPECT_EQ(hex(build_read(kMeter1, golden.id)), golden.wire) << golden.name;
  }
}

TEST(Dlt645Frame, GoldenReadRequestsDecodeToTheirFields) {
  for (const auto& golden : kGoldenReads) {
    const auto wire = bytes(golden.wire);
    const ScanResult scan = find_frame(wire);
    ASSERT_EQ(scan.status, ScanStatus::kFrame) << golden.name;
    EXPECT_EQ(scan.consume, wire.size());
    EXPECT_EQ(scan.frame.address, kMeter1);
    EXPECT_EQ(scan.frame.control, 0x11);
    EXPECT_EQ(decode_data_id(scan.frame.data), golden.id) << golden.name;
    EXPECT_EQ(scan.frame.data.size(), 4u);
  }
}

TEST(Dlt645Frame, GoldenReadAddressEncodesAndDecodes) {
  const char* golden = "68 AA AA AA AA AA AA 68 13 00 DF 16";
  EXPECT_EQ(hex(build_read_address()), golden);
  const ScanResult scan = find_frame(bytes(golden));
  ASSERT_EQ(scan.status, ScanStatus::kFrame);
  EXPECT_TRUE(is_wildcard(scan.frame.address));
  EXPECT_EQ(scan.frame.control, fn2007::kReadAddress);
  EXPECT_TRUE(scan.frame.data.empty());
}

TEST(Dlt645Frame, PreambleIsWrittenAndSkipped) {
  const auto wire = build_read(kMeter1, di::kForwardActiveTotal, 4);
  EXPECT_EQ(hex(wire), "FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16");
  const ScanResult scan = find_frame(wire);
  ASSERT_EQ(scan.status, ScanStatus::kFrame);
  EXPECT_EQ(scan.consume, wire.size());
}

TEST(Dlt645Frame, EncodeDecodeRoundTripsEveryDataLength) {
  for (std::size_t length = 0; length <= kMaxData; length += 17) {
    Frame frame{*parse_address("123456789012"), 0x91, {}};
    for (std::size_t i = 0; i < length; ++i) frame.data.push_back(static_cast<std::uint8_t>(i * 7));
    const auto wire = encode_frame(frame, 2);
    ASSERT_TRUE(wire.ok());
    const ScanResult scan = find_frame(wire.value());
    ASSERT_EQ(scan.status, ScanStatus::kFrame) << length;
    EXPECT_EQ(scan.frame, frame);
    EXPECT_EQ(scan.consume, wire.value().size());
  }
}

TEST(Dlt645Frame, EncodeRefusesDataLongerThanOneLengthByte) {
  Frame frame{kMeter1, 0x14, std::vector<std::uint8_t>(256, 0)};
  const auto wire = encode_frame(frame);
  ASSERT_FALSE(wire.ok());
  EXPECT_EQ(wire.error().kind, ErrorKind::kInvalidArgument);
}

TEST(Dlt645Frame, EveryTruncationOfAFrameNeedsMoreBytes) {
  const auto wire = bytes("FE FE 68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16");
  for (std::size_t size = 0; size < wire.size(); ++size) {
    const ScanResult scan = find_frame(std::span(wire).first(size));
    EXPECT_EQ(scan.status, ScanStatus::kNeedMore) << size;
    EXPECT_LE(scan.consume, 2u) << "only the preamble may go";
  }
}

TEST(Dlt645Frame, WrongChecksumIsReportedAndConsumedWhole) {
  auto wire = bytes("68 01 00 00 00 00 00 68 11 04 33 33 34 33 B4 16 68");
  const ScanResult scan = find_frame(wire);
  EXPECT_EQ(scan.status, ScanStatus::kBadChecksum);
  EXPECT_EQ(scan.consume, 16u);
}

TEST(Dlt645Frame, GarbageBeforeAFrameIsDroppedUpToTheNextStart) {
  const auto wire = bytes("00 12 FE 68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16");
  ScanResult scan = find_frame(wire);
  ASSERT_EQ(scan.status, ScanStatus::kGarbage);
  EXPECT_EQ(scan.consume, 3u);
  scan = find_frame(std::span(wire).subspan(3));
  ASSERT_EQ(scan.status, ScanStatus::kFrame);
  EXPECT_EQ(decode_data_id(scan.frame.data), di::kForwardActiveTotal);
}

TEST(Dlt645Frame, StrayStartByteWithoutSecondStartIsGarbage) {
  // A 68 whose seventh next byte is not 68 cannot start a frame; the real frame follows.
  const auto wire = bytes("68 55 68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16");
  ScanResult scan = find_frame(wire);
  ASSERT_EQ(scan.status, ScanStatus::kGarbage);
  EXPECT_EQ(scan.consume, 2u);
  scan = find_frame(std::span(wire).subspan(2));
  EXPECT_EQ(scan.status, ScanStatus::kFrame);
}

TEST(Dlt645Frame, StartWithoutEndByteAtItsLengthIsGarbage) {
  const auto wire = bytes("68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 17");
  const ScanResult scan = find_frame(wire);
  EXPECT_EQ(scan.status, ScanStatus::kGarbage);
  EXPECT_EQ(scan.consume, 7u) << "up to the next 68, which might start a frame";
}

TEST(Dlt645Frame, PreambleOnlyBufferNeedsMoreAndMayBeDropped) {
  const auto wire = bytes("FE FE FE");
  const ScanResult scan = find_frame(wire);
  EXPECT_EQ(scan.status, ScanStatus::kNeedMore);
  EXPECT_EQ(scan.consume, 3u);
  EXPECT_EQ(find_frame({}).status, ScanStatus::kNeedMore);
}

TEST(Dlt645Frame, StrayPreambleBetweenFramesIsSkipped) {
  auto wire = build_read(kMeter1, di::kStatusWord3, 1);
  const auto second = build_read(kMeter1, di::kRemainingAmount, 3);
  wire.insert(wire.end(), second.begin(), second.end());
  ScanResult scan = find_frame(wire);
  ASSERT_EQ(scan.status, ScanStatus::kFrame);
  EXPECT_EQ(decode_data_id(scan.frame.data), di::kStatusWord3);
  scan = find_frame(std::span(wire).subspan(scan.consume));
  ASSERT_EQ(scan.status, ScanStatus::kFrame);
  EXPECT_EQ(decode_data_id(scan.frame.data), di::kRemainingAmount);
}

// Feeds random bytes (with frame-like fragments mixed in) through the scan loop a receiver
// runs. Every frame it yields must carry a correct checksum and re-encode to the same bytes.
TEST(Dlt645Frame, RandomBytesNeverYieldABadFrameOrStall) {
  std::mt19937 rng(645);
  const auto valid = build_read(kMeter1, di::kForwardActiveTotal);
  std::size_t frames = 0;
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::uint8_t> buffer;
    const int chunks = static_cast<int>(rng() % 6);
    for (int c = 0; c < chunks; ++c) {
      switch (rng() % 4) {
        case 0:
          buffer.insert(buffer.end(), valid.begin(), valid.end());
          break;
        case 1: {  // a valid frame with one byte changed
          auto corrupted = valid;
          corrupted[rng() % corrupted.size()] = static_cast<std::uint8_t>(rng());
          buffer.insert(buffer.end(), corrupted.begin(), corrupted.end());
          break;
        }
        default:
          for (unsigned i = rng() % 40; i > 0; --i) {
            const std::uint8_t pick[] = {0x68, 0xFE, 0x16, static_cast<std::uint8_t>(rng())};
            buffer.push_back(pick[rng() % 4]);
          }
      }
    }
    std::span<const std::uint8_t> rest(buffer);
    for (;;) {
      const ScanResult scan = find_frame(rest);
      ASSERT_LE(scan.consume, rest.size());
      if (scan.status == ScanStatus::kNeedMore) break;
      ASSERT_GT(scan.consume, 0u) << "a scan that consumes nothing would loop forever";
      if (scan.status == ScanStatus::kFrame) {
        ++frames;
        const auto wire = rest.first(scan.consume);
        const auto start = wire.size() - kFrameOverhead - scan.frame.data.size();
        EXPECT_EQ(checksum(wire.subspan(start, wire.size() - start - 2)), wire[wire.size() - 2]);
        EXPECT_EQ(hex(encode_frame(scan.frame).value()), hex(wire.subspan(start)));
      }
      rest = rest.subspan(scan.consume);
    }
  }
  EXPECT_GT(frames, 500u) << "the generator should hit valid frames often";
}

}  // namespace
}  // namespace meterd::dlt645
