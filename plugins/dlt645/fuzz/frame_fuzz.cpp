// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the DL/T 645 frame scanner and reply parsers. Build with
//   clang++ -std=c++20 -fsanitize=fuzzer,address,undefined (or -DMETERD_FUZZ=ON with clang).
// Checks, beyond "no crash": consume stays in bounds and makes progress, and every frame
// found re-encodes to exactly the bytes it was found in (so its checksum was right).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "dlt645/codec/point_format.h"
#include "dlt645/codec/reply.h"

using namespace meterd::dlt645;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> rest(data, size);
  for (;;) {
    const ScanResult scan = find_frame(rest);
    if (scan.consume > rest.size()) std::abort();
    if (scan.status == ScanStatus::kNeedMore) break;
    if (scan.consume == 0) std::abort();
    if (scan.status == ScanStatus::kFrame) {
      const auto wire = encode_frame(scan.frame).value();
      const auto found = rest.first(scan.consume).last(wire.size());
      if (!std::equal(wire.begin(), wire.end(), found.begin())) std::abort();
      // Drive the parsers with whatever the frame holds.
      const DataId id = decode_data_id(scan.frame.data).value_or(0);
      (void)parse_read_reply(scan.frame, kWildcardAddress, id);
      (void)parse_follow_up_reply(scan.frame, scan.frame.address, id);
      (void)parse_read_address_reply(scan.frame);
      (void)parse_control_reply(scan.frame, kWildcardAddress);
      if (scan.frame.data.size() > 4) {
        for (const auto& format : default_2007_profile()) {
          (void)decode_point(format, std::span(scan.frame.data).subspan(4));
        }
      }
    }
    rest = rest.subspan(scan.consume);
  }
  return 0;
}
