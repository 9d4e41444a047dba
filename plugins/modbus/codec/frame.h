// SPDX-License-Identifier: Apache-2.0
// Modbus frames as pure functions on bytes: CRC-16/MODBUS, RTU framing, request and reply
// PDUs for FC 03/04 (read), 06 (write single) and 0x10-layout writes (FC 0x10 and vendor
// codes such as 0xAA), for both the master (driver) and the server (simulator) side.
// No I/O; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/result.h"

namespace meterd::modbus {

inline constexpr std::uint8_t kReadHolding = 0x03;
inline constexpr std::uint8_t kReadInput = 0x04;
inline constexpr std::uint8_t kWriteSingle = 0x06;
inline constexpr std::uint8_t kWriteMultiple = 0x10;
inline constexpr std::uint16_t kMaxReadRegisters = 125;
inline constexpr std::uint16_t kMaxWriteRegisters = 123;
inline constexpr std::uint8_t kBroadcast = 0;

// CRC-16/MODBUS (init 0xFFFF, reflected poly 0xA001); sent low byte first.
std::uint16_t crc16(std::span<const std::uint8_t> bytes);

// `unit` + `pdu` + CRC (low byte first).
std::vector<std::uint8_t> rtu_frame(std::uint8_t unit, std::span<const std::uint8_t> pdu);

struct RtuAdu {
  std::uint8_t unit = 0;
  std::span<const std::uint8_t> pdu;  // a view into the frame
};
// Checks length (>= 4) and CRC; kChecksum on a CRC mismatch, kMalformed when too short.
Result<RtuAdu> parse_rtu(std::span<const std::uint8_t> frame);

// Request PDUs (master side).
std::vector<std::uint8_t> read_request(std::uint8_t fc, std::uint16_t address, std::uint16_t count);
std::vector<std::uint8_t> write_single_request(std::uint16_t address, std::uint16_t value);
// FC 0x10 layout: fc, address, count, byte count, values (big-endian).
std::vector<std::uint8_t> write_multiple_request(std::uint8_t fc, std::uint16_t address,
                                                 std::span<const std::uint16_t> values);

// Reply PDUs (master side): the registers of a read, or an Error: kException (code = the
// exception code) for `fc|0x80`, kMalformed for anything that does not answer the request.
Result<std::vector<std::uint16_t>> parse_read_reply(std::span<const std::uint8_t> pdu,
                                                    std::uint8_t fc, std::uint16_t count);
// FC 06 echoes address and value; 0x10 layout echoes address and count.
Status parse_write_reply(std::span<const std::uint8_t> pdu, std::uint8_t fc, std::uint16_t address,
                         std::uint16_t value_or_count);

// Total RTU length of a frame that starts with `prefix`, once enough of it is known; nullopt
// while more bytes are needed. `multiple_layout(fc)` says which codes use the 0x10 layout.
// Reply side, to a request with function code `request_fc`: exceptions are 5 bytes, reads
// 5 + byte count, writes 8. A vendor code with the high bit set (0xAA) is its own exception
// code: 5 bytes when those 5 carry a good CRC, else 8.
std::optional<std::size_t> rtu_reply_length(std::span<const std::uint8_t> prefix,
                                            std::uint8_t request_fc);
// Request side: reads and FC 06 are 8 bytes, 0x10 layout 9 + byte count; 0 for an unknown
// function code (the caller resynchronises).
std::optional<std::size_t> rtu_request_length(std::span<const std::uint8_t> prefix,
                                              bool (*multiple_layout)(std::uint8_t fc));

// Modbus TCP: MBAP header (transaction id, protocol id 0, length of unit + PDU, unit) + PDU.
inline constexpr std::size_t kMbapSize = 7;
std::vector<std::uint8_t> tcp_frame(std::uint16_t transaction, std::uint8_t unit,
                                    std::span<const std::uint8_t> pdu);
struct TcpAdu {
  std::uint16_t transaction = 0;
  std::uint8_t unit = 0;
  std::span<const std::uint8_t> pdu;  // a view into the frame
};
// Total length of the TCP ADU that starts with `prefix` once its header is in (nullopt
// before); 0 for a header no peer sends (protocol id not 0, length outside 2..254).
std::optional<std::size_t> tcp_frame_length(std::span<const std::uint8_t> prefix);
// kMalformed unless `frame` is exactly one ADU with a valid header and a PDU.
Result<TcpAdu> parse_tcp(std::span<const std::uint8_t> frame);

// Server side.
struct Request {
  std::uint8_t fc = 0;
  std::uint16_t address = 0;
  std::uint16_t count = 0;            // registers read or written
  std::vector<std::uint16_t> values;  // written values
};
// kMalformed for a PDU that is not a well-formed request of a supported layout; kException
// with code 01 for an unknown function code, 03 for a bad count.
Result<Request> parse_request(std::span<const std::uint8_t> pdu,
                              bool (*multiple_layout)(std::uint8_t fc));
std::vector<std::uint8_t> read_reply(std::uint8_t fc, std::span<const std::uint16_t> registers);
std::vector<std::uint8_t> write_reply(const Request& request);
std::vector<std::uint8_t> exception_reply(std::uint8_t fc, std::uint8_t code);

// Characters on the wire of a frame of `bytes` bytes and the RTU timing of a line.
struct LineTiming {
  double char_seconds = 0;  // 1 character (start + 8 data + parity/stop)
  double t35_seconds = 0;   // inter-frame silence
};
LineTiming line_timing(int baud, bool parity, int stop_bits);

}  // namespace meterd::modbus
