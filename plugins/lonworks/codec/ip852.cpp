// SPDX-License-Identifier: Apache-2.0
#include "lonworks/codec/ip852.h"

#include "lonworks/codec/byte_cursor.h"

namespace meterd::lonworks {

namespace {
Error malformed(std::string message) {
  return make_error(ErrorKind::kMalformed, std::move(message));
}
}  // namespace

std::vector<std::uint8_t> encode_ip852(const Ip852Header& h,
                                       std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> out;
  out.reserve(kIp852HeaderSize + payload.size());
  put_u16(out, static_cast<std::uint16_t>(kIp852HeaderSize + payload.size()));
  out.push_back(h.version);
  out.push_back(h.type);
  out.push_back(0);  // no extension header
  out.push_back(h.protocol_flags);
  put_u16(out, h.vendor_code);
  put_u32(out, h.session);
  put_u32(out, h.sequence);
  put_u32(out, h.timestamp);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Result<Ip852Packet> decode_ip852(std::span<const std::uint8_t> datagram) {
  ByteCursor in(datagram);
  Ip852Packet p;
  std::uint16_t size = 0;
  std::uint8_t ext_words = 0;
  if (!in.u16(size) || !in.u8(p.header.version) || !in.u8(p.header.type) || !in.u8(ext_words) ||
      !in.u8(p.header.protocol_flags) || !in.u16(p.header.vendor_code) ||
      !in.u32(p.header.session) || !in.u32(p.header.sequence) || !in.u32(p.header.timestamp)) {
    return malformed("IP-852 packet shorter than its 20-byte header");
  }
  if (size != datagram.size()) {
    return malformed("IP-852 packet size " + std::to_string(size) + " but the datagram has " +
                     std::to_string(datagram.size()) + " bytes");
  }
  if (!in.skip(std::size_t{ext_words} * 4)) return malformed("IP-852 extension header overruns");
  const auto rest = in.rest();
  p.payload.assign(rest.begin(), rest.end());
  return p;
}

Result<std::vector<std::uint8_t>> encode_ip852_data(const Ip852Header& header,
                                                    const LinkHeader& link,
                                                    const LonMessage& message) {
  auto npdu = encode_npdu(message);
  if (!npdu) return npdu.error();
  std::vector<std::uint8_t> payload;
  payload.reserve(1 + npdu.value().size());
  payload.push_back(encode_link_header(link));
  payload.insert(payload.end(), npdu.value().begin(), npdu.value().end());
  Ip852Header h = header;
  h.type = ip852::kData;
  return encode_ip852(h, payload);
}

Result<Ip852Data> decode_ip852_data(std::span<const std::uint8_t> datagram) {
  auto packet = decode_ip852(datagram);
  if (!packet) return packet.error();
  const Ip852Header& h = packet.value().header;
  if (h.type != ip852::kData) return malformed("IP-852 packet type " + std::to_string(h.type));
  if ((h.protocol_flags & 0x1F) != ip852::kProtocolLonTalk) return malformed("not LonTalk");
  if (h.protocol_flags & ip852::kFlagSecurity) {
    return make_error(ErrorKind::kNotSupported, "IP-852 authenticated packets not supported");
  }
  const auto& payload = packet.value().payload;
  if (payload.empty()) return malformed("IP-852 data packet without a LonTalk frame");
  auto message = decode_npdu(std::span(payload).subspan(1));
  if (!message) return message.error();
  return Ip852Data{h, decode_link_header(payload[0]), std::move(message.value())};
}

}  // namespace meterd::lonworks
