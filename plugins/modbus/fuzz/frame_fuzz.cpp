// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the Modbus RTU and TCP frame decoders (codec/frame.h), as the
// transport and the simulator use them. Build with -DMETERD_FUZZ=ON under clang; the replay
// test (modbus_frame_fuzz_replay) runs the seed corpus in the normal suite.
// Checks, beyond "no crash": every frame length found makes progress and stays in bounds,
// every frame that parses re-encodes to exactly its bytes (so its CRC or header was right),
// and a read reply that parses holds exactly the registers asked.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "modbus/codec/frame.h"

using namespace meterd::modbus;

namespace {

using Bytes = std::span<const std::uint8_t>;

bool any_multiple(std::uint8_t fc) {
  return fc != kReadHolding && fc != kReadInput && fc != kWriteSingle;
}

void same_bytes(const std::vector<std::uint8_t>& encoded, Bytes frame) {
  if (!std::equal(encoded.begin(), encoded.end(), frame.begin(), frame.end())) std::abort();
}

// Drives the master's reply parsers with a PDU, as if it answered `fc`.
void parse_reply(Bytes pdu, std::uint8_t fc) {
  const std::uint16_t count = pdu.size() >= 2 ? pdu[1] / 2 : 0;
  auto regs = parse_read_reply(pdu, fc, count);
  if (regs.ok() && regs.value().size() != count) std::abort();
  const std::uint16_t address =
      pdu.size() >= 3 ? static_cast<std::uint16_t>(pdu[1] << 8 | pdu[2]) : 0;
  const std::uint16_t value =
      pdu.size() >= 5 ? static_cast<std::uint16_t>(pdu[3] << 8 | pdu[4]) : 0;
  (void)parse_write_reply(pdu, fc, address, value);
  (void)parse_request(pdu, any_multiple);
}

// The stream as the RTU master reads replies to `fc`: frame after frame by length.
void scan_rtu(Bytes rest, std::uint8_t fc) {
  for (;;) {
    const auto length = rtu_reply_length(rest, fc);
    if (!length) return;
    if (*length < 4) std::abort();  // no progress, or shorter than any frame
    if (*length > rest.size()) return;
    const Bytes frame = rest.first(*length);
    auto adu = parse_rtu(frame);
    if (adu.ok()) {
      same_bytes(rtu_frame(adu.value().unit, adu.value().pdu), frame);
      parse_reply(adu.value().pdu, fc);
    }
    rest = rest.subspan(*length);
  }
}

// The stream as the TCP master reads it: MBAP header, then the PDU.
void scan_tcp(Bytes rest) {
  for (;;) {
    const auto length = tcp_frame_length(rest);
    if (!length || *length == 0 || *length > rest.size()) return;
    if (*length <= kMbapSize) std::abort();
    const Bytes frame = rest.first(*length);
    auto adu = parse_tcp(frame);
    if (!adu.ok()) std::abort();  // the length said it was one frame
    same_bytes(tcp_frame(adu.value().transaction, adu.value().unit, adu.value().pdu), frame);
    parse_reply(adu.value().pdu, adu.value().pdu[0] & 0x7F);
    rest = rest.subspan(*length);
  }
}

// The stream as the simulator reads requests.
void scan_requests(Bytes rest) {
  for (;;) {
    const auto length = rtu_request_length(rest, any_multiple);
    if (!length || *length == 0 || *length > rest.size()) return;
    auto adu = parse_rtu(rest.first(*length));
    if (adu.ok()) (void)parse_request(adu.value().pdu, any_multiple);
    rest = rest.subspan(*length);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes input(data, size);
  for (std::uint8_t fc :
       {kReadHolding, kReadInput, kWriteSingle, kWriteMultiple, static_cast<std::uint8_t>(0xAA)}) {
    scan_rtu(input, fc);
  }
  scan_tcp(input);
  scan_requests(input);
  return 0;
}
