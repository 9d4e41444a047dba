// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: hostile bytes through the FDL scanner and every DP decoder a master
// feeds with slave data (diagnosis, cfg, prm), and re-encoding what decoded. None may crash,
// read out of bounds or disagree with itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "profibus/codec/config_data.h"
#include "profibus/codec/diagnosis.h"
#include "profibus/codec/telegram.h"

using namespace meterd::profibus;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  while (!bytes.empty()) {
    const ScanResult scan = meterd::profibus::scan(bytes);
    if (scan.status == ScanStatus::kNeedMore) break;
    if (scan.consume == 0 || scan.consume > bytes.size()) std::abort();
    if (scan.status == ScanStatus::kTelegram) {
      const Telegram& t = scan.telegram;
      auto again = encode(t);
      // A decoded telegram re-encodes to a telegram that decodes the same.
      if (again) {
        const ScanResult back = meterd::profibus::scan(again.value());
        if (back.status != ScanStatus::kTelegram) std::abort();
        Telegram a = back.telegram, b = t;
        a.sd = b.sd = 0;
        if (!(a == b)) std::abort();
      }
      if (auto diag = decode_diag(t.data)) {
        auto round = decode_diag(encode_diag(diag.value()));
        if (!round) std::abort();
        (void)diag_json(diag.value());
      }
      if (auto cfg = decode_cfg(t.data)) (void)io_sizes(cfg.value());
      if (auto prm = decode_prm(t.data)) {
        if (encode_prm(prm.value()) != t.data) std::abort();
      }
    }
    bytes = bytes.subspan(scan.consume);
  }
  return 0;
}
