// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the LonWorks codec: the input is tried as an NPDU, an LS/UDP datagram
// and an IP-852 datagram. Beyond "no crash": whatever decodes re-encodes, and the re-encoding
// decodes to the same message (the codec cannot produce what it does not read back); APDUs
// that decode feed the NV, network-management and SNVT decoders.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "lonworks/codec/apdu.h"
#include "lonworks/codec/ip852.h"
#include "lonworks/codec/ls_udp.h"
#include "lonworks/codec/snvt.h"

using namespace meterd::lonworks;

namespace {

void drive_apdu(std::span<const std::uint8_t> apdu) {
  if (auto nv = decode_nv(apdu)) {
    for (const auto& info : snvt_table()) (void)decode_snvt(info, nv.value().data);
    if (!encode_nv(nv.value())) std::abort();
  }
  (void)parse_identity(apdu);
  (void)parse_fetch_nv_response(apdu, apdu.size() > 1 ? apdu[1] : 0);
  (void)parse_query_address_response(apdu);
}

void check_npdu_round_trip(const LonMessage& m) {
  auto again = encode_npdu(m);
  if (!again) std::abort();
  auto back = decode_npdu(again.value());
  if (!back || !(back.value() == m)) std::abort();
  drive_apdu(m.apdu);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  if (auto m = decode_npdu(input)) check_npdu_round_trip(m.value());
  if (auto m = decode_ls_udp(input)) {
    // Format 1 and 6 addresses re-encode as explicit forms; the message must survive.
    auto again = encode_ls_udp(m.value());
    if (!again) std::abort();
    auto back = decode_ls_udp(again.value());
    if (!back || !(back.value() == m.value())) std::abort();
    drive_apdu(m.value().apdu);
  }
  if (auto p = decode_ip852_data(input)) {
    auto again = encode_ip852_data(p.value().header, p.value().link, p.value().message);
    if (!again) std::abort();
    auto back = decode_ip852_data(again.value());
    if (!back || !(back.value().message == p.value().message)) std::abort();
  }
  (void)decode_ip852(input);
  return 0;
}
